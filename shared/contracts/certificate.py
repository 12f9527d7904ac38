"""What the certificate service publishes: a certificate's statuses (the gateway's pages show them and
offer revoking a valid one) and its input, revoking a title (POST /certificates/{number}/revoke)."""
from shared.schemas import Bool, StrictSchema, Str, Text, length, not_blank

VALID, REVOKED = "valid", "revoked"
CERTIFICATE_STATUS_LABELS = {VALID: "有效", REVOKED: "已撤销"}


class RevokeSchema(StrictSchema):
    number = Str(required=True, validate=[not_blank, length(maximum=40)])
    reason = Text(required=True, validate=[not_blank, length(maximum=500)])
    fraud = Bool(load_default=False)
