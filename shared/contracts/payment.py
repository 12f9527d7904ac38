"""What the payment service publishes: its order statuses (the gateway shows them and offers a receipt
for those whose money arrived), what it answers about a dossier's certificate fee (the certificate
service issues once it may), the reference it records on a dossier whose review fee is 0, and the
shape of a fee schedule (PUT /fee-schedules, which now refuses: fees are set in the year's notice)."""
from shared.schemas import Int, Nested, StrictSchema, in_range

PENDING, PAID, EXPIRED, CANCELLED, REFUNDING, REFUNDED = (
    "pending", "paid", "expired", "cancelled", "refunding", "refunded")
ORDER_STATUS_LABELS = {
    PENDING: "待缴费",
    PAID: "已缴费",
    EXPIRED: "已过期",
    CANCELLED: "已取消",
    REFUNDING: "退款中",
    REFUNDED: "已退款",
}
# The kinds of order: the review fee (评审费) and the certificate fee (证书工本费), each its own order.
REVIEW_FEE, CERTIFICATE_FEE = "review_fee", "certificate_fee"

# Orders whose money has arrived (a receipt can be issued for them).
MONEY_RECEIVED = (PAID, REFUNDING, REFUNDED)

# ``dossier.record_fee_paid``'s order reference when the year's policy sets the review fee to 0: no
# order is created, and the dossier proceeds to the committee as if paid (docs/domain-rules.md R8.4).
ZERO_FEE_REFERENCE = "zero_fee"

# payment.certificate_fee(dossier_id)["state"] (docs/domain-rules.md R8.3): the certificate is issued
# when the fee is NOT_REQUIRED or PAID; UNDECIDED means payment has not yet handled the end of publicity.
FEE_UNDECIDED, FEE_NOT_REQUIRED, FEE_UNPAID, FEE_PAID = "undecided", "not_required", "unpaid", "paid"
CERTIFICATE_FEE_STATE_LABELS = {
    FEE_UNDECIDED: "待生成缴费订单",
    FEE_NOT_REQUIRED: "无需缴纳",
    FEE_UNPAID: "待缴费",
    FEE_PAID: "已缴费",
}
CERTIFICATE_MAY_ISSUE = (FEE_NOT_REQUIRED, FEE_PAID)

MAX_FEE_FEN = 1_000_000  # 10,000 元: anything above is a typing mistake, not a fee


def fen(**kwargs):
    # strict: 160.5 must be refused, not silently truncated to 160 fen.
    return Int(strict=True, validate=in_range(0, MAX_FEE_FEN), **kwargs)


class ReviewFeesSchema(StrictSchema):
    """One fee per level (docs/domain-rules.md R8.2), each in fen; a missing level is named."""

    primary = fen(required=True)
    intermediate = fen(required=True)
    associate_senior = fen(required=True)
    senior = fen(required=True)


class FeeScheduleSchema(StrictSchema):
    review_year = Int(required=True, validate=in_range(2000, 2100))
    review_fees_fen = Nested(ReviewFeesSchema, required=True)
    certificate_fee_fen = fen(load_default=0)
