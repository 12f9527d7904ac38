"""A meeting's dossiers are fixed before its experts are drawn; after the draw the set changes only by
the office's recorded, reasoned decision, a removed dossier going back to fee-paid for another meeting.
Also the default titles that tell meetings and publicity lists apart. Real PostgreSQL, RabbitMQ and the
dossier and identity services."""
import re

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from services.review.domain.naming import chinese_date
from services.review.exceptions import MeetingStateError, ReviewNotAllowedError
from shared.clock import beijing_today
from shared.contracts import dossier as st
from shared.errors import ValidationFailed
from tests.integration.review.review_support import AUDITOR, CITY, EXPERTS, SECRETARY, expert
from tests.ballot_casting import cast_sealed

DRAWN = (1, 2, 3, 4, 5, 6, 7, 8, 9)
REASON = "申报人申请调整至下一批次评审,经办公室研究同意"


def planned(system, committee=None):
    committee = committee or system.committee()
    return system.review.create_meeting(SECRETARY.to_dict(), {
        "committee_id": committee["id"], "meeting_date": beijing_today(system.clock).isoformat(), "expert_count": 9})


def drawn(system, dossier_ids, committee=None):
    """A meeting of *dossier_ids* whose draw yields experts 01–09 (the others unavailable)."""
    meeting = planned(system, committee)
    assigned = system.review.assign_dossiers(SECRETARY.to_dict(), meeting["id"], {"dossier_ids": dossier_ids})
    assert assigned["assigned"] == len(dossier_ids), assigned
    unavailable = [{"expert_id": EXPERTS[n - 1], "reason": "会期冲突"} for n in range(1, 16) if n not in DRAWN]
    return system.review.draw_experts(SECRETARY.to_dict(), meeting["id"], {"exclusions": unavailable})


def change(system, meeting_id, actor=SECRETARY, **request):
    return system.review.change_dossiers(actor.to_dict(), meeting_id, {"reason": REASON, **request})


def status(system, dossier_id):
    return system.dossier.get(dossier_id)["status"]


class TestTheOrder:
    def test_no_draw_without_dossiers_and_no_assignment_after_the_draw(self, system):
        d1, d2 = system.fee_paid(system.new_cast(), count=2)
        meeting = planned(system)
        with pytest.raises(MeetingStateError) as raised:
            system.review.draw_experts(SECRETARY.to_dict(), meeting["id"], {})
        assert raised.value.message == "请先分配申报材料,再抽取专家"
        assert system.review.get_meeting(AUDITOR.to_dict(), meeting["id"])["state"] == "planned"

        system.review.assign_dossiers(SECRETARY.to_dict(), meeting["id"], {"dossier_ids": [d1]})
        system.review.draw_experts(SECRETARY.to_dict(), meeting["id"], {})
        with pytest.raises(MeetingStateError) as raised:
            system.review.assign_dossiers(SECRETARY.to_dict(), meeting["id"], {"dossier_ids": [d2]})
        assert "已抽取专家" in raised.value.message and "调整申报材料" in raised.value.message
        assert status(system, d2) == st.FEE_PAID
        assert [d["dossier_id"] for d in system.review.get_meeting(AUDITOR.to_dict(), meeting["id"])["dossiers"]] == [d1]

    def test_default_titles_name_the_committee_the_date_and_the_days_batch(self, system):
        committee = system.committee()
        first, second = planned(system, committee), planned(system, committee)
        day = chinese_date(beijing_today(system.clock))
        assert first["title"] == f"{committee['name']} {day} 第1批评审会议"
        assert second["title"] == f"{committee['name']} {day} 第2批评审会议"
        titled = system.review.create_meeting(SECRETARY.to_dict(), {
            "committee_id": committee["id"], "meeting_date": beijing_today(system.clock).isoformat(),
            "expert_count": 9, "title": "年度增补评审会"})
        assert titled["title"] == "年度增补评审会"
        listed = {m["id"]: m["title"] for m in system.review.list_meetings(AUDITOR.to_dict(), {"committee_id": committee["id"]})}
        assert len(set(listed.values())) == 3


