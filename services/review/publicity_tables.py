"""Review's own tables, part 3: publicity lists (公示) and objections (异议)."""
from sqlalchemy import Boolean, Column, Date, DateTime, Index, Integer, String, Table, Text
from sqlalchemy.dialects.postgresql import JSONB

from .tables import metadata

publicities = Table(
    "publicities",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("title", Text, nullable=False),
    Column("start", Date, nullable=False),
    Column("end", Date, nullable=False),
    Column("working_days", Integer, nullable=False),
    Column("calendar_warning", Text),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# What the public sees of a dossier: name, unit, series, specialty, level. Never an ID number.
publicity_entries = Table(
    "publicity_entries",
    metadata,
    Column("publicity_id", String(36), primary_key=True),
    Column("dossier_id", String(36), primary_key=True),
    Column("applicant_id", String(64), nullable=False),
    Column("applicant_name", Text, nullable=False),
    Column("unit_name", Text, nullable=False),
    Column("series", String(64), nullable=False),
    Column("specialty", Text, nullable=False),
    Column("level", String(32), nullable=False),
    Column("state", String(16), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
)

objections = Table(
    "objections",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("publicity_id", String(36), nullable=False, index=True),
    Column("dossier_id", String(36), nullable=False, index=True),
    Column("contact", Text, nullable=False),
    Column("contact_key", Text, nullable=False),
    Column("address_key", String(64)),
    Column("objector_name", Text, nullable=False, default=""),
    Column("facts", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("lodged_at", DateTime(timezone=True), nullable=False),
    Column("resolved_by", String(64)),
    Column("resolved_at", DateTime(timezone=True)),
    Column("resolution_reason", Text),
    Column("fraud", Boolean, nullable=False, default=False),
    Column("sanction_state", String(16), nullable=False, default="none"),  # none, pending, recorded
    Column("sanction", JSONB),
)

Index("ix_objections_contact_time", objections.c.contact_key, objections.c.lodged_at)
Index("ix_objections_address_time", objections.c.address_key, objections.c.lodged_at)
