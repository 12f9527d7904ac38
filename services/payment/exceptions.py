"""The errors this service raises. They cross RPC, so they are published in
``shared/contracts/payment_errors.py``; this module names them for the service's own code."""
from shared.contracts.payment_errors import (  # noqa: F401
    InvalidFeeScheduleError,
    FeesSetByNoticeError,
    PaymentNotAllowedError,
    OrderNotFound,
    OrderNotPayableError,
    OrderNotReopenableError,
    ReceiptNotAvailableError,
    UnknownProviderError,
    NotificationRejected,
    BadSignatureError,
    MalformedNotificationError,
    StaleNotificationError,
    ReplayedNotificationError,
    NotificationMismatchError,
    ProviderError,
    SimulatorPaymentNotFound,
    SimulatorPaymentClosedError,
)
