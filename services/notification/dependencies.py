"""Composition root of the notification service: the application on its own database, its sender,
delivery policy, digest and reminder rules, all from config."""
from nameko.extensions import DependencyProvider

from shared.clock import configured_clock
from shared.timers import setting_at

from .application import Notifications
from .delivery import RetryPolicy
from .digest import Digests
from .reminders import Reminders, rules_from_config
from .senders import sender_from_config, sign_name


def _on(value):
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def build_notifications(config, clock=None):
    """The Notifications application for *config* (with ``digests`` and ``reminders``); the caller closes it."""
    sms = config.get("SMS") or {}
    app = Notifications(config["DATABASE_URL"], sender=sender_from_config(sms), sign_name=sign_name(sms),
                        clock=clock or configured_clock(config), policy=RetryPolicy.from_config(config),
                        expose_outbox=_on(sms.get("EXPOSE_OUTBOX", False)),
                        pool_size=int(config.get("DATABASE_POOL_SIZE") or 5),
                        delivery_batch=int(setting_at(config, "DELIVERY.batch", 50)))
    app.digests = Digests(app, hour=setting_at(config, "DIGEST.hour", 17))
    app.reminders = Reminders(app, rules_from_config(config))
    return app


class NotificationApplication(DependencyProvider):
    """One Notifications per container, closed in stop()."""

    def setup(self):
        self.notifications = build_notifications(self.container.config)

    def stop(self):
        self.notifications.close()

    def kill(self):
        self.notifications.close()

    def get_dependency(self, worker_ctx):
        return self.notifications


class BackgroundThreads(DependencyProvider):
    """The container's ``spawn_managed_thread``: work that outlives the RPC that asked for it (a code's
    first send attempt) and is killed with the container, never left running after it."""

    def get_dependency(self, worker_ctx):
        return self.container.spawn_managed_thread
