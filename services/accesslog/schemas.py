"""Schemas at the access-log service's RPC edge: what it loads is the published contract
(shared/contracts/accesslog.py); what it answers is declared here."""
from marshmallow import fields

from shared.contracts.accesslog import AccessBatchSchema, AccessQuerySchema  # noqa: F401  (published there)
from shared.schemas import IsoText, OutSchema


class RefusedOut(OutSchema):
    id = fields.String()
    problem = fields.String()


class RecordedOut(OutSchema):
    received = fields.Integer()
    stored = fields.Integer()
    refused = fields.List(fields.Nested(RefusedOut))


class AccessRecordOut(OutSchema):
    id = fields.String()
    at = IsoText()
    stored_at = IsoText()
    account_id = fields.String(allow_none=True)
    name = fields.String()
    roles = fields.Raw()
    kind = fields.String()
    dossier_id = fields.String(allow_none=True)
    target = fields.String()
    method = fields.String()
    path = fields.String()
    status = fields.Integer()
    address = fields.String()
    correlation_id = fields.String(allow_none=True)
    user_agent = fields.String()
    instance = fields.String()


class AccessPageOut(OutSchema):
    items = fields.List(fields.Nested(AccessRecordOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class HealthOut(OutSchema):
    service = fields.String()
    status = fields.String()
    error = fields.String()
    instance = fields.String()
    records = fields.Integer()
    oldest_stored_at = IsoText()
    retention_days = fields.Integer()
