"""Identity's lookups for the notification service over real RabbitMQ and PostgreSQL: ``contacts`` (how
to reach these accounts) and ``role_holders`` (who holds a role for an organisation). Both answer the
full phone number — an internal answer the gateway never forwards — and only active accounts."""
import uuid

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.identity.exceptions import InvalidInputError
from services.identity.service import IdentityService

PASSWORD = "Passw0rd-test"


@pytest.fixture
def rpc(identity_config, amqp_uri, run_services, demo):
    run_services((IdentityService, {**identity_config, "AMQP_URI": amqp_uri}))
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30) as cluster:
        yield cluster.identity


@pytest.fixture
def make_admin(identity, actors, fresh):
    """A unit admin account of *unit_id* with its own phone, created by 五华区's admin."""

    def make(unit_id, name="单位管理员"):
        phone = fresh.phone()
        account = identity.roles.create_admin_account(actors["wuhua_admin"], "ua" + phone, name, PASSWORD,
                                                      "unit_admin", unit_id, phone=phone)
        return {"account_id": account["id"], "name": name, "phone": phone, "status": "active"}

    return make


def by_id(contacts):
    return {contact["account_id"]: contact for contact in contacts}


class TestContacts:
    def test_each_active_account_comes_with_its_name_and_full_phone(self, rpc, make_applicant):
        first, second = make_applicant(name="孙一"), make_applicant(name="周二")
        answer = rpc.contacts([first["account"]["id"], second["account"]["id"]])
        assert by_id(answer) == {
            first["account"]["id"]: {"account_id": first["account"]["id"], "name": "孙一",
                                     "phone": first["phone"], "status": "active"},
            second["account"]["id"]: {"account_id": second["account"]["id"], "name": "周二",
                                      "phone": second["phone"], "status": "active"},
        }

    def test_disabled_accounts_are_left_out_until_enabled_again(self, rpc, identity, actors, make_applicant):
        kept, disabled = make_applicant(), make_applicant()
        identity.accounts.disable_account(actors["sysadmin"], disabled["account"]["id"], "离职")
        ids = [kept["account"]["id"], disabled["account"]["id"]]
        assert set(by_id(rpc.contacts(ids))) == {kept["account"]["id"]}
        identity.accounts.enable_account(actors["sysadmin"], disabled["account"]["id"])
        assert set(by_id(rpc.contacts(ids))) == set(ids)

    def test_unknown_ids_are_ignored_and_a_repeated_id_answers_once(self, rpc, make_applicant):
        person = make_applicant()
        answer = rpc.contacts([str(uuid.uuid4()), person["account"]["id"], person["account"]["id"]])
        assert [contact["account_id"] for contact in answer] == [person["account"]["id"]]
        assert rpc.contacts([str(uuid.uuid4())]) == []

    def test_an_admin_without_a_phone_is_answered_with_none(self, rpc, demo):
        (city_admin,) = rpc.contacts([demo["accounts"]["city_admin"]])
        assert (city_admin["name"], city_admin["phone"]) == ("市人社局审核员", None)

    def test_five_hundred_ids_are_answered(self, rpc, make_applicant):
        person = make_applicant()
        ids = [str(uuid.uuid4()) for _ in range(499)] + [person["account"]["id"]]
        assert [contact["phone"] for contact in rpc.contacts(ids)] == [person["phone"]]


class TestContactsRefusesBadInput:
    def test_an_id_that_is_not_a_uuid_is_named_by_its_position(self, rpc, make_applicant):
        with pytest.raises(InvalidInputError) as refused:
            rpc.contacts([make_applicant()["account"]["id"], "not-a-uuid"])
        assert refused.value.fields == {"account_ids": {"1": ["编号格式无效"]}}
        assert refused.value.http_status == 422

    def test_more_than_five_hundred_ids_or_none_at_all_are_refused(self, rpc):
        for ids in ([str(uuid.uuid4()) for _ in range(501)], []):
            with pytest.raises(InvalidInputError) as refused:
                rpc.contacts(ids)
            assert refused.value.fields == {"account_ids": ["应有 1 到 500 个账号"]}

    def test_a_nul_byte_is_refused_before_it_reaches_the_database(self, rpc, make_applicant):
        real = make_applicant()["account"]["id"]
        with pytest.raises(InvalidInputError) as refused:
            rpc.contacts([real[:-1] + "\x00"])
        assert refused.value.fields == {"account_ids": {"0": ["编号格式无效"]}}


class TestRoleHolders:
    def test_a_units_admins_and_not_another_units(self, rpc, make_unit, make_admin):
        unit, other = make_unit(), make_unit()
        first, second = make_admin(unit["id"], "单位管理员甲"), make_admin(unit["id"], "单位管理员乙")
        stranger = make_admin(other["id"])
        assert by_id(rpc.role_holders("unit_admin", unit["id"])) == {
            first["account_id"]: first, second["account_id"]: second}
        assert set(by_id(rpc.role_holders("unit_admin", other["id"]))) == {stranger["account_id"]}

    def test_a_disabled_admin_is_left_out(self, rpc, identity, actors, make_unit, make_admin):
        unit = make_unit()
        kept, disabled = make_admin(unit["id"]), make_admin(unit["id"])
        identity.accounts.disable_account(actors["sysadmin"], disabled["account_id"])
        assert set(by_id(rpc.role_holders("unit_admin", unit["id"]))) == {kept["account_id"]}

    def test_the_city_admin_office_is_asked_for_with_the_citys_own_id(self, rpc, demo, make_unit, make_admin):
        city = demo["orgs"]["昆明市人社局"]
        unit_admin = make_admin(make_unit()["id"])
        holders = by_id(rpc.role_holders("city_admin", city))
        assert demo["accounts"]["city_admin"] in holders
        assert unit_admin["account_id"] not in holders
        assert demo["accounts"]["city_admin"] not in by_id(rpc.role_holders("unit_admin", demo["orgs"]["演示单位甲"]))
        assert set(by_id(rpc.role_holders("unit_admin", demo["orgs"]["演示单位甲"]))) >= {demo["accounts"]["unit_a_admin"]}

    def test_a_unit_with_no_admin_answers_an_empty_list(self, rpc, make_unit):
        assert rpc.role_holders("unit_admin", make_unit()["id"]) == []

    def test_an_unknown_role_or_a_bad_org_id_is_refused_in_chinese(self, rpc):
        with pytest.raises(InvalidInputError) as refused:
            rpc.role_holders("boss", None)
        assert "只能查询单位管理员" in refused.value.fields["role"][0]
        # Applicants are reached by account id, never listed wholesale.
        with pytest.raises(InvalidInputError) as refused:
            rpc.role_holders("applicant", None)
        assert "只能查询单位管理员" in refused.value.fields["role"][0]
        with pytest.raises(InvalidInputError) as refused:
            rpc.role_holders("unit_admin", "not-a-uuid")
        assert refused.value.fields == {"org_id": ["编号格式无效"]}
        with pytest.raises(InvalidInputError) as refused:
            rpc.role_holders("unit_admin", str(uuid.uuid4())[:-1] + "\x00")
        assert refused.value.fields == {"org_id": ["编号格式无效"]}
