"""Payment's consumers and poison, on real RabbitMQ and PostgreSQL: a dossier event that breaks the bus
contract was once dropped unseen (``load_dossier_event`` gave None); now it is recorded and parked at
its first attempt, ``health`` says ``degraded``, and the events after it are still applied."""

import eventlet
import pytest
from sqlalchemy import select

from services.payment.service import PaymentService
from services.payment.tables import dossier_progress
from tests.integration.payment.dossier_journey import publish
from tests.integration.shared.event_failure_support import dossier_event, health_of, records, wait_until
from tests.service_configs import engine_on, isolated_config


@pytest.fixture
def poison_config(payment_config, database_url, amqp_vhost):
    return isolated_config(payment_config, database_url, amqp_vhost, "payment_poison",
                           EVENT_HANDLING={"max_attempts": 3, "retry_pause_seconds": 0.2})


@pytest.fixture
def poison_db(poison_config):
    with engine_on(poison_config["DATABASE_URL"]) as engine:
        yield engine


def progress(engine, dossier_id):
    with engine.connect() as connection:
        return connection.execute(select(dossier_progress.c.status)
                                  .where(dossier_progress.c.dossier_id == dossier_id)).scalar()


def test_an_event_breaking_the_contract_is_recorded_and_parked_and_the_next_is_applied(
        run_services, poison_config, poison_db):
    run_services((PaymentService, poison_config))
    amqp_uri = poison_config["AMQP_URI"]
    broken = dossier_event("dossier_withdrawn", status="withdrawn")
    del broken["dossier"]  # event-carried state missing: it can never be applied
    publish(amqp_uri, broken)
    (record,) = wait_until(lambda: records(poison_db, broken["event_id"]), what="the broken event to be recorded")
    assert (record["handler"], record["attempts"]) == ("handle_dossier_withdrawn", 1)
    assert record["parked_at"] and "ContractBroken" in record["error"] and "dossier" in record["error"]

    later = dossier_event("dossier_withdrawn", status="withdrawn")
    publish(amqp_uri, later)
    wait_until(lambda: progress(poison_db, later["dossier_id"]) == "withdrawn", what="the next event")
    eventlet.sleep(0.6)
    assert records(poison_db, broken["event_id"])[0]["attempts"] == 1  # acknowledged, not redelivered
    report = health_of(amqp_uri, "payment")
    assert (report["status"], report["failed_event_handlings"]) == ("degraded", 1)
