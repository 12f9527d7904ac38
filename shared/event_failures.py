"""Failed event handlings, recorded in the consuming service's own database until a redelivery succeeds.

Every bus consumer declares its handlers with ``recorded_event_handler`` instead of nameko's
``event_handler``. When a handling raises, one row per (service, handler, event) counts the attempt
and keeps the error and the payload; nameko then requeues the message (``requeue_on_error``). When
the same event is later handled without error — redelivered, or replayed with
``python -m shared.event_replay`` — the row is marked resolved. A service's ``health`` answers
``failed_event_handlings`` = its unresolved rows, and ``status: degraded`` while there are any
(``health_with_failures``); instances share the database, so that is the count across all of them,
which the gateway exports as ``service_failed_event_handlings``.

An event that *cannot be applied* — its own data is refused (a NUL byte a text column will not hold,
a value too long for its column, a field the code cannot read) — would fail on every delivery and
hold its queue forever. Such a handling is recorded and then *parked* at once: the message is
acknowledged, the record stays open (``parked_at`` set) for ``python -m shared.event_replay`` after the
repair, and the handler goes on with the next event. Any other failure is retried — after a pause, so
a lasting fault costs a retry a second, not a busy loop — but only a bounded number of times: once
its record counts ``max_attempts`` (the service config's ``EVENT_HANDLING``), it is parked too. So no
message is redelivered forever, whatever it holds. Only when the record itself cannot be written (the
database is down) does the message go back to the queue unparked: nothing is lost unrecorded.
The record itself must survive the bad bytes: payloads PostgreSQL cannot hold are stored in a
reversible escaped form (``storable_payload``), error texts and keys in a safe rendering (``rendered``:
NUL, lone surrogates, control and invisible format characters escaped); should a write still be
refused, it is written once more with everything escaped.

Why a wrapper around the handler rather than a DependencyProvider's ``worker_result`` hook: the
wrapper exists only on event handlers (no filtering by entrypoint type), it runs in the handler's
own worker with the service instance at hand, so it reaches the service's engine through the
dependency that already owns it (no second engine or pool per container), and it is wired where
the handler is declared, without another attribute on each service class. The bookkeeping never
changes the handling's outcome: if it cannot be written, that is logged and the handler's own
result or error goes on to nameko unchanged.
"""
import functools
import hashlib
import json
import logging
import re
from dataclasses import dataclass
from functools import partial

import eventlet
from marshmallow import ValidationError
from nameko.containers import ContainerBeingKilled
from nameko.events import EventHandler
from sqlalchemy import (
    DDL, BigInteger, Column, DateTime, Index, Integer, MetaData, String, Table, Text, UniqueConstraint, case, event,
    func, select, update,
)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.exc import DataError

from .observability import current_correlation_id

log = logging.getLogger(__name__)
ERROR_TEXT_LIMIT = 2000
RETRY_PAUSE_SECONDS = 1.0
MAX_ATTEMPTS = 10

