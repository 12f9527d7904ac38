"""Orders, refunds and consumer progress in the payment database: the SQL behind the use cases.

Every function takes an open connection so the caller decides the transaction; functions that
lock rows say so. Ledger rows for charges and their voids are written here, next to the status
change that causes them, so the two can never disagree.
"""
import uuid
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from shared.clock import beijing_date, utc_now
from shared.contracts import dossier as st
from shared.event_handlers import event_entering

from . import ledger
from .domain import (
    AWAITING, CHARGE, CHARGE_VOID, KIND_LABELS, ORDER_STATUS_LABELS, PAID, PENDING, REFUND_REQUESTED,
    REFUND_STATUS_LABELS, REVIEW_FEE, yuan,
)
from .tables import dossier_progress, orders, refunds, zero_fees

# Statuses of a dossier as far as payment knows them (from the events it consumes).
AWAITING_PAYMENT, FEE_RECORDED, WITHDRAWN = st.ACCEPTED, st.FEE_PAID, st.WITHDRAWN
CERTIFICATE_DUE, TITLE_REVOKED = st.APPROVED, st.REVOKED
# The dossier event that opens an order of each kind; with the dossier version it is the order's
# stored ``origin`` ("city_approved:7", "publicity_ended:12").
OPENING_EVENTS = {kind: event_entering(status) for kind, status in AWAITING.items()}
OPENING_EVENT = OPENING_EVENTS[REVIEW_FEE]


def new_id(prefix, now):
    # The date in the number is the Beijing date a person sees on the receipt, not the UTC one.
    return f"{prefix}{beijing_date(now):%Y%m%d}{uuid.uuid4().hex[:12].upper()}"


# -- consumer progress ------------------------------------------------------------------------

def advance_progress(connection, dossier_id, version, status, now):
    """Record that the dossier's event *version* is applied; False when it is not newer (ignore it).

    One statement, so two instances handling the same event race on the row: one advances, the
    other sees the version already there.
    """
    statement = pg_insert(dossier_progress).values(
        dossier_id=str(dossier_id), last_version=int(version), status=status, updated_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=["dossier_id"],
        set_={"last_version": statement.excluded.last_version, "status": statement.excluded.status,
              "updated_at": statement.excluded.updated_at},
        where=dossier_progress.c.last_version < statement.excluded.last_version,
    ).returning(dossier_progress.c.dossier_id)
    return connection.execute(statement).first() is not None


def progress_status(connection, dossier_id):
    return connection.execute(
        select(dossier_progress.c.status).where(dossier_progress.c.dossier_id == str(dossier_id))
    ).scalar()


# -- orders -----------------------------------------------------------------------------------

def create_order(connection, *, kind, dossier_id, origin, snapshot, fees, now, expires_at):
    """Insert the order of *kind* for *origin*, priced by the year's *fees* (domain.YearFees), and its
    charge; None if that origin has one already. The caller has made sure the amount is not 0."""
    statement = pg_insert(orders).values(
        order_id=new_id("PO", now), dossier_id=str(dossier_id), origin=origin, kind=kind,
        applicant_id=snapshot["applicant_id"], applicant_name=snapshot["applicant_name"],
        review_year=int(snapshot["review_year"]), series=snapshot["series"], specialty=snapshot["specialty"],
        level=snapshot["level"], amount_fen=fees.amount(kind, snapshot["level"]), notice_version=fees.notice_version,
        status=PENDING, created_at=now, expires_at=expires_at, updated_at=now,
    ).on_conflict_do_nothing(index_elements=["dossier_id", "kind", "origin"]).returning(*orders.c)
    row = connection.execute(statement).mappings().first()
    if row is None:
        return None
    order = dict(row)
    if order["amount_fen"] > 0:
        add_charge(connection, order, now)
    return order


def add_charge(connection, order, now, note=None):
    number = ledger.count_of_kind(connection, order["order_id"], CHARGE) + 1
    ledger.append(connection, entry_key=f"charge:{order['order_id']}:{number}", kind=CHARGE, order=order,
                  amount_fen=order["amount_fen"], occurred_at=now,
                  note=note or f"{KIND_LABELS.get(order['kind'], '费用')}应收")


# -- fees of 0 ------------------------------------------------------------------------------------

def record_zero_fee(connection, *, kind, dossier_id, review_year, notice_version, now, recorded=False):
    """Note that the year's policy charges nothing of *kind* for the dossier; False when noted before."""
    statement = pg_insert(zero_fees).values(
        dossier_id=str(dossier_id), kind=kind, review_year=int(review_year), notice_version=int(notice_version),
        decided_at=now, dossier_recorded_at=now if recorded else None,
    ).on_conflict_do_nothing().returning(zero_fees.c.dossier_id)
    return connection.execute(statement).first() is not None


def zero_fee(connection, dossier_id, kind):
    row = connection.execute(select(zero_fees).where(
        zero_fees.c.dossier_id == str(dossier_id), zero_fees.c.kind == kind)).mappings().first()
    return dict(row) if row else None


