"""Unit publicity may not be backdated: never before the unit approval, at most M days back (issue 12, M5)."""
from datetime import date

from services.review.settings import Settings
from services.review.domain.unit_publicity import batch_refusal, earliest_start, start_problems, unit_approval_day
from services.review.domain.workdays import WorkingCalendar

TODAY = date(2026, 12, 2)


def dossier_approved_at(*moments):
    opinions = [{"level": "unit", "opinion": "同意", "at": moment} for moment in moments]
    return {"opinions": [{"level": "district", "opinion": "同意", "at": "2026-12-05T01:00:00+00:00"}, *opinions]}


class TestTheApprovalDay:
    def test_it_is_the_beijing_date_of_the_latest_unit_approval(self):
        # 2026-11-30T17:30Z is already 1 December in Beijing.
        dossier = dossier_approved_at("2026-10-01T02:00:00+00:00", "2026-11-30T17:30:00+00:00")
        assert unit_approval_day(dossier) == date(2026, 12, 1)

    def test_a_dossier_never_approved_by_its_unit_has_none(self):
        assert unit_approval_day({"opinions": []}) is None


class TestTheStart:
    def test_a_start_on_or_after_the_approvals_and_within_the_bound_is_fine(self):
        assert start_problems(date(2026, 12, 1), TODAY, {"d-1": date(2026, 12, 1), "d-2": date(2026, 11, 20)}, 30) == {}

    def test_a_start_before_a_dossiers_unit_approval_names_that_dossier_and_the_earliest_day(self):
        problems = start_problems(date(2026, 11, 2), TODAY, {"d-1": date(2026, 12, 1), "d-2": date(2026, 11, 1)}, 30)
        assert list(problems["dossier_ids"]) == ["d-1"] and "2026-12-01 通过单位审核" in problems["dossier_ids"]["d-1"][0]
        assert "最早为 2026-12-01" in problems["start"][0]

    def test_a_start_more_than_the_policy_days_back_is_refused_naming_the_earliest_allowed_date(self):
        problems = start_problems(date(2026, 11, 1), TODAY, {"d-1": date(2026, 10, 1)}, 30)
        assert "最早为 2026-11-02" in problems["start"][0] and "30 天" in problems["start"][0]
        assert start_problems(date(2026, 11, 2), TODAY, {"d-1": date(2026, 10, 1)}, 30) == {}

    def test_the_earliest_start_is_the_later_of_the_bound_and_every_approval(self):
        assert earliest_start(TODAY, [date(2026, 10, 1), None], 30) == date(2026, 11, 2)
        assert earliest_start(TODAY, [date(2026, 11, 25), date(2026, 11, 28)], 30) == date(2026, 11, 28)

    def test_the_bound_is_a_setting_with_a_default_of_thirty_days(self):
        assert Settings().unit_publicity_max_days_back == 30
        assert Settings.from_config({"RULES": {"unit_publicity_max_days_back": "10"}}).unit_publicity_max_days_back == 10


class TestTheBatch:
    def test_a_period_recorded_before_the_rule_that_predates_the_approval_holds_the_dossier_back(self):
        period = {"start": date(2026, 10, 1), "end": date(2026, 10, 14)}
        reason = batch_refusal(period, TODAY, WorkingCalendar(), 5, approved_on=date(2026, 12, 1))
        assert "早于单位审核通过之日 2026-12-01" in reason
