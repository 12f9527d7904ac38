"""The identity nameko service over real RabbitMQ and PostgreSQL: what other services and the gateway see."""
import re
from datetime import date

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.identity.exceptions import (
    DuplicateIdNumberError, DuplicatePhoneError, InvalidCredentialsError, InvalidInputError,
    InvalidResetCodeError, RefreshTokenReusedError, SeparationOfDutiesError, TokenRefusedError,
    TooManyAttemptsError,
)
from services.identity.service import IdentityService
from services.notification.service import NotificationService
from shared.config import service_config
from shared.tokens import verifier_from_key_set
from tests.waiting import wait_until

PASSWORD = "Passw0rd-test"


@pytest.fixture
def rpc(identity_config, amqp_uri, run_services, demo):
    config = {**identity_config, "AMQP_URI": amqp_uri}
    run_services((IdentityService, config))
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30) as cluster:
        yield cluster.identity


@pytest.fixture
def registration(fresh):
    def make(**overrides):
        return {"name": "王五", "id_number": fresh.id_number(), "phone": fresh.phone(), "password": PASSWORD,
                **overrides}

    return make


def actor_dict(actor):
    return actor.to_dict()


class TestRegistrationAndLogin:
    def test_an_applicant_registers_and_logs_in_over_rpc(self, rpc, registration):
        data = registration()
        account = rpc.register(data, source_address="198.51.100.1")
        result = rpc.login({"username": data["phone"], "password": PASSWORD}, source_address="198.51.100.1")
        assert result["account"]["id"] == account["id"]
        assert isinstance(result["access_expires_at"], str) and result["token_type"] == "Bearer"

    def test_a_bad_id_number_comes_back_as_a_field_message_in_chinese(self, rpc, registration):
        with pytest.raises(InvalidInputError) as refused:
            rpc.register(registration(id_number="110105194912310021"))
        assert refused.value.fields == {"id_number": ["身份证号码校验码不正确，请核对是否有输错的数字"]}
        assert refused.value.http_status == 422

    def test_a_duplicate_registration_is_a_conflict_not_a_server_error(self, rpc, registration):
        data = registration()
        rpc.register(data)
        with pytest.raises(DuplicateIdNumberError) as refused:
            rpc.register({**data, "phone": registration()["phone"]})
        assert (refused.value.code, refused.value.http_status) == ("duplicate_id_number", 409)
        with pytest.raises(DuplicatePhoneError):
            rpc.register({**registration(), "phone": data["phone"]})

    def test_the_sixth_try_from_one_address_is_told_to_wait_while_other_addresses_are_not(self, rpc, registration):
        data = registration()
        rpc.register(data)
        for _ in range(5):
            with pytest.raises(InvalidCredentialsError):
                rpc.login({"username": data["id_number"], "password": "wrong-pass1"}, source_address="198.51.100.20")
        with pytest.raises(TooManyAttemptsError) as throttled:
            rpc.login({"username": data["id_number"], "password": PASSWORD}, source_address="198.51.100.20")
        assert throttled.value.retry_after == 60 and "秒后再试" in throttled.value.message
        rpc.login({"username": data["id_number"], "password": PASSWORD}, source_address="198.51.100.21")


class TestTokens:
    def test_other_services_verify_access_tokens_locally_with_the_published_keys(self, rpc, registration):
        data = registration()
        rpc.register(data)
        tokens = rpc.login({"username": data["phone"], "password": PASSWORD})
        verifier = verifier_from_key_set(rpc.token_public_keys())
        assert verifier.verify(tokens["access_token"])["sub"] == tokens["account"]["id"]

    def test_authenticate_names_the_account_and_its_roles(self, rpc, registration):
        data = registration()
        rpc.register(data)
        tokens = rpc.login({"username": data["phone"], "password": PASSWORD})
        principal = rpc.authenticate(tokens["access_token"])
        assert principal["account_id"] == tokens["account"]["id"]
        assert [role["role"] for role in principal["roles"]] == ["applicant"]

    def test_a_forged_token_is_refused(self, rpc, registration):
        data = registration()
        rpc.register(data)
        token = rpc.login({"username": data["phone"], "password": PASSWORD})["access_token"]
        header, payload, signature = token.split(".")
        forged = f"{header}.{payload}.{signature[::-1]}"
        with pytest.raises(TokenRefusedError):
            rpc.authenticate(forged)

    def test_refresh_rotates_and_reuse_revokes_the_family(self, rpc, registration):
        data = registration()
        rpc.register(data)
        first = rpc.login({"username": data["phone"], "password": PASSWORD})
        second = rpc.refresh({"refresh_token": first["refresh_token"]})
        with pytest.raises(RefreshTokenReusedError):
            rpc.refresh({"refresh_token": first["refresh_token"]})
        with pytest.raises(TokenRefusedError):
            rpc.refresh({"refresh_token": second["refresh_token"]})

    def test_logout_ends_the_sign_in(self, rpc, registration):
        data = registration()
        rpc.register(data)
        tokens = rpc.login({"username": data["phone"], "password": PASSWORD})
        assert rpc.logout({"refresh_token": tokens["refresh_token"]}) == {"ok": True}
        with pytest.raises(TokenRefusedError):
            rpc.refresh({"refresh_token": tokens["refresh_token"]})
        with pytest.raises(TokenRefusedError):
            rpc.authenticate(tokens["access_token"])

    def test_logout_by_access_token_alone_ends_the_sign_in(self, rpc, registration):
        data = registration()
        rpc.register(data)
        tokens = rpc.login({"username": data["phone"], "password": PASSWORD})
        assert rpc.logout({"access_token": tokens["access_token"]}) == {"ok": True}
        with pytest.raises(TokenRefusedError):
            rpc.refresh({"refresh_token": tokens["refresh_token"]})

    def test_logout_without_any_token_is_an_input_error(self, rpc):
        with pytest.raises(InvalidInputError) as refused:
            rpc.logout({})
        assert "refresh_token" in refused.value.fields

    def test_the_key_set_names_where_the_revocation_list_lives(self, rpc, identity_config):
        assert rpc.token_public_keys()["revocation_list"]["key_prefix"].startswith("kunming_test_identity_")