metadata = MetaData()
failed_event_handlings = Table(
    "failed_event_handlings",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("service", String(64), nullable=False),
    Column("handler", String(128), nullable=False),
    Column("source_service", String(64), nullable=False),
    Column("event_type", String(64), nullable=False),
    # The event's id, or "<dossier id>:<version>", or a digest of a payload that has neither.
    Column("event_key", String(128), nullable=False),
    Column("dossier_id", String(36)),
    Column("event_version", Integer),
    Column("payload", JSONB),
    Column("error", Text, nullable=False),
    Column("correlation_id", String(64)),
    Column("attempts", Integer, nullable=False),
    Column("first_failed_at", DateTime(timezone=True), nullable=False),
    Column("last_failed_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True)),
    # Set when the event could not be applied and its message was acknowledged: only a replay brings it back.
    Column("parked_at", DateTime(timezone=True)),
    UniqueConstraint("service", "handler", "event_key", name="failed_event_handlings_once_per_event"),
)
Index("failed_event_handlings_unresolved", failed_event_handlings.c.service,
      postgresql_where=failed_event_handlings.c.resolved_at.is_(None))

# Tables created before parking existed gain the column on the service's next start (create_all).
_ADD_PARKED_AT = DDL("ALTER TABLE failed_event_handlings ADD COLUMN IF NOT EXISTS parked_at TIMESTAMPTZ")
event.listen(metadata, "after_create", _ADD_PARKED_AT)


def include_in(service_metadata):
    """Add the table to a service's MetaData, so it is created (or brought up to date) with the service's other tables."""
    event.listen(service_metadata, "after_create", _ADD_PARKED_AT)
    return failed_event_handlings.to_metadata(service_metadata)


# An error about the event itself — its data refused by the database (a NUL byte, a value too long
# for its column), by the bus contract (a marshmallow ValidationError) or by the code that applies
# it — fails the same way on every delivery.
UNAPPLICABLE_ERRORS = (ValueError, TypeError, LookupError, AttributeError, DataError, ValidationError)


@dataclass(frozen=True)
class AttemptPolicy:
    """How often a failing handling is tried before it is parked, and the pause after each failure.

    From a service config's ``EVENT_HANDLING: {max_attempts, retry_pause_seconds}``; missing values
    keep the defaults, so a config without the section still bounds every poison."""

    max_attempts: int = MAX_ATTEMPTS
    retry_pause_seconds: float = RETRY_PAUSE_SECONDS

    @classmethod
    def from_config(cls, config, retry_pause_seconds=RETRY_PAUSE_SECONDS):
        settings = (config or {}).get("EVENT_HANDLING") or {}
        return cls(max(int(settings.get("max_attempts", MAX_ATTEMPTS)), 1),
                   max(float(settings.get("retry_pause_seconds", retry_pause_seconds)), 0.0))


def cannot_be_applied(error):
    """True when delivering the same event again would fail the same way (so it is parked, not retried)."""
    return isinstance(error, UNAPPLICABLE_ERRORS)


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_KEY = "unstorable_json"


def _holds_unstorable(value):
    if isinstance(value, str):
        return bool(_UNSTORABLE.search(value))
    if isinstance(value, dict):
        return any(_holds_unstorable(key) or _holds_unstorable(item) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return any(_holds_unstorable(item) for item in value)
    return False


def storable_payload(payload):
    """*payload* as PostgreSQL JSONB can hold it: itself, or — when it holds a NUL or a lone surrogate,
    which JSONB refuses — ``{"unstorable_json": <the payload as ASCII JSON, those characters escaped>}``."""
    if not _holds_unstorable(payload):
        return payload
    return {UNSTORABLE_KEY: json.dumps(payload, ensure_ascii=True, default=str)}


def original_payload(stored):
    """The payload exactly as it arrived, from what ``storable_payload`` kept."""
    if isinstance(stored, dict) and set(stored) == {UNSTORABLE_KEY}:
        return json.loads(stored[UNSTORABLE_KEY])
    return stored


# What a stored text or a log line must not hold as it is: C0 and C1 controls, DEL, lone surrogates
# (PostgreSQL text cannot hold NUL or them; a terminal is garbled by the rest), the line and paragraph
# separators, and the invisible format characters that hide or reorder what a reader sees.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064"
                     "\u2066-\u2069\ufeff]")


def _escape(found):
    code = ord(found.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def rendered(text):
    """*text* with every unsafe character (see ``_UNSAFE``) written as its escape (``\\x00``, ``\\ud800``,
    ``\\u202e``): safe to store in any text column, to log and to print, and it still shows what arrived."""
    if not isinstance(text, str):
        return text
    return _UNSAFE.sub(_escape, text)


def json_rendering(document):
    """*document* as one line of JSON that decodes to exactly *document*: Chinese stays readable, and
    every unsafe character is a ``\\uXXXX`` escape (a valid JSON escape, unlike ``rendered``'s ``\\x00``)."""
    text = json.dumps(document, ensure_ascii=False, default=str)
    return _UNSAFE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


class Handling:
    """One delivery of an event to one handler of one service; *key* overrides the event key (a
    projector that keeps one record per dossier rather than per event)."""

    def __init__(self, service, handler, source_service, event_type, payload, key=None):
        self.service, self.handler = service, handler
        self.source_service, self.event_type, self.payload = source_service, event_type, payload
        self.key = key

    @property
    def dossier_id(self):
        value = self.payload.get("dossier_id") if isinstance(self.payload, dict) else None
        return rendered(str(value))[:36] if value is not None else None

    @property
    def event_version(self):
        value = self.payload.get("version") if isinstance(self.payload, dict) else None
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def event_key(self):
        if self.key:
            return rendered(str(self.key))[:128]
        event_id = self.payload.get("event_id") if isinstance(self.payload, dict) else None
        if event_id:
            return rendered(str(event_id))[:128]
        if self.dossier_id and self.event_version is not None:
            return f"{self.dossier_id}:{self.event_version}"
        canonical = json.dumps(self.payload, sort_keys=True, default=str, ensure_ascii=True)
        return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()

    def fully_escaped(self):
        """The same handling (same record: same key, dossier and version) with its payload kept as
        escaped ASCII JSON, which any database takes; ``original_payload`` still gives it back."""
        return EscapedHandling(self.service, self.handler, self.source_service, self.event_type,
                               {UNSTORABLE_KEY: json.dumps(self.payload, ensure_ascii=True, default=str)},
                               self.event_key, self.dossier_id, self.event_version)


@dataclass(frozen=True)
class EscapedHandling:
    """``Handling.fully_escaped``: what ``record_failure`` reads of a handling, fixed in advance."""

    service: str
    handler: str
    source_service: str
    event_type: str
    payload: dict
    event_key: str
    dossier_id: str
    event_version: int


def health_with_failures(report, engine, service):
    """Add *service*'s unresolved failed handlings to its health *report*: any makes an ok service
    ``degraded`` (it works, but events wait for a repair and a replay). Returns the report."""
    count = unresolved_count(engine, service)
    report["failed_event_handlings"] = count
    if count and report.get("status") == "ok":
        report["status"] = "degraded"
    return report


def error_text(error):
    """What is kept of *error*: its type and message, rendered safe and bounded (a text is taken as it is)."""
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    return rendered(text)[:ERROR_TEXT_LIMIT]


def record_failure(connection, handling, error, correlation_id=None, parked=False, max_attempts=None):
    """Count one failed attempt of *handling*; a resolved record of the same event opens again.

    *parked*: the event cannot be applied and will not be delivered again by itself. *max_attempts*:
    the record is also parked once it counts that many attempts. Returns ``(attempts, parked)``."""
    table = failed_event_handlings
    now = func.now()
    statement = insert(table).values(
        service=handling.service, handler=handling.handler, source_service=handling.source_service,
        event_type=handling.event_type, event_key=handling.event_key, dossier_id=handling.dossier_id,
        event_version=handling.event_version, payload=storable_payload(handling.payload), error=error_text(error),
        correlation_id=rendered(str(correlation_id))[:64] if correlation_id else None, attempts=1,
        first_failed_at=now, last_failed_at=now, resolved_at=None,
        parked_at=now if parked or (max_attempts is not None and max_attempts <= 1) else None)
    excluded = statement.excluded
    if parked or max_attempts is None:
        parked_at = excluded.parked_at
    else:
        parked_at = case((table.c.attempts + 1 >= max_attempts, now), else_=None)
    row = connection.execute(statement.on_conflict_do_update(
        constraint="failed_event_handlings_once_per_event",
        set_={"attempts": table.c.attempts + 1, "error": excluded.error, "payload": excluded.payload,
              "event_type": excluded.event_type, "event_version": excluded.event_version,
              "correlation_id": excluded.correlation_id, "last_failed_at": excluded.last_failed_at,
              "resolved_at": None, "parked_at": parked_at},
    ).returning(table.c.attempts, table.c.parked_at)).one()
    return row.attempts, row.parked_at is not None


def record_failure_safely(connection_source, handling, error, correlation_id=None, **options):
    """``record_failure`` in its own transaction on *connection_source* (an engine); if the database
    refuses what it was given (a value no rendering foresaw, such as a NaN in the payload), written
    once more with the payload kept as escaped ASCII JSON (the error text is rendered safe already):
    the record never fails on the bytes that made the handling fail. A fault of the database itself
    is raised."""
    try:
        with connection_source.begin() as connection:
            return record_failure(connection, handling, error, correlation_id, **options)
    except (DataError, ValueError, UnicodeError) as refused:
        log.warning("failed-handling record of %s refused (%s); writing it fully escaped", handling.event_key,
                    error_text(refused))
    with connection_source.begin() as connection:
        return record_failure(connection, handling.fully_escaped(), error_text(error), correlation_id, **options)


def resolve(connection, handling):
    """Mark *handling*'s open record resolved (it succeeded); the number of records resolved (0 or 1)."""
    return resolve_keys(connection, handling.service, handling.handler, [handling.event_key])


def resolve_keys(connection, service, handler, event_keys):
    """Mark the open records of *event_keys* resolved (their events now applied); how many there were."""
    table = failed_event_handlings
    if not event_keys:
        return 0
    return connection.execute(update(table).where(
        table.c.service == service, table.c.handler == handler, table.c.event_key.in_(list(event_keys)),
        table.c.resolved_at.is_(None)).values(resolved_at=func.now())).rowcount


def unresolved_count(engine, service):
    """Failed handlings of *service* not yet followed by a successful one, across all its instances."""
    table = failed_event_handlings
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table).where(
            table.c.service == service, table.c.resolved_at.is_(None))).scalar()


