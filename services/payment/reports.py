"""What payment reports: receipts, the ledger, and the daily reconciliation with each provider.

A day is an Asia/Shanghai calendar day. The daily run stores the previous day's report once
(however many instances run it); asking for a day renders it from the books as they are now.
"""
import base64
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from shared.clock import beijing_day_start, beijing_now

from . import ledger
from . import orders as repo
from . import reconciliation
from .domain import LEDGER_KIND_LABELS, MONEY_RECEIVED, PAYMENT, REFUND, check_finance_reader, check_receipt_reader, yuan
from .exceptions import OrderNotFound, ReceiptNotAvailableError
from .receipt import render_receipt
from .tables import reconciliation_reports


def entry_view(row):
    """A ledger row as plain data for the books' page: times in UTC ISO-8601, the kind and amount as read."""
    view = {key: (value.isoformat() if isinstance(value, datetime) else value) for key, value in row.items()}
    return dict(view, kind_label=LEDGER_KIND_LABELS[row["kind"]], amount_yuan=yuan(row["amount_fen"]))


def receipt_document(order, pdf):
    """An order's receipt *pdf* as it travels over RPC: bytes do not cross, so the file is base64 text."""
    return {"order_id": order["order_id"], "filename": f"缴费凭证-{order['order_id']}.pdf",
            "content_type": "application/pdf", "content_base64": base64.b64encode(pdf).decode("ascii"),
            "size": len(pdf)}


def day_bounds(day):
    return beijing_day_start(day), beijing_day_start(day + timedelta(days=1))


class PaymentReports:
    def __init__(self, payments):
        self.payments = payments

    @property
    def engine(self):
        return self.payments.engine

    def receipt(self, actor, order_id):
        """The receipt PDF of an order whose money arrived: ``{order_id, filename, content_type, content_base64}``."""
        with self.engine.connect() as connection:
            order = repo.get_order(connection, order_id)
        if order is None:
            raise OrderNotFound(f"订单 {order_id} 不存在")
        check_receipt_reader(actor, order)
        if order["status"] not in MONEY_RECEIVED:
            raise ReceiptNotAvailableError("该订单尚未缴费,暂无缴费凭证")
        settings = self.payments.settings
        pdf = render_receipt(order, payee=settings.payee, issued_at=self.payments.clock(), font_path=settings.font_path)
        return receipt_document(order, pdf)

    def ledger(self, actor, *, order_id=None, dossier_id=None, day=None):
        check_finance_reader(actor)
        start, end = day_bounds(day) if day else (None, None)
        with self.engine.connect() as connection:
            rows = ledger.entries(connection, order_id=order_id, dossier_id=dossier_id, start=start, end=end)
        return [entry_view(row) for row in rows]

    def reconcile(self, day: date, provider_name=None):
        """Compare the day's ledger movements with the provider's statement; the report as plain data."""
        provider = self.payments._provider(provider_name or self.payments.default_provider)
        start, end = day_bounds(day)
        with self.engine.connect() as connection:
            rows = [row for row in ledger.entries(connection, start=start, end=end, kinds=[PAYMENT, REFUND])
                    if row["provider"] == provider.name]
        statement = provider.statement(day)
        mismatches, matched = reconciliation.compare(rows, statement)
        return {
            "date": day.isoformat(), "provider": provider.name, "generated_at": self.payments.clock().isoformat(),
            "mismatches": [item.to_dict() for item in mismatches],
            "summary": reconciliation.summary(rows, statement, mismatches, matched),
            "csv": reconciliation.to_csv(day, provider.name, mismatches),
        }

    def reconciliation_report(self, actor, day: date, provider_name=None):
        """The stored daily report of *day* if there is one, else one made now (not stored)."""
        check_finance_reader(actor)
        name = provider_name or self.payments.default_provider
        with self.engine.connect() as connection:
            stored = connection.execute(select(reconciliation_reports).where(
                reconciliation_reports.c.report_date == day.isoformat(),
                reconciliation_reports.c.provider == name)).mappings().first()
        if stored is None:
            return dict(self.reconcile(day, name), stored=False)
        return {"date": stored["report_date"], "provider": stored["provider"], "stored": True,
                "generated_at": stored["generated_at"].isoformat(), "mismatches": stored["summary"]["items"],
                "summary": {key: value for key, value in stored["summary"].items() if key != "items"},
                "csv": stored["csv"]}

    def run_daily(self):
        """Store yesterday's report once the day is surely over at the provider; None if not yet due or done."""
        now = beijing_now(self.payments.clock)
        if now.hour < self.payments.settings.reconcile_after_hour:
            return None
        day = now.date() - timedelta(days=1)
        with self.engine.connect() as connection:
            done = connection.execute(select(reconciliation_reports.c.report_date).where(
                reconciliation_reports.c.report_date == day.isoformat(),
                reconciliation_reports.c.provider == self.payments.default_provider)).first()
        if done:
            return None
        report = self.reconcile(day)
        with self.engine.begin() as connection:
            inserted = connection.execute(pg_insert(reconciliation_reports).values(
                report_date=report["date"], provider=report["provider"], generated_at=self.payments.clock(),
                mismatches=len(report["mismatches"]), csv=report["csv"],
                summary=dict(report["summary"], items=report["mismatches"]),
            ).on_conflict_do_nothing().returning(reconciliation_reports.c.report_date)).first()
        return report if inserted else None
