"""Fixtures for the notification service on real PostgreSQL and RabbitMQ with the real identity service.

Identity's database is shared by every notification deployment of the run (each test makes its own
people and units); each deployment (notification_support.System) has its own notification database
and virtual host, so one group's timers and consumers never touch another's messages."""
import copy
from pathlib import Path

import pytest

from services.identity.dependencies import build_identity
from services.identity.seed import seed_organisations
from shared.config import load_config
from shared.contracts import notification_errors  # noqa: F401  (remote errors come back typed)
from shared.rpc import register_platform_errors
from tests.integration.notification.notification_support import People, System

register_platform_errors()

IDENTITY_CONFIG = Path(__file__).resolve().parents[3] / "services" / "identity" / "config.yaml"


@pytest.fixture(scope="session")
def notification_identity_config(database_url):
    config = copy.deepcopy(load_config(IDENTITY_CONFIG))
    config.pop("LOGGING", None)
    config["DATABASE_URL"] = database_url("notification_identity")
    config["PASSWORDS"].update(ARGON2_TIME_COST=1, ARGON2_MEMORY_KIB=8, ARGON2_PARALLELISM=1)
    config["REDIS"]["URL"] = ""  # throttles in memory: nothing here logs in
    return config


@pytest.fixture(scope="session")
def people(notification_identity_config):
    identity, engine = build_identity(notification_identity_config)
    with identity.session_factory.begin() as session:
        orgs = seed_organisations(session)
    yield People(identity, orgs["昆明市人社局"], orgs["五华区人社局"])
    engine.dispose()


@pytest.fixture(scope="session")
def deploy(database_url, amqp_vhost, notification_identity_config, people):
    """``deploy(name, instances=1, **config sections)`` → a started System (the caller stops it)."""
    def make(name, instances=1, **overrides):
        return System(name, database_url, amqp_vhost, notification_identity_config, **overrides).start(instances)

    return make


@pytest.fixture
def make_system(deploy):
    """A deployment of the test's own, stopped after it: ``make_system(name, instances, **sections)``."""
    systems = []

    def make(name, instances=1, **overrides):
        systems.append(deploy(name, instances, **overrides))
        return systems[-1]

    yield make
    for system in reversed(systems):
        system.stop()


@pytest.fixture(scope="module")
def system(deploy, request):
    """The module's own deployment: one notification instance, timers off."""
    module = request.module.__name__.rsplit(".", 1)[-1]
    deployed = deploy(module.removeprefix("test_"))
    yield deployed
    deployed.stop()