class TestConcurrentCalls:
    def test_concurrent_wrong_passwords_from_one_address_are_all_counted(self, rpc, registration):
        data = registration()
        rpc.register(data)
        address = "198.51.100.30"
        attempts = [rpc.login.call_async({"username": data["phone"], "password": "wrong-pass1"},
                                         source_address=address) for _ in range(8)]
        for reply in attempts:
            with pytest.raises((InvalidCredentialsError, TooManyAttemptsError)):
                reply.result()
        with pytest.raises(TooManyAttemptsError):
            rpc.login({"username": data["phone"], "password": PASSWORD}, source_address=address)
        rpc.login({"username": data["phone"], "password": PASSWORD}, source_address="198.51.100.31")

    def test_of_two_racing_refreshes_with_one_token_only_one_wins(self, rpc, registration):
        data = registration()
        rpc.register(data)
        token = rpc.login({"username": data["phone"], "password": PASSWORD})["refresh_token"]
        replies = [rpc.refresh.call_async({"refresh_token": token}) for _ in range(2)]
        results = []
        for reply in replies:
            try:
                results.append(reply.result())
            except RefreshTokenReusedError:
                results.append(None)
        assert sum(result is not None for result in results) == 1


@pytest.fixture
def texting(identity_config, amqp_uri, run_services, demo, database_url):
    """Identity and the notification service on one bus: ``(identity rpc, texts(phone))``, where
    *texts* answers the SMS bodies the notification service's outbox holds for *phone*."""
    notification_config = service_config("notification")
    notification_config.update(AMQP_URI=amqp_uri, DATABASE_URL=database_url("identity_notification"))
    notification_config["SMS"].update(EXPOSE_OUTBOX=True)
    run_services((IdentityService, {**identity_config, "AMQP_URI": amqp_uri}),
                 (NotificationService, notification_config))
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30) as cluster:
        def texts(phone):
            return [item["body"] for item in cluster.notification.outbox({"phone": phone})["items"]]

        yield cluster.identity, texts


class TestPasswordReset:
    def test_the_code_is_texted_by_the_notification_service(self, texting, registration):
        rpc, texts = texting
        data = registration()
        rpc.register(data)
        answer = rpc.request_password_reset({"phone": data["phone"]})
        assert answer["expires_in"] == 600
        (body,) = wait_until(lambda: texts(data["phone"]), seconds=15, what="the reset code SMS")
        assert "验证码" in body
        code = re.search(r"验证码\s*(\d{6})", body).group(1)
        wrong = f"{(int(code) + 1) % 1000000:06d}"
        with pytest.raises(InvalidResetCodeError, match="验证码错误或已失效"):
            rpc.confirm_password_reset({"phone": data["phone"], "code": wrong, "new_password": "NewPassw0rd"})
        assert rpc.confirm_password_reset(
            {"phone": data["phone"], "code": code, "new_password": "NewPassw0rd"}) == {"ok": True}
        rpc.login({"username": data["phone"], "password": "NewPassw0rd"})
        # The completed reset is texted too (a security notice), once.
        changed = wait_until(lambda: [text for text in texts(data["phone"]) if "密码已于" in text], seconds=15,
                             what="the password-changed SMS")
        assert len(changed) == 1 and len(texts(data["phone"])) == 2

    def test_an_unknown_phone_is_texted_nothing(self, texting, registration, fresh):
        rpc, texts = texting
        known = registration()
        rpc.register(known)
        unknown = fresh.phone()
        assert rpc.request_password_reset({"phone": unknown}) == rpc.request_password_reset({"phone": known["phone"]})
        wait_until(lambda: texts(known["phone"]), seconds=15, what="the known phone's SMS")
        assert texts(unknown) == []


