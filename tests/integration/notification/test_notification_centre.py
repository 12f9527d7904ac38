"""The message centre and SMS preferences over RPC: a person reads and marks only their own messages;
an optional kind's SMS can be turned off, a required kind's cannot; hostile input gets Chinese
field errors."""
import uuid

import eventlet
import pytest

from shared.contracts import dossier as st
from shared.contracts.notification_errors import NotificationNotAllowedError, PreferenceLockedError
from shared.errors import ValidationFailed
from tests.integration.notification.notification_support import dossier_event, snapshot
from tests.waiting import wait_until


def applicant_actor(person):
    return {"account_id": person["account_id"], "role": "applicant", "org_id": None}


def told(system, person, *events, count):
    system.publish(*events)
    wait_until(lambda: len(system.messages_of(person["account_id"])) >= count, what="the messages")
    eventlet.sleep(0.5)


def test_the_inbox_lists_the_actors_own_messages_newest_first_and_marks_them_read(system, people):
    me, someone_else = people.person(), people.person()
    mine, theirs = snapshot(me, people.unit()), snapshot(someone_else, people.unit())
    dossier_id = str(uuid.uuid4())
    told(system, me, dossier_event("unit_approved", dossier_id, 3, st.UNIT_APPROVED, mine, {"opinion": "同意"}),
         dossier_event("fee_paid", dossier_id, 8, st.FEE_PAID, mine, {"order_id": "o", "amount_fen": 16050}),
         dossier_event("fee_paid", str(uuid.uuid4()), 8, st.FEE_PAID, theirs, {"order_id": "o", "amount_fen": 1}),
         count=2)
    system.clock.travel(seconds=1)
    with system.rpc() as rpc:
        inbox = rpc.notification.inbox(applicant_actor(me), {"per_page": 1})
        assert (inbox["total"], inbox["unread"], len(inbox["items"])) == (2, 2, 1)
        first = inbox["items"][0]
        assert first["kind_label"] and first["dossier_id"] == dossier_id and first["read_at"] is None
        everything = rpc.notification.inbox(applicant_actor(me), {})["items"]
        assert any("160.50 元" in item["body"] for item in everything)
        # Someone else's message id marks nothing of theirs.
        their_id = system.messages_of(someone_else["account_id"])[0]["id"]
        assert rpc.notification.mark_read(applicant_actor(me), {"message_ids": [their_id]}) == {"marked": 0}
        assert rpc.notification.mark_read(applicant_actor(me), {"message_ids": [first["message_id"]]}) == {"marked": 1}
        assert rpc.notification.mark_read(applicant_actor(me), {"message_ids": [first["message_id"]]}) == {"marked": 0}
        assert rpc.notification.unread_count(applicant_actor(me)) == {"unread": 1}
        unread = rpc.notification.inbox(applicant_actor(me), {"unread_only": True})
        assert [item["message_id"] for item in unread["items"]] != [first["message_id"]] and unread["total"] == 1
        assert rpc.notification.mark_read(applicant_actor(me), {"all": True}) == {"marked": 1}
        assert rpc.notification.unread_count(applicant_actor(me)) == {"unread": 0}
        assert rpc.notification.unread_count(applicant_actor(someone_else)) == {"unread": 1}


def test_an_optional_kind_can_be_turned_off_and_a_required_one_cannot(system, people):
    me = people.person()
    with system.rpc() as rpc:
        answer = rpc.notification.set_preferences(applicant_actor(me), {"sms": {"dossier_approved": False}})
        items = {item["kind"]: item for item in answer["items"]}
        assert items["dossier_approved"]["sms_enabled"] is False and items["dossier_approved"]["required"] is False
        assert items["fee_due"] == {"kind": "fee_due", "label": "市人社局审核通过,待缴费", "sms_enabled": True,
                                    "required": True}
        assert "membership_requested" not in items  # not a kind that reaches an applicant
        with pytest.raises(PreferenceLockedError) as refused:
            rpc.notification.set_preferences(applicant_actor(me), {"sms": {"fee_due": False, "fee_paid": False}})
        assert "不能关闭" in refused.value.message and list(refused.value.fields["sms"]) == ["fee_due"]
        # Nothing of the refused request was kept.
        kept = {item["kind"]: item["sms_enabled"] for item in rpc.notification.preferences(applicant_actor(me))["items"]}
        assert kept["fee_paid"] is True and kept["dossier_approved"] is False

    dossier, dossier_id = snapshot(me, people.unit()), str(uuid.uuid4())
    told(system, me, dossier_event("unit_approved", dossier_id, 3, st.UNIT_APPROVED, dossier, {"opinion": "同意"}),
         dossier_event("city_approved", dossier_id, 6, st.ACCEPTED, dossier, {"opinion": "受理"}), count=2)
    assert sorted(message["kind"] for message in system.messages_of(me["account_id"])) == ["dossier_approved", "fee_due"]
    assert [delivery["kind"] for delivery in system.sms_of(account_id=me["account_id"])] == ["fee_due"]


