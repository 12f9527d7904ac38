"""Review's failed event handlings on real PostgreSQL and RabbitMQ: a projection that cannot be
written is recorded and reported by ``health`` until a redelivery succeeds."""
import copy
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from services.review.service import ReviewService
from services.review.tables import review_queue
from shared.config import load_config
from tests.integration.payment.dossier_journey import publish
from tests.integration.shared.event_failure_support import (
    dossier_event, health_of, records, refusing_writes, wait_until,
)

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def review_config(database_url, amqp_vhost):
    config = copy.deepcopy(load_config(ROOT / "services/review/config.yaml"))
    config.pop("LOGGING", None)
    config.update(AMQP_URI=amqp_vhost("review_failures"), DATABASE_URL=database_url("review_failures"))
    config["TIMERS"] = {"deadlines_seconds": 3600, "publicity_seconds": 3600}
    return config


@pytest.fixture
def review_db(review_config):
    engine = create_engine(review_config["DATABASE_URL"])
    yield engine
    engine.dispose()


def queued_version(engine, dossier_id):
    with engine.connect() as connection:
        return connection.execute(select(review_queue.c.version).where(review_queue.c.dossier_id == dossier_id)).scalar()


def test_a_projection_that_fails_is_reported_until_its_redelivery_succeeds(run_services, review_config, review_db):
    run_services((ReviewService, review_config))
    amqp_uri = review_config["AMQP_URI"]
    assert health_of(amqp_uri, "review")["failed_event_handlings"] == 0
    event = dossier_event("dossier_submitted")

    with refusing_writes(review_db, "review_queue"):
        publish(amqp_uri, event)
        (record,) = wait_until(lambda: records(review_db, event["event_id"]), what="the failure to be recorded")
        report = health_of(amqp_uri, "review")
        assert report["status"] == "ok" and report["failed_event_handlings"] == 1
        assert (record["handler"], record["dossier_id"], record["event_version"]) == (
            "handle_dossier_submitted", event["dossier_id"], 5)
        assert "injected fault on review_queue" in record["error"] and record["resolved_at"] is None
        assert record["correlation_id"]  # the key to this handling's log lines
        assert queued_version(review_db, event["dossier_id"]) is None

    wait_until(lambda: health_of(amqp_uri, "review")["failed_event_handlings"] == 0, what="the redelivery")
    assert queued_version(review_db, event["dossier_id"]) == 5
    assert records(review_db, event["event_id"])[0]["resolved_at"] is not None
