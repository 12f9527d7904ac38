"""No nameko process dies of a broker blip: a patch of nameko 2.14.1 (on kombu 5.7.0, amqp 5.4.2).

Why: nameko guards the ack and requeue of a message only against ``amqp.exceptions.ConnectionError``
and not at all around the RPC reply. When the socket to RabbitMQ dies, what the worker meets is an
``OSError`` (``ConnectionResetError``, ``BrokenPipeError``) from the socket, or kombu's
``OperationalError`` once its publish retries are spent; it escapes the worker or managed thread,
and nameko kills the whole container on any uncaught error in its threads ("thread exited with
error … ConnectionResetError: [Errno 104]"). Reproduced with a TCP proxy between a container and
the broker (tests/integration/shared/test_shared_broker_blips.py).

What the patch does, and why each is safe:

* ``QueueConsumer.ack_message`` / ``requeue_message`` (and the standalone proxy's ``ack_message``):
  a broker error is logged and swallowed. A message whose ack did not arrive stays unacknowledged
  and the broker redelivers it when the dead connection is noticed: at-least-once, as nameko
  already is for its own ``ConnectionError`` (idempotency keys and deadlines take care of repeats).
* ``RpcConsumer.handle_result``: a reply that cannot be published (retries spent) is logged and
  dropped, and the request is acknowledged as nameko would have: the work is done, running it again
  on redelivery would be the ghost write; the caller's own timeout answers it (gateway: 504).
* ``QueueConsumer._cancel_consumers_if_requested``: cancelling a consumer on a dead channel must
  not leave ``stop()`` waiting forever for the "removed" event.
* ``QueueConsumer.establish_connection``: kombu's reconnect interval grows to 30 s; here it stops
  at 5 s (nameko's own ``interval_max``), so a service consumes again within seconds of the broker
  coming back.
* It also tracks whether a container's consumer is connected (``broker_connected``): the gateway
  answers 503 at once while its reply consumer is down instead of waiting for a reply that cannot come.

The consume loop itself needs nothing: kombu's ``ConsumerMixin.run`` already catches every
connection and channel error and reconnects.

The patched functions are nameko's own, wrapped; the wrappers were written against the versions in
VERIFIED. With any other version installed the patch is not applied and an error is logged (and a
unit test fails): read the new nameko/kombu code first, then update VERIFIED.

``install()`` is idempotent. It runs when ``shared.deadlines`` is imported (every service's ``rpc``
entrypoint comes from there), from the gateway's RPC proxy, and in ``shared.green.monkey_patch()``
(the relay, seeds, the health checks' standalone proxies).
"""
import functools
import logging
import warnings
from contextlib import contextmanager
from importlib.metadata import version

import amqp.exceptions
import kombu.exceptions
from nameko.messaging import QueueConsumer
from nameko.rpc import RpcConsumer
from nameko.standalone.rpc import PollingQueueConsumer

log = logging.getLogger(__name__)

VERIFIED = {"nameko": "2.14.1", "kombu": "5.7.0", "amqp": "5.4.2"}
# What a dying or dead connection to the broker raises: the socket's own errors (eventlet turns a
# socket closed under a waiting greenthread into EOFError), amqp's connection errors, and kombu's
# OperationalError once ensure() has spent its retries.
BROKER_ERRORS = (OSError, EOFError, amqp.exceptions.ConnectionError, kombu.exceptions.OperationalError)
RECONNECT_INTERVAL_MAX_SECONDS = 5

_state = {"installed": False, "skipped": None}


def installed_versions():
    return {name: version(name) for name in VERIFIED}


def version_problem(found):
    """Why the patch must not be applied to *found* versions, or None when they are the verified ones."""
    if found == VERIFIED:
        return None
    return (f"shared.amqp_resilience NOT applied: written for {VERIFIED}, installed {found}; "
            "a broker blip can kill nameko containers until it is re-verified")


