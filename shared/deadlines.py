"""Deadlines that travel with a request: a service never starts a call its caller has given up on.

The gateway waits a bounded time for every RPC (gateway/config.yaml, ``RPC``) and sends along the
instant it stops waiting: ``deadline_at`` in the nameko context data, UTC epoch seconds, next to the
correlation id (shared/observability.py). nameko passes context data on to every call a worker makes,
so review → dossier inherits the gateway's deadline.

Every service's ``@rpc`` is this module's: it refuses to START a call whose deadline has passed (it
waited in the queue during an outage, or was redelivered after a connection died) — no worker runs,
nothing changes, the refusal is logged and answered as ``DeadlineExceeded`` (504 at the gateway).
This is what stops "ghost writes" minutes after the person saw a timeout. A call already running is
not interrupted: stopping a command half way would be worse than finishing it.

Clocks: the deadline is an absolute instant, so the machines' clocks must agree (NTP); a skew of a
second moves the refusal by a second. Event handlers and timers are not requests: a deadline an event
happened to carry is dropped in them (``CorrelationId``), so their own calls are not refused.
"""
import logging
import math

from nameko.rpc import Rpc

from . import amqp_resilience
from .clock import utc_now
from .errors import PlatformError

DEADLINE_KEY = "deadline_at"  # nameko context data: UTC epoch seconds after which the caller stops waiting

log = logging.getLogger(__name__)
amqp_resilience.install()  # every service's rpc comes from here: the broker-blip patch comes with it


class DeadlineExceeded(PlatformError):
    """Raised instead of starting a call that arrived after its caller's deadline."""

    code = "deadline_exceeded"
    http_status = 504

    def __init__(self, message="请求处理超时,未予执行;请稍后重试", fields=None):
        super().__init__(message, fields)


def now():
    """The current instant as UTC epoch seconds (the clock every deadline is measured against)."""
    return utc_now().timestamp()


def deadline_in(seconds):
    return now() + float(seconds)


def parse(value):
    """A deadline as it came in a header (number or text), or None when there is none or it is garbage."""
    if value is None or isinstance(value, bool):
        return None
    try:
        deadline = float(value)
    except (TypeError, ValueError):
        return None
    return deadline if math.isfinite(deadline) else None


def remaining(deadline):
    """Seconds left until *deadline* (negative once passed); None for no deadline."""
    deadline = parse(deadline)
    return None if deadline is None else deadline - now()


def bounded(timeout, deadline):
    """*timeout* shortened to what is left of *deadline* (never below zero); *timeout* without a deadline."""
    left = remaining(deadline)
    if left is None:
        return timeout
    return max(0.0, left if timeout is None else min(timeout, left))


def deadline_of(proxy):
    """The deadline of the worker a nameko proxy belongs to (a worker's ServiceProxy or a standalone one)."""
    worker_ctx = getattr(proxy, "worker_ctx", None)
    data = getattr(worker_ctx, "data", None) or {}
    return parse(data.get(DEADLINE_KEY))


def drop_unless_request(worker_ctx):
    """Event handlers and timers keep no deadline: it belonged to the request that caused the event."""
    if not isinstance(getattr(worker_ctx, "entrypoint", None), Rpc):
        worker_ctx.data.pop(DEADLINE_KEY, None)


class DeadlineRpc(Rpc):
    """nameko's ``@rpc``, refusing a call whose caller's deadline has passed before any worker starts.

    Raising here (before ``spawn_worker``) makes nameko's RpcConsumer answer the caller with the error
    and acknowledge the message: the call is done with, and no redelivery runs it later.
    """

    def handle_message(self, body, message):
        context = self.unpack_message_headers(message)
        deadline = parse(context.get(DEADLINE_KEY))
        if deadline is not None:
            late = now() - deadline
            if late > 0:
                log.warning("refused %s.%s: arrived %.3f s after its deadline (correlation id %s)",
                            self.container.service_name, self.method_name, late, context.get("correlation_id"))
                raise DeadlineExceeded()
        super().handle_message(body, message)


rpc = DeadlineRpc.decorator
