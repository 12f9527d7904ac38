"""The payment-provider simulator: a stand-in payment platform for development, demos and tests.

It plays the outside party. It keeps its own books in its own database, serves a cashier where the
payer confirms (``Cashier``: the gateway's cashier page wraps it), signs every notification with
its Ed25519 key, settles refunds after a delay and publishes a daily statement. The payment
service trusts none of it except signed notifications and the statement, exactly as with a real
provider; written here because no library simulates a Chinese payment platform.
"""
import json
import secrets
import urllib.error
import urllib.request
import uuid
from datetime import timedelta

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from shared.clock import beijing_date, beijing_day_start, utc_now
from shared.db import ensure_database, make_engine

from .domain import yuan
from .exceptions import ProviderError, SimulatorPaymentClosedError, SimulatorPaymentNotFound
from .provider import PAYMENT_NOTIFICATION, REFUND_NOTIFICATION
from .signatures import key_from_seed, sign

OPEN, SUCCEEDED, CLOSED = "open", "succeeded", "closed"
PROCESSING = "processing"
STATUS_LABELS = {OPEN: "待支付", SUCCEEDED: "支付成功", CLOSED: "已关闭"}
_CREATE_TABLES_LOCK = 0x5A_1D_0001

metadata = MetaData()

sim_payments = Table(
    "paysim_payments",
    metadata,
    Column("payment_id", String(40), primary_key=True),
    Column("merchant_order_id", String(64), nullable=False, unique=True),
    Column("amount_fen", Integer, nullable=False),
    Column("subject", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("trade_no", String(64), unique=True),
    Column("paid_at", DateTime(timezone=True)),
    Column("notification_id", String(64)),
    Column("acknowledged_at", DateTime(timezone=True)),
)

sim_refunds = Table(
    "paysim_refunds",
    metadata,
    Column("refund_id", String(64), primary_key=True),  # the merchant's refund id
    Column("merchant_order_id", String(64), nullable=False),
    Column("trade_no", String(64), nullable=False, index=True),
    Column("amount_fen", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("succeeded_at", DateTime(timezone=True)),
    Column("provider_refund_no", String(64)),
    Column("notification_id", String(64)),
    Column("acknowledged_at", DateTime(timezone=True)),
)


class PaymentSimulator:
    """The simulated provider's side: its books, its key, its cashier, its refunds and statements."""

    name = "simulator"

    def __init__(self, database_url, *, seed, cashier_url, clock=utc_now):
        ensure_database(database_url)
        self.engine = make_engine(database_url, pool_size=5)
        with self.engine.begin() as connection:
            connection.execute(select(func.pg_advisory_xact_lock(_CREATE_TABLES_LOCK)))
            metadata.create_all(connection)
        self.private_key = key_from_seed(seed)
        self.cashier_url = cashier_url.rstrip("/")
        self.clock = clock

    @classmethod
    def from_config(cls, settings, clock=utc_now):
        return cls(settings["DATABASE_URL"], seed=settings["SEED"], cashier_url=settings["CASHIER_URL"], clock=clock)

    def close(self):
        self.engine.dispose()

    @property
    def public_key(self):
        return self.private_key.public_key()

    # -- what the merchant's adapter calls --------------------------------------------------

    def open_payment(self, *, order_id, amount_fen, subject, expires_at):
        """Open the payment of an order, or return the one already open for it."""
        with self.engine.begin() as connection:
            connection.execute(pg_insert(sim_payments).values(
                payment_id="SIMPAY" + uuid.uuid4().hex[:24].upper(), merchant_order_id=order_id,
                amount_fen=int(amount_fen), subject=subject, status=OPEN, created_at=self.clock(),
                expires_at=expires_at,
            ).on_conflict_do_nothing(index_elements=["merchant_order_id"]))
            row = self._payment_by(connection, sim_payments.c.merchant_order_id == order_id)
        if row["amount_fen"] != int(amount_fen):
            raise ProviderError("该订单已按不同金额发起过支付")
        return dict(row, cashier_url=f"{self.cashier_url}/{row['payment_id']}")

    def payment_of_order(self, order_id):
        with self.engine.connect() as connection:
            return self._payment_by(connection, sim_payments.c.merchant_order_id == order_id)

    def request_refund(self, *, refund_id, order_id, trade_no, amount_fen, reason):
        """Take a refund request (idempotent per refund id); it succeeds when refunds are settled."""
        with self.engine.begin() as connection:
            payment = connection.execute(
                select(sim_payments).where(sim_payments.c.trade_no == trade_no).with_for_update()
            ).mappings().first()
            if payment is None or payment["status"] != SUCCEEDED or payment["merchant_order_id"] != order_id:
                raise ProviderError(f"渠道没有订单 {order_id} 的成功交易 {trade_no},无法退款")
            existing = connection.execute(select(sim_refunds).where(sim_refunds.c.refund_id == refund_id)).mappings().first()
            if existing is not None:
                return dict(existing)
            refunded = connection.execute(
                select(func.coalesce(func.sum(sim_refunds.c.amount_fen), 0)).where(sim_refunds.c.trade_no == trade_no)
            ).scalar()
            if refunded + int(amount_fen) > payment["amount_fen"]:
                raise ProviderError("退款金额超过原交易可退金额")
            connection.execute(insert(sim_refunds).values(
                refund_id=refund_id, merchant_order_id=order_id, trade_no=trade_no, amount_fen=int(amount_fen),
                reason=reason, status=PROCESSING, requested_at=self.clock(),
            ))
            return dict(connection.execute(select(sim_refunds).where(sim_refunds.c.refund_id == refund_id)).mappings().one())

    def statement(self, day):
        """The day's completed payments and refunds (Asia/Shanghai calendar day), as plain dicts."""
        start, end = beijing_day_start(day), beijing_day_start(day + timedelta(days=1))
        with self.engine.connect() as connection:
            paid = connection.execute(select(sim_payments).where(
                sim_payments.c.status == SUCCEEDED, sim_payments.c.paid_at >= start, sim_payments.c.paid_at < end,
            ).order_by(sim_payments.c.paid_at)).mappings().all()
            refunded = connection.execute(select(sim_refunds).where(
                sim_refunds.c.status == SUCCEEDED, sim_refunds.c.succeeded_at >= start, sim_refunds.c.succeeded_at < end,
            ).order_by(sim_refunds.c.succeeded_at)).mappings().all()
        lines = [{"kind": PAYMENT_NOTIFICATION, "order_id": row["merchant_order_id"], "reference": row["trade_no"],
                  "amount_fen": row["amount_fen"], "occurred_at": row["paid_at"]} for row in paid]
        lines += [{"kind": REFUND_NOTIFICATION, "order_id": row["merchant_order_id"], "reference": row["refund_id"],
                   "amount_fen": row["amount_fen"], "occurred_at": row["succeeded_at"]} for row in refunded]
        return lines

    # -- what the payer does at the cashier ---------------------------------------------------

    def cashier_view(self, payment_id):
        with self.engine.connect() as connection:
            row = self._payment_by(connection, sim_payments.c.payment_id == payment_id)
        if row is None:
            raise SimulatorPaymentNotFound("支付单不存在或已失效")
        status = self.effective_status(row)
        return {
            "payment_id": row["payment_id"], "order_id": row["merchant_order_id"], "subject": row["subject"],
            "amount_fen": row["amount_fen"], "amount_yuan": yuan(row["amount_fen"]), "status": status,
            "status_label": STATUS_LABELS[status], "expires_at": row["expires_at"].isoformat(),
            "payable": status == OPEN,
        }

    def pay(self, payment_id):
        """The payer confirms: the payment succeeds and its signed notification is returned for delivery."""
        now = self.clock()
        with self.engine.begin() as connection:
            row = connection.execute(
                select(sim_payments).where(sim_payments.c.payment_id == payment_id).with_for_update()
            ).mappings().first()
            if row is None:
                raise SimulatorPaymentNotFound("支付单不存在或已失效")
            status = self.effective_status(row)
            if status != OPEN:
                raise SimulatorPaymentClosedError(f"该支付单{STATUS_LABELS[status]},不能再次支付")
            connection.execute(update(sim_payments).where(sim_payments.c.payment_id == payment_id).values(
                status=SUCCEEDED, paid_at=now, notification_id=uuid.uuid4().hex,
                trade_no=f"SIM{beijing_date(now):%Y%m%d}{secrets.randbelow(10 ** 12):012d}",
            ))
            paid = self._payment_by(connection, sim_payments.c.payment_id == payment_id)
        return self.payment_notification(paid)

    # -- the provider's own processing --------------------------------------------------------

    def settle_refunds(self, min_age_seconds=0):
        """Complete refunds requested at least *min_age_seconds* ago; their signed notifications."""
        now = self.clock()
        with self.engine.begin() as connection:
            settled = connection.execute(
                update(sim_refunds)
                .where(sim_refunds.c.status == PROCESSING,
                       sim_refunds.c.requested_at <= now - timedelta(seconds=min_age_seconds))
                .values(status=SUCCEEDED, succeeded_at=now, notification_id=func.md5(sim_refunds.c.refund_id),
                        provider_refund_no=func.concat("SIMRF", func.upper(func.substr(func.md5(sim_refunds.c.refund_id), 1, 20))))
                .returning(*sim_refunds.c)
            ).mappings().all()
        return [self.refund_notification(row) for row in settled]

    def unacknowledged(self, min_age_seconds=0):
        """Fresh notifications for every completed payment or refund the merchant has not acknowledged."""
        cutoff = self.clock() - timedelta(seconds=min_age_seconds)
        with self.engine.connect() as connection:
            payments = connection.execute(select(sim_payments).where(
                sim_payments.c.status == SUCCEEDED, sim_payments.c.acknowledged_at.is_(None),
                sim_payments.c.paid_at <= cutoff)).mappings().all()
            refunds = connection.execute(select(sim_refunds).where(
                sim_refunds.c.status == SUCCEEDED, sim_refunds.c.acknowledged_at.is_(None),
                sim_refunds.c.succeeded_at <= cutoff)).mappings().all()
        return [self.payment_notification(row) for row in payments] + [self.refund_notification(row) for row in refunds]

    def acknowledge(self, notification_id):
        """The merchant answered 2xx: stop re-sending this notification."""
        with self.engine.begin() as connection:
            for table in (sim_payments, sim_refunds):
                connection.execute(update(table).where(table.c.notification_id == notification_id,
                                                       table.c.acknowledged_at.is_(None))
                                   .values(acknowledged_at=self.clock()))

    def renotify(self, payment_id):
        """The payment's notification again, newly signed (a provider's retry: new nonce and time)."""
        with self.engine.connect() as connection:
            row = self._payment_by(connection, sim_payments.c.payment_id == payment_id)
        if row is None or row["status"] != SUCCEEDED:
            raise SimulatorPaymentNotFound("没有已成功的支付单可以重发通知")
        return self.payment_notification(row)

    def payment_notification(self, row, *, signed_at=None, nonce=None):
        body = {
            "notification_id": row["notification_id"], "event_type": "payment.succeeded",
            "merchant_order_id": row["merchant_order_id"], "trade_no": row["trade_no"],
            "amount_fen": row["amount_fen"], "currency": "CNY", "succeeded_at": row["paid_at"].isoformat(),
        }
        return self.sign(body, signed_at=signed_at, nonce=nonce)

    def refund_notification(self, row, *, signed_at=None, nonce=None):
        body = {
            "notification_id": row["notification_id"], "event_type": "refund.succeeded",
            "merchant_order_id": row["merchant_order_id"], "trade_no": row["trade_no"],
            "refund_id": row["refund_id"], "provider_refund_no": row["provider_refund_no"],
            "amount_fen": row["amount_fen"], "currency": "CNY", "succeeded_at": row["succeeded_at"].isoformat(),
        }
        return self.sign(body, signed_at=signed_at, nonce=nonce)

    def sign(self, body, *, signed_at=None, nonce=None):
        """Sign a body (dict or exact text) as the provider does, at *signed_at* (default: now)."""
        text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        moment = signed_at or self.clock()
        return sign(self.private_key, text, timestamp=int(moment.timestamp()), nonce=nonce)

    # -- helpers ------------------------------------------------------------------------------

    def _payment_by(self, connection, condition):
        row = connection.execute(select(sim_payments).where(condition)).mappings().first()
        return dict(row) if row else None

    def effective_status(self, row):
        if row["status"] == OPEN and self.clock() >= row["expires_at"]:
            return CLOSED
        return row["status"]


class Cashier:
    """The simulator's cashier as the gateway's page uses it: show a payment, let the payer confirm.

    ``confirm`` returns the signed notification (``{headers, body}``) that the gateway forwards to
    ``payment.handle_notification("simulator", headers, body)``, as the provider would POST it.
    """

    def __init__(self, simulator):
        self.simulator = simulator

    @classmethod
    def from_config(cls, settings):
        return cls(PaymentSimulator.from_config(settings))

    def view(self, payment_id):
        return self.simulator.cashier_view(payment_id)

    def confirm(self, payment_id):
        return self.simulator.pay(payment_id).to_dict()


class HttpDelivery:
    """Deliver notifications as the provider does: POST to the merchant's notify URL (the gateway)."""

    def __init__(self, notify_url, timeout=10):
        self.notify_url = notify_url
        self.timeout = timeout

    def __call__(self, signed):
        request = urllib.request.Request(self.notify_url, data=signed.body.encode("utf-8"), method="POST",
                                         headers=signed.headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return 200 <= response.status < 300
        except (urllib.error.URLError, OSError):
            return False


def deliver_due(simulator, deliver, *, refund_delay_seconds, redeliver_after_seconds):
    """The provider's background work: settle refunds, then send every unacknowledged notification.

    *deliver* takes a SignedNotification and returns True when the merchant accepted it; accepted
    ones are acknowledged, the rest are sent again on a later round (with a new nonce and time).
    """
    sent = simulator.settle_refunds(refund_delay_seconds)
    fresh = {json.loads(note.body)["notification_id"] for note in sent}
    sent += [note for note in simulator.unacknowledged(redeliver_after_seconds)
             if json.loads(note.body)["notification_id"] not in fresh]
    delivered = 0
    for note in sent:
        if deliver(note):
            simulator.acknowledge(json.loads(note.body)["notification_id"])
            delivered += 1
    return delivered
