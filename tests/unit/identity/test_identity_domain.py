"""Identity's pure rules: passwords, usernames, reset codes, scopes, grants and the second-person rule,
sanctions. (Login throttles, which replaced the account lockout, are in test_identity_throttles.py.)"""
from datetime import date, datetime, timedelta, timezone

import pytest

from services.identity import domain
from services.identity.domain import (
    APPROVED, CITY, COMMITTEE, DEPARTMENT, DISTRICT, PENDING, UNIT, OrgNode, OrgTree,
    PasswordPolicy, ResetCodePolicy, scope_for,
)
from services.identity.exceptions import (
    ActionNotAllowedError, OutOfScopeError, SeparationOfDutiesError, StateConflictError,
    UnsuitableOrganisationError,
)
from shared.errors import PlatformError
from shared.roles import (
    APPLICANT, AUDITOR, CITY_ADMIN, COMMITTEE_SECRETARY, DISTRICT_ADMIN, EXPERT, SYSADMIN, UNIT_ADMIN,
    Actor,
)

NOW = datetime(2026, 3, 1, 2, 0, tzinfo=timezone.utc)


def assert_allowed(check, *args, **kwargs):
    """The rule *check* lets this through: it raises none of the platform's refusals (a check_* rule
    returns nothing when it allows, so not raising is what it says)."""
    try:
        check(*args, **kwargs)
    except PlatformError as refused:
        raise AssertionError(f"{check.__name__}{args} refused: {refused}") from None


def make_tree():
    """city → two districts (each with two units), a department with a unit, a committee."""
    nodes = [
        OrgNode("city", None, CITY),
        OrgNode("wuhua", "city", DISTRICT),
        OrgNode("panlong", "city", DISTRICT),
        OrgNode("health", "city", DEPARTMENT),
        OrgNode("committee", "city", COMMITTEE),
        OrgNode("unit-a", "wuhua", UNIT),
        OrgNode("unit-a2", "wuhua", UNIT),
        OrgNode("unit-b", "panlong", UNIT),
        OrgNode("unit-b2", "panlong", UNIT, PENDING),
        OrgNode("hospital", "health", UNIT),
    ]
    return OrgTree(nodes)


def actor(role, org_id=None, **overrides):
    return Actor(**{"account_id": "a-1", "role": role, "org_id": org_id, **overrides})


class TestPasswordPolicy:
    policy = PasswordPolicy()

    def test_accepts_eight_characters_with_letters_and_digits(self):
        assert self.policy.problems("abcd1234") == []

    def test_refuses_a_password_shorter_than_eight_characters(self):
        assert self.policy.problems("abc123") == ["密码至少需要 8 个字符"]

    @pytest.mark.parametrize("password", ["abcdefgh", "12345678", "密码密码密码密码1"])
    def test_refuses_a_password_without_both_letters_and_digits(self, password):
        assert "密码必须同时包含字母和数字" in self.policy.problems(password)

    def test_refuses_the_id_number_whatever_the_case_of_its_x(self):
        problems = self.policy.problems("11010519491231002x", id_number="11010519491231002X")
        assert "密码不能使用身份证号码" in problems

    def test_refuses_a_password_built_on_the_birth_date(self):
        problems = self.policy.problems("ab19491231", birth_date=date(1949, 12, 31))
        assert problems == ["密码不能使用出生日期"]

    def test_lists_every_problem_not_just_the_first(self):
        assert len(self.policy.problems("")) == 2

    def test_refuses_absurdly_long_passwords(self):
        assert "密码不能超过 128 个字符" in self.policy.problems("a1" * 65)


class TestUsernames:
    @pytest.mark.parametrize("text", ["13812345678", "138 1234 5678", "+8613812345678", "138-1234-5678"])
    def test_accepts_mainland_mobile_numbers_in_common_spellings(self, text):
        assert domain.normalize_phone(text) == "13812345678"

    @pytest.mark.parametrize("text", ["12812345678", "1381234567", "087163123456", "abc", ""])
    def test_refuses_what_is_not_a_mainland_mobile_number(self, text):
        with pytest.raises(ValueError, match="11 位中国大陆手机号码"):
            domain.normalize_phone(text)

    def test_reads_an_id_number_with_a_lower_case_x_as_an_id_number(self):
        assert domain.username_kind(" 11010519491231002x ") == ("id_number", "11010519491231002X")

    def test_reads_eleven_digits_as_a_phone_number(self):
        assert domain.username_kind("13812345678") == ("phone", "13812345678")

    def test_reads_anything_else_as_a_login_name(self):
        assert domain.username_kind("City_Admin") == ("login_name", "city_admin")

    @pytest.mark.parametrize("text", ["1admin", "ab", "名字", "a" * 33])
    def test_login_names_start_with_a_letter_and_use_ascii(self, text):
        with pytest.raises(ValueError):
            domain.normalize_login_name(text)


