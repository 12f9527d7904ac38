"""Fixtures for the certificate service on real PostgreSQL, RabbitMQ and the S3 server, with the real
dossier service (and its relay) producing events and the real identity service answering get_account.

Applicants are registered in identity first, so the certificate carries their real name, gender
and masked ID number. Timers are off; tests run the sweep by hand when they need it.
"""
import copy
import secrets
from pathlib import Path

import eventlet
import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine

from services.certificate import exceptions as certificate_errors  # noqa: F401  (remote errors come back typed)
from services.certificate.dependencies import build_certificates
from services.certificate.ports import RpcDossierPort, RpcIdentityPort
from services.certificate.service import CertificateService
from services.dossier.application import Dossiers
from services.dossier.relay import OutboxRelay, run
from services.dossier.service import DossierService
from services.identity.dependencies import build_identity
from services.identity.service import IdentityService
from shared.config import load_config
from shared.roles import Actor
from shared.rpc import register_platform_errors
from shared.tokens import SigningKey
from tests.factories import Cast, mobile_phone, resident_id
from tests.integration.payment.dossier_journey import running

register_platform_errors()

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def certificate_dossier_config(database_url, amqp_uri):
    return {"AMQP_URI": amqp_uri, "DATABASE_URL": database_url("certificate_dossier"), "max_workers": 10,
            "COMMANDS": {"retries": 6, "retry_backoff_seconds": 0.01}}


@pytest.fixture(scope="session")
def certificate_identity_config(database_url, amqp_uri):
    config = copy.deepcopy(load_config(ROOT / "services" / "identity" / "config.yaml"))
    config.pop("LOGGING", None)
    config.update(AMQP_URI=amqp_uri, DATABASE_URL=database_url("certificate_identity"))
    config["PASSWORDS"].update(ARGON2_TIME_COST=1, ARGON2_MEMORY_KIB=8, ARGON2_PARALLELISM=1)
    config["TOKENS"]["PRIVATE_KEY"] = SigningKey.generate().private_pem()
    return config


@pytest.fixture(scope="session")
def signing_key():
    return SigningKey.generate()


@pytest.fixture(scope="session")
def certificate_config(database_url, amqp_uri, s3_settings, signing_key):
    """The real config.yaml with this run's database, broker, S3 server and a known signing key; timers off."""
    config = copy.deepcopy(load_config(ROOT / "services" / "certificate" / "config.yaml"))
    config.pop("LOGGING")
    config.update(AMQP_URI=amqp_uri, DATABASE_URL=database_url("certificate"))
    config["S3"] = dict(s3_settings, bucket=s3_settings["bucket"].replace("evidence", "certificates"))
    config["SIGNING"] = {"PRIVATE_KEY": signing_key.private_pem(), "PREVIOUS_PUBLIC_KEYS": None}
    config["TIMERS"] = {"sweep_seconds": 0}
    return config


@pytest.fixture(scope="session")
def identity_app(certificate_identity_config):
    identity, engine = build_identity(certificate_identity_config)
    yield identity
    engine.dispose()


@pytest.fixture
def dossiers(certificate_dossier_config):
    app = Dossiers(certificate_dossier_config["DATABASE_URL"], command_retries=6, retry_backoff=0.01)
    yield app
    app.close()


@pytest.fixture(scope="module")
def relay(certificate_dossier_config):
    app = Dossiers(certificate_dossier_config["DATABASE_URL"])
    follower = OutboxRelay(app, certificate_dossier_config["AMQP_URI"], batch_size=50)
    stop = []
    runner = eventlet.spawn(run, app, [follower], poll_interval=0.05, should_stop=lambda: bool(stop))
    yield follower
    stop.append(True)
    runner.wait()
    follower.close()
    app.close()


@pytest.fixture(scope="module")
def backends(certificate_dossier_config, certificate_identity_config, relay):
    """The dossier and identity services for the module (no certificate service): an RPC proxy to them."""
    with running((DossierService, certificate_dossier_config), (IdentityService, certificate_identity_config)):
        with ClusterRpcProxy({"AMQP_URI": certificate_dossier_config["AMQP_URI"]}, timeout=30) as proxy:
            yield proxy


@pytest.fixture(scope="module")
def services(backends, certificate_config):
    """Dossier, identity and one certificate service running for the module. Modules that drive the
    certificate application by hand use ``backends`` only, so no service issues behind their back."""
    with running((CertificateService, certificate_config)):
        yield backends


@pytest.fixture
def certificates(certificate_config):
    """The certificate application on the same database and bucket (a second 'instance')."""
    app = build_certificates(certificate_config)
    yield app
    app.close()


@pytest.fixture
def ports(backends):
    return RpcDossierPort(backends.dossier), RpcIdentityPort(backends.identity)


@pytest.fixture(scope="session")
def certificate_db(certificate_config):
    engine = create_engine(certificate_config["DATABASE_URL"])
    yield engine
    engine.dispose()


@pytest.fixture
def registered_cast(identity_app):
    """A Cast whose applicant is a registered identity account (``cast.account`` as identity answers)."""

    def make(name="李明", male=True):
        birth = f"19{secrets.randbelow(40) + 60}{secrets.randbelow(12) + 1:02d}{secrets.randbelow(28) + 1:02d}"
        account = identity_app.accounts.register(name, resident_id(birth=birth, male=male), mobile_phone(), "Passw0rd-test")
        cast = Cast()
        cast.applicant = Actor(account_id=account["id"], role="applicant")
        cast.account = account
        return cast

    return make
