"""Our adapter for the simulator: the PaymentProvider interface over ``PaymentSimulator``.

Requests go to the simulator directly (it runs in-process with its own database); notifications are
verified with the simulator's *public* key only, exactly as a real provider's would be.
"""
import json
from datetime import datetime

from .exceptions import MalformedNotificationError
from .provider import (
    PAYMENT_NOTIFICATION, REFUND_NOTIFICATION, Notification, PaymentProvider, PaymentStatus, ProviderPayment,
    RefundReceipt, StatementLine,
)
from .signatures import verify_signed

EVENT_KINDS = {"payment.succeeded": PAYMENT_NOTIFICATION, "refund.succeeded": REFUND_NOTIFICATION}


class SimulatorProvider(PaymentProvider):
    name = "simulator"

    def __init__(self, simulator, public_keys):
        self.simulator = simulator
        self.public_keys = public_keys

    def create_payment(self, request):
        row = self.simulator.open_payment(order_id=request.order_id, amount_fen=request.amount_fen,
                                          subject=request.subject, expires_at=request.expires_at)
        return ProviderPayment(provider=self.name, payment_id=row["payment_id"], cashier_url=row["cashier_url"],
                               expires_at=row["expires_at"])

    def query(self, order_id):
        row = self.simulator.payment_of_order(order_id)
        if row is None:
            return PaymentStatus(order_id=order_id, state="unknown")
        return PaymentStatus(order_id=order_id, state=self.simulator.effective_status(row),
                             amount_fen=row["amount_fen"], trade_no=row["trade_no"], paid_at=row["paid_at"])

    def refund(self, *, refund_id, order_id, trade_no, amount_fen, reason):
        row = self.simulator.request_refund(refund_id=refund_id, order_id=order_id, trade_no=trade_no,
                                            amount_fen=amount_fen, reason=reason)
        return RefundReceipt(refund_id=refund_id, state=row["status"], provider_refund_no=row["provider_refund_no"])

    def verify_notification(self, headers, body):
        signed_at, nonce = verify_signed(self.public_keys, headers, body)
        return parse_notification(self.name, body, signed_at, nonce)

    def statement(self, day):
        return [StatementLine(**line) for line in self.simulator.statement(day)]


def parse_notification(provider, body, signed_at, nonce):
    """The Notification in a verified body; MalformedNotificationError names what is missing."""
    try:
        data = json.loads(body.decode("utf-8") if isinstance(body, bytes) else body)
    except (ValueError, UnicodeDecodeError):
        raise MalformedNotificationError("通知内容不是有效的 JSON") from None
    if not isinstance(data, dict):
        raise MalformedNotificationError("通知内容应为 JSON 对象")
    kind = EVENT_KINDS.get(data.get("event_type"))
    required = ["notification_id", "merchant_order_id", "trade_no", "amount_fen", "succeeded_at", "currency"]
    if kind == REFUND_NOTIFICATION:
        required.append("refund_id")
    missing = [name for name in required if data.get(name) in (None, "")]
    if kind is None or missing:
        raise MalformedNotificationError("通知缺少字段或类型未知:" + "、".join(missing or ["event_type"]))
    amount = data["amount_fen"]
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0 or data["currency"] != "CNY":
        raise MalformedNotificationError("通知金额应为以分计的非负整数,币种应为 CNY")
    try:
        occurred_at = datetime.fromisoformat(data["succeeded_at"])
    except (TypeError, ValueError):
        raise MalformedNotificationError("通知中的时间格式无效") from None
    if occurred_at.tzinfo is None:
        raise MalformedNotificationError("通知中的时间须带时区")
    return Notification(
        provider=provider, kind=kind, notification_id=str(data["notification_id"]),
        order_id=str(data["merchant_order_id"]), amount_fen=amount, trade_no=str(data["trade_no"]),
        occurred_at=occurred_at, signed_at=signed_at, nonce=nonce,
        refund_id=data.get("refund_id"), provider_refund_no=data.get("provider_refund_no"),
    )
