"""Applying a verified provider notification: replay check, order and amount match, then the change.

The caller has already checked the signature and the timestamp window. Everything here runs in one
transaction with the order row locked, so a notification is applied completely or not at all, and
two deliveries of one payment (duplicates, retries, reordering) record it once.
"""
from dataclasses import dataclass, field

from sqlalchemy import exists, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from . import ledger
from . import orders as repo
from .domain import (
    AWAITING, PAID, PAYMENT, PENDING, REFUND, REFUND_SUCCEEDED, REFUNDED, REFUNDING, PaymentDecision, RefundDecision, decide_payment,
    decide_refund, yuan,
)
from .exceptions import NotificationMismatchError, ReplayedNotificationError
from .provider import PAYMENT_NOTIFICATION
from .tables import ledger_entries, notification_nonces


# Outcomes in which a notification paid its order (the order is now PAID; a refund or a repeat is not).
MONEY_TAKEN = ("paid", "revived")


@dataclass
class Outcome:
    """What a notification did; ``record_fee`` and ``refund_ids`` are follow-ups after commit."""

    outcome: str
    order_id: str
    message: str
    record_fee: bool = False
    refund_ids: list = field(default_factory=list)

    def to_dict(self):
        return {"accepted": True, "outcome": self.outcome, "order_id": self.order_id, "message": self.message}


def remember_nonce(connection, provider, nonce, now):
    """Store the nonce; a nonce seen before means the same signed message was sent again."""
    inserted = connection.execute(
        pg_insert(notification_nonces).values(provider=provider, nonce=nonce, received_at=now)
        .on_conflict_do_nothing().returning(notification_nonces.c.nonce)
    ).first()
    if inserted is None:
        raise ReplayedNotificationError("该通知已收到过(随机串重复),疑似重放,不予处理")


def apply(connection, note, now):
    if note.kind == PAYMENT_NOTIFICATION:
        return apply_payment(connection, note, now)
    return apply_refund(connection, note, now)


def apply_payment(connection, note, now):
    order = repo.lock_order(connection, note.order_id)
    if order is None:
        raise NotificationMismatchError(f"通知中的订单 {note.order_id} 不存在")
    if note.amount_fen != order["amount_fen"]:
        raise NotificationMismatchError(
            f"通知金额 {yuan(note.amount_fen)} 元与订单金额 {yuan(order['amount_fen'])} 元不符,不予确认")
    entry_key = f"payment:{note.provider}:{note.trade_no}"
    # Only orders of the same fee compete: a paid review fee does not make a certificate fee unowed.
    siblings = [other for other in repo.orders_of_dossier(connection, order["dossier_id"], kind=order["kind"])
                if other["order_id"] != order["order_id"]]
    decision = decide_payment(
        order["status"],
        trade_already_recorded=connection.execute(select(exists().where(ledger_entries.c.entry_key == entry_key))).scalar(),
        dossier_awaits_payment=repo.progress_status(connection, order["dossier_id"]) == AWAITING[order["kind"]],
        other_open_order=any(other["status"] in (PENDING, PAID) for other in siblings),
    )
    if decision is PaymentDecision.DUPLICATE:
        return Outcome("duplicate", order["order_id"], "该笔支付已入账,重复通知不做处理",
                       record_fee=order["status"] == PAID and order["dossier_recorded_at"] is None)
    if decision is PaymentDecision.REVIVE_AND_MARK_PAID:
        repo.add_charge(connection, order, now, note="订单过期后到账,恢复应收")
    _record_payment(connection, order, note, entry_key)
    if decision is PaymentDecision.ACCEPT_AND_REFUND:
        return _refund_unowed(connection, order, note, now)
    repo.set_order(connection, order["order_id"], now, status=PAID, provider=note.provider, trade_no=note.trade_no,
                   paid_at=note.occurred_at, closed_at=None)
    outcome = "revived" if decision is PaymentDecision.REVIVE_AND_MARK_PAID else "paid"
    return Outcome(outcome, order["order_id"], "缴费成功", record_fee=True)


def _record_payment(connection, order, note, entry_key):
    ledger.append(connection, entry_key=entry_key, kind=PAYMENT, order=order, amount_fen=note.amount_fen,
                  occurred_at=note.occurred_at, provider=note.provider, reference=note.trade_no,
                  note=f"渠道通知 {note.notification_id}")


def _refund_unowed(connection, order, note, now):
    """Money arrived that is no longer owed (order cancelled or already paid): pay it back."""
    if order["status"] not in (PAID, REFUNDING, REFUNDED):
        repo.set_order(connection, order["order_id"], now, status=REFUNDING, provider=note.provider,
                       trade_no=note.trade_no, paid_at=note.occurred_at)
    refund = repo.create_refund(connection, order=order, provider=note.provider, trade_no=note.trade_no,
                                amount_fen=note.amount_fen, reason="订单已关闭或已缴费,到账款项原路退回", now=now)
    refund_ids = [refund["refund_id"]] if refund else []
    return Outcome("refund_started", order["order_id"], "订单已不需缴费,款项将原路退回", refund_ids=refund_ids)


def apply_refund(connection, note, now):
    order = repo.lock_order(connection, note.order_id)
    refund = repo.lock_refund(connection, note.refund_id) if order else None
    if refund is None or refund["order_id"] != note.order_id:
        raise NotificationMismatchError(f"通知中的退款单 {note.refund_id} 不存在")
    if refund["trade_no"] != note.trade_no or refund["amount_fen"] != note.amount_fen:
        raise NotificationMismatchError(
            f"退款通知的交易号或金额 {yuan(note.amount_fen)} 元与退款单({yuan(refund['amount_fen'])} 元)不符")
    if decide_refund(refund["status"]) is RefundDecision.DUPLICATE:
        return Outcome("duplicate", order["order_id"], "该笔退款已入账,重复通知不做处理")
    repo.set_refund(connection, refund["refund_id"], status=REFUND_SUCCEEDED, succeeded_at=note.occurred_at,
                    provider_refund_no=note.provider_refund_no)
    ledger.append(connection, entry_key=f"refund:{refund['refund_id']}", kind=REFUND, order=order,
                  amount_fen=refund["amount_fen"], occurred_at=note.occurred_at, provider=note.provider,
                  reference=refund["refund_id"], note=refund["reason"])
    if order["trade_no"] == refund["trade_no"]:
        repo.set_order(connection, order["order_id"], now, status=REFUNDED)
    return Outcome("refunded", order["order_id"], "退款成功")
