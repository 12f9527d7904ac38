"""Review's own tables, part 2: committees, their expert pools, review meetings and the ballot box.

Secrecy by construction: ``ballot_receipts`` says who voted (no choice), ``ballots`` holds the
choices (no expert). Neither has a time column or a serial id; keys are random UUIDs, and every
cast rewrites the dossier's ballots in a shuffled order, so neither the physical row order nor a
shared transaction id ties a ballot to its receipt (see ``cases/ballots.py``).
"""
from sqlalchemy import Boolean, Column, Date, DateTime, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB

from .tables import metadata

committees = Table(
    "committees",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", Text, nullable=False),
    Column("series", String(64), nullable=False),
    Column("levels", JSONB, nullable=False),
    Column("organised_by", String(16), nullable=False),
    Column("specialties", JSONB, nullable=False),
    Column("organising_body", Text, nullable=False),
    Column("office_org_id", String(64)),  # the committee office (评委会办公室) whose secretaries run meetings
    Column("valid_from", Date, nullable=False),
    Column("valid_until", Date, nullable=False),
    Column("member_count", Integer, nullable=False),
    Column("settings", JSONB, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

committee_experts = Table(
    "committee_experts",
    metadata,
    Column("committee_id", String(36), primary_key=True),
    Column("expert_id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("unit_id", String(64), nullable=False),
    Column("unit_name", Text, nullable=False, default=""),
    Column("title", Text, nullable=False, default=""),
    Column("specialty", Text, nullable=False, default=""),
    Column("active", Boolean, nullable=False, default=True),
    Column("added_at", DateTime(timezone=True), nullable=False),
)

meetings = Table(
    "meetings",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("committee_id", String(36), nullable=False, index=True),
    Column("title", Text, nullable=False),
    Column("meeting_date", Date, nullable=False),
    Column("expert_count", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("draw", JSONB),  # {seed, candidates, excluded, count, drawn, drawn_by, drawn_at}
    Column("attendance_recorded", Boolean, nullable=False, default=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("opened_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True)),
)

meeting_experts = Table(
    "meeting_experts",
    metadata,
    Column("meeting_id", String(36), primary_key=True),
    Column("expert_id", String(64), primary_key=True),
    Column("unit_id", String(64), nullable=False),
    Column("draw_order", Integer, nullable=False),
    Column("attending", Boolean, nullable=False, default=False),
)

meeting_dossiers = Table(
    "meeting_dossiers",
    metadata,
    Column("meeting_id", String(36), primary_key=True),
    Column("dossier_id", String(36), primary_key=True),
    Column("applicant_id", String(64), nullable=False),
    Column("applicant_name", Text, nullable=False),
    Column("unit_id", String(64), nullable=False),
    Column("unit_name", Text, nullable=False),
    Column("state", String(16), nullable=False),  # assigned, under_review, passed, failed
    Column("tally", JSONB),
    Column("result_recorded", Boolean, nullable=False, default=False),
    Column("error", Text),
)

# Declared conflicts of interest: with one dossier, or (dossier_id "*") with the whole meeting.
meeting_conflicts = Table(
    "meeting_conflicts",
    metadata,
    Column("meeting_id", String(36), primary_key=True),
    Column("expert_id", String(64), primary_key=True),
    Column("dossier_id", String(36), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("declared_by", String(64), nullable=False),
)

ballot_receipts = Table(
    "ballot_receipts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("meeting_id", String(36), nullable=False),
    Column("dossier_id", String(36), nullable=False),
    Column("expert_id", String(64), nullable=False),
    UniqueConstraint("meeting_id", "dossier_id", "expert_id", name="uq_one_ballot_per_expert"),
)

ballots = Table(
    "ballots",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("meeting_id", String(36), nullable=False),
    Column("dossier_id", String(36), nullable=False),
    Column("choice", String(16), nullable=False),
)

WHOLE_MEETING = "*"