class TestResetCodePolicy:
    def test_a_code_lives_ten_minutes(self):
        assert ResetCodePolicy().expires_at(NOW) == NOW + timedelta(minutes=10)

    def test_a_new_code_waits_for_the_resend_interval(self):
        policy = ResetCodePolicy(resend_seconds=60)
        assert not policy.may_resend(NOW, NOW + timedelta(seconds=59))
        assert policy.may_resend(NOW, NOW + timedelta(seconds=60))
        assert policy.may_resend(None, NOW)


class TestScopes:
    tree = make_tree()

    @pytest.mark.parametrize("unit", ["unit-a", "unit-a2", "unit-b", "unit-b2", "hospital"])
    def test_a_unit_admins_scope_is_their_unit_and_never_another(self, unit):
        scope = scope_for(actor(UNIT_ADMIN, unit), self.tree)
        others = [node for node in self.tree.nodes if node != unit]
        assert scope.includes(unit)
        assert not any(scope.includes(other) for other in others)

    def test_a_district_admin_sees_their_district_and_its_units_only(self):
        scope = scope_for(actor(DISTRICT_ADMIN, "wuhua"), self.tree)
        assert scope.org_ids == {"wuhua", "unit-a", "unit-a2"}

    def test_a_competent_department_admin_sees_the_units_under_it(self):
        assert scope_for(actor(DISTRICT_ADMIN, "health"), self.tree).org_ids == {"health", "hospital"}

    @pytest.mark.parametrize("role", [CITY_ADMIN, AUDITOR, SYSADMIN])
    def test_city_level_roles_see_everything(self, role):
        assert scope_for(actor(role, "city"), self.tree).includes("unit-b2")

    @pytest.mark.parametrize("role, org", [(APPLICANT, None), (EXPERT, "committee")])
    def test_applicants_and_experts_have_no_organisation_scope(self, role, org):
        assert not scope_for(actor(role, org), self.tree).includes(org or "city")

    def test_a_secretary_sees_their_committee(self):
        assert scope_for(actor(COMMITTEE_SECRETARY, "committee"), self.tree).org_ids == {"committee"}

    def test_an_organisation_missing_from_the_tree_gives_no_scope(self):
        assert scope_for(actor(DISTRICT_ADMIN, "gone"), self.tree).org_ids == frozenset()

    def test_ancestors_run_from_the_parent_up_to_the_city(self):
        assert self.tree.ancestors("unit-a") == ["wuhua", "city"]
        assert self.tree.ancestors("city") == []


class TestRoleGrants:
    tree = make_tree()

    def grant(self, granter, role, target):
        domain.check_can_grant(granter, role, self.tree.get(target), self.tree)

    def test_sysadmin_may_ask_for_any_administrator_role(self):
        for role, org in [(CITY_ADMIN, "city"), (AUDITOR, "city"), (DISTRICT_ADMIN, "panlong"),
                          (UNIT_ADMIN, "unit-b"), (EXPERT, "committee")]:
            assert_allowed(self.grant, actor(SYSADMIN, "city"), role, org)

    def test_a_district_admin_appoints_unit_admins_of_their_own_units(self):
        assert_allowed(self.grant, actor(DISTRICT_ADMIN, "wuhua"), UNIT_ADMIN, "unit-a")

    def test_a_district_admin_may_not_appoint_in_another_district(self):
        with pytest.raises(OutOfScopeError):
            self.grant(actor(DISTRICT_ADMIN, "wuhua"), UNIT_ADMIN, "unit-b")

    def test_a_district_admin_may_not_create_district_admins(self):
        with pytest.raises(ActionNotAllowedError):
            self.grant(actor(DISTRICT_ADMIN, "wuhua"), DISTRICT_ADMIN, "wuhua")

    def test_a_city_admin_may_not_create_sysadmins_or_auditors(self):
        for role in (SYSADMIN, AUDITOR, CITY_ADMIN):
            with pytest.raises(ActionNotAllowedError):
                self.grant(actor(CITY_ADMIN, "city"), role, "city")

    @pytest.mark.parametrize("role", [CITY_ADMIN, DISTRICT_ADMIN, UNIT_ADMIN, COMMITTEE_SECRETARY, EXPERT, AUDITOR])
    def test_a_sysadmins_review_role_needs_a_second_person(self, role):
        assert domain.needs_second_person(actor(SYSADMIN, "city"), role)

    def test_a_sysadmin_appoints_another_sysadmin_alone_and_a_city_admin_appoints_alone(self):
        assert not domain.needs_second_person(actor(SYSADMIN, "city"), SYSADMIN)
        assert not domain.needs_second_person(actor(CITY_ADMIN, "city"), DISTRICT_ADMIN)

    def test_a_role_request_is_decided_by_a_city_admin_other_than_the_requester_and_the_receiver(self):
        city = Actor("city-1", CITY_ADMIN, "city")
        domain.check_can_decide_role_request(city, requested_by="sys-1", account_id="new-1")
        with pytest.raises(SeparationOfDutiesError):
            domain.check_can_decide_role_request(city, requested_by="city-1", account_id="new-1")
        with pytest.raises(SeparationOfDutiesError):
            domain.check_can_decide_role_request(city, requested_by="sys-1", account_id="city-1")
        with pytest.raises(ActionNotAllowedError):
            domain.check_can_decide_role_request(Actor("sys-2", SYSADMIN, "city"), requested_by="sys-1",
                                                 account_id="new-1")

    @pytest.mark.parametrize("role", [UNIT_ADMIN, APPLICANT, EXPERT])
    def test_unit_admins_and_applicants_create_no_accounts(self, role):
        with pytest.raises((ActionNotAllowedError, UnsuitableOrganisationError)):
            self.grant(actor(UNIT_ADMIN, "unit-a"), role, "unit-a")

    def test_a_role_must_sit_on_the_right_kind_of_organisation(self):
        with pytest.raises(UnsuitableOrganisationError, match="只能设在"):
            self.grant(actor(SYSADMIN, "city"), UNIT_ADMIN, "wuhua")

    def test_a_unit_not_yet_approved_gets_no_admin(self):
        with pytest.raises(StateConflictError):
            self.grant(actor(SYSADMIN, "city"), UNIT_ADMIN, "unit-b2")


