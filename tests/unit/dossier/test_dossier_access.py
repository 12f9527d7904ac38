"""Who may see a dossier, whose turn it is, what a work queue lists (shared/contracts/dossier_access.py).

The expected answers are written from the rules (docs/domain-rules.md R1.2–R1.9, R5.1), role by role,
not read back from the module's tables."""
import pytest

from shared.contracts import dossier as st
from shared.contracts import dossier_access as access
from shared.roles import Actor

UNIT_A, UNIT_B = "unit-a", "unit-b"
DISTRICT_X, DISTRICT_Y = "district-x", "district-y"
APPLICANT_ID = "applicant-1"


def dossier(status=st.SUBMITTED, **overrides):
    return {"status": status, "applicant_id": APPLICANT_ID, "unit_id": UNIT_A, "district_id": DISTRICT_X,
            **overrides}


def actor(role, org_id=None, account_id=None):
    return Actor(account_id=account_id or f"{role}-1", role=role, org_id=org_id)


# Everyone who might ask, and whether they may read a dossier of applicant-1 in unit A under district X.
READERS = [
    (actor("applicant", account_id=APPLICANT_ID), True),  # their own dossier
    (actor("applicant", account_id="applicant-2"), False),  # someone else's
    (actor("unit_admin", UNIT_A), True),
    (actor("unit_admin", UNIT_B), False),
    (actor("unit_admin", None), False),
    (actor("district_admin", DISTRICT_X), True),
    (actor("district_admin", DISTRICT_Y), False),
    (actor("district_admin", UNIT_A), False),  # a unit id is not a district
    (actor("city_admin", "city"), True),
    (actor("auditor", "city"), True),
    (actor("committee_secretary", "committee"), False),
    (actor("expert", "committee"), False),
    (actor("sysadmin", "city"), False),
    (actor("system"), False),
]


class TestWhoMaySeeADossier:
    @pytest.mark.parametrize("status", st.ALL_STATUSES)
    @pytest.mark.parametrize(("who", "allowed"), READERS, ids=lambda value: getattr(value, "role", str(value)))
    def test_the_applicant_their_units_and_districts_admins_the_city_and_audit_in_every_status(
            self, who, allowed, status):
        assert access.may_see(who, dossier(status)) is allowed

    def test_a_person_with_several_roles_sees_what_any_one_of_them_sees(self):
        roles = (("applicant", None), ("unit_admin", UNIT_B))
        assert access.any_role_may_see("someone", roles, dossier(unit_id=UNIT_B)) is True
        assert access.any_role_may_see("someone", roles, dossier(unit_id=UNIT_A)) is False
        assert access.any_role_may_see(APPLICANT_ID, roles, dossier(unit_id=UNIT_A)) is True

    def test_nobody_without_a_role_sees_anything(self):
        assert access.any_role_may_see("someone", (), dossier()) is False


# Status -> the review level that decides it, from the chain 单位审核 → 主管部门审核 → 市人社局审核.
LEVEL_BY_STATUS = {
    st.SUBMITTED: st.UNIT,  # approve, return or reject at the unit
    st.UNIT_APPROVED: st.UNIT,  # still the unit's: publicity, then the batch upward (or a late return)
    st.RECOMMENDED: st.DISTRICT,
    st.DISTRICT_APPROVED: st.CITY,
}


class TestWhoDecides:
    @pytest.mark.parametrize("status", st.ALL_STATUSES)
    def test_only_the_review_steps_have_a_deciding_level(self, status):
        assert access.deciding_level(status) == LEVEL_BY_STATUS.get(status)

    @pytest.mark.parametrize(("status", "expected"), [
        (st.SUBMITTED, ("unit_admin", UNIT_A)),
        (st.UNIT_APPROVED, ("unit_admin", UNIT_A)),
        (st.RECOMMENDED, ("district_admin", DISTRICT_X)),
        (st.DISTRICT_APPROVED, ("city_admin", None)),  # any city admin
        *[(status, None) for status in st.ALL_STATUSES if status not in LEVEL_BY_STATUS],
    ])
    def test_the_decider_is_the_role_at_the_dossiers_own_organisation(self, status, expected):
        assert access.decider(dossier(status)) == expected

    @pytest.mark.parametrize(("who", "level", "allowed"), [
        (actor("unit_admin", UNIT_A), st.UNIT, True),
        (actor("unit_admin", UNIT_B), st.UNIT, False),
        (actor("unit_admin", UNIT_A), st.DISTRICT, False),
        (actor("district_admin", DISTRICT_X), st.DISTRICT, True),
        (actor("district_admin", DISTRICT_Y), st.DISTRICT, False),
        (actor("district_admin", DISTRICT_X), st.UNIT, False),
        (actor("city_admin", "city"), st.CITY, True),
        (actor("city_admin", "elsewhere"), st.CITY, True),
        (actor("city_admin", "city"), st.UNIT, False),
        (actor("auditor", "city"), st.CITY, False),  # reads everything, decides nothing
        (actor("applicant", account_id=APPLICANT_ID), st.UNIT, False),
    ])
    def test_a_reviewer_decides_only_at_their_own_level_and_organisation(self, who, level, allowed):
        assert access.may_decide(who, level, dossier()) is allowed


