"""The review room (评审室) on real PostgreSQL and RabbitMQ with the real dossier and identity services:
who may read a meeting's dossiers and when, and the record of every view (who, what, when)."""
import uuid

import pytest
from sqlalchemy import text

from services.review.exceptions import (
    InvalidReviewCommandError, NotAVoterError, OutOfScopeError, RecusedError, ReviewNotAllowedError,
)
from shared.clock import beijing_today
from tests.integration.review.review_support import AUDITOR, CITY, EXPERTS, SECRETARY, UNIT_JIA, expert


def drawn_meeting(system, dossier_ids, drawn):
    """A meeting with *dossier_ids* assigned first, then exactly the experts numbered *drawn* drawn."""
    committee = system.committee()
    meeting = system.review.create_meeting(SECRETARY.to_dict(), {
        "committee_id": committee["id"], "meeting_date": beijing_today(system.clock).isoformat(),
        "expert_count": len(drawn)})
    assigned = system.review.assign_dossiers(SECRETARY.to_dict(), meeting["id"], {"dossier_ids": dossier_ids})
    assert assigned["assigned"] == len(dossier_ids), assigned
    unavailable = [{"expert_id": EXPERTS[n - 1], "reason": "会期冲突"} for n in range(1, 16) if n not in drawn]
    system.review.draw_experts(SECRETARY.to_dict(), meeting["id"], {"exclusions": unavailable})
    return meeting["id"]


def read(system, number, meeting_id, dossier_id, what="dossier", **request):
    return system.review.room_dossier(expert(number).to_dict(), meeting_id, dossier_id, what, **request)


def views_of(system, meeting_id, correlation_id):
    return [view for view in system.review.room_views(SECRETARY.to_dict(), meeting_id)
            if view["correlation_id"] == correlation_id]


@pytest.fixture(scope="module")
def room(system):
    """Meeting A holds d1 (a unit of its own) and d3 (演示单位甲), experts 01–09 drawn, attendance not
    recorded yet; meeting B holds another dossier, experts 10–14 drawn."""
    d1, = system.fee_paid(system.new_cast())
    d3, = system.fee_paid(system.new_cast(unit_id=UNIT_JIA))
    other, = system.fee_paid(system.new_cast())
    return {"a": drawn_meeting(system, [d1, d3], range(1, 10)), "b": drawn_meeting(system, [other], range(10, 15)),
            "d1": d1, "d3": d3, "other": other, "material": system.dossier.get(d1)["materials"][0]["material_id"]}


class TestReading:
    def test_a_drawn_expert_reads_every_dossier_of_the_meeting_and_each_view_is_recorded(self, system, room):
        marker = uuid.uuid4().hex
        request = {"correlation_id": marker, "source_address": "203.0.113.7"}
        answer = read(system, 2, room["a"], room["d1"], **request)
        assert answer["allowed"] and (answer["meeting_id"], answer["dossier_id"]) == (room["a"], room["d1"])
        assert answer["what"] == "dossier" and answer["meeting_state"] == "drawn" and answer["applicant_name"] == "李明"
        material = f"material:{room['material']}"
        assert read(system, 2, room["a"], room["d1"], material, **request)["what"] == material
        assert read(system, 2, room["a"], room["d3"], **request)["allowed"]

        views = views_of(system, room["a"], marker)
        assert [(v["dossier_id"], v["what"]) for v in views] == [
            (room["d3"], "dossier"), (room["d1"], material), (room["d1"], "dossier")]  # newest first
        assert {(v["expert_id"], v["expert_name"], v["source_address"]) for v in views} == {
            (EXPERTS[1], "评审专家02", "203.0.113.7")}
        assert views[1]["material_id"] == room["material"] and views[0]["material_id"] is None
        assert views[0]["viewed_at"] >= views[2]["viewed_at"] and views[0]["viewed_at"].endswith("+00:00")

    def test_without_a_correlation_id_the_calls_own_is_recorded(self, system, room):
        read(system, 3, room["a"], room["d1"], source_address="198.51.100.4")
        latest = [v for v in system.review.room_views(AUDITOR.to_dict(), room["a"]) if v["expert_id"] == EXPERTS[2]][0]
        assert latest["correlation_id"] and latest["source_address"] == "198.51.100.4"


