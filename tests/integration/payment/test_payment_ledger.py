"""The ledger is append-only in PostgreSQL itself; reconciliation and receipts read it."""
import base64
import io
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from shared.contracts import dossier as st
from services.payment import ledger
from services.payment.dependencies import build_payments
from services.payment.ports import RpcDossierPort
from services.payment.exceptions import PaymentNotAllowedError, ReceiptNotAvailableError
from services.payment.simulator import sim_payments
from services.payment.tables import ledger_entries
from tests.factories import Cast
from tests.integration.dossier.conftest import ensure_open_notice
from tests.integration.payment.dossier_journey import dossier_in, wait_for
from shared.clock import beijing_today, utc_now

SHANGHAI = ZoneInfo("Asia/Shanghai")
AUDITOR = {"account_id": "auditor-1", "role": "auditor"}


def fake_city_approved(review_year=2026, level="intermediate"):
    """A dossier_city_approved event as the bus carries it, for a dossier of its own."""
    dossier_id = str(uuid.uuid4())
    return {"schema_version": 1, "event_id": f"{dossier_id}:14", "event_type": "dossier_city_approved",
            "notification_id": 1, "dossier_id": dossier_id, "version": 14, "status": "accepted",
            "occurred_at": utc_now().isoformat(), "actor": {"account_id": "c", "role": "city_admin"},
            "data": {"opinion": "受理"},
            "dossier": {"applicant_id": "a-" + dossier_id[:8], "applicant_name": "王芳", "unit_id": "u", "unit_name": "单位",
                        "district_id": "d", "district_name": "区", "review_year": review_year, "series": "engineering",
                        "specialty": "电气工程", "level": level}}


class TestAppendOnlyLedger:
    @pytest.fixture
    def entry(self, services, dossiers, payments, payment_db):
        ensure_open_notice(dossiers, 2026)  # the year's notice prices the order
        order = payments.on_city_approved(fake_city_approved(), RpcDossierPort(services.dossier))
        with payment_db.connect() as connection:
            return dict(connection.execute(select(ledger_entries).where(
                ledger_entries.c.order_id == order["order_id"])).mappings().one())

    @pytest.mark.parametrize("statement", [
        "UPDATE ledger_entries SET amount_fen = 1 WHERE entry_id = :id",
        "DELETE FROM ledger_entries WHERE entry_id = :id",
        "TRUNCATE ledger_entries",
    ])
    def test_rows_cannot_be_changed_removed_or_truncated_even_by_the_owner(self, entry, payment_db, statement):
        with pytest.raises(DBAPIError) as raised:
            with payment_db.begin() as connection:
                connection.execute(text(statement), {"id": entry["entry_id"]})
        assert "append-only" in str(raised.value)
        with payment_db.connect() as connection:
            again = dict(connection.execute(select(ledger_entries).where(
                ledger_entries.c.entry_id == entry["entry_id"])).mappings().one())
        assert again == entry

    def test_the_same_movement_cannot_be_recorded_twice(self, entry, payment_db):
        order = {"order_id": entry["order_id"], "dossier_id": entry["dossier_id"]}
        with pytest.raises(IntegrityError):
            with payment_db.begin() as connection:
                ledger.append(connection, entry_key=entry["entry_key"], kind="charge", order=order,
                              amount_fen=entry["amount_fen"], occurred_at=utc_now())

    def test_amounts_must_be_positive_and_kinds_known(self, entry, payment_db):
        order = {"order_id": entry["order_id"], "dossier_id": entry["dossier_id"]}
        for kind, amount in (("charge", 0), ("gift", 100)):
            with pytest.raises(IntegrityError):
                with payment_db.begin() as connection:
                    ledger.append(connection, entry_key=f"x:{uuid.uuid4()}", kind=kind, order=order,
                                  amount_fen=amount, occurred_at=utc_now())


def paid(services, dossiers):
    dossier_id, cast = dossier_in(dossiers, st.ACCEPTED)
    (order,) = wait_for(lambda: services.payment.orders_of_dossier(dossier_id))
    started = services.payment.start_payment(cast.applicant.to_dict(), order["order_id"])
    signed = services.payment.cashier_confirm(started["payment"]["payment_id"])
    services.payment.handle_notification("simulator", signed["headers"], signed["body"])
    return services.payment.get_order(order["order_id"]), cast


