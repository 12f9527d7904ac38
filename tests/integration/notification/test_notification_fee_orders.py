"""Fees as the applicant hears of them, from real bus events: a review fee of 0 (the year's policy) is
told once as 免收评审费 — never "请缴纳评审费 0 元" or "成功缴纳 0 元" — and the certificate fee's own order,
announced by payment (fee_order_opened / fee_order_paid), is told by its name, amount and deadline."""
import uuid
from datetime import timedelta

import eventlet
import pytest

from services.payment.announcements import order_event
from shared.clock import beijing_text, utc_now
from shared.contracts import dossier as st
from shared.contracts.notification import FEE_ORDER_OPENED, FEE_ORDER_PAID, PAYMENT_SOURCE
from shared.contracts.payment import CERTIFICATE_FEE, REVIEW_FEE, ZERO_FEE_REFERENCE
from tests.integration.notification.notification_support import CERTIFICATE_FEES, FEES, dossier_event, snapshot
from tests.waiting import wait_until

YEAR = 2031  # a review year of this module's own, so its fees change nobody else's


@pytest.fixture
def fees():
    """Set the stand-in payment's fees of YEAR for one test."""
    def set_fees(review_fen, certificate_fen=0):
        FEES[YEAR] = {"primary": review_fen, "intermediate": review_fen, "associate_senior": review_fen,
                      "senior": review_fen}
        CERTIFICATE_FEES[YEAR] = certificate_fen
    yield set_fees
    FEES.pop(YEAR, None)
    CERTIFICATE_FEES.pop(YEAR, None)


def settled(system, condition, what, count=1):
    wait_until(lambda: len(condition()) >= count, seconds=30, what=what)
    eventlet.sleep(1.5)  # duplicates and stragglers would show by now
    return condition()


def test_a_zero_review_fee_is_told_once_as_waived(system, people, fees):
    fees(0)
    applicant = people.person("免费申报人")
    dossier_id, dossier = str(uuid.uuid4()), snapshot(applicant, people.unit(), review_year=YEAR)
    system.publish(dossier_event("city_approved", dossier_id, 7, st.ACCEPTED, dossier, {"opinion": "受理"}),
                   dossier_event("fee_paid", dossier_id, 8, st.FEE_PAID, dossier,
                                 {"order_id": ZERO_FEE_REFERENCE, "amount_fen": 0}), times=2)

    (message,) = settled(system, lambda: system.messages_of(applicant["account_id"]), "the waiver")
    assert message["kind"] == "fee_waived" and message["link"] == f"/dossiers/{dossier_id}"
    words = message["title"] + message["body"]
    assert "本年度免收评审费" in words and "申报材料已进入评审环节" in words
    assert "0 元" not in words and "缴纳" not in words
    (sms,) = system.sms_of(account_id=applicant["account_id"])
    assert sms["kind"] == "fee_waived" and "免收评审费" in sms["body"] and "0 元" not in sms["body"]


def test_a_certificate_fee_order_is_told_with_amount_and_deadline_and_then_as_paid(system, people, fees):
    fees(16000, certificate_fen=5000)
    applicant = people.person("缴证书费的人")
    dossier_id, now = str(uuid.uuid4()), utc_now()
    order = {"order_id": f"PO{uuid.uuid4().hex[:12]}", "kind": CERTIFICATE_FEE, "dossier_id": dossier_id,
             "applicant_id": applicant["account_id"], "applicant_name": applicant["name"], "review_year": YEAR,
             "series": "engineering", "level": "intermediate", "amount_fen": 5000,
             "expires_at": now + timedelta(hours=72)}
    review_order = {**order, "order_id": f"PO{uuid.uuid4().hex[:12]}", "kind": REVIEW_FEE, "amount_fen": 16000}
    system.dispatch(PAYMENT_SOURCE, FEE_ORDER_OPENED, order_event(FEE_ORDER_OPENED, order, now), times=2)
    system.dispatch(PAYMENT_SOURCE, FEE_ORDER_OPENED, order_event(FEE_ORDER_OPENED, review_order, now))

    (due,) = settled(system, lambda: system.messages_of(applicant["account_id"]), "the certificate fee due")
    assert due["kind"] == "certificate_fee_due" and due["link"] == f"/dossiers/{dossier_id}"
    assert "证书工本费 50 元" in due["body"] and beijing_text(order["expires_at"]) in due["body"]
    assert "评审费" not in (due["title"] + due["body"]).replace("证书工本费", "")
    (sms,) = system.sms_of(account_id=applicant["account_id"])
    assert sms["kind"] == "certificate_fee_due" and "证书工本费 50 元" in sms["body"]

    system.dispatch(PAYMENT_SOURCE, FEE_ORDER_PAID, order_event(FEE_ORDER_PAID, order, now), times=2)
    messages = settled(system, lambda: system.messages_of(applicant["account_id"]), "the certificate fee paid", 2)
    assert [m["kind"] for m in messages] == ["certificate_fee_due", "certificate_fee_paid"]
    assert "已成功缴纳" in messages[1]["body"] and "证书工本费 50 元" in messages[1]["body"]


def test_the_end_of_publicity_says_the_certificate_follows_the_fee(system, people, fees):
    fees(16000, certificate_fen=5000)
    applicant = people.person("公示期满的人")
    dossier_id = str(uuid.uuid4())
    system.publish(dossier_event("publicity_ended", dossier_id, 13, st.APPROVED,
                                 snapshot(applicant, people.unit(), review_year=YEAR)))
    (message,) = settled(system, lambda: system.messages_of(applicant["account_id"]), "the end of publicity")
    assert "缴纳证书工本费 50 元后签发电子证书" in message["body"]
