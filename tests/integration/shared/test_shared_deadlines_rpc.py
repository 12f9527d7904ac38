"""Deadlines in the nameko context data, between real services on RabbitMQ and PostgreSQL.

A call that arrives after its caller's deadline is refused before any worker starts: nothing is
written, the caller gets DeadlineExceeded, the refusal is logged. That includes the "ghost write"
case: the call waited in the queue while the service was down and would otherwise run minutes after
the person saw a timeout. A call in time runs, and its deadline reaches the next service it calls;
the events it causes do not carry it.
"""
import logging
import uuid

import eventlet
import pytest
import sqlalchemy as sa
from nameko.containers import ServiceContainer
from nameko.events import EventDispatcher, event_handler
from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy
from nameko.standalone.rpc import ClusterRpcProxy

from shared.deadlines import DEADLINE_KEY, DeadlineExceeded, deadline_in, now, rpc
from shared.observability import CorrelationId
from shared.rpc import register_platform_errors

metadata = sa.MetaData()
writes = sa.Table("deadline_writes", metadata, sa.Column("key", sa.Text, primary_key=True),
                  sa.Column("deadline", sa.Float))
EVENT_WORKERS = []


class Database(DependencyProvider):
    def setup(self):
        self.engine = sa.create_engine(self.container.config["DATABASE_URL"])

    def stop(self):
        self.engine.dispose()

    def get_dependency(self, worker_ctx):
        return self.engine


class WorkerData(DependencyProvider):
    """The worker's context data as the service method sees it (after every worker_setup)."""

    def get_dependency(self, worker_ctx):
        return worker_ctx.data


class Ledger:
    name = "deadline_ledger"

    db = Database()
    data = WorkerData()
    correlation_id = CorrelationId()
    downstream = RpcProxy("deadline_downstream")
    dispatch = EventDispatcher()

    @rpc
    def record(self, key):
        with self.db.begin() as connection:
            connection.execute(writes.insert().values(key=key, deadline=self.data.get(DEADLINE_KEY)))
        return key

    @rpc
    def relay(self, key):
        return self.downstream.record(key)

    @rpc
    def announce(self, key):
        self.dispatch("announced", {"key": key})


class Downstream(Ledger):
    name = "deadline_downstream"


class Listener:
    name = "deadline_listener"

    data = WorkerData()
    correlation_id = CorrelationId()

    @event_handler("deadline_ledger", "announced")
    def on_announced(self, payload):
        EVENT_WORKERS.append(dict(self.data))


@pytest.fixture(scope="module")
def database(database_url):
    url = database_url("deadlines")
    engine = sa.create_engine(url)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def config(database, amqp_vhost, request):
    register_platform_errors()
    return {"AMQP_URI": amqp_vhost(f"deadlines_{request.node.name[:40]}"),
            "DATABASE_URL": database.url.render_as_string(hide_password=False)}


def written(database, key):
    with database.connect() as connection:
        return connection.execute(sa.select(writes).where(writes.c.key == key)).mappings().first()


def cluster(config, deadline, timeout=10):
    return ClusterRpcProxy({"AMQP_URI": config["AMQP_URI"]}, context_data={DEADLINE_KEY: deadline}, timeout=timeout)


def test_a_call_past_its_deadline_is_refused_and_writes_nothing(config, database, run_services, caplog):
    run_services((Ledger, config))
    key = f"late-{uuid.uuid4().hex}"
    with caplog.at_level(logging.WARNING, logger="shared.deadlines"):
        with cluster(config, now() - 0.5) as rpc_:
            with pytest.raises(DeadlineExceeded):
                rpc_.deadline_ledger.record(key)
    assert written(database, key) is None
    assert "refused deadline_ledger.record" in caplog.text


def test_a_call_that_waited_out_its_deadline_in_the_queue_is_not_run_when_the_service_returns(config, database):
    key = f"ghost-{uuid.uuid4().hex}"
    first = ServiceContainer(Ledger, config)  # declares the service's queue, then goes away
    first.start()
    first.stop()
    with cluster(config, deadline_in(1), timeout=15) as rpc_:
        reply = rpc_.deadline_ledger.record.call_async(key)
        eventlet.sleep(1.5)  # the caller's deadline passes while nobody consumes
        again = ServiceContainer(Ledger, config)
        again.start()
        try:
            with pytest.raises(DeadlineExceeded):
                reply.result()
        finally:
            again.stop()
    assert written(database, key) is None


def test_a_call_in_time_runs_and_its_deadline_reaches_the_next_service(config, database, run_services):
    run_services((Ledger, config), (Downstream, config))
    key, deadline = f"relayed-{uuid.uuid4().hex}", deadline_in(10)
    with cluster(config, deadline) as rpc_:
        assert rpc_.deadline_ledger.relay(key) == key
    assert written(database, key)["deadline"] == pytest.approx(deadline)


def test_the_events_a_call_causes_do_not_carry_its_deadline(config, run_services):
    EVENT_WORKERS.clear()
    run_services((Ledger, config), (Listener, config))
    with cluster(config, deadline_in(10)) as rpc_:
        rpc_.deadline_ledger.announce("k")
    for _ in range(100):
        if EVENT_WORKERS:
            break
        eventlet.sleep(0.05)
    (data,) = EVENT_WORKERS
    assert DEADLINE_KEY not in data and data.get("correlation_id")
