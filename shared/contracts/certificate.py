"""The certificate service's published input: revoking a title (POST /certificates/{number}/revoke)."""
from shared.schemas import Bool, StrictSchema, Str, Text, length, not_blank


class RevokeSchema(StrictSchema):
    number = Str(required=True, validate=[not_blank, length(maximum=40)])
    reason = Text(required=True, validate=[not_blank, length(maximum=500)])
    fraud = Bool(load_default=False)
