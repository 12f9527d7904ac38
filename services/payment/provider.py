"""The payment-provider adapter: what the payment service needs from any provider, and its data.

A real provider (a bank's or a wallet's payment API) gets an adapter implementing
``PaymentProvider``; ``simulator_adapter.SimulatorProvider`` is the adapter for the built-in
simulator used in development, demos and tests. The application only ever talks to this interface.
"""
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from datetime import date, datetime

PAYMENT_NOTIFICATION, REFUND_NOTIFICATION = "payment", "refund"


@dataclass(frozen=True)
class PaymentRequest:
    order_id: str
    amount_fen: int
    subject: str
    expires_at: datetime


@dataclass(frozen=True)
class ProviderPayment:
    """A payment opened at the provider: where the payer goes to pay."""

    provider: str
    payment_id: str
    cashier_url: str
    expires_at: datetime


PAYMENT_SUCCEEDED = "succeeded"  # the state of a payment query whose money has moved


@dataclass(frozen=True)
class PaymentStatus:
    """The provider's answer to a query: ``state`` is open, succeeded (``PAYMENT_SUCCEEDED``), closed or unknown."""

    order_id: str
    state: str
    amount_fen: int = 0
    trade_no: str | None = None
    paid_at: datetime | None = None


@dataclass(frozen=True)
class RefundReceipt:
    """The provider took a refund request; the refund notification confirms it later."""

    refund_id: str
    state: str
    provider_refund_no: str | None = None


@dataclass(frozen=True)
class Notification:
    """A notification whose signature verified: what the provider says happened, and when it said so."""

    provider: str
    kind: str  # PAYMENT_NOTIFICATION or REFUND_NOTIFICATION
    notification_id: str
    order_id: str
    amount_fen: int
    trade_no: str
    occurred_at: datetime
    signed_at: datetime
    nonce: str
    refund_id: str | None = None
    provider_refund_no: str | None = None


@dataclass(frozen=True)
class StatementLine:
    """One movement in the provider's daily statement; ``reference`` is the trade no or our refund id."""

    kind: str
    order_id: str
    reference: str
    amount_fen: int
    occurred_at: datetime


@dataclass(frozen=True)
class SignedNotification:
    """A notification as it travels over HTTP: headers and the exact body text that was signed."""

    headers: dict
    body: str

    def to_dict(self):
        return asdict(self)


class PaymentProvider(ABC):
    """Create payment, query, refund, verify notification, and the daily statement for reconciliation."""

    name: str

    @abstractmethod
    def create_payment(self, request: PaymentRequest) -> ProviderPayment:
        """Open (or return the already open) payment for an order; idempotent per order."""

    @abstractmethod
    def query(self, order_id) -> PaymentStatus:
        """Ask the provider what became of the order's payment."""

    @abstractmethod
    def refund(self, *, refund_id, order_id, trade_no, amount_fen, reason) -> RefundReceipt:
        """Ask for money back; idempotent per refund id; confirmed later by a refund notification."""

    @abstractmethod
    def verify_notification(self, headers, body) -> Notification:
        """Check the signature and parse; raise BadSignatureError or MalformedNotificationError."""

    @abstractmethod
    def statement(self, day: date) -> list[StatementLine]:
        """Every payment and refund the provider completed on *day* (Asia/Shanghai)."""
