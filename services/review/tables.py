"""Review's own tables, part 1: the work queue read model, decisions, unit publicity, batches,
the working-day calendar and the claims that keep timers from processing a dossier twice.

Every time is stored in UTC (``timestamptz``); dates are calendar dates in Asia/Shanghai.
"""
from sqlalchemy import (
    Boolean, Column, Date, DateTime, Index, Integer, MetaData, String, Table, Text, UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB

from shared import idempotency
from shared.event_failures import include_in

metadata = MetaData()

# One row per dossier, the state after the newest event applied (the work queue read model: docs/review.md "工作队列").
review_queue = Table(
    "review_queue",
    metadata,
    Column("dossier_id", String(36), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("status", String(32), nullable=False, index=True),
    Column("last_event", String(64), nullable=False),
    Column("applicant_id", String(64), nullable=False),
    Column("applicant_name", Text, nullable=False),
    Column("unit_id", String(64), nullable=False, index=True),
    Column("unit_name", Text, nullable=False),
    Column("district_id", String(64), nullable=False, index=True),
    Column("district_name", Text, nullable=False),
    Column("review_year", Integer, nullable=False, index=True),
    Column("series", String(64), nullable=False),
    Column("specialty", Text, nullable=False),
    Column("level", String(32), nullable=False),
    Column("submitted_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# The unit publicity period each dossier has recorded (from its own events), version-guarded.
unit_publicity_periods = Table(
    "unit_publicity_periods",
    metadata,
    Column("dossier_id", String(36), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("start", Date),
    Column("end", Date),
)

# Masked ID numbers fetched from identity for exports (the events carry none).
applicant_masks = Table(
    "applicant_masks",
    metadata,
    Column("applicant_id", String(64), primary_key=True),
    Column("id_number_masked", String(32), nullable=False),
    Column("fetched_at", DateTime(timezone=True), nullable=False),
)

decisions = Table(
    "decisions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("dossier_id", String(36), nullable=False, index=True),
    Column("action", String(16), nullable=False),
    Column("opinion", Text, nullable=False, default=""),
    Column("reason", Text, nullable=False, default=""),
    Column("sections", JSONB, nullable=False),
    Column("problems", JSONB, nullable=False),
    Column("actor_id", String(64), nullable=False),
    Column("actor_role", String(32), nullable=False),
    Column("actor_org_id", String(64)),
    Column("status_after", String(32), nullable=False),
    Column("version_after", Integer, nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
)

unit_publicities = Table(
    "unit_publicities",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("unit_id", String(64), nullable=False, index=True),
    Column("start", Date, nullable=False),
    Column("end", Date, nullable=False),
    Column("working_days", Integer, nullable=False),
    Column("calendar_warning", Text),
    Column("recorded_by", String(64), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

unit_publicity_dossiers = Table(
    "unit_publicity_dossiers",
    metadata,
    Column("publicity_id", String(36), primary_key=True),
    Column("dossier_id", String(36), primary_key=True),
)

batches = Table(
    "batches",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("unit_id", String(64), nullable=False, index=True),
    Column("district_id", String(64)),
    Column("saved", Boolean, nullable=False),
    Column("dossier_count", Integer, nullable=False),
    Column("submitted_by", String(64), nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
)

batch_dossiers = Table(
    "batch_dossiers",
    metadata,
    Column("batch_id", String(36), primary_key=True),
    Column("dossier_id", String(36), primary_key=True),
    Column("ok", Boolean, nullable=False),
    Column("error", JSONB),
)

calendar_years = Table(
    "calendar_years",
    metadata,
    Column("year", Integer, primary_key=True),
    Column("days_off", JSONB, nullable=False),
    Column("workdays", JSONB, nullable=False),
    Column("source", Text, nullable=False, default=""),
    Column("updated_by", String(64), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

calendar_changes = Table(
    "calendar_changes",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("year", Integer, nullable=False, index=True),
    Column("days_off", JSONB, nullable=False),
    Column("workdays", JSONB, nullable=False),
    Column("source", Text, nullable=False, default=""),
    Column("changed_by", String(64), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)

# A timer claims (dossier, action, reference) before acting; a done claim is never acted on again.
automated_actions = Table(
    "automated_actions",
    metadata,
    Column("dossier_id", String(36), nullable=False),
    Column("action", String(32), nullable=False),
    Column("reference", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("instance", Text, nullable=False),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
    Column("detail", Text),
    UniqueConstraint("dossier_id", "action", "reference", name="uq_automated_action"),
)

Index("ix_review_queue_year_status", review_queue.c.review_year, review_queue.c.status)

# Event handlings that failed and wait for a successful redelivery or replay (shared/event_failures.py).
failed_event_handlings = include_in(metadata)
# Idempotency keys of this service's writes, each stored in its write's transaction (shared/idempotency.py).
command_keys = idempotency.include_in(metadata)

# Which version of a year's policy a step applied (services/review/policy.py), where the number matters
# for what was recorded: a unit publicity's or a publicity's working days, a committee's minimums and
# validity, a batch's unit publicity length. A row per step and year, only ever inserted.
policy_readings = Table(
    "policy_readings",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("subject", String(80), nullable=False, index=True),  # e.g. "publicity:<id>", "committee:<id>"
    Column("review_year", Integer, nullable=False),
    Column("policy_version", Integer),  # None: no notice for the year, the platform defaults
    Column("settings", JSONB, nullable=False),  # {setting path: value applied}
    Column("read_at", DateTime(timezone=True), nullable=False),
)
