"""Decisions, unit publicity and batches through the real dossier service: every problem named at once,
the working-day rule before a batch, and a batch that moves all its dossiers or none."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from shared.contracts import dossier as st
from services.review.exceptions import InvalidReviewCommandError, OutOfScopeError, ReviewNotAllowedError
from services.review.tables import batch_dossiers, batches, review_queue, unit_publicity_periods
from shared.clock import beijing_today
from shared.errors import ValidationFailed
from tests.integration.review.review_support import CITY


class TestDecisions:
    def test_a_return_tells_the_applicant_every_problem_in_one_notice(self, system):
        cast = system.new_cast()
        dossier_id = system.submitted(cast)
        answer = system.decide(cast.unit_admin.to_dict(), dossier_id, {
            "action": "return", "reason": "请于截止日前重新提交",
            "problems": [{"section": "education", "issue": "学历证书扫描件不清晰"},
                         {"section": "annual_assessments", "issue": "缺少2024年度考核结果"}]})
        assert answer["dossier"]["status"] == st.RETURNED
        notice = system.dossier.get(dossier_id)["return_notice"]
        assert notice["sections"] == ["education", "annual_assessments"]
        assert "1.【学历学位】学历证书扫描件不清晰;2.【年度考核】缺少2024年度考核结果" in notice["reason"]
        (decision,) = system.review.decisions_of(cast.unit_admin.to_dict(), dossier_id)
        assert decision["action"] == "return" and len(decision["problems"]) == 2

    def test_an_incomplete_decision_names_every_missing_part_and_records_nothing(self, system):
        cast = system.new_cast()
        dossier_id = system.submitted(cast)
        versions = len(system.dossier.history(dossier_id))
        with pytest.raises(ValidationFailed) as raised:
            system.decide(cast.unit_admin.to_dict(), dossier_id, {"action": "return", "sections": ["bogus"]})
        assert {"reason", "sections"} <= set(raised.value.fields)
        assert len(system.dossier.history(dossier_id)) == versions

    def test_approvals_move_the_dossier_up_and_the_queue_shows_it_at_once(self, system):
        cast = system.new_cast()
        dossier_id = system.submitted(cast)
        answer = system.decide(cast.unit_admin.to_dict(), dossier_id, {"action": "approve", "opinion": "同意推荐"})
        assert answer["dossier"]["status"] == st.UNIT_APPROVED  # read-your-writes, before the event arrives
        assert system.review.queue_item(cast.unit_admin.to_dict(), dossier_id)["status"] == st.UNIT_APPROVED

    def test_the_dossier_still_refuses_a_reviewer_whose_turn_it_is_not(self, system):
        from services.dossier.exceptions import ActorNotAllowedError, IllegalTransitionError

        cast = system.new_cast()
        dossier_id = system.submitted(cast)
        with pytest.raises(ActorNotAllowedError):  # the dossier's own error type, through review
            system.decide(CITY.to_dict(), dossier_id, {"action": "approve", "opinion": "同意"})
        system.decide(cast.unit_admin.to_dict(), dossier_id, {"action": "reject", "reason": "不符合条件"})
        with pytest.raises(IllegalTransitionError) as raised:
            system.decide(cast.unit_admin.to_dict(), dossier_id, {"action": "approve", "opinion": "同意"})
        assert "不予通过" in raised.value.message

    def test_an_auditor_reads_but_never_decides(self, system):
        cast = system.new_cast()
        dossier_id = system.submitted(cast)
        with pytest.raises(ReviewNotAllowedError):
            system.decide({"account_id": "a", "role": "auditor", "org_id": CITY.org_id}, dossier_id,
                                 {"action": "reject", "reason": "x"})


class TestUnitPublicity:
    def test_the_period_defaults_to_five_working_days_and_is_recorded_on_each_dossier(self, system):
        # Approved and publicised on Thursday 24 September 2026: the National Day holiday lies inside.
        system.open_notice_from(date(2026, 9, 1))
        system.travel_to(date(2026, 9, 24))
        cast = system.new_cast()
        ids = system.unit_approved(cast, count=2)
        answer = system.review.record_unit_publicity(cast.unit_admin.to_dict(),
                                                     {"dossier_ids": ids, "start": "2026-09-24"})
        assert (answer["start"], answer["end"], answer["working_days"]) == ("2026-09-24", "2026-10-08", 5)
        assert all(result["ok"] for result in answer["results"])
        for dossier_id in ids:
            assert system.dossier.get(dossier_id)["unit_publicity"] == {"start": "2026-09-24", "end": "2026-10-08"}

    def test_a_period_shorter_than_five_working_days_is_refused(self, system):
        cast = system.new_cast()
        ids = system.unit_approved(cast)
        with pytest.raises(InvalidReviewCommandError) as raised:
            system.review.record_unit_publicity(cast.unit_admin.to_dict(),
                                                {"dossier_ids": ids, "start": "2026-09-24", "end": "2026-10-07"})
        assert raised.value.fields["end"] == ["最早为 2026-10-08"]
        assert system.dossier.get(ids[0])["unit_publicity"] is None

    def test_a_publicity_cannot_start_before_the_unit_approved_the_dossiers(self, system):
        cast = system.new_cast()
        ids = system.unit_approved(cast, count=2)
        today = beijing_today(system.clock)
        with pytest.raises(InvalidReviewCommandError) as raised:
            system.review.record_unit_publicity(cast.unit_admin.to_dict(), {
                "dossier_ids": ids, "start": (today - timedelta(days=1)).isoformat()})
        assert f"不能早于 {today.isoformat()}" in raised.value.message
        assert set(raised.value.fields["dossier_ids"]) == set(ids)
        assert all(system.dossier.get(dossier_id)["unit_publicity"] is None for dossier_id in ids)

    def test_a_publicity_is_recorded_at_most_thirty_days_after_it_began(self, system):
        cast = system.new_cast()
        (dossier_id,) = system.unit_approved(cast)
        approved = beijing_today(system.clock)
        system.clock.travel(days=40)  # the unit admin records it much later
        earliest = beijing_today(system.clock) - timedelta(days=30)
        with pytest.raises(InvalidReviewCommandError) as raised:
            system.review.record_unit_publicity(cast.unit_admin.to_dict(), {"dossier_ids": [dossier_id],
                                                                            "start": approved.isoformat()})
        assert f"最早为 {earliest.isoformat()}" in raised.value.fields["start"][0]
        assert system.dossier.get(dossier_id)["unit_publicity"] is None
        answer = system.review.record_unit_publicity(cast.unit_admin.to_dict(), {"dossier_ids": [dossier_id],
                                                                                 "start": earliest.isoformat()})
        assert answer["start"] == earliest.isoformat()

    def test_only_approved_dossiers_of_ones_own_unit_can_be_publicised(self, system):
        cast, other = system.new_cast(), system.new_cast()
        submitted = system.submitted(cast)
        with pytest.raises(InvalidReviewCommandError) as raised:
            system.review.record_unit_publicity(cast.unit_admin.to_dict(), {"dossier_ids": [submitted], "start": "2026-09-24"})
        assert submitted in raised.value.fields["dossier_ids"]
        (foreign,) = system.unit_approved(other)
        with pytest.raises(OutOfScopeError):
            system.review.record_unit_publicity(cast.unit_admin.to_dict(), {"dossier_ids": [foreign], "start": "2026-09-24"})


class TestBatches:
    def test_a_batch_moves_every_dossier_with_one_batch_id_and_is_recorded(self, system):
        cast = system.new_cast()
        ids = system.unit_approved(cast, count=3)
        with system.unit_publicity_over(system.publicised_in_unit(cast, ids)):
            answer = system.review.submit_batch(cast.unit_admin.to_dict(), {"dossier_ids": ids})
        assert answer["saved"] and answer["refused"] == 0
        for dossier_id in ids:
            dossier = system.dossier.get(dossier_id)
            assert (dossier["status"], dossier["batch_id"]) == (st.RECOMMENDED, answer["batch_id"])
        batch = system.review.get_batch(cast.unit_admin.to_dict(), answer["batch_id"])
        assert batch["saved"] and {entry["dossier_id"] for entry in batch["dossiers"]} == set(ids)
        assert system.review.get_batch(cast.district_admin.to_dict(), answer["batch_id"])["id"] == answer["batch_id"]
        assert [b["id"] for b in system.review.list_batches(cast.unit_admin.to_dict(), {})] == [answer["batch_id"]]

    def test_a_batch_waits_until_the_unit_publicity_is_over_and_names_every_dossier_held_back(self, system):
        cast = system.new_cast()
        ids = system.unit_approved(cast, count=3)
        with system.unit_publicity_over(system.publicised_in_unit(cast, ids[:2])):  # theirs is over; the third starts now
            today = beijing_today(system.clock)
            system.review.record_unit_publicity(cast.unit_admin.to_dict(), {"dossier_ids": [ids[2]], "start": today.isoformat()})
            answer = system.review.submit_batch(cast.unit_admin.to_dict(), {"dossier_ids": ids})
        assert not answer["saved"] and answer["refused"] == 1
        (held,) = [result for result in answer["results"] if not result["ok"]]
        assert held["dossier_id"] == ids[2] and "公示期满后方可报送" in held["error"]["message"]
        assert [system.dossier.get(dossier_id)["status"] for dossier_id in ids] == [st.UNIT_APPROVED] * 3

    def test_after_the_working_days_pass_the_same_batch_goes_through(self, system):
        cast = system.new_cast()
        ids = system.unit_approved(cast, count=2)
        start = beijing_today(system.clock)
        publicity = system.review.record_unit_publicity(cast.unit_admin.to_dict(),
                                                        {"dossier_ids": ids, "start": start.isoformat()})
        assert not system.review.submit_batch(cast.unit_admin.to_dict(), {"dossier_ids": ids})["saved"]
        end = publicity["end"]
        system.clock.travel(days=(date.fromisoformat(end) - start).days + 1)
        assert system.review.submit_batch(cast.unit_admin.to_dict(), {"dossier_ids": ids})["saved"]

    def test_a_period_that_began_before_the_unit_approval_never_lets_the_batch_go_up(self, system):
        cast = system.new_cast()
        (dossier_id,) = system.unit_approved(cast)
        approved = beijing_today(system.clock)
        # Recorded on the dossier directly, as review accepted it before the approval rule.
        system.dossier.record_unit_publicity(cast.unit_admin.to_dict(), dossier_id, {
            "start": (approved - timedelta(days=30)).isoformat(), "end": (approved - timedelta(days=20)).isoformat()})
        system.wait_projected(dossier_id)
        answer = system.review.submit_batch(cast.unit_admin.to_dict(), {"dossier_ids": [dossier_id]})
        assert not answer["saved"]
        assert f"早于单位审核通过之日 {approved.isoformat()}" in answer["results"][0]["error"]["message"]
        assert system.dossier.get(dossier_id)["status"] == st.UNIT_APPROVED

    def test_when_the_dossier_service_refuses_one_dossier_none_of_the_batch_moves(self, system):
        cast = system.new_cast()
        ids = system.unit_approved(cast, count=3)
        publicity = system.publicised_in_unit(cast, ids)
        system.dossier.withdraw(cast.applicant.to_dict(), ids[1], "个人原因")
        system.wait_projected(ids[1])
        # Make review's read model stale on purpose, as if the withdrawal had not arrived yet, so
        # review's own check lets the batch through and the dossier service's transaction decides.
        with system.review_engine.begin() as connection:
            connection.execute(update(review_queue).where(review_queue.c.dossier_id == ids[1])
                               .values(status=st.UNIT_APPROVED))
            period = connection.execute(select(unit_publicity_periods).where(
                unit_publicity_periods.c.dossier_id == ids[0])).mappings().first()
            connection.execute(update(unit_publicity_periods).where(unit_publicity_periods.c.dossier_id == ids[1])
                               .values(start=period["start"], end=period["end"]))
        with system.unit_publicity_over(publicity):
            answer = system.review.submit_batch(cast.unit_admin.to_dict(), {"dossier_ids": ids})
        assert not answer["saved"]
        failed = {result["dossier_id"]: result for result in answer["results"] if not result["ok"]}
        assert list(failed) == [ids[1]] and "已撤销申请" in failed[ids[1]]["error"]["message"]
        assert [system.dossier.get(dossier_id)["status"] for dossier_id in ids] == [
            st.UNIT_APPROVED, st.WITHDRAWN, st.UNIT_APPROVED]
        with system.review_engine.connect() as connection:
            saved = connection.execute(select(batches.c.saved).where(batches.c.id == answer["batch_id"])).scalar()
            entries = connection.execute(select(batch_dossiers).where(batch_dossiers.c.batch_id == answer["batch_id"])).all()
        assert saved is False and len(entries) == 3

    def test_a_batch_of_another_units_dossiers_is_refused_for_each_of_them(self, system):
        cast, other = system.new_cast(), system.new_cast()
        ids = system.unit_approved(other)
        answer = system.review.submit_batch(cast.unit_admin.to_dict(), {"dossier_ids": ids + ["no-such-dossier"]})
        assert not answer["saved"] and answer["refused"] == 2
        assert system.dossier.get(ids[0])["status"] == st.UNIT_APPROVED

    def test_a_district_admin_does_not_see_the_batches_of_another_district(self, system):
        cast, other = system.new_cast(), system.new_cast()
        (dossier_id,) = system.recommended(cast)
        batch_id = system.dossier.get(dossier_id)["batch_id"]
        with pytest.raises(OutOfScopeError):
            system.review.get_batch(other.district_admin.to_dict(), batch_id)
        assert batch_id not in [b["id"] for b in system.review.list_batches(other.district_admin.to_dict(), {})]
        assert batch_id in [b["id"] for b in system.review.list_batches(cast.district_admin.to_dict(), {})]


class TestCalendar:
    def test_2026_comes_from_the_file_and_an_unconfigured_year_warns(self, system):
        year = system.review.calendar_year(2026)
        assert year["configured"] and "2026-10-01" in year["days_off"] and "2026-02-14" in year["workdays"]
        empty = system.review.calendar_year(2032)
        assert not empty["configured"] and "2032年节假日安排尚未配置" in empty["calendar_warning"]
        window = system.review.working_days({"start": "2032-01-01", "working_days": 5})
        assert window["end"] == "2032-01-07" and window["unconfigured_years"] == [2032]

    def test_the_city_admin_adds_a_year_and_every_working_day_rule_uses_it(self, system):
        data = {"year": 2031, "days_off": ["2031-01-01..2031-01-03"], "workdays": ["2031-01-05"],
                "source": "国务院办公厅关于2031年部分节假日安排的通知"}
        saved = system.review.set_calendar_year(CITY.to_dict(), data)
        assert saved["configured"] and saved["days_off"] == ["2031-01-01", "2031-01-02", "2031-01-03"]
        # Wed 1–Fri 3 Jan off, Sun 5 Jan works: 5, 6, 7, 8, 9 Jan.
        window = system.review.working_days({"start": "2031-01-01", "working_days": 5})
        assert (window["end"], window["calendar_warning"]) == ("2031-01-09", None)

    def test_only_the_city_admin_edits_and_inconsistent_data_is_refused(self, system):
        from services.review.exceptions import CalendarError

        data = {"year": 2033, "days_off": ["2033-01-03"], "workdays": ["2033-01-04"]}  # a Tuesday
        with pytest.raises(ReviewNotAllowedError):
            system.review.set_calendar_year(system.new_cast().district_admin.to_dict(), data)
        with pytest.raises(CalendarError) as raised:
            system.review.set_calendar_year(CITY.to_dict(), data)
        assert "workdays" in raised.value.fields
        assert not system.review.calendar_year(2033)["configured"]
