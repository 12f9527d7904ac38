"""Schemas at the payment service's RPC edge, with Chinese field errors (shared.schemas)."""
from shared.roles import ROLE_LABELS
from shared.schemas import Date, Dict, Int, Nested, StrictSchema, Str, Text, in_range, length, not_blank, one_of

from .domain import MAX_FEE_FEN


def _fen(**kwargs):
    # strict: 160.5 must be refused, not silently truncated to 160 fen.
    return Int(strict=True, validate=in_range(0, MAX_FEE_FEN), **kwargs)


class ActorSchema(StrictSchema):
    account_id = Str(required=True, validate=not_blank)
    role = Str(required=True, validate=one_of(ROLE_LABELS))
    org_id = Str(allow_none=True, load_default=None)
    correlation_id = Str(allow_none=True, load_default=None)


class ReviewFeesSchema(StrictSchema):
    """One fee per level (DOMAIN.md §8), each in fen; a missing level is named."""

    primary = _fen(required=True)
    intermediate = _fen(required=True)
    associate_senior = _fen(required=True)
    senior = _fen(required=True)


class FeeScheduleSchema(StrictSchema):
    review_year = Int(required=True, validate=in_range(2000, 2100))
    review_fees_fen = Nested(ReviewFeesSchema, required=True)
    certificate_fee_fen = _fen(load_default=0)


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
