"""The platform's services in this process, all on one clock, so the demo story can move time.

identity, dossier, review, payment and certificate run as nameko containers with the same
``CLOCK`` callable, next to the dossier outbox relay and summary catch-up (as tests/e2e/conftest.py
runs them), against the databases, virtual host and object store their configs name — the real
``make run`` ones before its long-running processes start. Their own timers stay quiet: the story
runs the timer jobs itself, at the moments it means.
"""
import copy
import time

import eventlet
from kombu import Connection
from kombu.exceptions import ChannelError
from nameko.containers import ServiceContainer
from nameko.events import EventHandler
from nameko.standalone.rpc import ClusterRpcProxy

from services.certificate.service import CertificateService
from services.dossier.application import Dossiers
from services.dossier.catchup import SummaryCatchUp
from services.dossier.logfollower import OUTBOX_RELAY, LogFollower
from services.dossier.relay import OutboxRelay, run
from services.dossier.service import DossierService
from services.identity.service import IdentityService
from services.notification.service import NotificationService
from services.payment.service import PaymentService
from services.review.service import ReviewService

# notification takes part so that the demo people find the messages of their story in 站内消息 and the
# SMS outbox, stamped at the story's times.
SERVICE_CLASSES = {"identity": IdentityService, "dossier": DossierService, "review": ReviewService,
                   "payment": PaymentService, "certificate": CertificateService,
                   "notification": NotificationService}
HOUR = 3600
QUIET_TIMERS = {
    "review": {"deadlines_seconds": HOUR, "publicity_seconds": HOUR},
    "payment": {"sweep_seconds": HOUR, "simulator_seconds": HOUR},
    "certificate": {"sweep_seconds": HOUR},
}
# The notification service's timers have sections of their own; its SMS go out as the story goes.
QUIET_SECTIONS = {"notification": {"REMINDERS": {"interval_seconds": HOUR}, "DIGEST": {"interval_seconds": HOUR}}}


class ServicesAlreadyRunning(RuntimeError):
    """Raised when another instance of a service answers on the bus: the story would race it."""


class Stage:
    """``with Stage(configs, clock) as stage:`` starts everything; ``stage.rpc.<service>`` calls it."""

    def __init__(self, configs, clock):
        self.configs = {name: self._on_clock(name, configs[name], clock) for name in SERVICE_CLASSES}
        self.amqp_uri = self.configs["dossier"]["AMQP_URI"]
        self.containers, self._stopping = [], []

    @staticmethod
    def _on_clock(name, config, clock):
        config = copy.deepcopy(config)
        config["CLOCK"] = clock
        if name in QUIET_TIMERS:
            config["TIMERS"] = dict(config.get("TIMERS") or {}, **QUIET_TIMERS[name])
        for section, values in QUIET_SECTIONS.get(name, {}).items():
            config[section] = dict(config.get(section) or {}, **values)
        return config

    def __enter__(self):
        self._refuse_if_running()
        try:
            for name, service_class in SERVICE_CLASSES.items():
                container = ServiceContainer(service_class, self.configs[name])
                container.start()
                self.containers.append(container)
        except BaseException:  # those already started must not stay behind
            for container in reversed(self.containers):
                container.stop()
            raise
        self.dossiers = Dossiers(self.configs["dossier"]["DATABASE_URL"])  # the relay's own, as its process has
        self.relay = OutboxRelay(self.dossiers, self.amqp_uri, batch_size=100)
        self.catch_up = SummaryCatchUp(self.dossiers, batch_size=100)
        self._relay_runner = eventlet.spawn(run, self.dossiers, [self.relay, self.catch_up], poll_interval=0.05,
                                            should_stop=lambda: bool(self._stopping))
        self._broker, self._channel = Connection(self.amqp_uri), None
        self._proxy = ClusterRpcProxy({"AMQP_URI": self.amqp_uri}, timeout=60)
        self.rpc = self._proxy.start()
        return self

    def __exit__(self, *failure):
        try:
            if failure[0] is None:
                self.settle()
        finally:
            self._proxy.stop()
            self._broker.release()
            self._stopping.append(True)
            self._relay_runner.wait()
            self.relay.close()
            self.catch_up.release()
            for container in reversed(self.containers):
                container.stop()
            self.dossiers.close()

    # -- coming to rest --------------------------------------------------------------------

    def settle(self, timeout=90):
        """Wait until every consequence of the last command has happened: the relay has published
        every event, no service is handling anything and no event waits in a queue. The story calls
        this before the clock moves on, so what a step causes is stamped at the step's time."""
        deadline, quiet = time.monotonic() + timeout, 0
        while quiet < 3:  # three calm looks in a row: an event in flight between two of them shows
            if time.monotonic() > deadline:
                raise RuntimeError(f"演示数据:服务在 {timeout} 秒内未处理完事件")
            quiet = 0 if self._busy() else quiet + 1
            eventlet.sleep(0.05)

    def _busy(self):
        if LogFollower(self.dossiers, name=OUTBOX_RELAY).backlog():
            return True
        # nameko keeps the running workers of a container here (no public accessor in 2.14).
        if any(container._worker_threads for container in self.containers):
            return True
        return self._waiting_events() > 0

    def _waiting_events(self):
        if self._channel is None:
            self._channel = self._broker.channel()
        return sum(entrypoint.queue(self._channel).queue_declare(passive=True).message_count
                   for container in self.containers for entrypoint in container.entrypoints
                   if isinstance(entrypoint, EventHandler))

    # -- safety ----------------------------------------------------------------------------

    def _refuse_if_running(self):
        """The story must be the only actor: a running service would answer on today's clock."""
        with Connection(self.amqp_uri) as connection:
            for name in SERVICE_CLASSES:
                try:
                    consumers = connection.channel().queue_declare(f"rpc-{name}", passive=True).consumer_count
                except ChannelError:  # no such queue: the service never ran on this broker
                    continue
                if consumers:
                    raise ServicesAlreadyRunning(f"服务 {name} 正在运行:请先停止全部服务,再载入演示数据")
