"""The broker-blip patch (shared/amqp_resilience.py): applied only to the versions it was written for,
and each wrapped nameko step logs a dying connection instead of letting it kill the container.

The broker itself is exercised in tests/integration/shared/test_shared_broker_blips.py; here the
stand-ins are messages and consumers whose socket "dies" on cue.
"""
import logging
from types import SimpleNamespace

import kombu.exceptions
import pytest
from eventlet.event import Event
from nameko.messaging import QueueConsumer
from nameko.rpc import RpcConsumer
from nameko.standalone.rpc import PollingQueueConsumer

from shared import amqp_resilience


@pytest.fixture(autouse=True)
def installed():
    assert amqp_resilience.install() is True  # the pinned versions: in force
    assert amqp_resilience.is_installed()


class DyingMessage:
    """A kombu message whose channel still looks alive, but whose socket resets on the ack."""

    def __init__(self, error):
        self.error = error
        self.channel = SimpleNamespace(connection=object())
        self.delivery_info = {"routing_key": "echo.ping"}

    def ack(self):
        raise self.error

    def requeue(self):
        raise self.error


def test_the_pinned_versions_are_the_verified_ones():
    assert amqp_resilience.installed_versions() == amqp_resilience.VERIFIED
    assert amqp_resilience.version_problem(amqp_resilience.VERIFIED) is None


def test_other_versions_are_refused_loudly_and_left_unpatched():
    newer = dict(amqp_resilience.VERIFIED, kombu="5.8.0")
    with pytest.warns(RuntimeWarning, match="NOT applied"):
        assert amqp_resilience.install(versions=newer) is False
    assert "5.8.0" in amqp_resilience.version_problem(newer)


@pytest.mark.parametrize("error", [ConnectionResetError(104, "Connection reset by peer"), BrokenPipeError(32, "Broken pipe"),
                                   OSError("Server unexpectedly closed connection"), EOFError()])
def test_an_ack_or_requeue_on_a_dying_socket_is_logged_not_raised(error, caplog):
    consumer = QueueConsumer()
    with caplog.at_level(logging.WARNING, logger="shared.amqp_resilience"):
        consumer.ack_message(DyingMessage(error))
        consumer.requeue_message(DyingMessage(error))
        PollingQueueConsumer().ack_message(DyingMessage(error))
    assert [r.getMessage().split(" not delivered")[0] for r in caplog.records] == ["message ack", "message requeue",
                                                                                   "message ack"]


def test_errors_that_are_not_the_connection_still_surface():
    with pytest.raises(ValueError):
        QueueConsumer().ack_message(DyingMessage(ValueError("a bug, not a blip")))


def test_a_reply_that_cannot_be_published_is_dropped_and_the_request_acknowledged(caplog):
    acked = []

    def publish_fails(self, message, result, exc_info):
        raise kombu.exceptions.OperationalError("[Errno 104] ECONNRESET")

    handle_result = amqp_resilience._reply_or_drop(publish_fails)
    consumer = SimpleNamespace(queue_consumer=SimpleNamespace(ack_message=acked.append))
    message = DyingMessage(None)
    with caplog.at_level(logging.WARNING, logger="shared.amqp_resilience"):
        assert handle_result(consumer, message, "answer", None) == ("answer", None)
    assert acked == [message]  # done with: a redelivery would run the command a second time
    assert "RPC reply of echo.ping lost" in caplog.text
    assert RpcConsumer.handle_result.__wrapped__  # nameko's own is what runs when the broker is there


def test_cancelling_on_a_dead_channel_still_lets_stop_go_on():
    class DeadConsumer:
        def cancel(self):
            raise BrokenPipeError(32, "Broken pipe")

    queue_consumer, provider, removed = QueueConsumer(), object(), Event()
    queue_consumer._consumers = {provider: DeadConsumer()}
    queue_consumer._pending_remove_providers = {provider: removed}
    queue_consumer._cancel_consumers_if_requested()
    assert removed.ready() and queue_consumer._consumers == {}


def test_the_consumer_knows_whether_it_is_connected():
    queue_consumer = QueueConsumer()
    queue_consumer.container = SimpleNamespace(config={"AMQP_URI": "pyamqp://guest:guest@127.0.0.1:1/"})
    assert amqp_resilience.broker_connected(queue_consumer) is False  # not started yet
    queue_consumer.on_consume_ready(None, None, [])
    assert amqp_resilience.broker_connected(queue_consumer) is True
    queue_consumer.on_connection_error(ConnectionRefusedError(111, "refused"), 1)
    assert amqp_resilience.broker_connected(queue_consumer) is False


def test_a_consume_loop_that_ends_marks_the_consumer_disconnected():
    def consume(self, **kwargs):
        self._broker_connected = True
        yield
        raise ConnectionResetError(104, "Connection reset by peer")

    queue_consumer = SimpleNamespace()
    loop = amqp_resilience._tracking_consume(consume)(queue_consumer)
    next(loop)
    assert amqp_resilience.broker_connected(queue_consumer) is True
    with pytest.raises(ConnectionResetError):  # kombu's run() catches it and reconnects
        next(loop)
    assert amqp_resilience.broker_connected(queue_consumer) is False


def test_reconnect_attempts_are_at_most_five_seconds_apart():
    asked = {}

    class Connection:
        def ensure_connection(self, errback, max_retries, **intervals):
            asked.update(intervals, max_retries=max_retries)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    queue_consumer = SimpleNamespace(create_connection=Connection, on_connection_error=None, connect_max_retries=None)
    with amqp_resilience._establish_connection(queue_consumer) as connection:
        assert isinstance(connection, Connection)
    assert asked == {"interval_start": 1, "interval_step": 1, "interval_max": 5, "max_retries": None}
