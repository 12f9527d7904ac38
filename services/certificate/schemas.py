"""Schemas at the certificate service's RPC edge, with Chinese field errors (shared.schemas); the actor is
shared.schemas.ActorSchema."""
from shared.contracts.certificate import RevokeSchema  # noqa: F401  (published there)
from shared.schemas import StrictSchema, Str, length, not_blank


class IdSchema(StrictSchema):
    id = Str(required=True, validate=[not_blank, length(maximum=64)])


class VerifySchema(StrictSchema):
    """The public query: anything may arrive, so both are bounded and a blank one is named."""

    number = Str(required=True, validate=[not_blank, length(maximum=40)])
    code = Str(required=True, validate=[not_blank, length(maximum=20)])