def install(versions=None):
    """Apply the patch once; True when it is in force. *versions* stands in for the installed ones (tests)."""
    found = versions or installed_versions()
    problem = version_problem(found)
    if problem:
        if _state["skipped"] != found:  # loud once per process, not on every import
            log.error(problem)
            warnings.warn(problem, RuntimeWarning, stacklevel=2)
        _state["skipped"] = found
        return False
    if _state["installed"]:
        return True
    QueueConsumer.ack_message = _forgiving(QueueConsumer.ack_message, "ack")
    QueueConsumer.requeue_message = _forgiving(QueueConsumer.requeue_message, "requeue")
    PollingQueueConsumer.ack_message = _forgiving(PollingQueueConsumer.ack_message, "ack")
    RpcConsumer.handle_result = _reply_or_drop(RpcConsumer.handle_result)
    QueueConsumer._cancel_consumers_if_requested = _cancel_forgiving
    QueueConsumer.establish_connection = _establish_connection
    QueueConsumer.on_consume_ready = _tracking_ready(QueueConsumer.on_consume_ready)
    QueueConsumer.on_connection_error = _tracking_error(QueueConsumer.on_connection_error)
    QueueConsumer.consume = _tracking_consume(QueueConsumer.consume)
    _state["installed"] = True
    return True


def is_installed():
    return _state["installed"]


def broker_connected(queue_consumer):
    """True while *queue_consumer* (a container's shared QueueConsumer) is connected and consuming,
    False when it is not; None (unknown) when the patch, which keeps track, is not in force."""
    if not _state["installed"]:
        return None
    return bool(getattr(queue_consumer, "_broker_connected", False))


def _forgiving(settle, verb):
    @functools.wraps(settle)
    def settle_or_log(self, message):
        try:
            settle(self, message)
        except BROKER_ERRORS as error:
            log.warning("message %s not delivered to the broker, the connection is gone (%r); "
                        "the broker redelivers the message when it notices", verb, error)
    return settle_or_log


def _reply_or_drop(handle_result):
    @functools.wraps(handle_result)
    def handle_result_or_drop(self, message, result, exc_info):
        try:
            return handle_result(self, message, result, exc_info)
        except BROKER_ERRORS as error:
            routing_key = message.delivery_info.get("routing_key")
            log.warning("RPC reply of %s lost: cannot publish to the broker (%r); the caller's timeout answers it",
                        routing_key, error)
            self.queue_consumer.ack_message(message)  # the work is done: no redelivery to run it twice
            return result, exc_info
    return handle_result_or_drop


def _cancel_forgiving(self):
    # nameko 2.14.1's QueueConsumer._cancel_consumers_if_requested, with the cancel guarded.
    provider_remove_events = self._pending_remove_providers.items()
    self._pending_remove_providers = {}
    for provider, removed_event in provider_remove_events:
        consumer = self._consumers.pop(provider)
        try:
            consumer.cancel()
        except BROKER_ERRORS as error:  # the channel died with its connection: nothing left to cancel
            log.info("consumer cancel on a dead connection (%r)", error)
        removed_event.send()


@contextmanager
def _establish_connection(self):
    # kombu 5.7.0's ConsumerMixin.establish_connection, with a bounded interval between attempts.
    with self.create_connection() as conn:
        conn.ensure_connection(self.on_connection_error, self.connect_max_retries, interval_start=1,
                               interval_step=1, interval_max=RECONNECT_INTERVAL_MAX_SECONDS)
        yield conn


def _tracking_ready(on_consume_ready):
    @functools.wraps(on_consume_ready)
    def ready(self, connection, channel, consumers, **kwargs):
        self._broker_connected = True
        return on_consume_ready(self, connection, channel, consumers, **kwargs)
    return ready


def _tracking_error(on_connection_error):
    @functools.wraps(on_connection_error)
    def error(self, exc, interval):
        self._broker_connected = False
        return on_connection_error(self, exc, interval)
    return error


def _tracking_consume(consume):
    @functools.wraps(consume)
    def tracked(self, *args, **kwargs):
        try:
            yield from consume(self, *args, **kwargs)
        finally:
            self._broker_connected = False  # the loop ended: lost connection, or stopping
    return tracked

