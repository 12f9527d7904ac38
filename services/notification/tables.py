"""The notification database (kunming_notification). Times are stored in UTC.

Exactly once in effect rests on unique keys, each written with ``INSERT … ON CONFLICT DO NOTHING``
in the transaction that records the event as handled: an in-app message once per (event key,
person), an SMS once per (event key, person, channel), a reminder once per (kind, dossier, stage),
a digest once per (unit, Beijing day). A redelivered or concurrently handled event finds its rows
there and adds nothing; reordering is harmless because each event makes its own messages and the
tracker keeps the highest version it saw.
"""
from sqlalchemy import (
    Boolean, Column, Date, DateTime, Index, Integer, MetaData, String, Table, Text, UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB

from shared.contracts.notification import HELD, PENDING
from shared.event_failures import include_in

metadata = MetaData()
EVENT_KEY = 200  # "dossier:<uuid>:<version>", "identity:membership_requested:<id>", "reminder:…"

# Events handled: a redelivered one is recognised before its recipients are looked up again.
handled_events = Table(
    "handled_events",
    metadata,
    Column("event_key", String(EVENT_KEY), primary_key=True),
    Column("source", String(32), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("handled_at", DateTime(timezone=True), nullable=False),
)

# The message centre (站内消息): every message a person receives, always kept.
messages = Table(
    "messages",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("event_key", String(EVENT_KEY), nullable=False),
    Column("account_id", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("link", String(300)),
    Column("dossier_id", String(64)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("read_at", DateTime(timezone=True)),
    UniqueConstraint("event_key", "account_id", name="messages_once_per_event_and_person"),
    Index("messages_inbox", "account_id", "created_at"),
)
Index("messages_unread", messages.c.account_id, postgresql_where=messages.c.read_at.is_(None))

# Outgoing SMS, queued for the delivery worker (delivery.py). ``recipient_id`` is the account, or
# "code" for identity's codes (their event key is the caller's reference).
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("event_key", String(EVENT_KEY), nullable=False),
    Column("recipient_id", String(64), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("account_id", String(64)),
    Column("phone", String(20), nullable=False),
    Column("template", String(32), nullable=False),
    Column("params", JSONB, nullable=False),
    Column("body", Text, nullable=False),
    Column("dossier_id", String(64)),
    # Codes are sent at any hour; everything else waits out the quiet hours.
    Column("urgent", Boolean, nullable=False, default=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_error", Text),
    Column("last_attempt_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    UniqueConstraint("event_key", "recipient_id", "channel", name="deliveries_once_per_event_person_channel"),
    Index("deliveries_by_status", "status", "created_at"),
)
Index("deliveries_due", deliveries.c.next_attempt_at, postgresql_where=deliveries.c.status.in_([PENDING, HELD]))

# SMS preferences: a row only where a person chose; no row means SMS on.
preferences = Table(
    "preferences",
    metadata,
    Column("account_id", String(64), primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("sms_enabled", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# What the reminders need of each dossier, from its events: an older event never lowers it.
dossier_tracker = Table(
    "dossier_tracker",
    metadata,
    Column("dossier_id", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("status", String(32), nullable=False),
    Column("applicant_id", String(64), nullable=False),
    Column("applicant_name", String(100), nullable=False),
    Column("unit_id", String(64), nullable=False),
    Column("unit_name", String(200), nullable=False),
    Column("review_year", Integer, nullable=False),
    Column("series", String(32), nullable=False),
    Column("level", String(32), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("dossier_tracker_by_status", "status", "review_year"),
)

# Submissions waiting for their unit's daily digest (digest.py); a take-back of a later version
# leaves one out.
submissions = Table(
    "submissions",
    metadata,
    Column("dossier_id", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("unit_id", String(64), nullable=False),
    Column("unit_name", String(200), nullable=False),
    Column("applicant_name", String(100), nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("digest_day", Date),  # the digest that told of it
)
Index("submissions_waiting", submissions.c.unit_id, postgresql_where=submissions.c.digest_day.is_(None))

take_backs = Table(
    "take_backs",
    metadata,
    Column("dossier_id", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("taken_back_at", DateTime(timezone=True), nullable=False),
)

digests = Table(
    "digests",
    metadata,
    Column("unit_id", String(64), primary_key=True),
    Column("day", Date, primary_key=True),  # Beijing date
    Column("submissions", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Reminders given: each (kind, dossier, stage) once, whichever instance's timer gets there first.
reminders = Table(
    "reminders",
    metadata,
    Column("kind", String(32), primary_key=True),
    Column("dossier_id", String(64), primary_key=True),
    Column("stage", String(16), primary_key=True),  # "3d", "1d": days before the deadline
    Column("deadline", DateTime(timezone=True), nullable=False),
    # False: a stage passed over because the timer first saw the dossier closer to the deadline.
    Column("sent", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

failed_event_handlings = include_in(metadata)