def unresolved(engine, service=None, ids=None, limit=1000):
    """The open records (of *service*, or all in this database), oldest first; only *ids* if given."""
    table = failed_event_handlings
    query = select(table).where(table.c.resolved_at.is_(None))
    if service:
        query = query.where(table.c.service == service)
    if ids:
        query = query.where(table.c.id.in_([int(record_id) for record_id in ids]))
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(query.order_by(table.c.id).limit(limit)).mappings()]


def _bookkeep(action, engine_of, service, handling, *arguments, **options):
    """Run one bookkeeping *action* in its own transaction; True when it was written."""
    try:
        with engine_of(service).begin() as connection:
            action(connection, handling, *arguments, **options)
        return True
    except Exception:
        log.exception("failed-event bookkeeping %s did not work for %s of event %s", action.__name__,
                      handling.handler, handling.event_key)
        return False


def _record(engine_of, service, handling, error, policy):
    """Record one failed attempt; whether the event is now parked (None: the record could not be written)."""
    try:
        _, parked = record_failure_safely(engine_of(service), handling, error, current_correlation_id(),
                                          parked=cannot_be_applied(error), max_attempts=policy.max_attempts)
        return parked
    except Exception:
        log.exception("failed-event bookkeeping record_failure did not work for %s of event %s", handling.handler,
                      handling.event_key)
        return None


