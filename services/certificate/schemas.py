"""Schemas at the certificate service's RPC edge, with Chinese field errors (shared.schemas)."""
from shared.contracts.certificate import RevokeSchema  # noqa: F401  (published there)
from shared.roles import ROLE_LABELS
from shared.schemas import StrictSchema, Str, length, not_blank, one_of


class ActorSchema(StrictSchema):
    account_id = Str(required=True, validate=not_blank)
    role = Str(required=True, validate=one_of(ROLE_LABELS))
    org_id = Str(allow_none=True, load_default=None)
    correlation_id = Str(allow_none=True, load_default=None)


class IdSchema(StrictSchema):
    id = Str(required=True, validate=[not_blank, length(maximum=64)])


class VerifySchema(StrictSchema):
    """The public query: anything may arrive, so both are bounded and a blank one is named."""

    number = Str(required=True, validate=[not_blank, length(maximum=40)])
    code = Str(required=True, validate=[not_blank, length(maximum=20)])


