"""Review's answers, shaped by their schemas, are the JSON the use cases' plain data always gave.

Every answer the service dumps while these flows run is recorded with the value it was made from;
each must equal ``plain(value)`` key for key and type for type (a ``true`` stays ``true``, never ``1``),
so declaring an answer's shape changed nothing a caller sees."""
import json
from datetime import date, timedelta

import pytest

from services.review import service as review_service
from shared.clock import beijing_today
from shared.schemas import plain
from tests.integration.review.review_support import AUDITOR, CITY, EXPERTS, SECRETARY, SYSTEM, expert
from tests.ballot_casting import cast_sealed


def as_json(value):
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


@pytest.fixture
def answers(monkeypatch):
    """Every ``(schema name, answer, plain value)`` the service dumps during the test."""
    recorded, dump = [], review_service.dump

    def recording(schema_class, value, many=False):
        answer = dump(schema_class, value, many=many)
        recorded.append((schema_class.__name__, answer, plain(value)))
        return answer

    monkeypatch.setattr(review_service, "dump", recording)
    return recorded


def assert_unchanged(answers, *schemas):
    """Each of *schemas* answered at least once, and every answer is its plain value exactly."""
    assert set(schemas) <= {name for name, _, _ in answers}
    for name, answer, before in answers:
        assert as_json(answer) == as_json(before), name


class TestAnswersKeepTheirJson:
    def test_queues_decisions_and_batches(self, system, answers):
        cast = system.new_cast()
        (returned,) = [system.submitted(cast)]
        system.decide(cast.unit_admin.to_dict(), returned, {
            "action": "return", "reason": "学历证明不清晰", "sections": ["education"],
            "problems": [{"section": "education", "issue": "毕业证书扫描件模糊"}]})
        ids = system.unit_approved(cast, count=2)
        unit, district = cast.unit_admin.to_dict(), cast.district_admin.to_dict()
        system.review.queue(unit, {"include_ids": True, "per_page": 5})
        system.review.queue_counts(unit, {})
        system.review.queue_item(unit, ids[0])
        system.review.export_queue(unit, {}, "csv")
        system.review.decisions_of(unit, returned)
        with system.unit_publicity_over(system.publicised_in_unit(cast, ids)):
            refused = system.review.submit_batch(unit, {"dossier_ids": [returned]})
            saved = system.review.submit_batch(unit, {"dossier_ids": ids})
        assert not refused["saved"] and saved["saved"]
        system.review.list_batches(unit, {})
        system.review.get_batch(unit, saved["batch_id"])
        system.review.progress(district, {"review_year": 2026})
        system.review.progress(CITY.to_dict(), {})
        assert_unchanged(answers, "DecisionAnswerOut", "QueuePageOut", "CountsOut", "QueueRowOut", "ExportOut",
                         "DecisionOut", "UnitPublicityOut", "BatchAnswerOut", "BatchOut", "ProgressOut")

    def test_the_working_day_calendar(self, system, answers):
        system.review.calendar_year(2026)
        system.review.calendar_year(2099)  # not configured: weekends only
        system.review.set_calendar_year(CITY.to_dict(), {"year": 2098, "days_off": ["2098-10-01..2098-10-03"],
                                                         "workdays": [], "source": "测试"})
        today = beijing_today(system.clock)
        system.review.working_days({"start": today.isoformat(), "working_days": 5})
        system.review.working_days({"start": today.isoformat(), "end": (today + timedelta(days=9)).isoformat()})
        assert_unchanged(answers, "CalendarYearOut", "WindowOut")

    def test_committees_and_their_pools(self, system, answers):
        committee = system.committee()
        city = CITY.to_dict()
        system.review.update_committee(city, committee["id"], {"organising_body": "昆明市人社局(更名)"})
        system.review.remove_expert(city, committee["id"], EXPERTS[14])
        system.review.list_committees(city)
        system.review.get_committee(SECRETARY.to_dict(), committee["id"])
        spare = system.review.create_committee(city, {
            "name": f"待撤销评委会-{committee['id'][:8]}", "series": "engineering", "levels": ["intermediate"],
            "organised_by": "series", "organising_body": "昆明市人社局", "member_count": 15,
            "valid_until": (beijing_today() + timedelta(days=300)).isoformat()})
        system.review.delete_committee(city, spare["id"])
        assert_unchanged(answers, "CommitteeOut", "DeletedOut")

    def test_meetings_the_draw_and_the_ballot(self, system, answers):
        ids = system.fee_paid(system.new_cast(), count=2)
        meeting = system.open_meeting(ids, attending=(1, 2, 3, 4, 5, 6, 7, 8))
        secretary = SECRETARY.to_dict()
        system.review.declare_conflict(expert(9).to_dict(), meeting["id"], {"reason": "临时回避", "dossier_id": ids[1]})
        for number in range(1, 9):
            cast_sealed(system.review, expert(number).to_dict(), meeting["id"], ids[0], "agree")
        system.review.expert_meetings(expert(1).to_dict())
        system.review.get_meeting(AUDITOR.to_dict(), meeting["id"])
        system.review.list_meetings(secretary, {"committee_id": meeting["committee_id"]})
        system.review.replay_draw(AUDITOR.to_dict(), meeting["id"])
        closed = system.review.close_meeting(secretary, meeting["id"])
        assert {dossier["dossier_id"]: dossier["tally"]["passed"] for dossier in closed["dossiers"]} == {
            ids[0]: True, ids[1]: False}
        assert_unchanged(answers, "MeetingOut", "AssignmentOut", "QuorumOut", "ConflictOut", "BallotReceiptOut",
                         "ExpertMeetingOut", "MeetingSummaryOut", "DrawReplayOut")

    def test_publicity_objections_timers_and_health(self, system, answers):
        ids = system.passed(system.new_cast(), count=2)
        published = system.review.publish(CITY.to_dict(), {"dossier_ids": ids})
        system.review.list_publicities()
        system.review.get_publicity(published["id"])
        lodged = system.review.lodge_objection(published["id"], {
            "dossier_id": ids[0], "contact": "answers@example.cn", "facts": "业绩材料与实际情况不符,请核查。"}, "192.0.2.7")
        system.review.list_objections(AUDITOR.to_dict(), {"publicity_id": published["id"]})
        system.review.publicity_detail(CITY.to_dict(), published["id"])
        system.review.resolve_objection(CITY.to_dict(), lodged["objection_id"], {"outcome": "dismissed", "reason": "不属实"})
        # The window's end passes, so the timer ends both listings (and no later test finds them still open).
        system.clock.travel(days=(date.fromisoformat(published["end"]) - beijing_today(system.clock)).days + 1)
        assert set(ids) <= set(system.review.run_timers(SYSTEM)["publicity"]["ended"])
        system.review.health()
        assert_unchanged(answers, "PublishedOut", "PublicitySummaryOut", "PublicityOut", "ObjectionReceiptOut",
                         "ObjectionOut", "PublicityDetailOut", "TimersRunOut", "HealthOut")
