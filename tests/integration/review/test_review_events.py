"""Review on the bus: opening a meeting's vote is announced as ``meeting_opened`` (the payload of
shared/contracts/notification.py) to the experts who vote, once per meeting, only after it committed —
with the real dossier and identity services, over real RabbitMQ and PostgreSQL.

A queue of the test's own is bound to nameko's ``review.events`` exchange with the event type as
routing key, as the notification service's ``@event_handler`` queue is. The dispatch is confirmed
by the broker before review answers, so whatever the call published is in the queue by then.
"""
from datetime import datetime

import pytest

from services.review.exceptions import MeetingStateError, QuorumNotMetError
from shared.clock import beijing_today
from shared.contracts.notification import MEETING_OPENED, REVIEW_SOURCE, MeetingOpenedEvent
from tests.event_tap import EventTap
from tests.integration.review.review_support import EXPERTS, SECRETARY, UNIT_JIA, expert

NINE = range(1, 10)


@pytest.fixture
def opened(system):
    tap = EventTap(system.amqp_uri, REVIEW_SOURCE, MEETING_OPENED)
    yield tap
    tap.close()


def drawn_meeting(system, dossier_ids, *, attending=NINE):
    """A fresh committee's meeting of *dossier_ids*, experts 01–09 drawn (the rest unavailable), the
    experts numbered *attending* recorded as present; not open yet."""
    committee = system.committee()
    secretary = SECRETARY.to_dict()
    meeting = system.review.create_meeting(secretary, {
        "committee_id": committee["id"], "meeting_date": beijing_today(system.clock).isoformat(), "expert_count": 9})
    assert system.review.assign_dossiers(secretary, meeting["id"], {"dossier_ids": dossier_ids})["assigned"] == len(dossier_ids)
    unavailable = [{"expert_id": EXPERTS[n - 1], "reason": "会期冲突"} for n in range(10, 16)]
    system.review.draw_experts(secretary, meeting["id"], {"exclusions": unavailable})
    system.review.record_attendance(secretary, meeting["id"], {"expert_ids": [EXPERTS[n - 1] for n in attending]})
    return meeting, committee


def of(meeting, payloads):
    return [payload for payload in payloads if payload.get("meeting_id") == meeting["id"]]


class TestMeetingOpened:
    def test_the_experts_who_vote_are_announced_once_with_exactly_the_contracts_payload(self, system, opened):
        (ordinary,) = system.fee_paid(system.new_cast())
        (from_jia,) = system.fee_paid(system.new_cast(unit_id=UNIT_JIA))  # experts 01 and 06 work at 甲
        meeting, committee = drawn_meeting(system, [ordinary, from_jia], attending=range(1, 9))  # 09 is absent
        system.review.declare_conflict(expert(4).to_dict(), meeting["id"], {"reason": "与本次会议有利害关系"})
        system.review.declare_conflict(expert(5).to_dict(), meeting["id"], {"dossier_id": ordinary, "reason": "曾为申报人导师"})
        answer = system.review.open_meeting(SECRETARY.to_dict(), meeting["id"])

        (event,) = of(meeting, opened.drain())
        assert MeetingOpenedEvent().load(event) == event  # no field missing, none extra
        # 04 stays out of the whole meeting and 09 is absent; 01, 05 and 06 still vote on one dossier.
        voting = [EXPERTS[n - 1] for n in (1, 2, 3, 5, 6, 7, 8)]
        draw_order = [e["expert_id"] for e in sorted(answer["experts"], key=lambda e: e["draw_order"])]
        assert event == {
            "event_id": f"{meeting['id']}:opened", "meeting_id": meeting["id"], "meeting_name": meeting["title"],
            "committee_name": committee["name"], "expert_account_ids": [e for e in draw_order if e in voting],
            "dossier_count": 2, "occurred_at": event["occurred_at"],
        }
        assert sorted(event["expert_account_ids"]) == sorted(voting)
        occurred = datetime.fromisoformat(event["occurred_at"])
        assert occurred.utcoffset().total_seconds() == 0
        assert occurred == datetime.fromisoformat(answer["opened_at"])

    def test_opening_again_answers_the_open_meeting_and_announces_nothing_more(self, system, opened):
        meeting, _committee = drawn_meeting(system, system.fee_paid(system.new_cast()))
        first = system.review.open_meeting(SECRETARY.to_dict(), meeting["id"])
        again = system.review.open_meeting(SECRETARY.to_dict(), meeting["id"])
        assert (first["state"], again["state"], again["opened_at"]) == ("open", "open", first["opened_at"])
        assert len(of(meeting, opened.drain())) == 1

    def test_a_refused_opening_announces_nothing(self, system, opened):
        ids = system.fee_paid(system.new_cast())
        meeting, _committee = drawn_meeting(system, ids, attending=range(1, 6))  # 5 of 9: 6 needed
        with pytest.raises(QuorumNotMetError):
            system.review.open_meeting(SECRETARY.to_dict(), meeting["id"])
        assert of(meeting, opened.drain()) == []
        # The meeting stays drawn: the office records the attendance again and opens it.
        system.review.record_attendance(SECRETARY.to_dict(), meeting["id"], {"expert_ids": EXPERTS[:9]})
        system.review.open_meeting(SECRETARY.to_dict(), meeting["id"])
        assert [event["expert_account_ids"] for event in of(meeting, opened.drain())] == [_drawn_in_order(system, meeting)]

    def test_a_meeting_closed_is_not_opened_again_nor_announced(self, system, opened):
        meeting, _committee = drawn_meeting(system, system.fee_paid(system.new_cast()))
        system.review.open_meeting(SECRETARY.to_dict(), meeting["id"])
        system.review.close_meeting(SECRETARY.to_dict(), meeting["id"])
        with pytest.raises(MeetingStateError):
            system.review.open_meeting(SECRETARY.to_dict(), meeting["id"])
        assert len(of(meeting, opened.drain())) == 1


def _drawn_in_order(system, meeting):
    view = system.review.get_meeting(SECRETARY.to_dict(), meeting["id"])
    return [e["expert_id"] for e in sorted(view["experts"], key=lambda e: e["draw_order"])]