class RecordedEventHandler(EventHandler):
    """nameko's event handler that also hands the handler its service's ``AttemptPolicy``: the policy
    is read from the container's config at setup and passed as the ``attempt_policy`` keyword, so
    ``recorded_event_handler``'s wrapper knows the bound without a global or another dependency."""

    def __init__(self, source_service, event_type, retry_pause_seconds=RETRY_PAUSE_SECONDS, **kwargs):
        self.retry_pause_seconds = retry_pause_seconds
        super().__init__(source_service, event_type, **kwargs)

    def setup(self):
        self.attempt_policy = AttemptPolicy.from_config(self.container.config, self.retry_pause_seconds)
        super().setup()

    def handle_message(self, body, message):
        # Consumer.handle_message, with the policy as a keyword argument.
        context_data = self.unpack_message_headers(message)
        try:
            self.container.spawn_worker(self, (body,), {"attempt_policy": self.attempt_policy},
                                        context_data=context_data, handle_result=partial(self.handle_result, message))
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)


def recorded_event_handler(engine_of, source_service, event_type, retry_pause_seconds=RETRY_PAUSE_SECONDS,
                           **handler_options):
    """nameko's ``event_handler(source_service, event_type, **handler_options)`` whose failed handlings
    are recorded; *engine_of(service instance)* gives the SQLAlchemy engine of the service's database.

    A failed handling waits the policy's pause (*retry_pause_seconds* unless the config says otherwise)
    before the message goes back to the queue, so a lasting fault costs a retry a second per worker,
    not a busy loop. An event that cannot be applied is parked at once, any other after the policy's
    ``max_attempts``: once its record says so, the handler returns, nameko acknowledges the message
    and the queue moves on. If the record cannot be written at all, the message is retried."""

    def decorate(method):
        @functools.wraps(method)
        def handle(service, payload, attempt_policy=None):
            policy = attempt_policy or AttemptPolicy(retry_pause_seconds=retry_pause_seconds)
            handling = Handling(service.name, method.__name__, source_service, event_type, payload)
            try:
                result = method(service, payload)
            except Exception as error:
                if _record(engine_of, service, handling, error, policy):
                    log.error("parked %s of event %s (%s); replay it after the repair: python -m shared.event_replay",
                              handling.handler, handling.event_key, error_text(error))
                    return None
                eventlet.sleep(policy.retry_pause_seconds)
                raise
            # One indexed UPDATE per handled event, matching no row unless this event failed before.
            _bookkeep(resolve, engine_of, service, handling)
            return result

        return RecordedEventHandler.decorator(source_service, event_type, retry_pause_seconds=retry_pause_seconds,
                                              **handler_options)(handle)

    return decorate


class ContractBroken(ValueError):
    """A dossier event that does not match DossierEventV1: it would fail the same way on every delivery
    (raised by shared/event_handlers.py, parked at once here as an error that cannot be applied)."""
