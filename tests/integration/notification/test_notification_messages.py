"""Messages from real bus events: every event that matters to a person becomes one in-app message and
at most one SMS per person, however often the bus delivers it and in whatever order; the texts
carry the facts the person needs (reason and sections, fee and deadline, publicity end, link)."""
import random
import uuid
from datetime import timedelta

import eventlet
from sqlalchemy import select

from services.notification.service import NotificationService
from services.notification.tables import dossier_tracker
from shared.contracts import dossier as st
from shared.contracts.notification import IDENTITY_SOURCE, MEETING_OPENED, MEMBERSHIP_REQUESTED, REVIEW_SOURCE
from shared.roles import CITY_ADMIN, UNIT_ADMIN
from tests.integration.notification.notification_support import TODAY, dossier_event, notice, snapshot
from tests.waiting import wait_until

# The whole chain of one dossier, as (event, status after it, data): what its applicant is told of.
CHAIN = [
    ("created", st.DRAFT, {}),
    ("submitted", st.SUBMITTED, {"resubmission": False}),
    ("unit_approved", st.UNIT_APPROVED, {"opinion": "同意推荐"}),
    ("unit_publicity_recorded", None, {"start": "2026-05-01", "end": "2026-05-08"}),
    ("recommended", st.RECOMMENDED, {"batch_id": "b-1"}),
    ("district_approved", st.DISTRICT_APPROVED, {"opinion": "同意"}),
    ("city_approved", st.ACCEPTED, {"opinion": "受理"}),
    ("fee_paid", st.FEE_PAID, {"order_id": "o-1", "amount_fen": 16000}),
    ("sent_to_committee", st.SENT_TO_COMMITTEE, {"committee_id": "c-1", "meeting_id": "m-1"}),
    ("review_started", st.UNDER_REVIEW, {"meeting_id": "m-1"}),
    ("passed", st.PASSED, {"tally": {"agree": 12, "disagree": 2, "abstain": 1}}),
    ("publicity_started", st.IN_PUBLICITY, {"publicity_id": "p-1", "start": "2026-06-01", "end": "2026-06-08"}),
    ("publicity_ended", st.APPROVED, {}),
    ("certificate_issued", st.CERTIFIED, {"certificate_number": "KM2026000123"}),
]
TOLD = ["dossier_approved", "dossier_approved", "fee_due", "fee_paid", "sent_to_review", "review_result",
        "publicity_started", "publicity_ended", "certificate_issued"]


def chain_events(dossier_id, dossier, chain=CHAIN):
    events = []
    for version, (name, status, data) in enumerate(chain, start=1):
        if status is None:
            status = events[-1]["status"]
        events.append(dossier_event(name, dossier_id, version, status, dossier, data))
    return events


def settled(system, condition, what):
    """Wait for *condition*, then give duplicates time to arrive and show, and return it once more."""
    wait_until(condition, seconds=30, what=what)
    eventlet.sleep(1.5)
    return condition()


def test_a_whole_chain_delivered_twice_and_shuffled_tells_the_applicant_once_per_step(system, people):
    notice(2026, payment=TODAY + timedelta(days=7))
    applicant = people.person("王小明")
    dossier_id = str(uuid.uuid4())
    events = chain_events(dossier_id, snapshot(applicant, people.unit()))
    shuffled = events * 2
    random.Random(17).shuffle(shuffled)
    system.publish(*shuffled)

    settled(system, lambda: len(system.messages_of(applicant["account_id"])) >= len(TOLD), "the chain's messages")
    inbox = system.messages_of(applicant["account_id"])
    sms = system.sms_of(account_id=applicant["account_id"])
    assert sorted(message["kind"] for message in inbox) == sorted(TOLD)
    assert sorted(delivery["kind"] for delivery in sms) == sorted(TOLD)
    assert {delivery["phone"] for delivery in sms} == {applicant["phone"]}
    assert all(delivery["body"].startswith("【昆明人社】") for delivery in sms)
    by_kind = {message["kind"]: message for message in inbox}
    assert "160 元" in by_kind["fee_due"]["body"] and "2026-06-17 17:00" in by_kind["fee_due"]["body"]
    assert "公示期至 2026-06-08" in by_kind["publicity_started"]["body"]
    assert "KM2026000123" in by_kind["certificate_issued"]["body"]
    assert by_kind["certificate_issued"]["link"] == f"/dossiers/{dossier_id}"
    assert {message["title"] for message in inbox if message["kind"] == "dossier_approved"} == {
        "单位审核通过", "主管部门/区县人社局审核通过"}
    with system.engine.connect() as connection:  # the tracker kept the newest version, whatever came last
        tracked = connection.execute(select(dossier_tracker).where(
            dossier_tracker.c.dossier_id == dossier_id)).mappings().one()
    assert (tracked["version"], tracked["status"]) == (len(CHAIN), st.CERTIFIED)


def test_two_instances_sharing_the_queues_still_write_each_message_once(system, people):
    applicant = people.person()
    events = chain_events(str(uuid.uuid4()), snapshot(applicant, people.unit()))
    second = system.start_one(NotificationService, system.config)
    try:
        shuffled = events * 3
        random.Random(3).shuffle(shuffled)
        system.publish(*shuffled)
        settled(system, lambda: len(system.messages_of(applicant["account_id"])) >= len(TOLD), "the messages")
        assert sorted(m["kind"] for m in system.messages_of(applicant["account_id"])) == sorted(TOLD)
        assert len(system.sms_of(account_id=applicant["account_id"])) == len(TOLD)
    finally:
        second.stop()
        system.containers.remove(second)


