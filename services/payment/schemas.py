"""Schemas at the payment service's RPC edge, with Chinese field errors (shared.schemas); the actor is
shared.schemas.ActorSchema."""
from shared.contracts.payment import FeeScheduleSchema, ReviewFeesSchema, fen  # noqa: F401  (published there)
from shared.schemas import Date, Dict, Int, StrictSchema, Str, Text, in_range, length, not_blank


class ReviewYearSchema(StrictSchema):
    review_year = Int(required=True, validate=in_range(2000, 2100))


class IdSchema(StrictSchema):
    id = Str(required=True, validate=[not_blank, length(maximum=64)])


class NotificationSchema(StrictSchema):
    provider = Str(required=True, validate=[not_blank, length(maximum=32)])
    headers = Dict(keys=Str(), values=Str(), required=True)
    body = Text(required=True, validate=length(maximum=65536))  # the provider's exact text


class DaySchema(StrictSchema):
    date = Date(required=True)
    provider = Str(allow_none=True, load_default=None)


class LedgerQuerySchema(StrictSchema):
    order_id = Str(allow_none=True, load_default=None)
    dossier_id = Str(allow_none=True, load_default=None)
    date = Date(allow_none=True, load_default=None)
