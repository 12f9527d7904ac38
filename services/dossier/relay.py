"""Outbox relay: publishes every stored dossier event to RabbitMQ, at least once, in log order.

Run as its own process: ``python -m services.dossier.relay``. It reads the notification log after
its saved position, publishes each event as ``dossier_<event>`` on the ``dossier.events`` topic
exchange with publisher confirms, and saves the position only after the whole batch is confirmed.
A broker outage therefore delays events and never loses them. Only the instance holding the
advisory lock publishes; the process also runs the summary catch-up projector.
"""
from shared.green import monkey_patch

monkey_patch()

import eventlet  # noqa: E402

import argparse  # noqa: E402
import logging  # noqa: E402
import logging.config  # noqa: E402
import signal  # noqa: E402
from collections import OrderedDict  # noqa: E402

from kombu import Connection, Exchange, Producer  # noqa: E402

from shared.config import load_config, service_config  # noqa: E402
from shared.observability import logging_config  # noqa: E402
from shared.events import DOSSIER_EVENT_SCHEMA_VERSION, DOSSIER_EXCHANGE, DossierEventV1, dossier_event_type  # noqa: E402

from .application import Dossiers, _history_entry  # noqa: E402
from .catchup import SummaryCatchUp  # noqa: E402
from .domain import event_name  # noqa: E402
from .logfollower import OUTBOX_RELAY, LogFollower  # noqa: E402

log = logging.getLogger(__name__)

# Same exchange nameko's @event_handler("dossier", ...) consumers bind to.
dossier_exchange = Exchange(DOSSIER_EXCHANGE, type="topic", durable=True, auto_delete=False)
_integration_schema = DossierEventV1()


class OutboxRelay(LogFollower):
    name = OUTBOX_RELAY

    def __init__(self, app, amqp_uri, *, batch_size=200, fold_cache_size=2000):
        super().__init__(app, batch_size=batch_size)
        self.amqp_uri = amqp_uri
        self._connection = None
        self._producer = None
        # Dossiers folded so far, so each event's "status after" costs one apply, not a replay.
        self._folded = OrderedDict()
        self._fold_cache_size = fold_cache_size

    def handle(self, notifications):
        producer = self._ensure_producer()
        for notification in notifications:
            message = self.integration_event(notification)
            # With confirm_publish the call returns only once the broker has taken the message.
            producer.publish(
                message,
                exchange=dossier_exchange,
                routing_key=message["event_type"],
                serializer="json",
                delivery_mode=2,
                # nameko turns nameko.* headers into the consumer's context data (its correlation id).
                headers={"nameko.correlation_id": message["actor"].get("correlation_id") or message["event_id"]},
                retry=False,
            )

    def integration_event(self, notification):
        """The bus message of one stored event, with the dossier's state after it."""
        event = self.app.mapper.to_domain_event(notification)
        dossier = self._fold(event)
        entry = _history_entry(event)
        snapshot = dossier.to_dict()
        message = {
            "schema_version": DOSSIER_EVENT_SCHEMA_VERSION,
            "event_id": f"{dossier.id}:{event.originator_version}",
            "event_type": dossier_event_type(event_name(event)),
            "notification_id": notification.id,
            "dossier_id": str(dossier.id),
            "version": event.originator_version,
            "status": dossier.status,
            "occurred_at": entry["at"],
            "actor": event.actor,
            "data": entry["data"],
            "dossier": snapshot,
        }
        return _integration_schema.dump(message)

    def _fold(self, event):
        dossier_id = event.originator_id
        dossier = self._folded.pop(dossier_id, None)
        if event.originator_version == 1:
            dossier = event.mutate(None)
        elif dossier is not None and dossier.version == event.originator_version - 1:
            event.mutate(dossier)
        else:
            dossier = self.app.repository.get(dossier_id, version=event.originator_version)
        self._folded[dossier_id] = dossier
        if len(self._folded) > self._fold_cache_size:
            self._folded.popitem(last=False)
        return dossier

    def _ensure_producer(self):
        if self._producer is None:
            self._connection = Connection(self.amqp_uri, transport_options={"confirm_publish": True})
            self._connection.ensure_connection(max_retries=1)
            channel = self._connection.channel()
            dossier_exchange(channel).declare()
            self._producer = Producer(channel)
        return self._producer

    def reset_connection(self):
        """Drop the broker connection after a failure; the next batch reconnects."""
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:
                pass
        self._connection = self._producer = None
        self._folded.clear()

    def close(self):
        self.reset_connection()
        self.release()


def run(app, followers, *, poll_interval=0.2, should_stop=lambda: False):
    """Drive the followers until *should_stop*: standbys poll for the lock, the active one works."""
    while not should_stop():
        busy = False
        for follower in followers:
            try:
                if follower.try_acquire():
                    busy = follower.step() > 0 or busy
            except Exception as error:
                log.warning("%s failed, will retry: %s", follower.name, error)
                if hasattr(follower, "reset_connection"):
                    follower.reset_connection()
                eventlet.sleep(min(poll_interval * 5, 2.0))
        if not busy:
            eventlet.sleep(poll_interval)


def main(argv=None):
    parser = argparse.ArgumentParser(description="dossier outbox relay and summary catch-up projector")
    parser.add_argument("--config", help="path to the dossier config.yaml (default: the package's own)")
    args = parser.parse_args(argv)
    config = load_config(args.config) if args.config else service_config("dossier")
    logging.config.dictConfig(config.get("LOGGING") or logging_config("dossier-relay", config.get("LOG_LEVEL", "INFO")))
    relay_settings = config.get("RELAY", {})
    app = Dossiers(config["DATABASE_URL"])
    relay = OutboxRelay(app, config["AMQP_URI"], batch_size=relay_settings.get("batch_size", 200))
    projector = SummaryCatchUp(app, batch_size=relay_settings.get("batch_size", 200))
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
    log.info("dossier relay started")
    try:
        run(app, [relay, projector], poll_interval=relay_settings.get("poll_interval", 0.2), should_stop=lambda: bool(stopping))
    finally:
        relay.close()
        projector.release()
        app.close()


if __name__ == "__main__":
    main()
