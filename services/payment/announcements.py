"""What payment tells the bus of its fee orders: ``fee_order_opened`` when an order is created and
``fee_order_paid`` when its money arrived (shared/contracts/notification.py FeeOrderEvent), for the
notification service to tell the applicant (the certificate fee: its amount and deadline, then its
receipt). Announced after the order's transaction has committed; a lost announcement loses a message,
never money (shared/announcing.py)."""
from datetime import datetime

from shared.contracts.notification import FEE_ORDER_OPENED, FEE_ORDER_PAID

STAGES = {FEE_ORDER_OPENED: "opened", FEE_ORDER_PAID: "paid"}


def _iso(value):
    return value.isoformat() if isinstance(value, datetime) else str(value)


def order_event(event_type, order, now):
    """The payload of *event_type* for *order* (a row or its orders.order_view); one per order and stage."""
    return {
        "event_id": f"{order['order_id']}:{STAGES[event_type]}", "order_id": order["order_id"], "kind": order["kind"],
        "dossier_id": str(order["dossier_id"]), "applicant_id": order["applicant_id"],
        "applicant_name": order["applicant_name"], "review_year": int(order["review_year"]),
        "series": order["series"], "level": order["level"], "amount_fen": int(order["amount_fen"]),
        "expires_at": _iso(order["expires_at"]), "occurred_at": _iso(now),
    }
