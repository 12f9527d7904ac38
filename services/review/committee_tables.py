"""Review's own tables, part 2: committees, their expert pools, review meetings and the ballot box.

Secrecy by encryption: ``ballot_receipts`` says who voted (no choice); ``encrypted_ballots`` holds
each ballot only as ElGamal ciphertexts with their proofs (shared/ballot_crypto.py), under a meeting
key derived from a master key the database never sees. Only the per-dossier sums are ever decrypted,
at close, into ``ballot_tallies`` with their proofs of correct decryption (see ``cases/ballots.py``).
"""
from sqlalchemy import DDL, Boolean, Column, Date, DateTime, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB

from shared import signing_keys
from shared.append_only import append_only_statements

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

# One row per cast ballot: the ciphertext vector and its proofs, never a choice and never an expert.
encrypted_ballots = Table(
    "encrypted_ballots",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("meeting_id", String(36), nullable=False, index=True),
    Column("dossier_id", String(36), nullable=False),
    Column("ballot", JSONB, nullable=False),
)

# A meeting's public ballot key (the secret is derived again when needed, never stored).
meeting_ballot_keys = Table(
    "meeting_ballot_keys",
    metadata,
    Column("meeting_id", String(36), primary_key=True),
    Column("public_key", String(64), nullable=False),
    Column("scheme", Text, nullable=False),
)

# The decrypted sums of one dossier's ballots with their proofs: anyone checks them against the ballots.
ballot_tallies = Table(
    "ballot_tallies",
    metadata,
    Column("meeting_id", String(36), primary_key=True),
    Column("dossier_id", String(36), primary_key=True),
    Column("tally", JSONB, nullable=False),  # {counts, proofs, ballots} (shared/ballot_crypto.decrypt_tally)
)

WHOLE_MEETING = "*"

# Who read what in the review room, and when (cases/room.py): a row per view, only ever inserted.
# A trigger refuses UPDATE, DELETE and TRUNCATE for every role (shared/append_only.py).
_ROOM_VIEWS_APPEND_ONLY = [DDL(statement.replace("%", "%%")) for statement in append_only_statements("room_views")]

room_views = Table(
    "room_views",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("meeting_id", String(36), nullable=False, index=True),
    Column("dossier_id", String(36), nullable=False),
    Column("expert_id", String(64), nullable=False),
    Column("what", String(80), nullable=False),  # "dossier" or "material:<material_id>"
    Column("viewed_at", DateTime(timezone=True), nullable=False),
    Column("correlation_id", String(64)),
    Column("source_address", String(64)),
    listeners=[("after_create", ddl) for ddl in _ROOM_VIEWS_APPEND_ONLY],
)

# The meeting record (评审会议纪要) of each closed meeting (cases/records.py): its content as signed, the
# SHA-256 of that content and of the one PDF rendered from it, both signatures and where the PDF is stored.
meeting_records = Table(
    "meeting_records",
    metadata,
    Column("meeting_id", String(36), primary_key=True),
    Column("number", String(32), nullable=False, unique=True),
    Column("year", Integer, nullable=False),
    Column("serial", Integer, nullable=False),
    Column("content", JSONB, nullable=False),
    Column("content_sha256", String(64), nullable=False),
    Column("pdf_sha256", String(64), nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("signature", Text, nullable=False),  # over the canonical content (printed on the PDF)
    Column("file_signature", Text, nullable=False),  # over number, content SHA-256 and PDF SHA-256
    Column("object_key", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("pdf_stored_at", DateTime(timezone=True)),  # None until the object store has the PDF
    UniqueConstraint("year", "serial", name="uq_meeting_record_serial"),
)

# Every key that ever signed meeting records (shared/signing_keys.py), so old records keep verifying.
record_signing_keys = signing_keys.include_in(metadata, "record_signing_keys")

# A drawn meeting's dossier set changes only by the office's reasoned decision (cases/meetings.py:
# change_dossiers): a row per dossier added or removed, only ever inserted (the trigger refuses the rest).
_DOSSIER_CHANGES_APPEND_ONLY = [DDL(statement.replace("%", "%%")) for statement in append_only_statements("meeting_dossier_changes")]

meeting_dossier_changes = Table(
    "meeting_dossier_changes",
    metadata,
    Column("id", String(36), primary_key=True),  # derived from the request's key: a redelivery records once
    Column("meeting_id", String(36), nullable=False, index=True),
    Column("dossier_id", String(36), nullable=False),
    Column("applicant_name", Text, nullable=False),  # a removed dossier is no longer in meeting_dossiers
    Column("change", String(16), nullable=False),  # added, removed
    Column("reason", Text, nullable=False),
    Column("decided_by", String(64), nullable=False),
    Column("decided_role", String(32), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    listeners=[("after_create", ddl) for ddl in _DOSSIER_CHANGES_APPEND_ONLY],
)

# The lead reviewers (主审) the office names for a dossier among the meeting's drawn experts, each with
# the opinion they write before voting: attributed, part of the meeting's record (cases/leads.py).
meeting_leads = Table(
    "meeting_leads",
    metadata,
    Column("meeting_id", String(36), primary_key=True),
    Column("dossier_id", String(36), primary_key=True),
    Column("expert_id", String(64), primary_key=True),
    Column("named_by", String(64), nullable=False),
    Column("named_at", DateTime(timezone=True), nullable=False),
    Column("opinion", Text),
    Column("opinion_at", DateTime(timezone=True)),
)

# An expert's unit for recusal comes from their organisation membership in identity; it is changed only
# by the city admin's reasoned act (cases/committees.py: change_expert_unit), a row per change, only
# ever inserted (the trigger refuses the rest), shown on the committee page.
_UNIT_CHANGES_APPEND_ONLY = [DDL(statement.replace("%", "%%")) for statement in append_only_statements("expert_unit_changes")]

expert_unit_changes = Table(
    "expert_unit_changes",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("committee_id", String(36), nullable=False, index=True),
    Column("expert_id", String(64), nullable=False),
    Column("expert_name", Text, nullable=False),
    Column("from_unit_id", String(64), nullable=False),
    Column("from_unit_name", Text, nullable=False),
    Column("to_unit_id", String(64), nullable=False),
    Column("to_unit_name", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("changed_by", String(64), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    listeners=[("after_create", ddl) for ddl in _UNIT_CHANGES_APPEND_ONLY],
)

# The vote's rules of a meeting, fixed from the year's policy when its vote opens (cases/meetings.py):
# the tally and the meeting record apply the shares the vote was opened under, whatever is published later.
meeting_vote_rules = Table(
    "meeting_vote_rules",
    metadata,
    Column("meeting_id", String(36), primary_key=True),
    Column("review_year", Integer, nullable=False),
    Column("policy_version", Integer),  # None: no notice for the year, the platform defaults
    Column("quorum_share", String(16), nullable=False),
    Column("pass_share", String(16), nullable=False),
    Column("fixed_at", DateTime(timezone=True), nullable=False),
)
