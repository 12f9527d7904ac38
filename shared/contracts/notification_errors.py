"""Errors the notification service raises; they cross the RPC boundary and map to HTTP codes at the gateway."""
from shared.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


class PreferenceLockedError(ValidationFailed):
    """Raised when a person turns off the SMS of a kind the process requires (a return, a fee due, a result)."""

    code = "preference_locked"


class NotificationNotAllowedError(PermissionDenied):
    """Raised when the actor may not see or act on deliveries (city admins and auditors read them; city admins retry)."""

    code = "notification_not_allowed"


class DeliveryNotFound(NotFound):
    """Raised when no delivery has the given id."""

    code = "delivery_not_found"


class DeliveryNotRetryableError(Conflict):
    """Raised when a retry is asked for a delivery that has not failed (it is queued, held or sent)."""

    code = "delivery_not_retryable"


class OutboxNotExposedError(PermissionDenied):
    """Raised when the SMS outbox is asked for where ``SMS.EXPOSE_OUTBOX`` is off (any real deployment)."""

    code = "outbox_not_exposed"
