"""Schemas at the notification service's RPC edge: what it loads is the published contract
(shared/contracts/notification.py) plus the development outbox's query; what it answers is declared here."""
from marshmallow import fields

from shared.contracts.notification import (  # noqa: F401  (published there)
    DeliveryQuerySchema, InboxQuerySchema, MarkReadSchema, PreferencesSchema, RetryDeliverySchema, SendCodeSchema,
)
from shared.schemas import Int, IsoText, OutSchema, StrictSchema, Str, in_range, length


class OutboxQuerySchema(StrictSchema):
    phone = Str(load_default=None, allow_none=True, validate=length(maximum=20))
    limit = Int(load_default=50, validate=in_range(1, 200))


class MessageOut(OutSchema):
    message_id = fields.String()
    kind = fields.String()
    kind_label = fields.String()
    title = fields.String()
    body = fields.String()
    link = fields.String(allow_none=True)
    dossier_id = fields.String(allow_none=True)
    created_at = IsoText()
    read_at = IsoText(allow_none=True)


class InboxOut(OutSchema):
    items = fields.List(fields.Nested(MessageOut))
    total = fields.Integer()
    unread = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class UnreadOut(OutSchema):
    unread = fields.Integer()


class MarkedOut(OutSchema):
    marked = fields.Integer()


class PreferenceOut(OutSchema):
    kind = fields.String()
    label = fields.String()
    sms_enabled = fields.Boolean()
    required = fields.Boolean()


class PreferencesOut(OutSchema):
    items = fields.List(fields.Nested(PreferenceOut))


class DeliveryOut(OutSchema):
    delivery_id = fields.String()
    channel = fields.String()
    kind = fields.String()
    kind_label = fields.String()
    recipient_masked = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    next_attempt_at = IsoText(allow_none=True)
    last_error = fields.String(allow_none=True)
    created_at = IsoText()
    sent_at = IsoText(allow_none=True)


class DeliveriesOut(OutSchema):
    items = fields.List(fields.Nested(DeliveryOut))
    total = fields.Integer()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())


class CodeQueuedOut(OutSchema):
    delivery_id = fields.String()


class OutboxItemOut(OutSchema):
    delivery_id = fields.String()
    phone = fields.String()
    kind = fields.String()
    body = fields.String()
    status = fields.String()
    created_at = IsoText()
    sent_at = IsoText(allow_none=True)


class OutboxOut(OutSchema):
    items = fields.List(fields.Nested(OutboxItemOut))


class BacklogOut(OutSchema):
    pending = fields.Integer()
    held = fields.Integer()
    failed = fields.Integer()


class HealthOut(OutSchema):
    service = fields.String()
    status = fields.String()
    error = fields.String()
    instance = fields.String()
    backlog = fields.Nested(BacklogOut)
    oldest_pending_seconds = fields.Float(allow_none=True)
    last_send_error = fields.String(allow_none=True)
    last_send_error_at = IsoText(allow_none=True)
    sent_last_24h = fields.Integer()
    sender = fields.String()
    failed_event_handlings = fields.Integer()
