"""What the payment service publishes: its order statuses (the gateway shows them and offers a receipt
for those whose money arrived) and its input, the fee schedule the city admin sets (PUT /fee-schedules)."""
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
# Orders whose money has arrived (a receipt can be issued for them).
MONEY_RECEIVED = (PAID, REFUNDING, REFUNDED)

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