def unrecorded_zero_review_fees(connection, limit=200):
    """Dossiers owing no review fee that the dossier service has not yet been told about."""
    return [row.dossier_id for row in connection.execute(
        select(zero_fees.c.dossier_id).where(zero_fees.c.kind == REVIEW_FEE, zero_fees.c.dossier_recorded_at.is_(None))
        .order_by(zero_fees.c.decided_at).limit(limit))]


def set_zero_fee_recorded(connection, dossier_id, now):
    connection.execute(update(zero_fees).where(zero_fees.c.dossier_id == str(dossier_id),
                                               zero_fees.c.kind == REVIEW_FEE).values(dossier_recorded_at=now))


def void_charge(connection, order, now, note):
    """The order no longer asks for money (expired, cancelled, withdrawn): void its open charge once."""
    charges = ledger.count_of_kind(connection, order["order_id"], CHARGE)
    voids = ledger.count_of_kind(connection, order["order_id"], CHARGE_VOID)
    if order["amount_fen"] > 0 and voids < charges:
        ledger.append(connection, entry_key=f"charge_void:{order['order_id']}:{voids + 1}", kind=CHARGE_VOID,
                      order=order, amount_fen=order["amount_fen"], occurred_at=now, note=note)


def lock_order(connection, order_id, skip_locked=False):
    row = connection.execute(
        select(orders).where(orders.c.order_id == str(order_id)).with_for_update(skip_locked=skip_locked)
    ).mappings().first()
    return dict(row) if row else None


def get_order(connection, order_id):
    row = connection.execute(select(orders).where(orders.c.order_id == str(order_id))).mappings().first()
    return dict(row) if row else None


def orders_of_dossier(connection, dossier_id, lock=False, kind=None):
    query = select(orders).where(orders.c.dossier_id == str(dossier_id)).order_by(orders.c.created_at.desc())
    if kind is not None:
        query = query.where(orders.c.kind == kind)
    if lock:
        query = query.with_for_update()
    return [dict(row) for row in connection.execute(query).mappings()]


def set_order(connection, order_id, now, **values):
    connection.execute(update(orders).where(orders.c.order_id == order_id).values(updated_at=now, **values))


def count_orders(connection, dossier_id):
    return connection.execute(select(func.count()).select_from(orders).where(orders.c.dossier_id == str(dossier_id))).scalar()


def due_pending_orders(connection, now, limit=200):
    return [row[0] for row in connection.execute(
        select(orders.c.order_id).where(orders.c.status == PENDING, orders.c.expires_at <= now)
        .order_by(orders.c.expires_at).limit(limit))]


def unrecorded_paid_orders(connection, limit=200):
    """Paid review-fee orders the dossier has not yet been told about (the RPC failed or was never
    made). A certificate-fee order tells nobody: the certificate service asks for it."""
    return [dict(row) for row in connection.execute(
        select(orders).where(orders.c.kind == REVIEW_FEE, orders.c.status == PAID, orders.c.dossier_recorded_at.is_(None))
        .order_by(orders.c.paid_at).limit(limit)).mappings()]


def _plain(row):
    return {key: (value.isoformat() if isinstance(value, datetime) else value) for key, value in row.items()}


def order_view(order, now=None):
    """An order as plain data for RPC answers and pages (times in UTC ISO-8601)."""
    now = now or utc_now()
    view = _plain(order)
    view.update(
        amount_yuan=yuan(order["amount_fen"]), status_label=ORDER_STATUS_LABELS[order["status"]],
        kind_label=KIND_LABELS.get(order["kind"], order["kind"]),
        payable=order["status"] == PENDING and order["expires_at"] > now,
    )
    return view


# -- refunds ----------------------------------------------------------------------------------

def create_refund(connection, *, order, provider, trade_no, amount_fen, reason, now):
    """A refund of one received payment; None when that payment already has one."""
    statement = pg_insert(refunds).values(
        refund_id=new_id("RF", now), order_id=order["order_id"], dossier_id=order["dossier_id"], provider=provider,
        trade_no=trade_no, amount_fen=int(amount_fen), reason=reason, status=REFUND_REQUESTED, requested_at=now,
    ).on_conflict_do_nothing(index_elements=["provider", "trade_no"]).returning(*refunds.c)
    row = connection.execute(statement).mappings().first()
    return dict(row) if row else None


def lock_refund(connection, refund_id):
    row = connection.execute(
        select(refunds).where(refunds.c.refund_id == str(refund_id)).with_for_update()).mappings().first()
    return dict(row) if row else None


def refunds_to_submit(connection, refund_ids=None, limit=100):
    query = select(refunds).where(refunds.c.status == REFUND_REQUESTED).order_by(refunds.c.requested_at).limit(limit)
    if refund_ids:
        query = query.where(refunds.c.refund_id.in_(list(refund_ids)))
    return [dict(row) for row in connection.execute(query).mappings()]


def refunds_of_order(connection, order_id):
    return [dict(row) for row in connection.execute(
        select(refunds).where(refunds.c.order_id == order_id).order_by(refunds.c.requested_at)).mappings()]


def set_refund(connection, refund_id, **values):
    connection.execute(update(refunds).where(refunds.c.refund_id == refund_id).values(**values))


def refund_view(refund):
    view = _plain(refund)
    view.update(amount_yuan=yuan(refund["amount_fen"]), status_label=REFUND_STATUS_LABELS[refund["status"]])
    return view
