"""Independent scaling of the review service on real RabbitMQ and PostgreSQL: two instances share
review's RPC load, and each dossier event the relay publishes is handled once by review, by one
of its instances, not once per instance."""
import eventlet
import pytest
from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import select

from shared.contracts import dossier as st
from services.dossier.application import Dossiers
from services.dossier.relay import OutboxRelay, run
from services.review.service import ReviewService
from services.review.tables import review_queue
from tests.integration.dossier.conftest import ensure_open_notice
from tests.integration.payment.dossier_journey import drive, new_dossier
from tests.service_configs import QUIET_REVIEW_TIMERS, engine_on, isolated_config, service_config
from tests.waiting import wait_until

DOSSIERS = 12


class HandlingLog(DependencyProvider):
    """Test instrumentation: which review instance handled which event, for successful handlings."""

    entries = []

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        if exc_info is None and isinstance(worker_ctx.entrypoint, EventHandler):
            HandlingLog.entries.append((worker_ctx.service.store.instance, worker_ctx.args[0]["event_id"]))


class LoggedReviewService(ReviewService):
    """The real review service (same name, handlers and queues) with the handling log added."""

    handling_log = HandlingLog()


@pytest.fixture
def review_config(database_url, amqp_vhost):
    return isolated_config(service_config("services/review/config.yaml"), database_url, amqp_vhost, "scaling_review",
                           max_workers=4, TIMERS=QUIET_REVIEW_TIMERS)


@pytest.fixture
def dossiers(database_url):
    app = Dossiers(database_url("scaling_review_dossier"), command_retries=6, retry_backoff=0.01)
    ensure_open_notice(app)
    yield app
    app.close()


@pytest.fixture
def review_db(review_config):
    with engine_on(review_config["DATABASE_URL"]) as engine:
        yield engine


def queue_versions(engine, dossier_ids):
    with engine.connect() as connection:
        rows = connection.execute(select(review_queue.c.dossier_id, review_queue.c.version, review_queue.c.status)
                                  .where(review_queue.c.dossier_id.in_(dossier_ids))).all()
    return {row.dossier_id: (row.version, row.status) for row in rows}


def test_rpc_calls_are_shared_between_two_review_instances(run_services, review_config):
    run_services((ReviewService, review_config), (ReviewService, review_config))
    with ClusterRpcProxy({"AMQP_URI": review_config["AMQP_URI"]}, timeout=30) as rpc:
        replies = [rpc.review.health.call_async() for _ in range(40)]
        instances = [reply.result()["instance"] for reply in replies]
    assert len(set(instances)) == 2
    assert min(instances.count(name) for name in set(instances)) >= 5


def test_each_dossier_event_is_handled_once_by_review_with_two_instances(run_services, review_config, dossiers,
                                                                        review_db):
    HandlingLog.entries = []
    run_services((LoggedReviewService, review_config), (LoggedReviewService, review_config))
    submitted = {}
    for _ in range(DOSSIERS):
        dossier_id, cast = new_dossier(dossiers)
        submitted[dossier_id] = drive(dossiers, dossier_id, cast, st.SUBMITTED)["version"]
    expected_events = {f"{dossier_id}:{version}" for dossier_id, last in submitted.items()
                       for version in range(1, last + 1)}

    relay = OutboxRelay(dossiers, review_config["AMQP_URI"], batch_size=50)
    stop = []
    runner = eventlet.spawn(run, dossiers, [relay], poll_interval=0.05, should_stop=lambda: bool(stop))
    try:
        wait_until(lambda: expected_events <= {event for _, event in HandlingLog.entries}, seconds=60, interval=0.1,
                   what="review to handle every event of the submitted dossiers")
        eventlet.sleep(1.0)  # time for a duplicate to show up, if there were one
    finally:
        stop.append(True)
        runner.wait()
        relay.close()

    assert queue_versions(review_db, list(submitted)) == {
        dossier_id: (version, st.SUBMITTED) for dossier_id, version in submitted.items()}
    handled = [event for _, event in HandlingLog.entries if event in expected_events]
    assert sorted(handled) == sorted(expected_events)  # every event once: not lost, not once per instance
    by_instance = {instance for instance, event in HandlingLog.entries if event in expected_events}
    assert len(by_instance) == 2  # and the two instances shared the work
