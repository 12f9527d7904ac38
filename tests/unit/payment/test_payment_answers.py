"""Payment's RPC answers go through answer schemas and stay the JSON they were: each case below is built
by the code that made the answer before (the views, the reports, the simulator's notification) and
``dump`` must give it back unchanged, key for key."""
import json
from datetime import date, datetime, timedelta, timezone

import pytest

from services.payment import orders as repo
from services.payment import reconciliation
from services.payment import schemas as s
from services.payment.domain import YearFees
from services.payment.notifications import Outcome
from services.payment.provider import StatementLine
from services.payment.receipt import render_receipt
from services.payment.reports import entry_view, receipt_document
from services.payment.signatures import key_from_seed, sign
from shared.schemas import AnswerShapeError, dump

NOW = datetime(2026, 3, 1, 2, 30, tzinfo=timezone.utc)


def order_row(**overrides):
    """An orders row as the database hands it over (times as datetimes)."""
    row = {
        "order_id": "PO20260301ABCDEF123456", "dossier_id": "d-1", "origin": "dossier_city_approved:14",
        "kind": "review_fee", "applicant_id": "a-1", "applicant_name": "李明", "review_year": 2026,
        "series": "engineering", "specialty": "土木工程", "level": "intermediate", "amount_fen": 16000,
        "notice_version": 1, "status": "pending", "created_at": NOW, "expires_at": NOW + timedelta(hours=72),
        "provider": None, "provider_payment_id": None, "trade_no": None, "paid_at": None, "closed_at": None,
        "dossier_recorded_at": None, "updated_at": NOW,
    }
    return {**row, **overrides}


def paid_row():
    return order_row(status="paid", provider="simulator", provider_payment_id="SIMPAY1",
                     trade_no="SIM20260301000000000001", paid_at=NOW + timedelta(minutes=5),
                     dossier_recorded_at=NOW + timedelta(minutes=6), updated_at=NOW + timedelta(minutes=6))


def refund_row():
    return {"refund_id": "RF20260302ABCDEF123456", "order_id": "PO20260301ABCDEF123456", "dossier_id": "d-1",
            "provider": "simulator", "trade_no": "SIM20260301000000000001", "amount_fen": 16000,
            "reason": "申报人撤销申报,退还评审费", "status": "submitted", "requested_at": NOW + timedelta(days=1),
            "submitted_at": NOW + timedelta(days=1, seconds=3), "succeeded_at": None,
            "provider_refund_no": None, "attempts": 1, "last_error": None}


def ledger_row(kind="payment", **overrides):
    row = {"entry_id": 7, "entry_key": "payment:simulator:SIM20260301000000000001", "kind": kind,
           "order_id": "PO20260301ABCDEF123456", "dossier_id": "d-1", "amount_fen": 16000, "provider": "simulator",
           "reference": "SIM20260301000000000001", "occurred_at": NOW, "recorded_at": NOW + timedelta(seconds=1),
           "note": ""}
    return {**row, **overrides}


def assert_answers_unchanged(schema, old, many=False):
    """``dump`` gives back *old* itself, and the JSON on the wire is the same text."""
    new = dump(schema, old, many=many)
    assert new == old
    assert json.dumps(new, ensure_ascii=False, sort_keys=True) == json.dumps(old, ensure_ascii=False, sort_keys=True)


class TestOrders:
    def test_a_pending_order_answers_as_its_view(self):
        assert_answers_unchanged(s.OrderOut, repo.order_view(order_row(), NOW))

    def test_a_paid_order_answers_as_its_view_with_its_times_in_iso(self):
        answer = dump(s.OrderOut, repo.order_view(paid_row(), NOW))
        assert answer["paid_at"] == "2026-03-01T02:35:00+00:00" and answer["payable"] is False
        assert_answers_unchanged(s.OrderOut, repo.order_view(paid_row(), NOW))

    def test_the_dossiers_orders_answer_with_their_refunds(self):
        refunding = dict(repo.order_view(paid_row(), NOW), status="refunding")
        refunding["refunds"] = [repo.refund_view(refund_row())]
        expired = dict(repo.order_view(order_row(status="expired", closed_at=NOW), NOW), refunds=[])
        assert_answers_unchanged(s.OrderOut, [refunding, expired], many=True)

    def test_a_started_payment_answers_the_order_and_the_cashier(self):
        started = {"order": repo.order_view(order_row(provider="simulator", provider_payment_id="SIMPAY1"), NOW),
                   "payment": {"provider": "simulator", "payment_id": "SIMPAY1",
                               "cashier_url": "http://127.0.0.1:8000/pay/simulator/SIMPAY1",
                               "expires_at": (NOW + timedelta(hours=72)).isoformat()}}
        assert_answers_unchanged(s.StartedPaymentOut, started)

    def test_an_order_with_a_key_the_schema_does_not_declare_is_refused(self):
        with pytest.raises(AnswerShapeError, match="OrderOut does not declare discount_fen"):
            dump(s.OrderOut, dict(repo.order_view(order_row(), NOW), discount_fen=100))


