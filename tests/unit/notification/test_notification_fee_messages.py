"""What the applicant is told of fees: a review fee of 0 is 免收评审费 (never "缴纳 0 元"), and the
certificate fee's own order (payment's fee-order events) is told by its name, amount and deadline."""
from datetime import datetime, timedelta, timezone

import pytest

from services.notification import compose
from services.notification import templates as t
from services.notification.handlers import EventHandlers, loaded_foreign_event
from services.notification.ports import YearFacts
from services.notification.recipients import Directory, Person
from services.payment.announcements import order_event
from shared.clock import beijing_text
from shared.contracts.notification import (
    FEE_ORDER_OPENED, FEE_ORDER_PAID, KINDS, REQUIRED_KINDS, FeeOrderEvent,
)
from shared.contracts.payment import CERTIFICATE_FEE, REVIEW_FEE, ZERO_FEE_REFERENCE

APPLICANT = Person("a-1", "王小明", "13812341234")
SNAPSHOT = {"applicant_id": "a-1", "applicant_name": "王小明", "unit_id": "u-1", "unit_name": "甲单位",
            "review_year": 2026, "series": "engineering", "level": "intermediate"}
NOW = datetime(2026, 7, 1, 2, 0, tzinfo=timezone.utc)


class Facts(YearFacts):
    """The real port with the year's fees given in advance (no notice: no deadlines)."""

    def __init__(self, review_fen=16000, certificate_fen=0):
        super().__init__(dossier=None, payment=None)
        self._notices[2026] = None
        self._fees[2026] = {"intermediate": review_fen}
        self._certificate_fees[2026] = certificate_fen


class People(Directory):
    def __init__(self):
        super().__init__(identity=None)

    def people(self, account_ids):
        return {account_id: APPLICANT for account_id in account_ids if account_id == APPLICANT.account_id}


def told(event_name, data, facts):
    event = {"dossier_id": "d-1", "data": data, "dossier": SNAPSHOT}
    return compose.applicant_messages(event_name, event, People(), facts)


def texts(message):
    rendered = t.render(message.kind, message.params, "昆明人社")
    return rendered.title + rendered.body + rendered.sms


def order(kind=CERTIFICATE_FEE, amount_fen=5000):
    """A payment order row as payment keeps it (the publisher's own payload builder is used)."""
    return {"order_id": "PO1", "kind": kind, "dossier_id": "d-1", "applicant_id": "a-1", "applicant_name": "王小明",
            "review_year": 2026, "series": "engineering", "level": "intermediate", "amount_fen": amount_fen,
            "expires_at": NOW + timedelta(hours=72)}


class TestAZeroReviewFee:
    def test_the_acceptance_does_not_ask_for_a_fee_of_0(self):
        assert told("city_approved", {}, Facts(review_fen=0)) == []
        (due,) = told("city_approved", {}, Facts(review_fen=16000))
        assert due.kind == "fee_due" and "160 元" in texts(due)

    def test_the_recorded_waiver_says_免收评审费_and_never_an_amount(self):
        (message,) = told("fee_paid", {"order_id": ZERO_FEE_REFERENCE, "amount_fen": 0}, Facts(review_fen=0))
        assert message.kind == "fee_waived" and message.link == "/dossiers/d-1"
        words = texts(message)
        assert "本年度免收评审费" in words and "申报材料已进入评审环节" in words and "市人社局审核" in words
        assert "0 元" not in words and "0.00" not in words and "缴纳" not in words and "缴费成功" not in words

    def test_a_paid_fee_is_still_a_payment_with_its_amount(self):
        (message,) = told("fee_paid", {"order_id": "PO9", "amount_fen": 16050}, Facts())
        assert message.kind == "fee_paid" and "评审费 160.50 元" in texts(message)

    def test_the_waiver_is_a_kind_of_its_own_the_person_may_silence(self):
        assert "fee_waived" in KINDS and "fee_waived" not in REQUIRED_KINDS
        assert "免收评审费" in KINDS["fee_waived"][0]


class TestTheEndOfPublicity:
    def test_with_a_certificate_fee_it_says_the_certificate_follows_its_payment(self):
        (message,) = told("publicity_ended", {}, Facts(certificate_fen=5000))
        assert "缴纳证书工本费 50 元后签发电子证书" in texts(message)

    def test_without_one_the_certificate_simply_follows(self):
        (message,) = told("publicity_ended", {}, Facts(certificate_fen=0))
        assert t.CERTIFICATE_SOON in texts(message) and "工本费" not in texts(message)


class TestTheCertificateFeeOrder:
    def event(self, event_type, **changes):
        # What payment publishes, loaded as the consumer loads it: the two sides agree on the contract.
        return loaded_foreign_event(FeeOrderEvent(), order_event(event_type, {**order(), **changes}, NOW))

    def test_an_opened_order_asks_for_the_certificate_fee_by_name_amount_and_deadline(self):
        event = self.event(FEE_ORDER_OPENED)
        (message,) = compose.fee_order_messages(FEE_ORDER_OPENED)(event, People())
        assert message.kind == "certificate_fee_due" and message.person == APPLICANT
        assert message.link == "/dossiers/d-1" and message.dossier_id == "d-1"
        words = texts(message)
        assert "证书工本费 50 元" in words and "评审费" not in words.replace("证书工本费", "")
        assert beijing_text(order()["expires_at"]) in words and "2026年度工程系列中级职称申报" in words
        assert "certificate_fee_due" in REQUIRED_KINDS  # a fee due is never silenced

    def test_a_paid_order_says_it_is_paid_and_the_certificate_follows(self):
        (message,) = compose.fee_order_messages(FEE_ORDER_PAID)(self.event(FEE_ORDER_PAID), People())
        assert message.kind == "certificate_fee_paid"
        assert "已成功缴纳" in texts(message) and "证书工本费 50 元" in texts(message)

    @pytest.mark.parametrize("event_type", [FEE_ORDER_OPENED, FEE_ORDER_PAID])
    def test_review_fee_orders_are_told_by_the_dossiers_events_not_twice(self, event_type):
        event = self.event(event_type, kind=REVIEW_FEE, amount_fen=16000)
        assert compose.fee_order_messages(event_type)(event, People()) == []

    def test_each_order_and_stage_has_its_own_event_id(self):
        assert self.event(FEE_ORDER_OPENED)["event_id"] != self.event(FEE_ORDER_PAID)["event_id"]

    def test_the_service_consumes_both_of_paymentss_events(self):
        assert callable(EventHandlers.handle_fee_order_opened) and callable(EventHandlers.handle_fee_order_paid)
