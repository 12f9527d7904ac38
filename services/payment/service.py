"""PaymentService: the payment context's RPC surface, its dossier-event consumers and its timers.

Each RPC loads input with a schema, calls the application and answers ``dump(SomeOut, ...)`` with an
answer schema of schemas.py (a key it does not declare is refused, not dropped). Notifications
arrive as the provider sent them (``provider, headers, body``: the gateway's notify route passes
them through untouched) because the signature covers the exact body text.

Exactly once in effect (shared/idempotency.py): payment starts and reopened orders are ``@idempotent``
— the request's key is stored in the write's transaction. The rest is naturally idempotent: an order
(or a fee of 0) is decided once per dossier version (``advance_progress`` and the order's ``origin``),
a refund once per paid order, and a notification once per provider nonce. Fees are not set here: they
are read from the year's notice (dossier ``get_notice``), and ``set_fee_schedule`` says so.
"""
import logging

from nameko.dependency_providers import Config
from nameko.rpc import RpcProxy

from shared.announcing import EventAnnouncer
from shared.contracts import dossier as st
from shared.deadlines import rpc  # nameko's @rpc, refusing calls whose deadline passed
from shared.errors import PlatformError
from shared.event_failures import health_with_failures
from shared.event_handlers import dossier_event_consumer, event_entering
from shared.idempotency import IdempotencyKey, idempotent
from shared.observability import CorrelationId
from shared.roles import Actor
from shared.schemas import ActorSchema, dump, load_or_raise
from shared.timers import configured_timer

from . import schemas
from .dependencies import PaymentApplication
from .exceptions import FeesSetByNoticeError, SimulatorPaymentNotFound
from .ports import RpcDossierPort
from .simulator import Cashier, HttpDelivery, deliver_due

log = logging.getLogger(__name__)


def _actor(data):
    return Actor.from_dict(load_or_raise(ActorSchema(), data, "操作人信息无效"))


def _id(value):
    return load_or_raise(schemas.IdSchema(), {"id": value})["id"]


def _replayed_as(schema):
    """A repeated keyed request answers the first answer as stored, shaped by the same answer schema."""
    return lambda service, answer, *args, **kwargs: dump(schema, answer)


def _engine(service):
    return service.payments.engine


def _on_dossier(event_name):
    """Consume the dossier's *event_name* (shared/event_handlers.py): validated, failures recorded."""
    return dossier_event_consumer(_engine, event_name)