class TestFeesAndNotifications:
    @pytest.mark.parametrize("fees", [
        YearFees.from_notice(2026, None),
        YearFees(review_year=2027, review_fees_fen={"primary": 1, "intermediate": 2, "associate_senior": 3,
                                                    "senior": 4}, certificate_fee_fen=500, notice_version=3),
    ])
    def test_a_years_fees_answer_as_they_are_read(self, fees):
        assert_answers_unchanged(s.FeeScheduleOut, fees.to_dict())

    @pytest.mark.parametrize("state", ["not_required", "unpaid"])
    def test_a_certificate_fee_answers_its_state(self, state):
        answer = {"dossier_id": "d-1", "state": state, "state_label": "待缴费", "amount_fen": 2000,
                  "order_id": "PO1" if state == "unpaid" else None, "notice_version": 2}
        assert_answers_unchanged(s.CertificateFeeOut, answer)

    @pytest.mark.parametrize("outcome", [Outcome("paid", "PO1", "缴费成功", record_fee=True),
                                         Outcome("duplicate", "PO1", "重复通知,已忽略")])
    def test_an_accepted_notification_answers_its_outcome(self, outcome):
        assert_answers_unchanged(s.NotificationOutcomeOut,
                                 dict(outcome.to_dict(), notification_id="n-1", kind="payment"))


class TestSimulatorCashier:
    def test_the_cashier_view_answers_as_the_simulator_shows_it(self):
        view = {"payment_id": "SIMPAY1", "order_id": "PO1", "subject": "2026年度职称评审费", "amount_fen": 16000,
                "amount_yuan": "160.00", "status": "open", "status_label": "待支付",
                "expires_at": (NOW + timedelta(hours=72)).isoformat(), "payable": True}
        assert_answers_unchanged(s.CashierViewOut, view)

    def test_a_confirmed_payment_answers_the_signed_body_character_for_character(self):
        body = '{"amount_fen":16000,"currency":"CNY","merchant_order_id":"PO1","notification_id":"n-1"}\n'
        signed = sign(key_from_seed("answer-test-seed"), body, timestamp=NOW.timestamp()).to_dict()
        answer = dump(s.SignedNotificationOut, signed)
        assert answer["body"] is body and answer["headers"] == signed["headers"]
        assert_answers_unchanged(s.SignedNotificationOut, signed)


class TestDocumentsAndBooks:
    def test_a_paid_orders_receipt_travels_as_base64_text(self):
        order = paid_row()
        receipt = receipt_document(order, render_receipt(order, payee="昆明市人力资源和社会保障局", issued_at=NOW))
        assert receipt["content_base64"] and receipt["size"] > 0
        assert_answers_unchanged(s.ReceiptOut, receipt)

    def test_the_ledger_answers_each_entry_as_its_view(self):
        entries = [entry_view(ledger_row("charge", entry_id=6, entry_key="charge:PO1:1", provider=None,
                                         reference=None, note="评审费应收")),
                   entry_view(ledger_row())]
        assert entries[1]["occurred_at"] == NOW.isoformat()
        assert_answers_unchanged(s.LedgerEntryOut, entries, many=True)

    def test_a_reconciliation_made_on_request_answers_as_it_did(self):
        day = date(2026, 3, 1)
        rows = [ledger_row(), ledger_row(reference="SIM2", amount_fen=36000)]
        statement = [StatementLine(kind="payment", order_id="PO1", reference="SIM20260301000000000001",
                                   amount_fen=16000, occurred_at=NOW),
                     StatementLine(kind="payment", order_id="PO9", reference="SIM9", amount_fen=100, occurred_at=NOW)]
        mismatches, matched = reconciliation.compare(rows, statement)
        report = {"date": day.isoformat(), "provider": "simulator", "generated_at": NOW.isoformat(),
                  "mismatches": [item.to_dict() for item in mismatches],
                  "summary": reconciliation.summary(rows, statement, mismatches, matched),
                  "csv": reconciliation.to_csv(day, "simulator", mismatches), "stored": False}
        assert len(report["mismatches"]) == 2
        assert_answers_unchanged(s.ReconciliationOut, report)

    def test_a_stored_reconciliation_answers_as_it_did(self):
        summary = {"matched": 3, "mismatches": 0, "ledger_payments_fen": 48000, "ledger_refunds_fen": 0,
                   "provider_payments_fen": 48000, "provider_refunds_fen": 0}
        report = {"date": "2026-03-01", "provider": "simulator", "stored": True, "generated_at": NOW.isoformat(),
                  "mismatches": [], "summary": summary, "csv": "\ufeff" + ",".join(reconciliation.CSV_HEADER) + "\r\n"}
        assert_answers_unchanged(s.ReconciliationOut, report)


@pytest.mark.parametrize("report", [
    {"service": "payment", "status": "ok", "pending_orders": 2, "paid_not_recorded": 0, "providers": ["simulator"],
     "failed_event_handlings": 0},
    {"service": "payment", "status": "error", "error": "connection refused"},
])
def test_health_answers_as_it_did(report):
    assert_answers_unchanged(s.HealthOut, report)
