"""The notice's per-level deadlines (docs/domain-rules.md R5.12): after its deadline a level can neither
send a dossier on nor return it, only reject; the refusal names the deadline in Beijing time."""
from datetime import datetime, timedelta, timezone

import pytest

from services.review.cases.decisions import DecisionCases
from services.review.context import Clock
from services.review.domain import level_deadlines
from services.review.exceptions import LevelDeadlinePassedError
from services.review.policy import YearPolicy
from shared.clock import BEIJING
from shared.contracts import dossier as st
from shared.contracts.year_policy import effective_policy

# 17:00 in Beijing is 09:00 UTC.
UNIT_DEADLINE = datetime(2027, 3, 1, 17, 0, tzinfo=BEIJING)


class Policies:
    def __init__(self, deadlines):
        self.deadlines = deadlines

    def of(self, year):
        notice = {"deadlines": {level: moment.isoformat() for level, moment in self.deadlines.items()}}
        return YearPolicy(year, 1, effective_policy(), notice)


def cases(now, **deadlines):
    return DecisionCases(None, None, None, None, Clock(lambda: now), Policies(deadlines))


def row(status):
    return {"status": status, "review_year": 2027}


class TestWhichLevelADossierWaitsAt:
    def test_the_unit_holds_submitted_and_unit_approved_dossiers_the_district_recommended_the_city_the_rest(self):
        assert level_deadlines.STATUSES_AT == {st.UNIT: (st.SUBMITTED, st.UNIT_APPROVED), st.DISTRICT: (st.RECOMMENDED,),
                                               st.CITY: (st.DISTRICT_APPROVED,)}
        assert level_deadlines.level_of(st.ACCEPTED) is None and level_deadlines.level_of(st.RETURNED) is None


class TestTheDeadlineActs:
    def test_before_the_deadline_the_unit_may_approve_and_return(self):
        just_before = UNIT_DEADLINE - timedelta(minutes=1)
        for action in ("approve", "return", "reject"):
            assert cases(just_before, unit=UNIT_DEADLINE).check_level_deadline(row(st.SUBMITTED), action) is None

    def test_after_the_deadline_approving_is_refused_naming_the_deadline_in_beijing_time(self):
        after = UNIT_DEADLINE.astimezone(timezone.utc) + timedelta(seconds=1)
        with pytest.raises(LevelDeadlinePassedError) as raised:
            cases(after, unit=UNIT_DEADLINE).check_level_deadline(row(st.SUBMITTED), "approve")
        assert raised.value.message.startswith("单位审核已于 2027年3月1日 17:00 截止,不能再推荐上报")
        assert raised.value.http_status == 409

    def test_after_the_deadline_returning_is_refused_and_rejecting_stays_possible(self):
        after = UNIT_DEADLINE + timedelta(hours=1)
        with pytest.raises(LevelDeadlinePassedError) as raised:
            cases(after, unit=UNIT_DEADLINE).check_level_deadline(row(st.UNIT_APPROVED), "return")
        assert "不能再退回" in raised.value.message and "不予通过" in raised.value.message
        cases(after, unit=UNIT_DEADLINE).check_level_deadline(row(st.UNIT_APPROVED), "reject")

    def test_each_level_answers_to_its_own_deadline(self):
        district = UNIT_DEADLINE + timedelta(days=10)
        between = UNIT_DEADLINE + timedelta(days=1)
        decisions = cases(between, unit=UNIT_DEADLINE, district=district)
        decisions.check_level_deadline(row(st.RECOMMENDED), "approve")
        with pytest.raises(LevelDeadlinePassedError):
            decisions.check_level_deadline(row(st.SUBMITTED), "approve")
        with pytest.raises(LevelDeadlinePassedError) as raised:
            cases(district + timedelta(minutes=5), district=district).check_level_deadline(row(st.RECOMMENDED), "approve")
        assert raised.value.message.startswith("主管部门审核已于 2027年3月11日 17:00 截止")

    def test_no_deadline_in_the_notice_means_no_limit(self):
        assert cases(UNIT_DEADLINE + timedelta(days=400)).check_level_deadline(row(st.DISTRICT_APPROVED), "approve") is None

    def test_a_deadline_typed_without_an_offset_is_beijing_time(self):
        policy = YearPolicy(2027, 1, effective_policy(), {"deadlines": {"city": "2027-05-01T12:00:00"}})
        assert policy.deadline("city") == datetime(2027, 5, 1, 4, 0, tzinfo=timezone.utc)

    def test_the_abandon_reason_names_the_level_and_the_deadline(self):
        reason = level_deadlines.abandon_reason(st.CITY, datetime(2027, 6, 30, 9, 30, tzinfo=timezone.utc))
        assert reason == "市人社局审核已于 2027年6月30日 17:30(北京时间)截止,申报材料仍停留在市人社局审核环节,视为放弃"


class TestAbandoningIsADossierCommandAtEveryReviewLevel:
    def test_the_state_machine_lets_the_system_abandon_a_dossier_left_at_any_level(self):
        assert set(st.LEGAL_IN["abandon"]) == {st.RETURNED, *st.DECISION_STATUSES}
