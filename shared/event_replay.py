"""List and replay a service's failed event handlings (shared/event_failures.py) from its config.

``python -m shared.event_replay --config services/review/config.yaml list`` prints the open records
as JSON lines; ``... replay --id 12 --id 13`` (or ``--all``) publishes each stored payload again,
straight to the queue of the handler that failed, so only that handler sees it. A successful
handling then marks the record resolved. Consumers are idempotent by dossier version, so replaying
an event that is still being redelivered, or one that was in fact applied, changes nothing.

A handler that is not a bus consumer — the dossier's summary projector and outbox relay — names a
local replayer in its service's config (``FAILED_HANDLING_REPLAYERS: {handler: "module:function"}``); ``replay`` calls
``function(config, records)``, which applies the records itself and returns those it resolved.
Every line is printed in a safe rendering (``json_rendering``): a NUL, a lone surrogate or a bidi
override in a payload shows as its ``\\uXXXX`` escape and the line still decodes to what arrived.
"""
import argparse
import importlib
import sys

from kombu import Connection, Producer

from .config import load_config, service_config
from .db import make_engine
from .event_failures import json_rendering, original_payload, unresolved

SHOWN = ("id", "service", "handler", "event_type", "event_key", "dossier_id", "event_version", "attempts",
         "first_failed_at", "last_failed_at", "parked_at", "correlation_id", "error")


def handler_queue(record):
    """The queue nameko declares for a SERVICE_POOL event handler (nameko.events.EventHandler.setup)."""
    return f"evt-{record['source_service']}-{record['event_type']}--{record['service']}.{record['handler']}"


def replay_records(records, config):
    """Replay *records*: through a local replayer where the config names one, else on the bus."""
    replayers = config.get("FAILED_HANDLING_REPLAYERS") or {}
    local = [record for record in records if record["handler"] in replayers]
    done = []
    for handler in sorted({record["handler"] for record in local}):
        module, _, function = replayers[handler].partition(":")
        replayer = getattr(importlib.import_module(module), function)
        done += replayer(config, [record for record in local if record["handler"] == handler])
    on_bus = [record for record in records if record["handler"] not in replayers]
    return done + (replay(on_bus, config["AMQP_URI"]) if on_bus else [])


def replay(records, amqp_uri):
    """Publish each record's payload to its handler's queue with confirms; the records published."""
    records = [record for record in records if record.get("payload") is not None]
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        channel = connection.channel()
        for queue in sorted({handler_queue(record) for record in records}):
            # Passive: refuse to replay into a queue the service has not declared (wrong config or name).
            channel.queue_declare(queue, passive=True)
        producer = Producer(channel)
        for record in records:
            producer.publish(original_payload(record["payload"]), exchange="", routing_key=handler_queue(record), serializer="json",
                             delivery_mode=2, retry=False,
                             headers={"nameko.correlation_id": record.get("correlation_id") or f"replay-{record['id']}"})
    return records


def _line(record, with_payload):
    shown = {name: record.get(name) for name in SHOWN}
    if with_payload:
        shown["payload"] = original_payload(record["payload"])
    # A payload may hold a NUL, a lone surrogate (a terminal cannot be sent one) or a bidi override:
    # each is a \uXXXX escape, so the line shows what arrived and still decodes to it.
    return json_rendering(shown)


def main(argv=None):
    parser = argparse.ArgumentParser(description="list or replay failed event handlings of one service")
    parser.add_argument("--config", help="the service's config.yaml (default: that of --service)")
    parser.add_argument("--service", help="the service name (default: every record in the config's database)")
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="print the unresolved records as JSON lines")
    listing.add_argument("--payload", action="store_true", help="include each stored payload")
    replaying = commands.add_parser("replay", help="publish stored payloads to their handlers' queues again")
    chosen = replaying.add_mutually_exclusive_group(required=True)
    chosen.add_argument("--id", dest="ids", action="append", type=int, help="a record id (repeatable)")
    chosen.add_argument("--all", action="store_true", help="every unresolved record")
    args = parser.parse_args(argv)
    if not (args.config or args.service):
        parser.error("give --config or --service")
    config = load_config(args.config) if args.config else service_config(args.service)
    engine = make_engine(config["DATABASE_URL"], pool_size=1)
    try:
        records = unresolved(engine, args.service, ids=getattr(args, "ids", None))
        if args.command == "replay":
            records = replay_records(records, config)
        for record in records:
            print(_line(record, getattr(args, "payload", False)))
        print(f"{len(records)} record(s) {'replayed' if args.command == 'replay' else 'unresolved'}", file=sys.stderr)
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
