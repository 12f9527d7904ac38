"""Schemas at the payment service's RPC edge: what it loads (with Chinese field errors, shared.schemas;
the actor is shared.schemas.ActorSchema) and the shape of every answer (``dump(SomeOut, value)``).

Times in answers are mostly ISO-8601 text before they reach the schema (orders.py and reports.py write
them, and an ``@idempotent`` replay answers the stored JSON); ``shared.schemas.IsoText`` answers either form as that text.
"""
from marshmallow import fields

from shared.contracts.payment import FeeScheduleSchema, ReviewFeesSchema, fen  # noqa: F401  (published there)
from shared.schemas import (
    Date, Dict, Int, IsoText, OutSchema, StrictSchema, Str, Text, in_range, length, not_blank,
)

# -- what the RPCs load -----------------------------------------------------------------------------


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


# -- what the RPCs answer ---------------------------------------------------------------------------




class FeeScheduleOut(OutSchema):
    """A review year's fees as its notice's policy sets them (domain.YearFees); ``configured`` is false
    and ``notice_version`` 0 while the year has no notice (the defaults are shown)."""

    review_year = fields.Integer()
    review_fees_fen = fields.Raw()
    review_fees_yuan = fields.Raw()
    certificate_fee_fen = fields.Integer()
    certificate_fee_yuan = fields.String()
    configured = fields.Boolean()
    notice_version = fields.Integer()
    level_labels = fields.Raw()


class CertificateFeeOut(OutSchema):
    """Whether the dossier's certificate fee lets the certificate be issued (Payments.certificate_fee)."""

    dossier_id = fields.String()
    state = fields.String()
    state_label = fields.String()
    amount_fen = fields.Integer(allow_none=True)
    order_id = fields.String(allow_none=True)
    notice_version = fields.Integer(allow_none=True)


class RefundOut(OutSchema):
    refund_id = fields.String()
    order_id = fields.String()
    dossier_id = fields.String()
    provider = fields.String()
    trade_no = fields.String()
    amount_fen = fields.Integer()
    amount_yuan = fields.String()
    reason = fields.String()
    status = fields.String()
    status_label = fields.String()
    requested_at = IsoText()
    submitted_at = IsoText()
    succeeded_at = IsoText()
    provider_refund_no = fields.String(allow_none=True)
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)


class OrderOut(OutSchema):
    """An order (orders.py:order_view); ``refunds`` only where the dossier's orders are listed."""

    order_id = fields.String()
    dossier_id = fields.String()
    origin = fields.String()
    kind = fields.String()
    kind_label = fields.String()
    applicant_id = fields.String()
    applicant_name = fields.String()
    review_year = fields.Integer()
    series = fields.String()
    specialty = fields.String()
    level = fields.String()
    amount_fen = fields.Integer()
    amount_yuan = fields.String()
    notice_version = fields.Integer(allow_none=True)
    status = fields.String()
    status_label = fields.String()
    payable = fields.Boolean()
    created_at = IsoText()
    expires_at = IsoText()
    provider = fields.String(allow_none=True)
    provider_payment_id = fields.String(allow_none=True)
    trade_no = fields.String(allow_none=True)
    paid_at = IsoText()
    closed_at = IsoText()
    dossier_recorded_at = IsoText()
    updated_at = IsoText()
    refunds = fields.List(fields.Nested(RefundOut))


class CashierPaymentOut(OutSchema):
    """Where the payer pays: the provider's payment opened for the order."""

    provider = fields.String()
    payment_id = fields.String()
    cashier_url = fields.String()
    expires_at = IsoText()


class StartedPaymentOut(OutSchema):
    order = fields.Nested(OrderOut)
    payment = fields.Nested(CashierPaymentOut)


class NotificationOutcomeOut(OutSchema):
    """What an accepted provider notification did (a refused one is an error, not an answer)."""

    accepted = fields.Boolean()
    outcome = fields.String()
    order_id = fields.String(allow_none=True)
    message = fields.String()
    notification_id = fields.String()
    kind = fields.String()


class CashierViewOut(OutSchema):
    """The simulator's cashier page: one payment as the payer sees it."""

    payment_id = fields.String()
    order_id = fields.String()
    subject = fields.String()
    amount_fen = fields.Integer()
    amount_yuan = fields.String()
    status = fields.String()
    status_label = fields.String()
    expires_at = IsoText()
    payable = fields.Boolean()


class SignedNotificationOut(OutSchema):
    """A signed notification for the gateway to forward: the signature covers ``body`` character for
    character, so both travel untouched."""

    headers = fields.Raw()
    body = fields.Raw()


class ReceiptOut(OutSchema):
    """A receipt PDF: bytes do not cross RPC, so the file travels as base64 text."""

    order_id = fields.String()
    filename = fields.String()
    content_type = fields.String()
    content_base64 = fields.String()
    size = fields.Integer()


class LedgerEntryOut(OutSchema):
    entry_id = fields.Integer()
    entry_key = fields.String()
    kind = fields.String()
    kind_label = fields.String()
    order_id = fields.String()
    dossier_id = fields.String()
    amount_fen = fields.Integer()
    amount_yuan = fields.String()
    provider = fields.String(allow_none=True)
    reference = fields.String(allow_none=True)
    occurred_at = IsoText()
    recorded_at = IsoText()
    note = fields.String()


class MismatchOut(OutSchema):
    """One movement the ledger and the provider's statement disagree on (reconciliation.py:Mismatch)."""

    kind = fields.String()
    problem = fields.String()
    problem_label = fields.String()
    order_id = fields.String()
    reference = fields.String()
    ledger_fen = fields.Integer(allow_none=True)
    provider_fen = fields.Integer(allow_none=True)


class ReconciliationSummaryOut(OutSchema):
    matched = fields.Integer()
    mismatches = fields.Integer()
    ledger_payments_fen = fields.Integer()
    ledger_refunds_fen = fields.Integer()
    provider_payments_fen = fields.Integer()
    provider_refunds_fen = fields.Integer()


class ReconciliationOut(OutSchema):
    """A day's reconciliation; ``stored`` tells the daily run's report from one made on request."""

    date = fields.String()
    provider = fields.String()
    stored = fields.Boolean()
    generated_at = IsoText()
    mismatches = fields.List(fields.Nested(MismatchOut))
    summary = fields.Nested(ReconciliationSummaryOut)
    csv = fields.String()


class HealthOut(OutSchema):
    service = fields.String()
    status = fields.String()
    error = fields.String()
    pending_orders = fields.Integer()
    paid_not_recorded = fields.Integer()
    providers = fields.List(fields.String())
    failed_event_handlings = fields.Integer()
