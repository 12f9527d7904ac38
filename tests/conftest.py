"""Test harness: real PostgreSQL and RabbitMQ, isolated per test run.

eventlet must patch the standard library before anything imports sockets or psycopg2, or nameko
tests hang; that is why it is the first statement here.
"""
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import os  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import uuid  # noqa: E402

import pytest  # noqa: E402
from nameko.containers import ServiceContainer  # noqa: E402

from shared.db import drop_database, ensure_database  # noqa: E402
from tests.infrastructure import rabbitmqctl  # noqa: E402

PG_SERVER = os.environ.get("TEST_PG_SERVER", "postgresql+psycopg2://postgres@127.0.0.1:5432")
AMQP_SERVER = os.environ.get("TEST_AMQP_SERVER", "pyamqp://guest:guest@127.0.0.1:5672")
RUN_ID = uuid.uuid4().hex[:8]
# Every review service a test starts derives its meetings' ballot keys from this run's own master key
# (services/review/config.yaml BALLOTS); it lives only in this process's environment, as in production.
os.environ.setdefault("REVIEW_BALLOT_MASTER_KEY", os.urandom(32).hex())
# Gateways a test starts spool their access records under this run's own directory, never the checkout's.
os.environ.setdefault("GATEWAY_ACCESS_SPOOL_DIR", os.path.join(tempfile.gettempdir(), f"kunming-test-access-spool-{RUN_ID}"))


@pytest.fixture(scope="session")
def database_url():
    """Factory: ``database_url("dossier")`` gives a fresh database for this test run, dropped at the end."""
    created = []

    def make(service_name):
        url = f"{PG_SERVER}/kunming_test_{service_name}_{RUN_ID}"
        if url not in created:
            ensure_database(url)
            created.append(url)
        return url

    yield make
    for url in created:
        drop_database(url)


@pytest.fixture(scope="session")
def amqp_vhost():
    """Factory: ``amqp_vhost("e2e")`` gives a RabbitMQ virtual host of this test run, deleted at the end.

    Services started for one group of tests live in their own virtual host, so a service still
    running for one group (the e2e system) never answers another group's calls.
    """
    created = []

    def make(purpose):
        vhost = f"kunming_test_{RUN_ID}_{purpose}"
        if vhost not in created:
            if rabbitmqctl("add_vhost", vhost, check=False).returncode != 0:
                rabbitmqctl("await_startup", "--timeout", "60")  # a broker still starting up: wait, then once more
                rabbitmqctl("add_vhost", vhost)
            rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
            created.append(vhost)
        return f"{AMQP_SERVER}/{vhost}"

    yield make
    for vhost in created:
        rabbitmqctl("delete_vhost", vhost, check=False)


@pytest.fixture(scope="session")
def amqp_uri(amqp_vhost):
    """The virtual host shared by the integration tests of this run."""
    return amqp_vhost("integration")


@pytest.fixture
def run_services():
    """Start nameko service classes in this process: ``run_services((Cls, config), ...)``; stopped after the test."""
    containers = []

    def start(*services):
        for service_cls, config in services:
            container = ServiceContainer(service_cls, config)
            container.start()
            containers.append(container)
        return containers

    yield start
    for container in reversed(containers):
        container.stop()


def _free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def s3_settings():
    """A real S3-compatible server (moto in server mode) for this test run, reached through minio."""
    import socket
    import sys

    from tests.waiting import wait_until

    def listening():
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) == 0

    port = _free_port()
    moto = os.path.join(os.path.dirname(sys.executable), "moto_server")
    server = subprocess.Popen([moto, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    wait_until(listening, seconds=30, interval=0.2, what=f"the S3 stand-in (moto_server) on port {port}")
    yield {"endpoint": f"127.0.0.1:{port}", "access_key": "test", "secret_key": "test-secret",
           "bucket": f"evidence-{RUN_ID}", "secure": False}
    server.terminate()
    server.wait(timeout=10)
