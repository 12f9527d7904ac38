"""The certificate database: certificates, number counters, signing keys, consumer progress and the
fraud sanctions of revoked titles that identity is still to record.

``certificates.dossier_id`` is unique: whatever races (two instances, redelivered events, direct
calls), one dossier has at most one certificate. Times are stored in UTC.
"""
from sqlalchemy import (
    Boolean, Column, Date, DateTime, Integer, MetaData, PrimaryKeyConstraint, String, Table, Text, UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB

from shared import idempotency
from shared.event_failures import include_in

metadata = MetaData()

certificates = Table(
    "certificates",
    metadata,
    Column("number", String(40), primary_key=True),
    Column("dossier_id", String(36), nullable=False),
    Column("dossier_version", Integer, nullable=False),
    Column("applicant_id", String(64), nullable=False, index=True),
    Column("review_year", Integer, nullable=False),
    Column("series", String(64), nullable=False),
    Column("level", String(32), nullable=False),
    Column("serial", Integer, nullable=False),
    Column("counter_key", JSONB, nullable=False),
    Column("fields", JSONB, nullable=False),  # exactly what is printed and signed
    Column("signature", Text, nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("verification_code", String(16), nullable=False),
    Column("object_key", Text, nullable=False),
    Column("pdf_sha256", String(64)),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("pdf_stored_at", DateTime(timezone=True)),
    Column("dossier_recorded_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Column("revoked_reason", Text),
    Column("revoked_by", String(64)),
    UniqueConstraint("dossier_id", name="certificates_one_per_dossier"),
)

certificate_counters = Table(
    "certificate_counters",
    metadata,
    Column("year", Integer, nullable=False),
    Column("series_code", String(8), nullable=False),
    Column("level_digit", String(8), nullable=False),
    Column("last_serial", Integer, nullable=False),
    PrimaryKeyConstraint("year", "series_code", "level_digit"),
)

# Every key that ever signed certificates (public part), so old certificates keep verifying after a
# rotation. A private key is kept here only when none is configured (development).
signing_keys = Table(
    "signing_keys",
    metadata,
    Column("key_id", String(64), primary_key=True),
    Column("public_pem", Text, nullable=False),
    Column("private_pem", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Consumer idempotence and the issue queue: the newest dossier event applied here, per dossier.
dossier_progress = Table(
    "dossier_progress",
    metadata,
    Column("dossier_id", String(36), primary_key=True),
    Column("last_version", Integer, nullable=False),
    Column("status", String(32), nullable=False),
    Column("issue_requested", Boolean, nullable=False, server_default="false"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# A title revoked for fraud sanctions its holder (docs/domain-rules.md R4.10): noted here with the
# revocation, then recorded in identity (retried by the sweep until identity has it; once per dossier).
fraud_sanctions = Table(
    "fraud_sanctions",
    metadata,
    Column("dossier_id", String(36), primary_key=True),
    Column("applicant_id", String(64), nullable=False),
    Column("review_year", Integer, nullable=False),
    Column("found_on", Date, nullable=False),  # the Beijing date of the revocation
    Column("reason", Text, nullable=False),
    Column("bar_years", Integer),  # from the policy of found_on's year, when recorded
    Column("bars_until", Date),
    Column("sanction_id", String(64)),
    Column("recorded_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
)

# Event handlings that failed and wait for a successful redelivery or replay (shared/event_failures.py).
failed_event_handlings = include_in(metadata)
# Idempotency keys of this service's writes, each stored in its write's transaction (shared/idempotency.py).
command_keys = idempotency.include_in(metadata)
