"""The payment database: orders, zero fees, refunds, the ledger, notification nonces, progress.

Fees are not kept here: an order's amount is read from the review year's policy (the dossier
service's notice) when the order is created, and the notice version it was read from is stored on it.

Orders and refunds are working records whose status moves; the ledger (``ledger_entries``) is the
book of money movements and only ever grows (ledger.py installs the trigger that refuses UPDATE,
DELETE and TRUNCATE). Times are stored in UTC.
"""
from sqlalchemy import (
    DDL, BigInteger, CheckConstraint, Column, DateTime, Index, Integer, MetaData, String, Table, Text, UniqueConstraint,
    event, text,
)
from sqlalchemy.dialects.postgresql import JSONB

from shared import idempotency
from shared.event_failures import include_in

from .domain import LEDGER_KINDS

metadata = MetaData()

orders = Table(
    "orders",
    metadata,
    Column("order_id", String(32), primary_key=True),
    Column("dossier_id", String(36), nullable=False, index=True),
    # Why the order exists: "city_approved:<dossier version>" or "reopened:<n>"; unique per dossier,
    # so however often an event is delivered, it creates one order.
    Column("origin", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("applicant_id", String(64), nullable=False, index=True),
    Column("applicant_name", Text, nullable=False),
    Column("review_year", Integer, nullable=False),
    Column("series", String(64), nullable=False),
    Column("specialty", Text, nullable=False),
    Column("level", String(32), nullable=False),
    Column("amount_fen", Integer, nullable=False),
    # The version of the year's notice whose policy priced the order (docs/domain-rules.md R0.1).
    Column("notice_version", Integer),
    Column("status", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("provider", String(32)),
    Column("provider_payment_id", String(64)),
    Column("trade_no", String(64)),
    Column("paid_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True)),
    Column("dossier_recorded_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("dossier_id", "kind", "origin", name="orders_once_per_origin"),
    CheckConstraint("amount_fen >= 0", name="orders_amount_not_negative"),
)
# At most one order of a kind awaits payment per dossier.
Index("orders_one_pending_per_dossier", orders.c.dossier_id, orders.c.kind, unique=True,
      postgresql_where=text("status = 'pending'"))
Index("orders_pending_expiry", orders.c.expires_at, postgresql_where=text("status = 'pending'"))

# Databases made while payment kept fee schedules of its own: orders gain the notice version and
# lose the schedule revision (create_all runs this after creating whatever tables are missing).
event.listen(metadata, "after_create", DDL(
    "ALTER TABLE orders ADD COLUMN IF NOT EXISTS notice_version INTEGER;"
    " ALTER TABLE orders DROP COLUMN IF EXISTS fee_revision"))

# A fee the year's policy sets to 0 creates no order (docs/domain-rules.md R8.4); this row says it was
# decided, from which notice version, and (for the review fee) when the dossier was told it owes nothing.
zero_fees = Table(
    "zero_fees",
    metadata,
    Column("dossier_id", String(36), primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("review_year", Integer, nullable=False),
    Column("notice_version", Integer, nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("dossier_recorded_at", DateTime(timezone=True)),
)

refunds = Table(
    "refunds",
    metadata,
    Column("refund_id", String(32), primary_key=True),
    Column("order_id", String(32), nullable=False, index=True),
    Column("dossier_id", String(36), nullable=False),
    Column("provider", String(32), nullable=False),
    Column("trade_no", String(64), nullable=False),
    Column("amount_fen", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("submitted_at", DateTime(timezone=True)),
    Column("succeeded_at", DateTime(timezone=True)),
    Column("provider_refund_no", String(64)),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    # One refund per received payment: a second withdrawal event cannot pay back twice.
    UniqueConstraint("provider", "trade_no", name="refunds_once_per_payment"),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("entry_id", BigInteger, primary_key=True, autoincrement=True),
    # Structural idempotency: "payment:<provider>:<trade no>", "refund:<refund id>", "charge:<order>:<n>".
    Column("entry_key", String(128), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("order_id", String(32), nullable=False, index=True),
    Column("dossier_id", String(36), nullable=False),
    Column("amount_fen", Integer, nullable=False),
    Column("provider", String(32)),
    Column("reference", String(64)),
    Column("occurred_at", DateTime(timezone=True), nullable=False, index=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("note", Text, nullable=False, server_default=""),
    CheckConstraint("amount_fen > 0", name="ledger_amount_positive"),
    CheckConstraint("kind IN (" + ", ".join(f"'{kind}'" for kind in LEDGER_KINDS) + ")", name="ledger_kind_known"),
)

# Nonces of accepted-for-processing notifications; kept longer than the timestamp window, then pruned.
notification_nonces = Table(
    "notification_nonces",
    metadata,
    Column("provider", String(32), primary_key=True),
    Column("nonce", String(128), primary_key=True),
    Column("received_at", DateTime(timezone=True), nullable=False, index=True),
)

# Every notification that reached us, accepted or not (audit trail; not the ledger).
notification_log = Table(
    "notification_log",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("provider", String(32), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, index=True),
    Column("outcome", String(32), nullable=False),
    Column("notification_id", String(64)),
    Column("order_id", String(32), index=True),
    Column("message", Text, nullable=False, server_default=""),
    Column("body", Text, nullable=False),
)

# Consumer idempotence: the newest dossier event applied here, per dossier.
dossier_progress = Table(
    "dossier_progress",
    metadata,
    Column("dossier_id", String(36), primary_key=True),
    Column("last_version", Integer, nullable=False),
    Column("status", String(32), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

reconciliation_reports = Table(
    "reconciliation_reports",
    metadata,
    Column("report_date", String(10), primary_key=True),
    Column("provider", String(32), primary_key=True),
    Column("generated_at", DateTime(timezone=True), nullable=False),
    Column("mismatches", Integer, nullable=False),
    Column("summary", JSONB, nullable=False),
    Column("csv", Text, nullable=False),
)

# Event handlings that failed and wait for a successful redelivery or replay (shared/event_failures.py).
failed_event_handlings = include_in(metadata)
# Idempotency keys of this service's writes, each stored in its write's transaction (shared/idempotency.py).
command_keys = idempotency.include_in(metadata)
