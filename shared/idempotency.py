"""Exactly once in effect: an idempotency key travels with every state-changing request, and each
service stores it with its write, in the same transaction, together with the first answer.

Why: nameko redelivers an RPC whose worker died before acknowledging it, and a client retries after
a timeout (504); without a key the same request is recorded twice. The gateway gives every
state-changing request a key (the client's ``Idempotency-Key`` header, or a new one) and a
fingerprint of the request; both travel in the nameko context data, as the correlation id does
(shared/observability.py), so every service the request reaches sees them. A service that writes:

* looks the key up first: a repeat gets the first answer and records nothing;
* stores the key **in the transaction of its write** (``remember``; the dossier's event store does
  it in the events' own insert transaction), so a crash leaves either both or neither;
* refuses a key already used for another command, subject, caller or request (409).

One request that writes several things in one service (review asking the dossier service to record
a step for each dossier of a meeting) derives a key per write (``derived_key``), the same on every
redelivery. Refusals (errors) are never remembered: nothing was recorded, a retry is judged afresh.
"""
import contextvars
import functools
import hashlib
import json
import re
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from sqlalchemy import Column, DateTime, Index, MetaData, String, Table, Text, select
from sqlalchemy.dialects.postgresql import JSONB, insert

from .clock import utc_now
from .errors import Conflict, ValidationFailed

IDEMPOTENCY_KEY = "idempotency_key"  # nameko context data: the request's key
REQUEST_FINGERPRINT = "idempotency_request"  # nameko context data: what the request asked for
HEADER = "Idempotency-Key"
# Keys are unique per service database, whoever sent them: short ones ("1", "retry") would collide.
MIN_LENGTH, MAX_LENGTH = 16, 128
_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]+")
STATE_CHANGING_METHODS = ("POST", "PUT", "PATCH", "DELETE")

_current_key = contextvars.ContextVar("idempotency_key", default=None)
_current_fingerprint = contextvars.ContextVar("idempotency_request", default=None)
_current_worker = contextvars.ContextVar("idempotency_worker", default=None)
_pending = contextvars.ContextVar("idempotency_pending", default=None)


class IdempotencyKeyReused(Conflict):
    """Raised when a key comes back with another command, subject, caller or request than its first use."""

    code = "idempotency_key_reused"


class _Replayed(Exception):
    """A twin request stored the key first: this one's transaction must roll back and answer the twin's."""


# -- keys at the edge ------------------------------------------------------------------------------


def check_client_key(value):
    """The client's ``Idempotency-Key`` header value, or a Chinese field error saying what is wrong."""
    text = (value or "").strip()
    if not (MIN_LENGTH <= len(text) <= MAX_LENGTH) or not _PRINTABLE_ASCII.fullmatch(text):
        message = (f"{HEADER} 应为 {MIN_LENGTH}–{MAX_LENGTH} 个可打印 ASCII 字符(不含控制字符与中文),"
                   "建议每项新操作使用一个新的 UUID")
        raise ValidationFailed(message, fields={HEADER: [message]})
    return text


def new_key():
    return uuid.uuid4().hex


def request_fingerprint(method, path, body=b""):
    """What a request asks for: method, path and body (JSON canonically, so key order does not matter)."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, ensure_ascii=False).encode()
    except (ValueError, RecursionError):  # not JSON, or hostile nesting (the edge refuses it later)
        canonical = body or b""
    digest = hashlib.sha256(f"{method} {path}\n".encode())
    digest.update(canonical)
    return digest.hexdigest()


# -- the key inside a service ----------------------------------------------------------------------


class IdempotencyKey(DependencyProvider):
    """Makes the calling request's key current in an RPC worker (and passes it on downstream).

    Event handlers and timers are not requests: their own idempotency is by version or state, so the
    key an event happened to carry is dropped and their downstream calls carry none.
    """

    def worker_setup(self, worker_ctx):
        if not isinstance(worker_ctx.entrypoint, Rpc):
            worker_ctx.data.pop(IDEMPOTENCY_KEY, None)
            worker_ctx.data.pop(REQUEST_FINGERPRINT, None)
        tokens = (_current_key.set(worker_ctx.data.get(IDEMPOTENCY_KEY)),
                  _current_fingerprint.set(worker_ctx.data.get(REQUEST_FINGERPRINT)),
                  _current_worker.set(worker_ctx))
        self._tokens = getattr(self, "_tokens", {})
        self._tokens[id(worker_ctx)] = tokens

    def worker_teardown(self, worker_ctx):
        tokens = getattr(self, "_tokens", {}).pop(id(worker_ctx), None)
        if tokens is not None:
            for var, token in zip((_current_key, _current_fingerprint, _current_worker), tokens, strict=True):
                var.reset(token)

    def get_dependency(self, worker_ctx):
        return worker_ctx.data.get(IDEMPOTENCY_KEY)


def current_key():
    return _current_key.get()


def keyed_id(kind):
    """A new record id; under a key, derived from it, so a re-run of the same request (a redelivery after
    a crash) writes the same id and the first run's record is recognised instead of doubled."""
    key = _current_key.get()
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"kunming-title/{kind}/{key}")) if key else str(uuid.uuid4())


