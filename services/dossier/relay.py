"""Outbox relay: publishes every stored dossier event to RabbitMQ, at least once, in log order.

Run as its own process: ``python -m services.dossier.relay``. It reads the notification log after
its saved position, publishes each event as ``dossier_<event>`` on the ``dossier.events`` topic
exchange with publisher confirms, and saves the position only after the whole batch is confirmed.
A broker outage therefore delays events and never loses them. Only the instance holding the
advisory lock publishes; the process also runs the summary catch-up projector.

A stored event the relay cannot turn into a message (bytes that no longer decode, a class that no
longer loads) would stop the log there for good. It is recorded instead — a parked failed handling of
``outbox-relay`` keyed ``<dossier id>:<version>``, counted in the dossier service's ``health`` — and
the batch goes on; ``python -m shared.event_replay --service dossier replay`` publishes it after the
repair (``replay_failed_publications``). A follower that fails (the broker or the database away)
rests on its own: the other followers in the loop keep their pace.
"""
from shared.green import monkey_patch

monkey_patch()

import eventlet  # noqa: E402

import argparse  # noqa: E402
import logging  # noqa: E402
import logging.config  # noqa: E402
import signal  # noqa: E402
import time  # noqa: E402
from collections import OrderedDict  # noqa: E402

from kombu import Connection, Exchange, Producer  # noqa: E402

from shared.config import load_config, service_config  # noqa: E402
from shared.event_failures import Handling, error_text, original_payload, record_failure_safely, resolve_keys  # noqa: E402
from shared.observability import logging_config  # noqa: E402
from shared.contracts.dossier_events import DOSSIER_EVENT_SCHEMA_VERSION, DOSSIER_EXCHANGE, DossierEventV1, dossier_event_type  # noqa: E402

from .application import Dossiers, history_entry  # noqa: E402
from .catchup import FAULTS, SERVICE, SummaryCatchUp  # noqa: E402
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
            try:
                message = self.integration_event(notification)
            except FAULTS:
                raise  # the database went away: the whole batch again, later
            except Exception as error:
                self.park(notification, error)
                continue
            self.publish(producer, message)

    @staticmethod
    def publish(producer, message):
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

    def park(self, notification, error):
        """Record a stored event that cannot become a message, so the log moves on past it."""
        self._folded.pop(notification.originator_id, None)
        record_failure_safely(self.engine, _notification_handling(notification), error, parked=True)
        log.error("event %s:%s (notification %s) cannot be published (%s); recorded and parked, the relay goes on",
                  notification.originator_id, notification.originator_version, notification.id, error_text(error))

    def integration_event(self, notification):
        """The bus message of one stored event, with the dossier's state after it."""
        event = self.app.mapper.to_domain_event(notification)
        dossier = self._fold(event)
        entry = history_entry(event)
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


def publication_handling(notification_id, dossier_id, version, topic):
    """The failed-handling record of one stored event the relay could not publish."""
    payload = {"notification_id": notification_id, "dossier_id": str(dossier_id), "version": version, "topic": topic}
    event_type = (topic or "").rpartition(".")[2][:64] or "event"
    return Handling(SERVICE, OUTBOX_RELAY, SERVICE, event_type, payload, key=f"{dossier_id}:{version}")


def _notification_handling(notification):
    return publication_handling(notification.id, notification.originator_id, notification.originator_version,
                                notification.topic)


class Rests:
    """When each follower that failed may try again: it rests alone, the loop goes on with the others
    (one sleep for a failure would slow every follower in the loop, as a poisoned event once did)."""

    def __init__(self, pause):
        self.pause = pause
        self._until = {}

    def resting(self, follower):
        return self._until.get(follower.name, 0.0) > time.monotonic()

    def failed(self, follower):
        self._until[follower.name] = time.monotonic() + self.pause

    def recovered(self, follower):
        self._until.pop(follower.name, None)


def run(app, followers, *, poll_interval=0.2, should_stop=lambda: False):
    """Drive the followers until *should_stop*: standbys poll for the lock, the active one works."""
    rests = Rests(min(poll_interval * 5, 2.0))
    while not should_stop():
        busy = False
        for follower in followers:
            if rests.resting(follower):
                continue
            try:
                if follower.try_acquire():
                    busy = follower.step() > 0 or busy
                rests.recovered(follower)
            except Exception as error:
                log.warning("%s failed, will retry: %s", follower.name, error_text(error))
                if hasattr(follower, "reset_connection"):
                    follower.reset_connection()
                rests.failed(follower)
        if not busy:
            eventlet.sleep(poll_interval)


def replay_failed_publications(config, records):
    """``shared.event_replay``'s local replayer: publish each recorded event again; the records resolved."""
    app = Dossiers(config["DATABASE_URL"])
    relay = OutboxRelay(app, config["AMQP_URI"])
    resolved = []
    try:
        for record in records:
            notification_id = (original_payload(record["payload"]) or {}).get("notification_id")
            found = app.recorder.select_notifications(start=notification_id, limit=1) if notification_id else []
            if not found or found[0].id != notification_id:
                log.error("record %s: notification %s is no longer in the event store", record["id"], notification_id)
                continue
            try:
                relay.publish(relay._ensure_producer(), relay.integration_event(found[0]))
            except Exception as error:
                relay.park(found[0], error)
                continue
            with app.read_engine.begin() as connection:
                resolve_keys(connection, SERVICE, OUTBOX_RELAY, [record["event_key"]])
            resolved.append(record)
    finally:
        relay.close()
        app.close()
    return resolved


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
