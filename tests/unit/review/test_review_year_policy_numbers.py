"""Review reads the year's numbers from the year's notice policy (docs/domain-rules.md R0.1, R6.1, R6.2):
per year, the version in force at the step, the platform defaults for a year without a notice."""
from datetime import date

import pytest

from services.review.domain import committees as rules
from services.review.domain.unit_publicity import unit_publicity_window
from services.review.domain.workdays import WorkingCalendar
from services.review.policy import YearPolicies
from services.review.settings import Settings
from shared.contracts.dossier_errors import NoticeNotFound
from shared.contracts.year_policy import DEFAULT_POLICY, effective_policy


class Dossiers:
    """The dossier service's ``get_notice``: a notice per year, counting the calls."""

    def __init__(self, notices):
        self.notices, self.calls = notices, []

    def get_notice(self, year):
        self.calls.append(year)
        if year not in self.notices:
            raise NoticeNotFound(f"{year}年度职称评审通知尚未发布")
        version, overrides, deadlines = self.notices[year]
        return {"review_year": year, "version": version, "policy": effective_policy(overrides),
                "notice": {"review_year": year, "deadlines": deadlines or {}}}


def committee(**overrides):
    return {"name": "工程中级", "series": "engineering", "levels": ["intermediate"], "organised_by": "series",
            "specialties": [], "valid_from": date(2027, 1, 1), "valid_until": date(2029, 12, 31), "member_count": 15,
            **overrides}


class TestReadingThePolicy:
    def test_each_year_reads_its_own_notice_once_per_request(self):
        dossiers = Dossiers({2026: (4, {}, None), 2027: (2, {"publicity": {"unit_working_days": 8}}, None)})
        policies = YearPolicies(dossiers)
        assert policies.of(2027).unit_publicity_days == 8 and policies.of(2027).version == 2
        assert policies.of(2026).unit_publicity_days == DEFAULT_POLICY["publicity"]["unit_working_days"]
        policies.of(2027)
        assert dossiers.calls == [2027, 2026]
        # A new request (a new Review) reads again: a version published since is the one in force.
        dossiers.notices[2027] = (3, {"publicity": {"unit_working_days": 6}}, None)
        assert YearPolicies(dossiers).of(2027).unit_publicity_days == 6

    def test_a_year_without_a_notice_is_judged_by_the_platform_defaults(self):
        policy = YearPolicies(Dossiers({})).of(2030)
        assert policy.version is None and policy.notice is None and policy.deadline("unit") is None
        assert policy.committee_minimums == DEFAULT_POLICY["committees"]["minimums"]
        assert (policy.quorum_share, policy.pass_share) == (DEFAULT_POLICY["vote"]["quorum_share"],
                                                            DEFAULT_POLICY["vote"]["pass_share"])

    def test_a_list_mixing_years_meets_the_longest_of_their_minimums(self):
        policies = YearPolicies(Dossiers({2026: (1, {}, None), 2027: (1, {"publicity": {"city_working_days": 9}}, None)}))
        days, read = policies.strictest([2026, 2027, 2026], lambda policy: policy.city_publicity_days)
        assert days == 9 and [policy.review_year for policy in read] == [2026, 2027]

    def test_the_publicity_end_follows_the_years_day_count(self):
        """Seven working days in 2027's notice, the default five in 2026's: the same start ends later."""
        policies = YearPolicies(Dossiers({2026: (1, {}, None), 2027: (1, {"publicity": {"unit_working_days": 7}}, None)}))
        calendar, start = WorkingCalendar(), date(2027, 3, 1)  # a Monday; no holidays in the empty calendar
        end_2026 = unit_publicity_window(calendar, start, None, policies.of(2026).unit_publicity_days).end
        end_2027 = unit_publicity_window(calendar, start, None, policies.of(2027).unit_publicity_days).end
        assert end_2026 == calendar.window(start, 5).end and end_2027 == calendar.window(start, 7).end
        assert end_2027 > end_2026

    def test_review_settings_hold_no_year_numbers_any_more(self):
        for name in ("unit_publicity_working_days", "publicity_working_days", "quorum_share", "pass_share",
                     "committee_minimums"):
            assert not hasattr(Settings(), name)
        assert not hasattr(rules, "MAX_VALID_YEARS") and not hasattr(rules, "DEFAULT_MINIMUMS")


class TestCommitteesByTheYearsPolicy:
    def test_minimums_and_validity_of_a_2027_notice_apply_to_a_committee_starting_in_2027(self):
        policy = YearPolicies(Dossiers({2027: (1, {"committees": {
            "minimums": {"intermediate": {"series": 9}}, "max_valid_years": 2}}, None)})).of(2027)
        problems = rules.committee_problems(committee(member_count=9), policy.committee_minimums, policy.max_valid_years)
        assert set(problems) == {"valid_until"} and "最长 2 年" in problems["valid_until"][0]
        assert rules.committee_problems(committee(member_count=9, valid_until=date(2028, 12, 31)),
                                        policy.committee_minimums, policy.max_valid_years) == {}

    @pytest.mark.parametrize("member_count", [13, 7])
    def test_the_default_minimum_still_refuses_what_the_2027_notice_would_allow(self, member_count):
        default = YearPolicies(Dossiers({})).of(2026)
        problems = rules.committee_problems(committee(member_count=member_count, valid_until=date(2028, 12, 31)),
                                            default.committee_minimums, default.max_valid_years)
        assert "至少 15 人" in problems["member_count"][-1]