# Who acts next in each status (the status table's last column); None: nobody.
NEXT = {
    st.DRAFT: "applicant", st.RETURNED: "applicant", st.ACCEPTED: "applicant",
    st.SUBMITTED: "unit_admin", st.UNIT_APPROVED: "unit_admin",
    st.RECOMMENDED: "district_admin", st.DISTRICT_APPROVED: "city_admin",
    st.FEE_PAID: "committee_secretary", st.SENT_TO_COMMITTEE: "committee_secretary",
    st.UNDER_REVIEW: "committee_secretary",
    st.PASSED: "city_admin", st.IN_PUBLICITY: "city_admin",
    st.APPROVED: "system",
}


class TestWhoseTurn:
    @pytest.mark.parametrize("status", st.ALL_STATUSES)
    def test_each_status_waits_for_the_role_that_acts_next(self, status):
        assert access.whose_turn(status) == NEXT.get(status)

    @pytest.mark.parametrize(("role", "statuses"), [
        ("unit_admin", (st.SUBMITTED, st.UNIT_APPROVED)),
        ("district_admin", (st.RECOMMENDED,)),
        ("city_admin", (st.DISTRICT_APPROVED, st.PASSED, st.IN_PUBLICITY)),
        ("committee_secretary", (st.FEE_PAID, st.SENT_TO_COMMITTEE, st.UNDER_REVIEW)),
        ("auditor", ()),
        ("expert", ()),
    ])
    def test_what_awaits_each_role(self, role, statuses):
        assert access.awaiting(role) == statuses

    def test_every_deciding_status_awaits_its_levels_reviewer(self):
        for status in LEVEL_BY_STATUS:
            role, _ = access.decider(dossier(status))
            assert status in access.awaiting(role)

    @pytest.mark.parametrize("status", [st.FAILED, st.CERTIFIED, st.REJECTED, st.WITHDRAWN, st.ABANDONED,
                                        st.REVOKED])
    def test_final_statuses_wait_for_nobody(self, status):
        assert access.whose_turn(status) is None
        assert st.commands_allowed_in(status) in ([], ["revoke_title"])


class TestWorkQueues:
    @pytest.mark.parametrize(("who", "unit_id", "district_id"), [
        (actor("unit_admin", UNIT_A), UNIT_A, None),
        (actor("district_admin", DISTRICT_X), None, DISTRICT_X),
        (actor("city_admin", "city"), None, None),
        (actor("auditor", "city"), None, None),
        (actor("committee_secretary", "committee"), None, None),
    ])
    def test_each_administrator_has_a_queue_over_their_organisation(self, who, unit_id, district_id):
        queue = access.work_queue(who)
        assert (queue.role, queue.unit_id, queue.district_id) == (who.role, unit_id, district_id)
        assert queue.awaiting == access.awaiting(who.role)

    @pytest.mark.parametrize("who", [actor("applicant"), actor("expert", "committee"), actor("sysadmin", "city"),
                                     actor("unit_admin", None), actor("district_admin", None)])
    def test_roles_without_a_queue_get_none(self, who):
        assert access.work_queue(who) is None

    @pytest.mark.parametrize("status", st.ALL_STATUSES)
    def test_no_queue_lists_a_draft_and_the_city_lists_everything_else(self, status):
        city = access.work_queue(actor("city_admin", "city"))
        assert city.includes(dossier(status)) is (status != st.DRAFT)

    @pytest.mark.parametrize("status", st.ALL_STATUSES)
    def test_the_committee_office_lists_payment_to_the_votes_result(self, status):
        office = access.work_queue(actor("committee_secretary", "committee"))
        committee_stage = (st.FEE_PAID, st.SENT_TO_COMMITTEE, st.UNDER_REVIEW, st.PASSED, st.FAILED)
        assert office.includes(dossier(status)) is (status in committee_stage)

    def test_a_queue_lists_only_its_own_unit_or_district(self):
        unit, district = access.work_queue(actor("unit_admin", UNIT_A)), access.work_queue(
            actor("district_admin", DISTRICT_X))
        assert unit.includes(dossier()) and not unit.includes(dossier(unit_id=UNIT_B))
        assert district.includes(dossier(unit_id=UNIT_B)) and not district.includes(dossier(district_id=DISTRICT_Y))
        assert not unit.includes(None)

    @pytest.mark.parametrize(("who", "allowed"), READERS[2:8], ids=lambda value: getattr(value, "org_id", str(value)))
    def test_an_admin_queue_lists_a_dossier_only_if_the_admin_may_see_it(self, who, allowed):
        queue = access.work_queue(who)
        listed = queue is not None and queue.includes(dossier())
        assert listed is allowed
