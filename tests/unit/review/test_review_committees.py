"""Committee rules (docs/domain-rules.md R6.1, R6.2): odd membership, minimums by band, at most three years, the pool."""
from datetime import date

import pytest

from services.review.domain import committees as rules
from services.review.exceptions import CommitteeRuleError
from shared.contracts.year_policy import DEFAULT_POLICY

# The platform's default policy (a year's notice may change both: tests/unit/review/test_review_year_policy_numbers.py).
MINIMUMS = DEFAULT_POLICY["committees"]["minimums"]
YEARS = DEFAULT_POLICY["committees"]["max_valid_years"]


def problems_of(committee, minimums=MINIMUMS, max_valid_years=YEARS, pool_size=0):
    return rules.committee_problems(committee, minimums, max_valid_years, pool_size)


def committee(**overrides):
    return {"name": "昆明市工程系列中级评审委员会", "series": "engineering", "levels": ["intermediate"],
            "organised_by": "series", "specialties": [], "valid_from": date(2026, 1, 1),
            "valid_until": date(2028, 12, 31), "member_count": 15, **overrides}


class TestMembership:
    def test_a_valid_intermediate_committee_by_series_needs_fifteen(self):
        assert problems_of(committee()) == {}
        assert "至少 15 人" in problems_of(committee(member_count=13))["member_count"][0]

    def test_the_member_count_must_be_odd(self):
        assert problems_of(committee(member_count=16))["member_count"] == ["评委会委员人数应为奇数"]

    @pytest.mark.parametrize("levels, organised_by, minimum", [
        (["associate_senior", "senior"], "series", 25), (["associate_senior"], "specialty", 11),
        (["intermediate"], "specialty", 7), (["primary"], "series", 7), (["primary", "intermediate"], "series", 15)])
    def test_minimums_follow_the_band_and_how_the_committee_is_organised(self, levels, organised_by, minimum):
        assert rules.minimum_members(levels, organised_by, MINIMUMS) == minimum

    def test_minimums_are_settings(self):
        minimums = {"senior": {"series": 31, "specialty": 13}, "intermediate": {"series": 9, "specialty": 5},
                    "primary": {"series": 5, "specialty": 5}}
        assert problems_of(committee(member_count=9), minimums) == {}

    def test_a_committee_by_specialty_lists_its_specialties(self):
        problems = problems_of(committee(organised_by="specialty", member_count=7))
        assert problems == {"specialties": ["按专业组建的评委会须列明评审专业"]}

    def test_the_approved_count_cannot_drop_below_the_experts_already_in_the_pool(self):
        assert "不能少于现有人数" in problems_of(committee(member_count=15), pool_size=17)["member_count"][0]


class TestValidity:
    def test_approval_lasts_at_most_three_years(self):
        assert problems_of(committee(valid_until=date(2029, 1, 1)))["valid_until"][0].endswith("2028-12-31")
        assert problems_of(committee(valid_until=date(2028, 12, 31))) == {}

    def test_the_longest_approval_is_the_policys(self):
        assert problems_of(committee(valid_until=date(2029, 12, 31)), max_valid_years=4) == {}
        assert "最长 2 年" in problems_of(committee(), max_valid_years=2)["valid_until"][0]

    def test_three_years_from_29_february_end_on_28_february(self):
        assert rules.add_years(date(2028, 2, 29), 3) == date(2031, 2, 28)

    def test_the_end_cannot_precede_the_start(self):
        assert "不能早于起始日期" in problems_of(committee(valid_until=date(2025, 1, 1)))["valid_until"][0]

    def test_meetings_only_inside_the_validity(self):
        rules.check_valid_on(committee(), date(2027, 6, 1))
        with pytest.raises(CommitteeRuleError):
            rules.check_valid_on(committee(), date(2029, 6, 1))

    def test_levels_form_a_band_without_gaps_or_repeats(self):
        assert problems_of(committee(levels=["primary", "associate_senior"], member_count=25))["levels"]
        assert problems_of(committee(levels=["intermediate", "intermediate"]))["levels"]

    def test_every_problem_is_named_at_once(self):
        with pytest.raises(CommitteeRuleError) as raised:
            rules.check_committee(committee(member_count=4, valid_until=date(2030, 1, 1)), MINIMUMS, YEARS)
        assert set(raised.value.fields) == {"member_count", "valid_until"}


class TestPool:
    def test_the_pool_never_exceeds_the_approved_count(self):
        rules.check_pool_room(committee(), pool_size=10, adding=5)
        with pytest.raises(CommitteeRuleError):
            rules.check_pool_room(committee(), pool_size=10, adding=6)

    def test_meetings_need_a_complete_pool(self):
        rules.check_pool_complete(committee(), 15)
        with pytest.raises(CommitteeRuleError) as raised:
            rules.check_pool_complete(committee(), 14)
        assert "须达到核定人数 15 人" in raised.value.message

    def test_a_committee_reviews_its_own_series_and_levels_only(self):
        assert rules.check_covers(committee(), {"series": "engineering", "level": "intermediate"}) == []
        assert len(rules.check_covers(committee(), {"series": "health", "level": "senior"})) == 2