class TestSeparationOfDuties:
    def test_an_applicant_cannot_be_made_admin_of_the_unit_that_recommends_them(self):
        with pytest.raises(SeparationOfDutiesError, match="职责分离"):
            domain.check_separation_of_duties(UNIT_ADMIN, "unit-a", ["unit-a"])

    def test_an_applicant_may_administer_a_unit_they_do_not_belong_to(self):
        assert_allowed(domain.check_separation_of_duties, UNIT_ADMIN, "unit-b", ["unit-a"])

    def test_other_roles_are_not_affected_by_membership(self):
        assert_allowed(domain.check_separation_of_duties, EXPERT, "committee", ["unit-a"])

    def test_a_unit_admin_cannot_join_their_own_unit_as_an_applicant(self):
        with pytest.raises(SeparationOfDutiesError):
            domain.check_may_join("unit-a", ["unit-a"])


class TestUnitApproval:
    def test_the_district_admin_of_the_parent_decides(self):
        assert_allowed(domain.check_can_approve_unit, actor(DISTRICT_ADMIN, "wuhua"), OrgNode("u", "wuhua", UNIT, PENDING))

    def test_another_districts_admin_may_not(self):
        with pytest.raises(OutOfScopeError):
            domain.check_can_approve_unit(actor(DISTRICT_ADMIN, "panlong"), OrgNode("u", "wuhua", UNIT, PENDING))

    def test_a_unit_is_decided_only_once(self):
        with pytest.raises(StateConflictError):
            domain.check_can_approve_unit(actor(DISTRICT_ADMIN, "wuhua"), OrgNode("u", "wuhua", UNIT, APPROVED))


class TestWhoMayApply:
    def refusals(self, **overrides):
        facts = {"active": True, "is_applicant": True, "confirmed_unit_ids": ["unit-a"], "unit_id": None,
                 "sanctions": [], "today": date(2026, 5, 1), **overrides}
        return [refusal.code for refusal in domain.application_refusals(**facts)]

    def test_a_confirmed_member_without_sanctions_may_apply(self):
        assert self.refusals() == []

    def test_a_fraud_sanction_bars_for_three_years_from_its_date(self):
        bars_until = domain.sanction_end(date(2024, 6, 1), 3)
        assert bars_until == date(2027, 6, 1)
        assert self.refusals(sanctions=[("fraud", bars_until)]) == ["sanctioned"]
        assert self.refusals(sanctions=[("fraud", bars_until)], today=date(2027, 6, 1)) == []

    def test_a_sanction_dated_29_february_ends_on_1_march(self):
        assert domain.sanction_end(date(2024, 2, 29), 3) == date(2027, 3, 1)

    def test_every_reason_is_given_not_just_the_first(self):
        codes = self.refusals(active=False, confirmed_unit_ids=[], sanctions=[("fraud", date(2028, 1, 1))])
        assert codes == ["account_disabled", "no_confirmed_unit", "sanctioned"]

    def test_applying_for_a_unit_needs_confirmed_membership_of_that_unit(self):
        assert self.refusals(unit_id="unit-b") == ["not_unit_member"]

    def test_the_sanction_message_says_until_when(self):
        refusal, = domain.application_refusals(
            active=True, is_applicant=True, confirmed_unit_ids=["u"], unit_id=None,
            sanctions=[("fraud", date(2028, 1, 1))], today=date(2026, 1, 1))
        assert "2028-01-01 前不得申报" in refusal.message
