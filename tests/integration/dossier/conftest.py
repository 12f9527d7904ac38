"""Fixtures for the dossier service on real PostgreSQL and RabbitMQ."""
import pytest
import yaml
from kombu import Connection, Queue

from services.dossier.application import Dossiers
from shared.events import DOSSIER_EXCHANGE


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