def test_deliveries_are_for_city_admins_and_auditors_with_numbers_masked(system, people):
    me = people.person()
    told(system, me, dossier_event("publicity_ended", str(uuid.uuid4()), 13, st.APPROVED,
                                   snapshot(me, people.unit()), {}), count=1)
    with system.rpc() as rpc:
        with pytest.raises(NotificationNotAllowedError):
            rpc.notification.deliveries(applicant_actor(me), {})
        answer = rpc.notification.deliveries({"account_id": "a-1", "role": "auditor", "org_id": None},
                                             {"status": "pending", "per_page": 200})
    masked = me["phone"][:3] + "****" + me["phone"][-4:]
    assert masked in {item["recipient_masked"] for item in answer["items"]}
    assert me["phone"] not in str(answer)
    assert set(answer["counts"]) == {"pending", "held", "sent", "failed"} and answer["counts"]["pending"] >= 1


@pytest.mark.parametrize("call, arguments, field", [
    ("inbox", ({"per_page": 10 ** 9},), "per_page"),
    ("inbox", ({"page": "一"},), "page"),
    ("inbox", ({"unknown": 1},), "unknown"),
    ("mark_read", ({"message_ids": ["abc\x00def"]},), "message_ids"),
    ("mark_read", ({"message_ids": ["x"] * 201},), "message_ids"),
    ("mark_read", ({},), "message_ids"),
    ("set_preferences", ({"sms": {"no_such_kind": False}},), "sms"),
    ("set_preferences", ({"sms": {"fee_paid": "关"}},), "sms"),
    ("set_preferences", ({"sms": {"submissions_digest": False}},), "sms"),  # a unit admin's kind
    ("deliveries", ({"status": "lost"},), "status"),
    ("deliveries", ({"per_page": 10 ** 6},), "per_page"),
])
def test_hostile_input_gets_chinese_field_errors(system, people, call, arguments, field):
    actor = {"account_id": "a-1", "role": "city_admin" if call == "deliveries" else "applicant", "org_id": None}
    with system.rpc() as rpc:
        with pytest.raises(ValidationFailed) as refused:
            getattr(rpc.notification, call)(actor, *arguments)
    assert field in refused.value.fields
    assert any("\u4e00" <= character <= "\u9fff" for character in str(refused.value.fields[field]))


@pytest.mark.parametrize("data, field", [
    ({"phone": "138\x0012345678", "template": "password_reset_code", "params": {}, "reference": "r"}, "phone"),
    ({"phone": "13812345678", "template": "hello", "params": {}, "reference": "r"}, "template"),
    ({"phone": "13812345678", "template": "password_reset_code", "params": {"code": "1"}, "reference": "r"}, "params"),
    ({"phone": "not a phone", "template": "password_changed", "params": {"time": "x"}, "reference": "r"}, "phone"),
])
def test_a_code_request_that_is_wrong_is_refused_field_by_field(system, data, field):
    with system.rpc() as rpc:
        with pytest.raises(ValidationFailed) as refused:
            rpc.notification.send_code(data)
    assert field in refused.value.fields


def test_a_bad_actor_is_refused(system):
    with system.rpc() as rpc:
        with pytest.raises(ValidationFailed) as refused:
            rpc.notification.unread_count({"account_id": "a\x00", "role": "emperor"})
    assert {"account_id", "role"} <= set(refused.value.fields)