@contextmanager
def derived_key(*parts):
    """Calls sent inside this block carry ``<key>/<parts>``: each write of a fan-out gets its own key,
    derived the same way on every redelivery of the request. Without a key, nothing changes."""
    worker_ctx = _current_worker.get()
    key = worker_ctx.data.get(IDEMPOTENCY_KEY) if worker_ctx is not None else None
    if key is None:
        yield
        return
    worker_ctx.data[IDEMPOTENCY_KEY] = "/".join([key, *(str(part) for part in parts)])
    try:
        yield
    finally:
        worker_ctx.data[IDEMPOTENCY_KEY] = key


# -- storage: one table per service database -------------------------------------------------------

metadata = MetaData()
command_keys = Table(
    "command_keys",
    metadata,
    Column("key", Text, primary_key=True),
    Column("command", String(100), nullable=False),
    Column("subject", Text, nullable=False),
    Column("actor_id", String(100), nullable=False),
    Column("request", String(64)),  # the gateway's fingerprint of the client's request, if any
    Column("answer", JSONB),  # the first answer, or what rebuilds it (a dossier's id and version)
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Index("command_keys_recorded_at", "recorded_at"),
)


def include_in(service_metadata):
    """Add the table to a service's MetaData, so it is created with the service's other tables."""
    return command_keys.to_metadata(service_metadata)


@dataclass(frozen=True)
class KeyedCommand:
    """One keyed request as a service sees it: the key and what it was used for."""

    key: str
    command: str
    subject: str = ""
    actor_id: str = ""
    fingerprint: str | None = None

    @classmethod
    def current(cls, command, subject="", actor_id=""):
        """The current request's keyed command, or None when the request carries no key."""
        key = _current_key.get()
        if key is None:
            return None
        return cls(key, command, str(subject or ""), str(actor_id or ""), _current_fingerprint.get())


def first_answer(connection, keyed: KeyedCommand):
    """The answer stored for the key (``None`` if it is new); refuses a key used for something else."""
    row = connection.execute(select(command_keys).where(command_keys.c.key == keyed.key)).mappings().first()
    if row is None:
        return None
    same_request = row["request"] is None or keyed.fingerprint is None or row["request"] == keyed.fingerprint
    if (row["command"], row["subject"], row["actor_id"]) != (keyed.command, keyed.subject, keyed.actor_id) \
            or not same_request:
        raise IdempotencyKeyReused(
            f"该幂等键({HEADER})已用于另一项操作,不能用于本次请求;每项新操作请使用新的幂等键",
            fields={HEADER: ["已用于另一项操作"]})
    return {"answer": row["answer"]}


def claim(connection, keyed: KeyedCommand, answer):
    """Store the key with *answer* in the caller's transaction; False when a twin stored it first.

    ``ON CONFLICT DO NOTHING`` waits for a twin still in flight, so False means its write committed.
    """
    stored = connection.execute(insert(command_keys).values(
        key=keyed.key, command=keyed.command, subject=keyed.subject, actor_id=keyed.actor_id,
        request=keyed.fingerprint, answer=jsonable(answer), recorded_at=utc_now(),
    ).on_conflict_do_nothing().returning(command_keys.c.key)).first()
    return stored is not None


def jsonable(value):
    """*value* as JSON would give it back (dates as ISO text), so a replay answers what the first did."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=_iso))


def _iso(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


# -- the mechanism for services with plain SQL tables ----------------------------------------------


class _Pending:
    def __init__(self, keyed):
        self.keyed = keyed
        self.recorded = False


def remember(connection, answer):
    """Inside the write's own transaction: store the current request's key with *answer*.

    Does nothing outside an ``@idempotent`` call or without a key. When a twin of this request
    stored the key first, raises so the transaction rolls back; the decorator answers the twin's.
    """
    pending = _pending.get()
    if pending is None or pending.recorded:
        return
    if not claim(connection, pending.keyed, answer):
        raise _Replayed()
    pending.recorded = True


def _actor_id(args, kwargs):
    actor = kwargs.get("actor", args[0] if args else None)
    return actor.get("account_id", "") if isinstance(actor, dict) else ""


def idempotent(command, *, engine, subject=None, replay=None):
    """Decorate a service method whose write calls ``remember(connection, answer)`` in its transaction.

    *engine(service)* is the service's database; *subject(*args, **kwargs)* names what the command acts
    on (checked on reuse); *replay(service, answer, *args, **kwargs)* rebuilds the answer from what was
    stored (default: the stored answer itself). A path that records nothing (a refusal, a no-op) stores
    no key either: a repeat is judged afresh, which is harmless because nothing was recorded.
    """
    def decorate(method):
        @functools.wraps(method)
        def run(service, *args, **kwargs):
            keyed = KeyedCommand.current(command, subject(*args, **kwargs) if subject else "",
                                         _actor_id(args, kwargs))
            if keyed is None:
                return method(service, *args, **kwargs)
            database = engine(service)

            def stored():
                with database.connect() as connection:
                    return first_answer(connection, keyed)

            def answer_of(found):
                return replay(service, found["answer"], *args, **kwargs) if replay else found["answer"]

            found = stored()
            if found is not None:
                return answer_of(found)
            token = _pending.set(_Pending(keyed))
            try:
                return method(service, *args, **kwargs)
            except Exception:
                found = stored()  # a twin that got there first makes this one's failure moot
                if found is not None:
                    return answer_of(found)
                raise
            finally:
                _pending.reset(token)

        return run

    return decorate