def test_a_return_names_the_reason_the_sections_and_the_resubmission_deadline(system, people):
    notice(2027, resubmission=TODAY + timedelta(days=10))
    applicant = people.person("李四")
    dossier_id, dossier = str(uuid.uuid4()), snapshot(applicant, people.unit(), review_year=2027)
    returned = dossier_event("returned", dossier_id, 5, st.RETURNED, dossier,
                             {"level": st.UNIT, "reason": "学历证书扫描件不清晰", "sections": ["education", "materials"]})
    system.publish(returned, times=3)

    (message,) = settled(system, lambda: system.messages_of(applicant["account_id"]), "the return's message")
    assert message["kind"] == "dossier_returned"
    assert "学历证书扫描件不清晰" in message["body"] and "学历学位、证明材料" in message["body"]
    assert "2026-06-20 17:00" in message["body"] and message["title"] == "申报材料被单位退回修改"
    (sms,) = system.sms_of(account_id=applicant["account_id"])
    assert "学历证书扫描件不清晰" in sms["body"]


def test_a_fee_due_without_a_payment_deadline_says_so_without_a_date(system, people):
    notice(2028)  # no deadlines.payment
    applicant = people.person()
    dossier = snapshot(applicant, people.unit(), review_year=2028, level="senior")
    system.publish(dossier_event("city_approved", str(uuid.uuid4()), 7, st.ACCEPTED, dossier, {"opinion": "受理"}))

    (message,) = settled(system, lambda: system.messages_of(applicant["account_id"]), "the fee-due message")
    assert "360 元" in message["body"] and "未规定缴费截止时间" in message["body"]


def test_an_applicant_without_a_phone_gets_the_message_in_app_only(system, people):
    applicant = people.person(phone=False)
    dossier = snapshot(applicant, people.unit())
    system.publish(dossier_event("sent_to_committee", str(uuid.uuid4()), 9, st.SENT_TO_COMMITTEE, dossier, {}))

    assert len(settled(system, lambda: system.messages_of(applicant["account_id"]), "the message")) == 1
    assert system.sms_of(account_id=applicant["account_id"]) == []


def test_an_objection_reaches_each_city_admin_once(system, people):
    admins = [people.person("市局审核员", CITY_ADMIN, people.city_id) for _ in range(2)]
    applicant = people.person("张三")
    objection = dossier_event("objection_raised", str(uuid.uuid4()), 13, st.IN_PUBLICITY,
                              snapshot(applicant, people.unit()), {"objection_id": "ob-1", "summary": "论文涉嫌抄袭"})
    system.publish(objection, times=2)

    for admin in admins:
        (message,) = settled(system, lambda admin=admin: system.messages_of(admin["account_id"]), "the objection")
        assert message["kind"] == "objection_raised" and "张三" in message["body"] and "论文涉嫌抄袭" in message["body"]
        assert len(system.sms_of(account_id=admin["account_id"])) == 1
    assert system.messages_of(applicant["account_id"]) == []


def test_a_join_request_reaches_the_units_admins_and_a_meeting_its_experts(system, people):
    unit_id = people.unit()
    admin, other_unit_admin = people.person("单位管理员", UNIT_ADMIN, unit_id), people.person("别家", UNIT_ADMIN, people.unit())
    request = {"event_id": str(uuid.uuid4()), "membership_id": "ms-1", "unit_id": unit_id, "unit_name": "测试单位",
               "account_id": "acc-1", "account_name": "赵六", "occurred_at": "2026-06-10T02:00:00+00:00"}
    experts = [people.person(f"专家{number}") for number in range(3)]
    meeting = {"event_id": "meeting-1:opened", "meeting_id": "meeting-1", "meeting_name": "2026年第1次评审会",
               "committee_name": "工程系列中级评委会", "expert_account_ids": [e["account_id"] for e in experts],
               "dossier_count": 12, "occurred_at": "2026-06-10T02:00:00+00:00"}
    system.dispatch(IDENTITY_SOURCE, MEMBERSHIP_REQUESTED, request, times=2)
    system.dispatch(REVIEW_SOURCE, MEETING_OPENED, meeting, times=2)

    (message,) = settled(system, lambda: system.messages_of(admin["account_id"]), "the join request")
    assert "赵六" in message["body"] and message["link"] == "/review/members"
    assert system.messages_of(other_unit_admin["account_id"]) == []
    for expert in experts:
        (opened,) = settled(system, lambda expert=expert: system.messages_of(expert["account_id"]), "the meeting")
        assert opened["kind"] == "meeting_opened" and "12 份" in opened["body"]


def test_a_payload_breaking_the_contract_is_parked_not_retried_and_the_queue_goes_on(system, people):
    applicant = people.person()
    broken = dossier_event("passed", str(uuid.uuid4()), 11, st.PASSED, {"applicant_id": applicant["account_id"]})
    good = dossier_event("passed", str(uuid.uuid4()), 11, st.PASSED, snapshot(applicant, people.unit()),
                         {"tally": {}})
    system.publish(broken, good)

    (message,) = settled(system, lambda: system.messages_of(applicant["account_id"]), "the good event's message")
    assert message["kind"] == "review_result" and "通过" in message["title"]
    with system.rpc() as rpc:
        health = rpc.notification.health()
    assert health["failed_event_handlings"] >= 1 and health["status"] == "degraded"
