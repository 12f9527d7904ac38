"""Schemas at the dossier service's RPC edge: what each call takes and what it answers.

The input schemas are published, because the gateway validates the same forms at its edge: commands
and queries in ``shared/contracts/dossier_schemas.py``, the annual notice and sanctions in
``shared/contracts/notice_schemas.py``; they are named here for the service's own code. The answer
schemas below are the service's own: ``dump(SomeOut, value)`` (shared/schemas.py) refuses a key a
schema does not declare, so a new field in an answer is declared here, never dropped on the way out.
Structures whose shape is the aggregate's state (sections, materials, opinions, a policy) pass
through as ``Raw``; times the aggregate already wrote as ISO-8601 text are ``String``.
"""
from marshmallow import fields

from shared.contracts.dossier_schemas import *  # noqa: F401,F403
from shared.contracts.notice_schemas import *  # noqa: F401,F403
from shared.schemas import OutSchema


class DossierOut(OutSchema):
    """A whole dossier, as ``Dossier.to_dict()`` gives it: every command's answer, ``get`` and ``state_at``.

    ``{"id": "…", "version": 9, "status": "submitted", "status_label": "已提交", …, "sections": {…},
    "allowed_commands": ["withdraw"]}``"""

    id = fields.String()
    version = fields.Integer()
    status = fields.String()
    status_label = fields.String()
    applicant_id = fields.String()
    applicant_name = fields.String()
    # From the applicant's resident ID number at creation (shared/idnumbers.MALE/FEMALE, ISO date);
    # None for dossiers created before issue 18 (their basic info held what the applicant typed).
    applicant_gender = fields.String(allow_none=True)
    applicant_birth_date = fields.String(allow_none=True)
    unit_id = fields.String()
    unit_name = fields.String()
    district_id = fields.String()
    district_name = fields.String()
    review_year = fields.Integer()
    series = fields.String()
    specialty = fields.String()
    level = fields.String()
    sections = fields.Raw()  # section name -> its data, as the applicant recorded it
    achievements = fields.Raw()
    materials = fields.Raw()
    opinions = fields.Raw()
    return_notice = fields.Raw(allow_none=True)
    unit_publicity = fields.Raw(allow_none=True)
    publicity = fields.Raw(allow_none=True)
    open_objections = fields.List(fields.String())
    committee = fields.Raw(allow_none=True)
    fee = fields.Raw(allow_none=True)
    tally = fields.Raw(allow_none=True)
    batch_id = fields.String(allow_none=True)
    final_reason = fields.String(allow_none=True)
    refund_due = fields.Boolean()
    certificate_number = fields.String(allow_none=True)
    created_at = fields.String()  # ISO-8601, written by Dossier.to_dict
    submitted_at = fields.String(allow_none=True)
    updated_at = fields.String()
    head_hash = fields.String()
    last_event = fields.String()
    allowed_commands = fields.List(fields.String())


class AchievementAddedOut(OutSchema):
    """``add_achievement``: the new achievement's id and the dossier holding it."""

    achievement_id = fields.String()
    dossier = fields.Nested(DossierOut)


class FailureOut(OutSchema):
    rule = fields.String()  # a key of shared.contracts.dossier.ELIGIBILITY_RULES
    message = fields.String()


class EligibilityOut(OutSchema):
    """``check_eligibility``: ``{"eligible": false, "failures": [{"rule": "retired", "message": "…"}],
    "ready": false, "problems": [...]}``. ``eligible`` judges the rules only; ``problems`` is the whole
    one-time notice submission would answer now (sections, materials, rules, in the order of the form,
    submission_notice.py) and ``ready`` says it is empty."""

    eligible = fields.Boolean()
    failures = fields.List(fields.Nested(FailureOut))
    ready = fields.Boolean()
    problems = fields.Raw()


class ChecklistOut(OutSchema):
    """``required_materials``: ``{items: [{key, label, per, per_label, count, categories, category_labels,
    source, slots, unassigned, missing, complete}], duplicates: [{sha256, material_ids, filenames}],
    missing: [...], complete: bool}`` (required_materials.checklist)."""

    items = fields.Raw()
    duplicates = fields.Raw()
    missing = fields.Raw()
    complete = fields.Boolean()


class BatchResultOut(OutSchema):
    """One dossier of a batch: ``version`` when it moved, ``error`` (code, message, fields) when it could not."""

    dossier_id = fields.String()
    ok = fields.Boolean()
    version = fields.Integer()
    error = fields.Raw()


class BatchOut(OutSchema):
    """``recommend_batch``: all moved (``saved``) or none did, and why per dossier."""

    batch_id = fields.String()
    saved = fields.Boolean()
    results = fields.List(fields.Nested(BatchResultOut))


