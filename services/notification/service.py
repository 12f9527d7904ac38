"""NotificationService: messages to people (消息通知), RPCs as shared/contracts/notification.py lists them.

The bus consumers (handlers.py) turn each event that matters to a person into an in-app message and,
where the person has a phone and wants it, an SMS — once per event, person and channel. Three timers
share the work among any number of instances: the delivery worker sends queued SMS (FOR UPDATE SKIP
LOCKED, back-off, quiet hours), the reminders (deadlines of the year's notice) and the units' daily
digest of submissions, each made exactly once by a unique key.
"""
import logging
import socket

from nameko.dependency_providers import Config
from nameko.rpc import RpcProxy

from shared.contracts import dossier_errors  # noqa: F401  (NoticeNotFound comes back typed)
from shared.contracts.notification import FAILED
from shared.deadlines import rpc  # nameko's @rpc, refusing calls whose deadline passed
from shared.errors import PlatformError
from shared.event_failures import health_with_failures
from shared.observability import CorrelationId
from shared.roles import Actor
from shared.rpc import register_platform_errors
from shared.rpc_ports import TimedProxy
from shared.schemas import ActorSchema, dump, load_or_raise
from shared.timers import configured_timer, setting_at

from . import schemas
from .dependencies import BackgroundThreads, NotificationApplication
from .handlers import EventHandlers
from .ports import YearFacts
from .recipients import Directory

log = logging.getLogger(__name__)
register_platform_errors()
RPC_SECONDS = 10


def _actor(data):
    return Actor.from_dict(load_or_raise(ActorSchema(), data, "操作人信息无效"))


class NotificationService(EventHandlers):
    name = "notification"

    notifications = NotificationApplication()
    background = BackgroundThreads()
    identity = RpcProxy("identity")
    dossier = RpcProxy("dossier")
    payment = RpcProxy("payment")
    config = Config()
    correlation_id = CorrelationId()

    # -- the message centre ----------------------------------------------------------------------

    @rpc(expected_exceptions=PlatformError)
    def inbox(self, actor, query=None):
        """``{items: [Message], total, unread, page, per_page}``: the actor's messages, newest first."""
        loaded = load_or_raise(schemas.InboxQuerySchema(), query or {}, "查询条件有误")
        return dump(schemas.InboxOut, self.notifications.inbox(_actor(actor), loaded))

    @rpc(expected_exceptions=PlatformError)
    def unread_count(self, actor):
        return dump(schemas.UnreadOut, self.notifications.unread_count(_actor(actor)))

    @rpc(expected_exceptions=PlatformError)
    def mark_read(self, actor, data):
        """``{message_ids: [..]}`` or ``{all: true}`` → ``{marked}`` (the actor's own messages only)."""
        loaded = load_or_raise(schemas.MarkReadSchema(), data, "标记已读的请求有误")
        return dump(schemas.MarkedOut, self.notifications.mark_read(_actor(actor), loaded))

    # -- SMS preferences -------------------------------------------------------------------------

    @rpc(expected_exceptions=PlatformError)
    def preferences(self, actor):
        """``{items: [{kind, label, sms_enabled, required}]}`` for the kinds that reach the actor's role."""
        return dump(schemas.PreferencesOut, self.notifications.preferences(_actor(actor)))

    @rpc(expected_exceptions=PlatformError)
    def set_preferences(self, actor, data):
        """``{sms: {kind: bool}}`` → the preferences; a required kind cannot be turned off (422)."""
        loaded = load_or_raise(schemas.PreferencesSchema(), data, "短信设置有误,请按提示修改")
        return dump(schemas.PreferencesOut, self.notifications.set_preferences(_actor(actor), loaded))

    # -- deliveries ------------------------------------------------------------------------------

    @rpc(expected_exceptions=PlatformError)
    def deliveries(self, actor, query=None):
        """``{items: [Delivery], total, counts}`` (city admin, auditor); numbers masked."""
        loaded = load_or_raise(schemas.DeliveryQuerySchema(), query or {}, "查询条件有误")
        return dump(schemas.DeliveriesOut, self.notifications.deliveries(_actor(actor), loaded))

    @rpc(expected_exceptions=PlatformError)
    def retry_delivery(self, actor, data):
        """``{delivery_id}`` of a failed delivery → the Delivery, queued again now (city admin)."""
        loaded = load_or_raise(schemas.RetryDeliverySchema(), data, "重发请求有误")
        return dump(schemas.DeliveryOut, self.notifications.retry_delivery(_actor(actor), loaded["delivery_id"]))

    @rpc(expected_exceptions=PlatformError)
    def send_code(self, data):
        """Identity's texts: ``{phone, template, params, reference}`` → ``{delivery_id}``; a verification
        code goes at any hour (its first attempt starts at once, in the background; the timer retries),
        a password-change notice as any SMS does; one per reference."""
        loaded = load_or_raise(schemas.SendCodeSchema(), data, "验证码短信请求有误")
        answer = self.notifications.send_code(loaded)
        self.background(lambda: self.notifications.worker.deliver_now(answer["delivery_id"]))
        return dump(schemas.CodeQueuedOut, answer)

    @rpc(expected_exceptions=PlatformError)
    def outbox(self, query=None):
        """The SMS as the outbox sender holds them (development and tests, ``SMS.EXPOSE_OUTBOX``)."""
        loaded = load_or_raise(schemas.OutboxQuerySchema(), query or {}, "查询条件有误")
        return dump(schemas.OutboxOut, self.notifications.outbox(loaded))

    @rpc
    def health(self):
        """``{status, service, backlog: {pending, held, failed}, oldest_pending_seconds, last_send_error, …}``;
        ``degraded`` while deliveries have failed or event handlings wait for a replay."""
        report = {"service": self.name, "status": "ok", "instance": socket.gethostname()}
        try:
            report.update(self.notifications.health())
            if report["backlog"][FAILED]:
                report["status"] = "degraded"
            health_with_failures(report, self.notifications.engine, self.name)
        except Exception as error:
            report.update(status="error", error=str(error))
        return dump(schemas.HealthOut, report)

    # -- timers ----------------------------------------------------------------------------------

    @configured_timer("DELIVERY.interval_seconds", 5)
    def deliver_due(self):
        self.notifications.worker.deliver_due()

    @configured_timer("REMINDERS.interval_seconds", 900)
    def give_reminders(self):
        self.notifications.reminders.run(self.year_facts(), self.directory())

    @configured_timer("DIGEST.interval_seconds", 300)
    def give_digests(self):
        self.notifications.digests.run(self.directory())

    # -- ports to other services (used by handlers.py and the timers) ------------------------------

    def directory(self):
        return Directory(self._proxy(self.identity), cache=self.notifications.directory_cache)

    def year_facts(self):
        return YearFacts(self._proxy(self.dossier), self._proxy(self.payment))

    def _proxy(self, proxy):
        return TimedProxy(proxy, timeout=float(setting_at(self.config, "RPC_SECONDS", RPC_SECONDS)))