class PaymentService:
    name = "payment"

    payments = PaymentApplication()
    dossier = RpcProxy("dossier")
    config = Config()
    correlation_id = CorrelationId()
    idempotency_key = IdempotencyKey()
    announce = EventAnnouncer()  # payment.events: fee orders opened and paid (announcements.py)

    # -- the year's fees (read from the notice; set there) ------------------------------------

    @rpc(expected_exceptions=PlatformError)
    def get_fee_schedule(self, review_year):
        """The year's fees as its notice's policy sets them (the notification service and pages read it)."""
        loaded = load_or_raise(schemas.ReviewYearSchema(), {"review_year": review_year})
        fees = self.payments.fee_schedule(loaded["review_year"], RpcDossierPort(self.dossier))
        return dump(schemas.FeeScheduleOut, fees.to_dict())

    @rpc(expected_exceptions=PlatformError)
    def set_fee_schedule(self, actor, schedule):
        """Refused: the fees are part of the year's notice (policy ``fees``), published by the city admin."""
        raise FeesSetByNoticeError("收费标准(评审费、证书工本费)已并入年度评审通知,"
                                   "请在「年度通知管理」(/admin/notices)中修改并发布新版本")

    # -- orders ------------------------------------------------------------------------------

    @rpc(expected_exceptions=PlatformError)
    def orders_of_dossier(self, dossier_id):
        """The dossier's orders, newest first, each with its ``refunds``."""
        return dump(schemas.OrderOut, self.payments.orders_of_dossier(_id(dossier_id)), many=True)

    @rpc(expected_exceptions=PlatformError)
    def get_order(self, order_id):
        return dump(schemas.OrderOut, self.payments.get_order(_id(order_id)))

    @rpc(expected_exceptions=PlatformError)
    @idempotent("start_payment", engine=_engine, subject=lambda actor, order_id: order_id,
                replay=_replayed_as(schemas.StartedPaymentOut))
    def start_payment(self, actor, order_id):
        """The applicant pays: ``{order, payment: {provider, payment_id, cashier_url, expires_at}}``."""
        return dump(schemas.StartedPaymentOut, self.payments.start_payment(_actor(actor), _id(order_id)))

    @rpc(expected_exceptions=PlatformError)
    @idempotent("reopen_order", engine=_engine, subject=lambda actor, dossier_id: dossier_id,
                replay=_replayed_as(schemas.OrderOut))
    def reopen_order(self, actor, dossier_id):
        """A fresh order after the last one expired unpaid, while the dossier still awaits that fee."""
        return dump(schemas.OrderOut, self.payments.reopen_order(_actor(actor), _id(dossier_id),
                                                                 RpcDossierPort(self.dossier), self.announce))

    @rpc(expected_exceptions=PlatformError)
    def certificate_fee(self, dossier_id):
        """``{state: not_required|paid|unpaid|undecided, amount_fen, order_id, ...}``: the certificate
        service issues a certificate only when its fee is not required or paid."""
        return dump(schemas.CertificateFeeOut, self.payments.certificate_fee(_id(dossier_id)))

    # -- the provider ------------------------------------------------------------------------

    @rpc(expected_exceptions=PlatformError)
    def handle_notification(self, provider, headers, body):
        """A provider's notification: ``{accepted, outcome, order_id, ...}`` or a NotificationRejected error."""
        loaded = load_or_raise(schemas.NotificationSchema(), {"provider": provider, "headers": headers, "body": body})
        outcome = self.payments.handle_notification(loaded["provider"], loaded["headers"], loaded["body"],
                                                    dossier=RpcDossierPort(self.dossier), announce=self.announce)
        return dump(schemas.NotificationOutcomeOut, outcome)

    @rpc(expected_exceptions=PlatformError)
    def cashier_view(self, payment_id):
        """The simulator's cashier page data for a payment (development and demos)."""
        return dump(schemas.CashierViewOut, self._cashier().view(_id(payment_id)))

    @rpc(expected_exceptions=PlatformError)
    def cashier_confirm(self, payment_id):
        """The payer confirms at the simulator's cashier: the signed notification ``{headers, body}``
        for the gateway to forward to ``handle_notification("simulator", headers, body)``."""
        return dump(schemas.SignedNotificationOut, self._cashier().confirm(_id(payment_id)))

    def _cashier(self):
        if self.payments.simulator is None:
            raise SimulatorPaymentNotFound("本环境未启用模拟支付平台")
        return Cashier(self.payments.simulator)

    # -- documents and books -----------------------------------------------------------------

    @rpc(expected_exceptions=PlatformError)
    def receipt_pdf(self, actor, order_id):
        """``{order_id, filename, content_type, content_base64, size}`` for the payer, city admin or auditor."""
        return dump(schemas.ReceiptOut, self.payments.reports.receipt(_actor(actor), _id(order_id)))

    @rpc(expected_exceptions=PlatformError)
    def ledger(self, actor, query=None):
        """Ledger entries filtered by ``{order_id?, dossier_id?, date?}`` (city admin, auditor)."""
        loaded = load_or_raise(schemas.LedgerQuerySchema(), query or {})
        entries = self.payments.reports.ledger(_actor(actor), order_id=loaded["order_id"],
                                               dossier_id=loaded["dossier_id"], day=loaded["date"])
        return dump(schemas.LedgerEntryOut, entries, many=True)

    @rpc(expected_exceptions=PlatformError)
    def reconciliation_report(self, actor, day, provider=None):
        """``{date, provider, mismatches, summary, csv}`` for an Asia/Shanghai day (YYYY-MM-DD)."""
        loaded = load_or_raise(schemas.DaySchema(), {"date": day, "provider": provider})
        report = self.payments.reports.reconciliation_report(_actor(actor), loaded["date"], loaded["provider"])
        return dump(schemas.ReconciliationOut, report)

    @rpc
    def health(self):
        """``{service, status: ok|degraded|error, pending_orders, paid_not_recorded, providers, ...}``."""
        report = {"service": self.name, "status": "ok"}
        try:
            report.update(self.payments.health())
            health_with_failures(report, self.payments.engine, self.name)
        except Exception as error:
            report.update(status="error", error=str(error))
        return dump(schemas.HealthOut, report)

    # -- dossier events ----------------------------------------------------------------------

    @_on_dossier(event_entering(st.ACCEPTED))
    def handle_dossier_city_approved(self, event):
        self.payments.on_city_approved(event, RpcDossierPort(self.dossier), self.announce)

    @_on_dossier(event_entering(st.APPROVED))
    def handle_dossier_publicity_ended(self, event):
        self.payments.on_publicity_ended(event, RpcDossierPort(self.dossier), self.announce)

    @_on_dossier(event_entering(st.REVOKED))
    def handle_dossier_title_revoked(self, event):
        self.payments.on_title_revoked(event)

    @_on_dossier(event_entering(st.WITHDRAWN))
    def handle_dossier_withdrawn(self, event):
        self.payments.on_withdrawn(event)

    @_on_dossier(event_entering(st.FEE_PAID))
    def handle_dossier_fee_paid(self, event):
        self.payments.on_fee_paid(event)

    # -- timers ------------------------------------------------------------------------------

    @configured_timer("TIMERS.sweep_seconds", 30)
    def sweep(self):
        """Expire unpaid orders, retry fee recording and refunds, prune nonces, store the daily report."""
        port = RpcDossierPort(self.dossier)
        duties = [lambda: self.payments.expire_due_orders(port, self.announce), lambda: self.payments.record_fees(port),
                  lambda: self.payments.record_zero_fees(port), self.payments.submit_refunds,
                  self.payments.prune_nonces, self.payments.reports.run_daily]
        for duty in duties:  # one failing duty must not starve the others
            try:
                duty()
            except Exception:
                log.exception("payment sweep duty failed; it runs again next sweep")

    @configured_timer("TIMERS.simulator_seconds", 5)
    def simulator_tick(self):
        """The simulator's own work: settle refunds and (re)send notifications until acknowledged."""
        simulator = self.payments.simulator
        if simulator is None:
            return
        settings = self.config.get("SIMULATOR") or {}
        if settings.get("NOTIFY_URL"):
            deliver = HttpDelivery(settings["NOTIFY_URL"])
        else:
            deliver = self._deliver_in_process
        deliver_due(simulator, deliver, refund_delay_seconds=float(settings.get("REFUND_DELAY_SECONDS") or 0),
                    redeliver_after_seconds=float(settings.get("REDELIVER_AFTER_SECONDS") or 30))

    def _deliver_in_process(self, signed):
        try:
            self.payments.handle_notification("simulator", signed.headers, signed.body,
                                              dossier=RpcDossierPort(self.dossier), announce=self.announce)
            return True
        except PlatformError:
            return False