class NoticeOut(OutSchema):
    """A stored annual notice (notices.record): the document as published and the policy in force."""

    review_year = fields.Integer()
    version = fields.Integer()
    notice = fields.Raw()
    policy = fields.Raw()
    unconfirmed = fields.Raw()
    published_by = fields.String()
    published_at = fields.String()  # ISO-8601, written by notices.record
    # Only in answers about versions (list_notice_versions, get_notice_version): what the version
    # changed from the one before, ``[{path, label, before, after}]``; None for versions older than that record.
    changes = fields.Raw(allow_none=True)


class NoticeDraftOut(OutSchema):
    """The city admin's unpublished draft of a year's notice (notices.draft_record)."""

    review_year = fields.Integer()
    document = fields.Raw()
    policy = fields.Raw()  # what the draft would put in force
    unconfirmed = fields.Raw()
    saved_by = fields.String()
    saved_at = fields.String()


class SummaryOut(OutSchema):
    """One row of the summary read model (projections.dossier_summary)."""

    dossier_id = fields.String()
    version = fields.Integer()
    status = fields.String()
    last_event = fields.String()
    applicant_id = fields.String()
    applicant_name = fields.String()
    unit_id = fields.String()
    unit_name = fields.String()
    district_id = fields.String()
    district_name = fields.String()
    review_year = fields.Integer()
    series = fields.String()
    specialty = fields.String()
    level = fields.String()
    head_hash = fields.String()
    created_at = fields.DateTime()
    submitted_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime()


class DossierListOut(OutSchema):
    """``list``: ``{"items": [summary, …], "total": 42, "page": 1, "per_page": 20}``."""

    items = fields.List(fields.Nested(SummaryOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class HistoryEntryOut(OutSchema):
    """One stored event, oldest first: who, when (ISO-8601), its data and its link in the hash chain."""

    version = fields.Integer()
    type = fields.String()
    at = fields.String()
    actor = fields.Raw()
    data = fields.Raw()
    prev_hash = fields.String()
    hash = fields.String()


class VerifyOut(OutSchema):
    """``verify``: ``{"ok": false, "events": 9, "first_bad_version": 3, "checkpoint": {…} | null,
    "reason": "…"}`` (``reason`` only when something is wrong)."""

    ok = fields.Boolean(allow_none=True)
    events = fields.Integer()
    first_bad_version = fields.Integer(allow_none=True)
    checkpoint = fields.Raw(allow_none=True)  # checkpoints_audit.checkpoint_verdict's part, or None
    reason = fields.String()


class AuditScopeOut(OutSchema):
    """``audit_scope``: whose dossier it is, for the gateway's scope check on audit routes."""

    dossier_id = fields.String()
    applicant_id = fields.String()
    unit_id = fields.String()
    district_id = fields.String()


class LatestCheckpointOut(OutSchema):
    """``latest_checkpoint``: the signed document as stored, and whether its signature verifies here."""

    checkpoint = fields.Raw()
    signature_ok = fields.Boolean()
    problem = fields.String(allow_none=True)


class CheckpointProofOut(OutSchema):
    """``checkpoint_proof``: what an auditor checks offline (checkpoint_verify.py)."""

    checkpoint = fields.Raw()
    proof = fields.Raw()
    public_key = fields.String(allow_none=True)  # PEM text, or None when the key id is unknown here
    key_id = fields.String(allow_none=True)


class HealthOut(OutSchema):
    """``health``: ``{service, status: ok|degraded|error, instance, events, relay_backlog, projection_lag,
    failed_event_handlings}``, or ``error`` with what failed."""

    service = fields.String()
    status = fields.String()
    instance = fields.String()
    events = fields.Integer()
    relay_backlog = fields.Integer()
    projection_lag = fields.Integer()
    failed_event_handlings = fields.Integer()
    error = fields.String()


class AuditRecordOut(OutSchema):
    """``audit_records``: one stored event as its hash covers it (``state`` None when it cannot be decoded)."""

    version = fields.Integer()
    topic = fields.String()
    originator_id = fields.String()
    class_version = fields.Integer(allow_none=True)
    state = fields.Raw(allow_none=True)


class AuditPackageSignatureOut(OutSchema):
    """``sign_audit_package``: ``{"key_id": "…", "signature": "<base64 Ed25519>"}``."""

    key_id = fields.String()
    signature = fields.String()


class AuditPublicKeysOut(OutSchema):
    """``audit_public_keys``: ``keys`` maps each key id to its PEM; ``current`` signs new packages (or None)."""

    algorithm = fields.String()
    keys = fields.Raw()
    current = fields.String(allow_none=True)
