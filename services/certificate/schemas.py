"""Schemas at the certificate service's RPC edge: what it loads (with Chinese field errors, shared.schemas;
the actor is shared.schemas.ActorSchema) and the shape of every answer (``dump(SomeOut, value)``).

The views (projections.py) write times as ISO-8601 text — issuing in UTC, revocation in Beijing time —
before they reach a schema; ``shared.schemas.IsoText`` keeps that text as it is.
"""
from marshmallow import fields

from shared.contracts.certificate import RevokeSchema  # noqa: F401  (published there)
from shared.schemas import IsoText, OutSchema, StrictSchema, Str, length, not_blank

# -- what the RPCs load -----------------------------------------------------------------------------


class IdSchema(StrictSchema):
    id = Str(required=True, validate=[not_blank, length(maximum=64)])


class VerifySchema(StrictSchema):
    """The public query: anything may arrive, so both are bounded and a blank one is named."""

    number = Str(required=True, validate=[not_blank, length(maximum=40)])
    code = Str(required=True, validate=[not_blank, length(maximum=20)])


# -- what the RPCs answer ---------------------------------------------------------------------------




class CertificateOut(OutSchema):
    """A certificate as its holder and administrators see it (projections.py:certificate_view).

    ``fields`` are the printed fields exactly as signed and ``face`` their labelled order on the
    certificate, so both pass through untouched."""

    number = fields.String()
    dossier_id = fields.String()
    applicant_id = fields.String()
    face = fields.Raw()
    verification_code = fields.String()
    verify_url = fields.String()
    key_id = fields.String()
    issued_at = IsoText()
    status = fields.String()
    status_label = fields.String()
    revoked_at = IsoText()
    revoked_reason = fields.String(allow_none=True)
    object_key = fields.String()
    pdf_ready = fields.Boolean()
    dossier_recorded = fields.Boolean()
    # Declared last: below this line the name ``fields`` in this class body is this field, not the module.
    fields = fields.Raw()


class CertificatePdfOut(OutSchema):
    """The stored PDF: bytes do not cross RPC, so the file travels as base64 text with its digest."""

    number = fields.String()
    filename = fields.String()
    content_type = fields.String()
    content_base64 = fields.String()
    object_key = fields.String()
    sha256 = fields.String(allow_none=True)
    size = fields.Integer()
    revoked = fields.Boolean()


class HolderOut(OutSchema):
    name = fields.String()
    id_number_masked = fields.String()


class VerificationOut(OutSchema):
    """The public verification answer (projections.py): a found certificate carries its holder (masked)
    and title; an unknown number or a wrong code answers ``found: false`` and nothing more."""

    found = fields.Boolean()
    valid = fields.Boolean()
    revoked = fields.Boolean()
    revoked_at = IsoText()
    reason = fields.String(allow_none=True)
    signature_valid = fields.Boolean()
    message = fields.String()
    number = fields.String()
    holder = fields.Nested(HolderOut)
    title = fields.String()
    series = fields.String()
    specialty = fields.String()
    level = fields.String()
    method = fields.String()
    committee = fields.String()
    pass_date = fields.String()
    issuing_body = fields.String()
    issue_date = fields.String()


class PublicKeysOut(OutSchema):
    """The issuer's signing keys: ``keys`` maps each key id to its PEM; ``current`` signs new certificates."""

    algorithm = fields.String()
    keys = fields.Raw()
    current = fields.String()


class HealthOut(OutSchema):
    service = fields.String()
    status = fields.String()
    error = fields.String()
    certificates = fields.Integer()
    queued = fields.Integer()
    key_id = fields.String()
    failed_event_handlings = fields.Integer()
