"""Fixtures for the payment service on real PostgreSQL, RabbitMQ and the real dossier service.

The dossier service runs in-process with its outbox relay, so the payment service consumes real
``dossier_*`` events; dossiers are driven through the chain with the dossier application. Timers
are off unless a test turns them on: tests call the same duties by hand to stay deterministic.
"""
import copy
from pathlib import Path

import eventlet
import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine

from services.dossier.application import Dossiers
from services.dossier.relay import OutboxRelay, run
from services.dossier.service import DossierService
from services.payment import exceptions as payment_errors  # noqa: F401  (remote errors come back typed)
from services.payment.dependencies import build_payments
from services.payment.service import PaymentService
from services.payment.simulator import PaymentSimulator
from shared.config import load_config
from shared.rpc import register_platform_errors
from tests.integration.payment.dossier_journey import running

register_platform_errors()

CONFIG_PATH = Path(__file__).resolve().parents[3] / "services" / "payment" / "config.yaml"


@pytest.fixture(scope="session")
def payment_dossier_config(database_url, amqp_uri):
    return {"AMQP_URI": amqp_uri, "DATABASE_URL": database_url("payment_dossier"), "max_workers": 10,
            "COMMANDS": {"retries": 6, "retry_backoff_seconds": 0.01}}


@pytest.fixture(scope="session")
def payment_config(database_url, amqp_uri):
    """The real config.yaml with this run's databases and broker; timers off."""
    config = copy.deepcopy(load_config(CONFIG_PATH))
    config.pop("LOGGING")
    config.update(AMQP_URI=amqp_uri, DATABASE_URL=database_url("payment"))
    config["TIMERS"] = {"sweep_seconds": 0, "simulator_seconds": 0}
    config["SIMULATOR"].update(ENABLED=True, DATABASE_URL=database_url("paysim"), SEED="integration-test-seed",
                               REFUND_DELAY_SECONDS=0, NOTIFY_URL=None)
    return config


@pytest.fixture
def dossiers(payment_dossier_config):
    app = Dossiers(payment_dossier_config["DATABASE_URL"], command_retries=6, retry_backoff=0.01)
    yield app
    app.close()


@pytest.fixture(scope="module")
def relay(payment_dossier_config):
    """The dossier outbox relay, publishing this module's dossier events for as long as it runs."""
    app = Dossiers(payment_dossier_config["DATABASE_URL"])
    follower = OutboxRelay(app, payment_dossier_config["AMQP_URI"], batch_size=50)
    stop = []
    runner = eventlet.spawn(run, app, [follower], poll_interval=0.05, should_stop=lambda: bool(stop))
    yield follower
    stop.append(True)
    runner.wait()
    follower.close()
    app.close()


@pytest.fixture(scope="module")
def services(payment_dossier_config, payment_config, relay):
    """The dossier and payment services running for the module, and an RPC proxy to both."""
    with running((DossierService, payment_dossier_config), (PaymentService, payment_config)):
        with ClusterRpcProxy({"AMQP_URI": payment_config["AMQP_URI"]}, timeout=30) as proxy:
            yield proxy


@pytest.fixture
def payments(payment_config):
    """The payment application on the same databases, for duties a timer would run and for inspection."""
    app, simulator = build_payments(payment_config)
    yield app
    app.close()
    simulator.close()


@pytest.fixture
def simulator(payment_config):
    """The provider simulator's side, as the outside world sees it (its books, its key)."""
    sim = PaymentSimulator.from_config(payment_config["SIMULATOR"])
    yield sim
    sim.close()


@pytest.fixture(scope="session")
def payment_db(payment_config):
    engine = create_engine(payment_config["DATABASE_URL"])
    yield engine
    engine.dispose()

