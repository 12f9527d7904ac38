"""Certificate's failed event handlings on real PostgreSQL and RabbitMQ: a dossier event the service
cannot apply is recorded and reported by ``health`` until a redelivery succeeds."""

import pytest
from sqlalchemy import select

from services.certificate.service import CertificateService
from services.certificate.tables import dossier_progress
from tests.integration.payment.dossier_journey import publish
from tests.integration.shared.event_failure_support import (
    dossier_event, health_of, records, refusing_writes, wait_until,
)
from tests.service_configs import engine_on, isolated_config


@pytest.fixture
def isolated_certificate_config(certificate_config, database_url, amqp_vhost):
    """Certificate on a database and virtual host of its own, so no other test's service takes its events."""
    return isolated_config(certificate_config, database_url, amqp_vhost, "certificate_failures")


@pytest.fixture
def certificate_failures_db(isolated_certificate_config):
    with engine_on(isolated_certificate_config["DATABASE_URL"]) as engine:
        yield engine


def progress(engine, dossier_id):
    with engine.connect() as connection:
        return connection.execute(select(dossier_progress.c.status)
                                  .where(dossier_progress.c.dossier_id == dossier_id)).scalar()


def test_a_revocation_that_fails_is_reported_until_its_redelivery_succeeds(
        run_services, isolated_certificate_config, certificate_failures_db):
    run_services((CertificateService, isolated_certificate_config))
    amqp_uri = isolated_certificate_config["AMQP_URI"]
    assert health_of(amqp_uri, "certificate")["failed_event_handlings"] == 0
    event = dossier_event("dossier_title_revoked", status="revoked", data={"reason": "材料造假"})

    with refusing_writes(certificate_failures_db, "dossier_progress"):
        publish(amqp_uri, event)
        (record,) = wait_until(lambda: records(certificate_failures_db, event["event_id"]), what="the failure")
        assert health_of(amqp_uri, "certificate")["failed_event_handlings"] == 1
        assert (record["service"], record["handler"]) == ("certificate", "handle_dossier_title_revoked")
        assert "injected fault on dossier_progress" in record["error"]

    wait_until(lambda: health_of(amqp_uri, "certificate")["failed_event_handlings"] == 0, what="the redelivery")
    assert progress(certificate_failures_db, event["dossier_id"]) == "revoked"
    assert records(certificate_failures_db, event["event_id"])[0]["resolved_at"] is not None