class TestReconciliation:
    def test_the_report_catches_injected_mismatches_on_both_sides(self, services, dossiers, simulator):
        today = beijing_today()
        intact, _ = paid(services, dossiers)
        changed, _ = paid(services, dossiers)
        vanished, _ = paid(services, dossiers)
        # the provider's books disagree with ours: one amount differs, one payment we never heard of,
        # and one of our payments is missing from its statement
        with simulator.engine.begin() as connection:
            connection.execute(sim_payments.update().where(sim_payments.c.trade_no == changed["trade_no"])
                               .values(amount_fen=15000))
            connection.execute(sim_payments.delete().where(sim_payments.c.trade_no == vanished["trade_no"]))
            connection.execute(sim_payments.insert().values(
                payment_id="SIMPAYINJECTED" + uuid.uuid4().hex[:8], merchant_order_id="PO-UNKNOWN-" + uuid.uuid4().hex[:6],
                amount_fen=36000, subject="注入", status="succeeded", created_at=utc_now(),
                expires_at=utc_now() + timedelta(hours=1), trade_no="SIMINJECTED" + uuid.uuid4().hex[:8],
                paid_at=utc_now()))
        report = services.payment.reconciliation_report(AUDITOR, today.isoformat())
        found = {(item["reference"], item["problem"]) for item in report["mismatches"]}
        assert (changed["trade_no"], "amount_mismatch") in found
        assert (vanished["trade_no"], "missing_at_provider") in found
        assert any(problem == "missing_in_ledger" and ref.startswith("SIMINJECTED") for ref, problem in found)
        assert intact["trade_no"] not in {ref for ref, _ in found}
        lines = report["csv"].lstrip("\ufeff").splitlines()
        assert lines[0].startswith("对账日期,支付渠道,类型,差异类型")
        assert any(changed["trade_no"] in line and "160.00" in line and "150.00" in line for line in lines)
        assert report["summary"]["matched"] >= 1 and report["stored"] is False

    def test_only_city_admins_and_auditors_see_reports_and_books(self, services):
        with pytest.raises(PaymentNotAllowedError):
            services.payment.reconciliation_report(Cast().applicant.to_dict(), "2026-03-01")
        with pytest.raises(PaymentNotAllowedError):
            services.payment.ledger(Cast().unit_admin.to_dict())

    def test_the_daily_run_stores_yesterdays_report_once(self, payment_config, payment_db, services):
        moment = datetime(2030, 6, 2, 3, 0, tzinfo=SHANGHAI)
        instances = [build_payments(payment_config, clock=lambda: moment) for _ in range(2)]
        try:
            first, second = (app.reports.run_daily() for app, _ in instances)
            assert (first["date"], second) == ("2030-06-01", None)
            stored = services.payment.reconciliation_report(AUDITOR, "2030-06-01")
            assert stored["stored"] is True and stored["mismatches"] == [] and stored["csv"].count("\n") == 1
        finally:
            for app, sim in instances:
                app.close()
                sim.close()


class TestReceipts:
    def test_the_payer_downloads_a_receipt_whose_text_holds_the_payment(self, services, dossiers):
        order, cast = paid(services, dossiers)
        receipt = services.payment.receipt_pdf(cast.applicant.to_dict(), order["order_id"])
        assert receipt["content_type"] == "application/pdf" and receipt["filename"].endswith(".pdf")
        text = PdfReader(io.BytesIO(base64.b64decode(receipt["content_base64"]))).pages[0].extract_text()
        for expected in ("李明", "¥160.00", "人民币壹佰陆拾元整", order["trade_no"], order["order_id"], "中级"):
            assert expected in text

    def test_others_cannot_and_unpaid_orders_have_none(self, services, dossiers):
        order, _ = paid(services, dossiers)
        with pytest.raises(PaymentNotAllowedError):
            services.payment.receipt_pdf(Cast().applicant.to_dict(), order["order_id"])
        assert services.payment.receipt_pdf(AUDITOR, order["order_id"])["size"] > 1000
        dossier_id, cast = dossier_in(dossiers, st.ACCEPTED)
        (pending,) = wait_for(lambda: services.payment.orders_of_dossier(dossier_id))
        with pytest.raises(ReceiptNotAvailableError):
            services.payment.receipt_pdf(cast.applicant.to_dict(), pending["order_id"])

    def test_the_ledger_of_a_dossier_lists_its_movements_for_auditors(self, services, dossiers):
        order, _ = paid(services, dossiers)
        entries = services.payment.ledger(AUDITOR, {"order_id": order["order_id"]})
        assert [(entry["kind"], entry["kind_label"], entry["amount_yuan"]) for entry in entries] == [
            ("charge", "应收", "160.00"), ("payment", "收款", "160.00")]
