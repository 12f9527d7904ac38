"""Review's failed event handlings on real PostgreSQL and RabbitMQ: a projection that cannot be
written is recorded and reported by ``health`` until a redelivery succeeds; an event that can never
be applied is recorded once and parked, and the queue moves on."""
from pathlib import Path

import eventlet
import pytest
from sqlalchemy import select

from services.review.service import ReviewService
from services.review.tables import review_queue
from shared.event_failures import original_payload
from shared.event_replay import main as event_replay
from tests.integration.payment.dossier_journey import publish
from tests.integration.shared.event_failure_support import (
    dossier_event, health_of, records, refusing_writes, wait_until,
)
from tests.service_configs import QUIET_REVIEW_TIMERS, engine_on, isolated_config, service_config

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def review_config(database_url, amqp_vhost):
    return isolated_config(service_config("services/review/config.yaml"), database_url, amqp_vhost, "review_failures",
                           TIMERS=QUIET_REVIEW_TIMERS)


@pytest.fixture
def review_db(review_config):
    with engine_on(review_config["DATABASE_URL"]) as engine:
        yield engine


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
        assert report["status"] == "degraded" and report["failed_event_handlings"] == 1
        assert (record["handler"], record["dossier_id"], record["event_version"]) == (
            "handle_dossier_submitted", event["dossier_id"], 5)
        assert "injected fault on review_queue" in record["error"] and record["resolved_at"] is None
        assert record["correlation_id"]  # the key to this handling's log lines
        assert queued_version(review_db, event["dossier_id"]) is None

    wait_until(lambda: health_of(amqp_uri, "review")["failed_event_handlings"] == 0, what="the redelivery")
    assert queued_version(review_db, event["dossier_id"]) == 5
    assert records(review_db, event["event_id"])[0]["resolved_at"] is not None


def test_an_event_that_cannot_be_applied_is_recorded_once_and_the_queue_moves_on(
        run_services, review_config, review_db, tmp_path):
    """A NUL byte (accepted before the edge refused it) cannot be written to a text column: the failure
    is recorded with the payload kept exactly, the message is not redelivered, later events project."""
    run_services((ReviewService, review_config))
    amqp_uri = review_config["AMQP_URI"]
    poisoned = dossier_event("dossier_submitted")
    poisoned["dossier"]["specialty"] = "给排水\u0000工程"
    publish(amqp_uri, poisoned)
    (record,) = wait_until(lambda: records(review_db, poisoned["event_id"]), what="the failure to be recorded")
    assert record["parked_at"] and "NUL" in record["error"]
    assert original_payload(record["payload"]) == poisoned  # the bad byte survives the recording

    later = dossier_event("dossier_submitted")
    publish(amqp_uri, later)
    wait_until(lambda: queued_version(review_db, later["dossier_id"]) == 5, what="a later event to project")
    eventlet.sleep(1.5)  # a redelivery would come after the one-second pause
    assert records(review_db, poisoned["event_id"])[0]["attempts"] == 1
    assert health_of(amqp_uri, "review")["failed_event_handlings"] == 1

    config_file = tmp_path / "review.yaml"
    config_file.write_text(f"AMQP_URI: {amqp_uri}\nDATABASE_URL: {review_config['DATABASE_URL']}\n")
    assert event_replay(["--config", str(config_file), "--service", "review", "replay", "--all"]) == 0
    # Replayed unrepaired, the original bytes fail the same way once more and are parked again.
    wait_until(lambda: records(review_db, poisoned["event_id"])[0]["attempts"] == 2, what="the replay to be handled")
    assert queued_version(review_db, poisoned["dossier_id"]) is None