class TestOrganisationsAndMemberships:
    def test_org_queries_answer_with_plain_data(self, rpc, demo):
        unit_a = demo["orgs"]["演示单位甲"]
        assert rpc.get_org(unit_a)["name"] == "演示单位甲"
        assert [org["name"] for org in rpc.org_ancestors(unit_a)] == ["五华区人社局", "昆明市人社局"]
        assert unit_a in {unit["id"] for unit in rpc.units_under(demo["orgs"]["五华区人社局"])}
        assert len(rpc.list_orgs({"kind": "district"})) == 14

    def test_a_member_confirmed_by_the_unit_admin_may_apply(self, rpc, registration, actors, demo):
        data = registration()
        account = rpc.register(data)
        applicant = {"account_id": account["id"], "role": "applicant", "org_id": None}
        assert rpc.can_apply(account["id"], 2026)["reasons"][0]["code"] == "no_confirmed_unit"
        membership = rpc.request_membership(applicant, {"unit_id": demo["orgs"]["演示单位甲"]})
        rpc.confirm_membership(actor_dict(actors["unit_a_admin"]), {"membership_id": membership["id"]})
        assert account["id"] in {m["account_id"] for m in rpc.unit_members(demo["orgs"]["演示单位甲"])}
        answer = rpc.can_apply(account["id"], 2026)
        assert (answer["allowed"], answer["unit_id"]) == (True, demo["orgs"]["演示单位甲"])

    def test_separation_of_duties_is_enforced_over_rpc(self, rpc, registration, actors, demo):
        account = rpc.register(registration())
        applicant = {"account_id": account["id"], "role": "applicant", "org_id": None}
        rpc.request_membership(applicant, {"unit_id": demo["orgs"]["演示单位甲"]})
        grant = {"account_id": account["id"], "role": "unit_admin", "org_id": demo["orgs"]["演示单位甲"]}
        with pytest.raises(SeparationOfDutiesError) as refused:
            rpc.grant_role(actor_dict(actors["wuhua_admin"]), grant)
        assert refused.value.http_status == 403

    def test_a_sanction_shows_in_can_apply_with_its_reason(self, rpc, registration, actors):
        account = rpc.register(registration())
        with pytest.raises(InvalidInputError) as refused:  # the bar is the caller's to give, from the year's policy
            rpc.record_sanction(actor_dict(actors["city_admin"]), {
                "account_id": account["id"], "reason": "伪造证书", "sanctioned_on": "2026-02-01"})
        assert "禁止申报年限" in refused.value.fields["bar_years"][0]
        sanction = rpc.record_sanction(actor_dict(actors["city_admin"]), {
            "account_id": account["id"], "reason": "伪造证书", "sanctioned_on": "2026-02-01", "bar_years": 4})
        assert sanction["bars_until"] == "2030-02-01"
        answer = rpc.can_apply(account["id"], 2027, None, date(2027, 1, 1).isoformat())
        assert "sanctioned" in [reason["code"] for reason in answer["reasons"]]

    def test_scope_of_a_unit_admin_is_their_unit(self, rpc, actors, demo):
        assert rpc.scope_of(actor_dict(actors["unit_b_admin"])) == {
            "everything": False, "org_ids": [demo["orgs"]["演示单位乙"]]}


class TestOperations:
    def test_health_reports_the_database(self, rpc):
        assert rpc.health() == {"service": "identity", "status": "ok", "database": "ok"}

    def test_a_malformed_id_is_an_input_error_not_a_database_error(self, rpc):
        with pytest.raises(InvalidInputError) as refused:
            rpc.get_account("not-a-uuid")
        assert refused.value.fields == {"account_id": ["编号格式无效"]}


class TestRepeatedRequests:
    """A request redelivered with the same idempotency key answers the first result (shared/idempotency.py)."""

    @staticmethod
    def keyed(amqp_uri):
        import uuid

        from shared.idempotency import IDEMPOTENCY_KEY

        return ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30,
                               context_data={IDEMPOTENCY_KEY: f"identity-test-{uuid.uuid4()}"})

    def test_a_registration_sent_twice_answers_the_account_instead_of_already_registered(
            self, rpc, registration, amqp_uri):
        data = registration()
        with self.keyed(amqp_uri) as proxy:
            first = proxy.identity.register(data)
            assert proxy.identity.register(data) == first
        with pytest.raises(DuplicateIdNumberError):  # a new request (no key) is still a duplicate
            rpc.register(data)

    def test_a_role_grant_sent_twice_asks_the_city_admin_office_once(self, rpc, registration, actors, demo, amqp_uri):
        account = rpc.register(registration())
        grant = {"account_id": account["id"], "role": "district_admin", "org_id": demo["orgs"]["五华区人社局"]}
        with self.keyed(amqp_uri) as proxy:
            first = proxy.identity.grant_role(actor_dict(actors["sysadmin"]), grant)
            assert proxy.identity.grant_role(actor_dict(actors["sysadmin"]), grant) == first
        pending = rpc.role_requests(actor_dict(actors["city_admin"]), {"status": "pending", "limit": 500})
        assert [request["account_id"] for request in pending].count(account["id"]) == 1
