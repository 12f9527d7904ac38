"""Fixtures for the dossier service on real PostgreSQL and RabbitMQ."""

import pytest
import yaml
from kombu import Connection, Queue

from services.dossier.application import Dossiers
from services.dossier.exceptions import NoticeNotPublishedError
from shared.clock import utc_now
from shared.contracts.dossier_events import DOSSIER_EXCHANGE
from shared.roles import Actor
from tests.factories import notice_document


@pytest.fixture(scope="session")
def dossier_config(database_url, amqp_uri):
    return {
        "AMQP_URI": amqp_uri,
        "DATABASE_URL": database_url("dossier"),
        "max_workers": 10,
        "COMMANDS": {"retries": 6, "retry_backoff_seconds": 0.01},
        "RELAY": {"batch_size": 50, "poll_interval": 0.05},
    }


@pytest.fixture(scope="session")
def dossier_config_file(dossier_config, tmp_path_factory):
    path = tmp_path_factory.mktemp("dossier") / "config.yaml"
    path.write_text(yaml.safe_dump(dossier_config))
    return str(path)


@pytest.fixture
def dossiers(dossier_config):
    app = Dossiers(dossier_config["DATABASE_URL"], command_retries=6, retry_backoff=0.01)
    yield app
    app.close()


CITY_ADMIN = Actor(account_id="city-admin-fixture", role="city_admin", org_id="city")


def ensure_open_notice(app, review_year=2026):
    """Publish an open notice for *review_year* unless one whose window covers now is there already."""
    try:
        notice = app.notice_for(review_year)
        if notice.window_start <= utc_now() <= notice.window_end:
            return
    except NoticeNotPublishedError:
        pass
    # The read-model and batch tests open several drafts for one applicant in 2026, so this test
    # notice raises the per-year limit (a policy setting); test_dossier_notices tests the default of 1.
    app.publish_notice(CITY_ADMIN, notice_document(review_year, policy={"max_active_dossiers": 10}))


@pytest.fixture(scope="session")
def open_notice_in_run_database(dossier_config):
    app = Dossiers(dossier_config["DATABASE_URL"])
    try:
        ensure_open_notice(app)
    finally:
        app.close()


@pytest.fixture(autouse=True)
def open_2026_notice(request, open_notice_in_run_database):
    """Creating and submitting need a published notice whose window is open. Tests here use review year
    2026 unless they are about notices, so 2026 is published open (window covering now) in the run's
    database and in whatever database a test's own ``dossiers`` fixture uses. Notice tests use other years."""
    if "dossiers" in request.fixturenames:
        ensure_open_notice(request.getfixturevalue("dossiers"))


@pytest.fixture
def bus_tap(amqp_uri, request):
    """A durable queue bound to every dossier event; ``tap.drain(seconds)`` returns the messages."""
    from kombu import Exchange

    exchange = Exchange(DOSSIER_EXCHANGE, type="topic", durable=True)
    queue = Queue(f"test-tap-{request.node.name[:80]}", exchange=exchange, routing_key="#", durable=True)

    class Tap:
        def declare(self):
            with Connection(amqp_uri) as connection:
                queue(connection.default_channel).declare()

        def drain(self, until, seconds=30.0):
            """Collect message bodies until ``until(bodies)`` is true or *seconds* pass."""
            import time

            bodies, deadline = [], time.monotonic() + seconds
            with Connection(amqp_uri) as connection:
                with connection.SimpleQueue(queue) as simple:
                    while time.monotonic() < deadline and not until(bodies):
                        try:
                            message = simple.get(block=True, timeout=0.5)
                        except simple.Empty:
                            continue
                        bodies.append(message.payload)
                        message.ack()
            return bodies

        def delete(self):
            with Connection(amqp_uri) as connection:
                queue(connection.default_channel).delete()

    tap = Tap()
    tap.declare()
    yield tap
    tap.delete()
