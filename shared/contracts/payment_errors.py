"""Errors the payment service raises; they cross the RPC boundary and map to HTTP codes at the gateway."""
from shared.errors import Conflict, NotFound, PermissionDenied, PlatformError, ValidationFailed


class InvalidFeeScheduleError(ValidationFailed):
    """Raised when a fee schedule misses a level or holds an amount that is not a whole number of fen."""

    code = "invalid_fee_schedule"


class FeesSetByNoticeError(Conflict):
    """Raised when fees are sent to the payment service: they are part of the year's notice (policy
    ``fees``), changed on the notice admin page, and payment only reads them."""

    code = "fees_set_by_notice"


class PaymentNotAllowedError(PermissionDenied):
    """Raised when the actor may not act on this order, fee schedule or report."""

    code = "payment_not_allowed"


class OrderNotFound(NotFound):
    """Raised when no order has the given id (or the dossier has no order)."""

    code = "order_not_found"


class OrderNotPayableError(Conflict):
    """Raised when payment is started for an order that is paid, expired, cancelled or refunded."""

    code = "order_not_payable"


class OrderNotReopenableError(Conflict):
    """Raised when a new order is asked for a dossier that does not await payment or has an open order."""

    code = "order_not_reopenable"


class ReceiptNotAvailableError(Conflict):
    """Raised when a receipt is asked for an order whose money has not arrived."""

    code = "receipt_not_available"


class UnknownProviderError(NotFound):
    """Raised when a notification names a payment provider that is not configured."""

    code = "unknown_provider"


class NotificationRejected(PlatformError):
    """Base of every refusal of a provider notification; nothing is changed when it is raised.

    The provider sees a non-2xx answer and may retry; a genuine notification refused for a transient
    reason is then accepted later, and a forged or replayed one never is.
    """

    code = "notification_rejected"
    http_status = 400


class BadSignatureError(NotificationRejected):
    """Raised when a notification's signature is missing or does not verify with the provider's key."""

    code = "bad_signature"
    http_status = 401


class MalformedNotificationError(NotificationRejected):
    """Raised when a correctly signed notification lacks a field or is not the JSON we expect."""

    code = "malformed_notification"


class StaleNotificationError(NotificationRejected):
    """Raised when a notification's signed timestamp is outside the accepted window."""

    code = "stale_notification"


class ReplayedNotificationError(NotificationRejected):
    """Raised when a notification's nonce was seen before: the very same message sent again."""

    code = "replayed_notification"


class NotificationMismatchError(NotificationRejected):
    """Raised when a notification names an unknown order or refund, or its amount does not match."""

    code = "notification_mismatch"
    http_status = 409


class ProviderError(Conflict):
    """Raised when the payment provider refuses or fails a request (create, query, refund)."""

    code = "provider_error"


class SimulatorPaymentNotFound(NotFound):
    """Raised by the provider simulator's cashier when no payment has the given id."""

    code = "simulator_payment_not_found"


class SimulatorPaymentClosedError(Conflict):
    """Raised by the simulator's cashier when the payment is already paid or has been closed."""

    code = "simulator_payment_closed"