class TestTheOfficesDecision:
    def test_a_removed_dossier_is_fee_paid_again_and_goes_to_another_meeting_an_added_one_is_sent(self, system):
        d1, d2, d3 = system.fee_paid(system.new_cast(), count=3)
        committee = system.committee()
        meeting = drawn(system, [d1, d2], committee)
        answer = change(system, meeting["id"], add=[d3], remove=[d2])
        assert answer["added"] == 1 and answer["removed"] == 1, answer
        assert [status(system, d) for d in (d1, d2, d3)] == [st.SENT_TO_COMMITTEE, st.FEE_PAID, st.SENT_TO_COMMITTEE]
        recalled = [e for e in system.dossier.history(d2) if e["type"] == "recalled_from_committee"]
        assert [e["data"] for e in recalled] == [{"meeting_id": meeting["id"], "reason": REASON}]

        view = system.review.get_meeting(AUDITOR.to_dict(), meeting["id"])
        assert sorted(d["dossier_id"] for d in view["dossiers"]) == sorted([d1, d3])
        changes = [(c["change"], c["dossier_id"], c["reason"], c["decided_role_label"]) for c in view["dossier_changes"]]
        assert changes == [("removed", d2, REASON, "评委会办公室"), ("added", d3, REASON, "评委会办公室")]
        system.wait_projected(d2)
        queue = system.review.queue_item(CITY.to_dict(), d2)
        assert queue["status"] == st.FEE_PAID and queue["last_event"].endswith("recalled_from_committee")

        elsewhere = planned(system, committee)
        moved = system.review.assign_dossiers(SECRETARY.to_dict(), elsewhere["id"], {"dossier_ids": [d2]})
        assert moved["assigned"] == 1 and system.dossier.get(d2)["committee"]["meeting_id"] == elsewhere["id"]

    def test_an_added_dossier_gets_the_assignment_checks_and_a_drawn_expert_cannot_be_added_as_applicant(self, system):
        d1, d2 = system.fee_paid(system.new_cast(), count=2)
        (own,) = system.fee_paid(system.new_cast(applicant_id=EXPERTS[1]))  # expert02 applies themselves
        (submitted,) = [system.submitted(system.new_cast())]
        meeting = drawn(system, [d1])
        answer = change(system, meeting["id"], add=[own, submitted, d1], remove=[d2])
        results = {r["dossier_id"]: r for r in answer["results"]}
        assert answer["added"] == 0 and answer["removed"] == 0
        assert results[own]["error"]["message"] == "申报人是本次会议已抽取的专家"
        assert results[submitted]["error"]["message"] == "申报材料不存在或不在您的管辖范围内"  # not the office's yet
        assert results[d1]["error"]["message"] == "该申报材料已在本次会议中"
        assert results[d2]["error"]["message"] == "该申报材料不在本次会议中"
        assert [status(system, d) for d in (own, d2)] == [st.FEE_PAID, st.FEE_PAID]
        assert system.review.get_meeting(AUDITOR.to_dict(), meeting["id"])["dossier_changes"] == []

    def test_a_change_needs_a_reason_an_organiser_and_a_meeting_not_yet_voting(self, system):
        d1, d2 = system.fee_paid(system.new_cast(), count=2)
        meeting = drawn(system, [d1, d2])
        with pytest.raises(ValidationFailed) as raised:
            change(system, meeting["id"], remove=[d2], reason="  调整  ")
        assert "5 到 500" in raised.value.fields["reason"][0]
        with pytest.raises(ValidationFailed) as raised:
            change(system, meeting["id"])
        assert raised.value.fields == {"add": ["请选择要调入或撤出的申报材料"]}
        with pytest.raises(ReviewNotAllowedError):
            change(system, meeting["id"], actor=AUDITOR, remove=[d2])
        with pytest.raises(ReviewNotAllowedError):
            change(system, meeting["id"], actor=expert(2), remove=[d2])

        system.review.record_attendance(SECRETARY.to_dict(), meeting["id"], {"expert_ids": EXPERTS[:9]})
        system.review.open_meeting(SECRETARY.to_dict(), meeting["id"])
        with pytest.raises(MeetingStateError) as raised:
            change(system, meeting["id"], remove=[d2])
        assert "评审中" in raised.value.message
        assert status(system, d2) == st.UNDER_REVIEW

    def test_the_recorded_changes_cannot_be_rewritten(self, system):
        d1, d2 = system.fee_paid(system.new_cast(), count=2)
        meeting = drawn(system, [d1, d2])
        change(system, meeting["id"], remove=[d2])
        with system.review_engine.begin() as connection:
            assert connection.execute(text("SELECT count(*) FROM meeting_dossier_changes WHERE meeting_id = :m"),
                                      {"m": meeting["id"]}).scalar() == 1
        for statement in ("UPDATE meeting_dossier_changes SET reason = 'x' WHERE meeting_id = :m",
                          "DELETE FROM meeting_dossier_changes WHERE meeting_id = :m"):
            with pytest.raises(DBAPIError, match="append-only"):
                with system.review_engine.begin() as connection:
                    connection.execute(text(statement), {"m": meeting["id"]})


class TestPublicityTitles:
    def test_two_lists_of_one_meeting_on_one_day_are_told_apart_by_their_batch(self, system):
        d1, d2 = system.passed(system.new_cast(), count=2)
        first = system.review.publish(CITY.to_dict(), {"dossier_ids": [d1]})
        second = system.review.publish(CITY.to_dict(), {"dossier_ids": [d2]})
        pattern = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日 第(\d+)批 职称评审通过人员公示\((.+ 第\d+批评审会议)\)$")
        one, two = pattern.match(first["title"]), pattern.match(second["title"])
        assert one and two, (first["title"], second["title"])
        assert int(two.group(1)) == int(one.group(1)) + 1 and one.group(2) == two.group(2)
        assert system.review.get_publicity(first["id"])["title"] == first["title"]


def test_a_ballot_after_the_change_counts_only_the_meetings_dossiers(system):
    d1, d2 = system.fee_paid(system.new_cast(), count=2)
    meeting = drawn(system, [d1, d2])
    change(system, meeting["id"], remove=[d2])
    system.review.record_attendance(SECRETARY.to_dict(), meeting["id"], {"expert_ids": EXPERTS[:9]})
    opened = system.review.open_meeting(SECRETARY.to_dict(), meeting["id"])
    assert [d["dossier_id"] for d in opened["dossiers"]] == [d1]
    for number in DRAWN:
        cast_sealed(system.review, expert(number).to_dict(), meeting["id"], d1, "agree")
    closed = system.review.close_meeting(SECRETARY.to_dict(), meeting["id"])
    assert [(d["dossier_id"], d["tally"]["agree"]) for d in closed["dossiers"]] == [(d1, 9)]
    assert [status(system, d) for d in (d1, d2)] == [st.PASSED, st.FEE_PAID]
