"""Issue 17's "done when", through the real system: a dossier taken through the whole chain — taken
back once, returned once, then approved at every level, paid, reviewed, publicised and certified —
leaves in the applicant's message centre and in the SMS outbox exactly one message per step that
concerns them; after every one of its events is delivered again, newest first, nothing changes."""
import re
from collections import Counter
from urllib.parse import urlparse

import pytest

from services.dossier.application import Dossiers
from services.dossier.relay import OutboxRelay
from tests.e2e.money_support import accepted, certify, notify, payment_id_of, status_of
from tests.e2e.review_support import UNIT_A, UNIT_ADMINS, Staff, decide, person_name, submitted_dossier
from tests.factories import mobile_phone
from tests.infrastructure import rabbitmqctl
from tests.waiting import wait_until

# The step each dossier event is for the applicant (DOMAIN.md §10): the kind of message it must leave.
# Events absent here are the applicant's own acts or internal steps, which they are not told of.
APPLICANT_MESSAGE_OF_EVENT = {
    "returned": "dossier_returned",
    "unit_approved": "dossier_approved",
    "district_approved": "dossier_approved",
    "city_approved": "fee_due",
    "fee_paid": "fee_paid",
    "sent_to_committee": "sent_to_review",
    "passed": "review_result",
    "failed": "review_result",
    "publicity_started": "publicity_started",
    "publicity_ended": "publicity_ended",
    "certificate_issued": "certificate_issued",
}
REMINDERS = {"resubmission_reminder", "payment_reminder", "draft_reminder"}


def inbox_kinds(applicant):
    answer = applicant.get("/api/v1/messages", params={"per_page": 100})
    assert answer.status == 200, answer
    return Counter(item["kind"] for item in answer.json["items"] if item["kind"] not in REMINDERS)


def sms_kinds(notification_rpc, phone):
    items = notification_rpc.outbox({"phone": phone, "limit": 200})["items"]
    return Counter(item["kind"] for item in items if item["kind"] not in REMINDERS)


def queues_drained(amqp_uri):
    """Whether every queue the notification service consumes holds nothing, ready or unacknowledged
    (nameko acknowledges an event once its handler has finished)."""
    vhost = urlparse(amqp_uri).path.lstrip("/")
    listing = rabbitmqctl("list_queues", "-p", vhost, "name", "messages").stdout
    depths = [int(line.split()[-1]) for line in listing.splitlines()
              if "--notification." in line and line.split()[-1].isdigit()]
    return bool(depths) and not any(depths)


@pytest.fixture(scope="module")
def chain(system, cluster_rpc):
    """One applicant's dossier through every step; the history and the messages as they stand after it."""
    client = system["client"]
    staff = Staff(client, system["review_clock"])
    phone = mobile_phone()
    applicant, dossier_id = submitted_dossier(client, person_name("通"), UNIT_A, phone=phone)
    # Taken back before the unit acts, resubmitted, then returned by the unit and resubmitted again.
    assert applicant.post(f"/api/v1/dossiers/{dossier_id}/take-back", json_body={}).status == 200
    assert applicant.post(f"/api/v1/dossiers/{dossier_id}/submit").status == 200
    returned = decide(staff[UNIT_ADMINS[UNIT_A]], dossier_id, "return", reason="请补充继续教育证明",
                      sections=["continuing_education"])
    assert returned.status == 200, returned
    assert applicant.post(f"/api/v1/dossiers/{dossier_id}/submit").status == 200
    order = accepted(staff, applicant, dossier_id)
    pay = applicant.post(f"/api/v1/orders/{order['order_id']}/pay")
    assert pay.status == 200, pay
    signed = cluster_rpc.payment.cashier_confirm(payment_id_of(pay.json["cashier_url"]))
    assert notify(client, signed).status == 200
    wait_until(lambda: status_of(applicant, dossier_id) == "fee_paid", what="fee_paid")
    certify(system, staff, applicant, dossier_id)
    history = applicant.get(f"/api/v1/dossiers/{dossier_id}/history").json["items"]
    expected = Counter(APPLICANT_MESSAGE_OF_EVENT[entry["type"]] for entry in history
                       if entry["type"] in APPLICANT_MESSAGE_OF_EVENT)
    return {"applicant": applicant, "dossier_id": dossier_id, "phone": phone, "expected": expected,
            "history": history}


def test_the_chain_took_every_step(chain):
    types = [entry["type"] for entry in chain["history"]]
    for step in ("submission_taken_back", "returned", "unit_approved", "district_approved", "city_approved",
                 "fee_paid", "sent_to_committee", "passed", "publicity_started", "publicity_ended",
                 "certificate_issued"):
        assert step in types, step


def test_each_step_leaves_one_message_in_the_centre_and_one_sms(chain, notification_rpc):
    expected = chain["expected"]
    wait_until(lambda: inbox_kinds(chain["applicant"]) == expected, seconds=40, what="one message per step")
    wait_until(lambda: sms_kinds(notification_rpc, chain["phone"]) == expected, seconds=40,
               what="one SMS per step")
    # Their own acts (submitting, taking back) tell them nothing.
    assert "submission_taken_back" not in inbox_kinds(chain["applicant"])


def test_every_event_delivered_again_newest_first_changes_nothing(chain, system, notification_rpc):
    expected = chain["expected"]
    wait_until(lambda: inbox_kinds(chain["applicant"]) == expected, seconds=40, what="one message per step")
    wait_until(lambda: sms_kinds(notification_rpc, chain["phone"]) == expected, seconds=40, what="one SMS per step")
    before = chain["applicant"].get("/api/v1/messages", params={"per_page": 100}).json
    app = Dossiers(system["dossier_database"])
    relay = OutboxRelay(app, system["amqp_uri"])
    try:
        stored = [notification for notification in app.recorder.select_notifications(start=1, limit=100_000)
                  if str(notification.originator_id) == chain["dossier_id"]]
        messages = [relay.integration_event(notification) for notification in stored]  # folded in order
        assert len(messages) == len(chain["history"])
        producer = relay._ensure_producer()
        for message in reversed(messages):
            relay.publish(producer, message)
    finally:
        relay.close()
        app.close()
    wait_until(lambda: queues_drained(system["amqp_uri"]), seconds=40, what="the redelivered events handled")
    after = chain["applicant"].get("/api/v1/messages", params={"per_page": 100}).json
    assert after["total"] == before["total"]
    assert [item["message_id"] for item in after["items"]] == [item["message_id"] for item in before["items"]]
    assert inbox_kinds(chain["applicant"]) == expected
    assert sms_kinds(notification_rpc, chain["phone"]) == expected


def test_the_messages_say_what_happened(chain, notification_rpc):
    items = chain["applicant"].get("/api/v1/messages", params={"per_page": 100}).json["items"]
    by_kind = {item["kind"]: item for item in items}
    assert "请补充继续教育证明" in by_kind["dossier_returned"]["body"]
    assert re.search(r"\d+(\.\d+)? 元", by_kind["fee_due"]["body"])
    assert by_kind["certificate_issued"]["link"] == f"/dossiers/{chain['dossier_id']}"
    bodies = [item["body"] for item in notification_rpc.outbox({"phone": chain["phone"], "limit": 200})["items"]]
    assert bodies and all(body.startswith("【") for body in bodies)