class TestRefusals:
    def test_other_meetings_dossiers_and_unknown_ids_are_answered_like_unseen_dossiers(self, system, room):
        for dossier_id in (room["other"], str(uuid.uuid4()), "not-an-id"):
            with pytest.raises(OutOfScopeError) as raised:
                read(system, 2, room["a"], dossier_id)
            assert raised.value.http_status == 404 and "不存在或无权查看" in raised.value.message

    def test_an_expert_drawn_into_another_meeting_is_refused_here(self, system, room):
        with pytest.raises(NotAVoterError) as raised:
            read(system, 12, room["a"], room["d1"])
        assert raised.value.http_status == 403 and "不是本次评审会议抽取的专家" in raised.value.message
        assert read(system, 12, room["b"], room["other"])["allowed"]  # their own meeting is open to them

    def test_a_recused_expert_is_refused_that_dossier_only(self, system, room):
        with pytest.raises(RecusedError) as raised:
            read(system, 1, room["a"], room["d3"])  # expert01 works at 演示单位甲
        assert "与申报人同一单位" in raised.value.message
        assert read(system, 1, room["a"], room["d1"])["allowed"]

        system.review.declare_conflict(expert(4).to_dict(), room["a"], {"dossier_id": room["d1"], "reason": "曾为申报人导师"})
        with pytest.raises(RecusedError) as raised:
            read(system, 4, room["a"], room["d1"])
        assert "曾为申报人导师" in raised.value.message
        assert read(system, 4, room["a"], room["d3"])["allowed"]

        system.review.declare_conflict(SECRETARY.to_dict(), room["a"], {"expert_id": EXPERTS[4], "reason": "近亲属参评"})
        for dossier_id in (room["d1"], room["d3"]):  # a conflict with the whole meeting closes every dossier
            with pytest.raises(RecusedError):
                read(system, 5, room["a"], dossier_id)

    def test_only_experts_read_and_a_refusal_records_nothing(self, system, room):
        before = len(system.review.room_views(SECRETARY.to_dict(), room["a"]))
        for actor in (SECRETARY, CITY, AUDITOR):
            with pytest.raises(ReviewNotAllowedError):
                system.review.room_dossier(actor.to_dict(), room["a"], room["d1"], "dossier")
        with pytest.raises(NotAVoterError):
            read(system, 12, room["a"], room["d1"])
        with pytest.raises(RecusedError):
            read(system, 1, room["a"], room["d3"])
        assert len(system.review.room_views(SECRETARY.to_dict(), room["a"])) == before

    def test_a_view_names_the_dossier_or_one_of_its_materials(self, system, room):
        with pytest.raises(InvalidReviewCommandError) as raised:
            read(system, 2, room["a"], room["d1"], "history")
        assert "what" in raised.value.fields


class TestTheRecord:
    def test_the_office_and_the_auditor_read_it_nobody_else(self, system, room):
        read(system, 6, room["a"], room["d1"])
        for actor in (SECRETARY, CITY, AUDITOR):
            assert EXPERTS[5] in {v["expert_id"] for v in system.review.room_views(actor.to_dict(), room["a"])}
        other_office = SECRETARY.to_dict() | {"org_id": "another-office"}
        for actor in (expert(6).to_dict(), other_office):
            with pytest.raises(ReviewNotAllowedError):
                system.review.room_views(actor, room["a"])

    def test_a_recorded_view_cannot_be_changed_or_removed(self, system, room):
        read(system, 7, room["a"], room["d1"])
        for statement in ("UPDATE room_views SET what = 'x'", "DELETE FROM room_views", "TRUNCATE room_views"):
            with pytest.raises(Exception, match="append-only"):
                with system.review_engine.begin() as connection:
                    connection.execute(text(statement))
        assert EXPERTS[6] in {v["expert_id"] for v in system.review.room_views(SECRETARY.to_dict(), room["a"])}


class TestWhenTheRoomIsOpen:
    def test_from_the_draw_until_the_close_for_drawn_experts_who_attend(self, system):
        d1, = system.fee_paid(system.new_cast())
        committee = system.committee()
        meeting_id = system.review.create_meeting(SECRETARY.to_dict(), {
            "committee_id": committee["id"], "meeting_date": beijing_today(system.clock).isoformat(),
            "expert_count": 9})["id"]
        system.review.assign_dossiers(SECRETARY.to_dict(), meeting_id, {"dossier_ids": [d1]})
        with pytest.raises(NotAVoterError) as raised:  # assigned, but nobody is drawn yet
            read(system, 2, meeting_id, d1)
        assert "尚未抽取专家" in raised.value.message

        unavailable = [{"expert_id": EXPERTS[n - 1], "reason": "会期冲突"} for n in range(10, 16)]
        system.review.draw_experts(SECRETARY.to_dict(), meeting_id, {"exclusions": unavailable})
        assert read(system, 9, meeting_id, d1)["meeting_state"] == "drawn"  # before attendance: every drawn expert

        system.review.record_attendance(SECRETARY.to_dict(), meeting_id, {"expert_ids": EXPERTS[:8]})
        with pytest.raises(NotAVoterError) as raised:
            read(system, 9, meeting_id, d1)
        assert "未登记出席" in raised.value.message

        system.review.open_meeting(SECRETARY.to_dict(), meeting_id)
        assert read(system, 2, meeting_id, d1)["meeting_state"] == "open"

        system.review.close_meeting(SECRETARY.to_dict(), meeting_id)
        with pytest.raises(ReviewNotAllowedError) as raised:
            read(system, 2, meeting_id, d1)
        assert raised.value.http_status == 403 and "已结束表决" in raised.value.message
        assert {v["expert_id"] for v in system.review.room_views(AUDITOR.to_dict(), meeting_id)} == {EXPERTS[8], EXPERTS[1]}
