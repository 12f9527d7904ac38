"""The whole system in this process: identity, dossier, review, payment, certificate, the access log, notification
and the gateway on real PostgreSQL, RabbitMQ and an S3-compatible server, with the dossier outbox relay
publishing events; seeded with the demo organisations and accounts and an open notice. The payment simulator's cashier
and notifications, and the certificates' QR codes, point at this gateway."""
import copy
from pathlib import Path

import eventlet
import pytest
from nameko.containers import ServiceContainer

from gateway.service import GatewayService
from services.dossier.application import Dossiers
from services.dossier.checkpoints_keys import ensure_signing_key
from services.dossier.relay import OutboxRelay, run
from services.dossier.service import DossierService
from services.accesslog.service import AccessLogService
from services.certificate.service import CertificateService
from services.identity.service import IdentityService
from services.notification.service import NotificationService
from services.payment.service import PaymentService
from services.review.service import ReviewService
from shared.clock import TravelClock
from shared.config import load_config
from tests.conftest import _free_port
from tests.factories import notice_document
from tests.httpclient import HttpClient
from tests.service_configs import QUIET_REVIEW_TIMERS, service_config

ROOT = Path(__file__).resolve().parents[2]
DEMO_PASSWORD = "Kunming@2026"


def review_config(amqp_uri, database_url, clock, gateway_url, s3_settings):
    config = service_config("services/review/config.yaml")
    # The timers stay quiet: tests drive them through run_timers (POST /api/v1/review/timers/run).
    config.update(AMQP_URI=amqp_uri, DATABASE_URL=database_url, CLOCK=clock, TIMERS=QUIET_REVIEW_TIMERS)
    # Meeting records: their PDFs in this run's S3 server, their printed address on this gateway.
    config["S3"] = dict(s3_settings, bucket="e2e-meeting-records")
    config["RECORDS"] = dict(config["RECORDS"], VERIFY_URL=f"{gateway_url}/records/verify")
    return config


def payment_config(amqp_uri, database_url, gateway_url):
    config = service_config("services/payment/config.yaml")
    config.update(AMQP_URI=amqp_uri, DATABASE_URL=database_url("e2e_payment"))
    # The sweep stays slow (tests do not wait on expiry); the simulator settles refunds and sends
    # notifications to the gateway's notify route every second, as a provider would.
    config["TIMERS"] = {"sweep_seconds": 3600, "simulator_seconds": 1}
    config["SIMULATOR"].update(ENABLED=True, DATABASE_URL=database_url("e2e_paysim"), SEED="e2e-simulator-seed",
                               CASHIER_URL=f"{gateway_url}/payments/simulator/cashier",
                               NOTIFY_URL=f"{gateway_url}/api/v1/payments/notify/simulator",
                               REFUND_DELAY_SECONDS=0, REDELIVER_AFTER_SECONDS=5)
    return config


def notification_config(amqp_uri, database_url, clock):
    config = service_config("services/notification/config.yaml")
    # review's clock: reminders and quiet hours follow the tests' travels; the outbox is readable.
    config.update(AMQP_URI=amqp_uri, DATABASE_URL=database_url("e2e_notification"), CLOCK=clock)
    config["SMS"] = dict(config["SMS"], SENDER="outbox", EXPOSE_OUTBOX=True)
    config["DELIVERY"] = dict(config["DELIVERY"], interval_seconds=1)
    return config


def certificate_config(amqp_uri, database_url, gateway_url, s3_settings):
    config = service_config("services/certificate/config.yaml")
    config.update(AMQP_URI=amqp_uri, DATABASE_URL=database_url("e2e_certificate"),
                  VERIFY_URL=f"{gateway_url}/certificates/verify")
    config["S3"] = dict(s3_settings, bucket="e2e-certificates")
    config["TIMERS"] = {"sweep_seconds": 2}
    return config


@pytest.fixture(scope="session")
def system(database_url, amqp_vhost, s3_settings, tmp_path_factory):
    amqp_uri = amqp_vhost("e2e")  # its own: these services stay up for the whole run
    identity_config = copy.deepcopy(load_config(ROOT / "services/identity/config.yaml"))
    identity_config.update(AMQP_URI=amqp_uri, DATABASE_URL=database_url("e2e_identity"))
    identity_config["PASSWORDS"].update(ARGON2_TIME_COST=1, ARGON2_MEMORY_KIB=8, ARGON2_PARALLELISM=1)
    # The dossier service holds a checkpoint key, as make run's does: it signs audit packages (no timer
    # makes checkpoints here; tests that need one make it by hand).
    checkpoint_key = ensure_signing_key(tmp_path_factory.mktemp("checkpoint-key") / "key.pem")
    dossier_config = {"AMQP_URI": amqp_uri, "DATABASE_URL": database_url("e2e_dossier"), "max_workers": 10,
                      "CHECKPOINTS": {"interval_seconds": 0, "signing_key": str(checkpoint_key),
                                      "S3": {**s3_settings, "bucket": "e2e-audit-checkpoints"}}}
    gateway_config = copy.deepcopy(load_config(ROOT / "gateway/config.yaml"))
    port = _free_port()
    gateway_url = f"http://127.0.0.1:{port}"
    gateway_config.update(AMQP_URI=amqp_uri, WEB_SERVER_ADDRESS=f"127.0.0.1:{port}", S3=dict(s3_settings),
                          PUBLIC_BASE_URL=gateway_url, TRUSTED_PROXY_HOPS=1)  # tests speak as a proxy would
    gateway_config["UPLOADS"]["MAX_BYTES"] = 20 * 1024 * 1024
    access_spool = tmp_path_factory.mktemp("access-spool")
    gateway_config["ACCESS_LOG"].update(SPOOL_DIR=str(access_spool), SHIP_SECONDS=0.2)
    accesslog_config = service_config("services/accesslog/config.yaml")
    accesslog_config.update(AMQP_URI=amqp_uri, DATABASE_URL=database_url("e2e_accesslog"))

    clock = TravelClock()  # review's notion of now: tests move it to end publicity windows

    seed_identity(identity_config)
    dossier_app = Dossiers(dossier_config["DATABASE_URL"])  # the relay's own, as a relay process has
    containers = [ServiceContainer(cls, config) for cls, config in (
        (IdentityService, identity_config), (DossierService, dossier_config),
        (ReviewService, review_config(amqp_uri, database_url("e2e_review"), clock, gateway_url, s3_settings)),
        (PaymentService, payment_config(amqp_uri, database_url, gateway_url)),
        (CertificateService, certificate_config(amqp_uri, database_url, gateway_url, s3_settings)),
        (AccessLogService, accesslog_config), (NotificationService, notification_config(amqp_uri, database_url, clock)),
        (GatewayService, gateway_config))]
    for container in containers:
        container.start()
    relay, stop = OutboxRelay(dossier_app, amqp_uri, batch_size=50), []
    relay_runner = eventlet.spawn(run, dossier_app, [relay], poll_interval=0.05, should_stop=lambda: bool(stop))
    client = HttpClient(gateway_url)
    city = login(client, "city_admin")
    answer = city.post("/api/v1/notices", json_body=notice_document(2026))
    assert answer.status == 201, answer
    yield {"client": client, "s3": s3_settings, "identity_config": identity_config, "amqp_uri": amqp_uri,
           "review_clock": clock, "access_spool": access_spool, "checkpoint_key": checkpoint_key,
           "accesslog_database": accesslog_config["DATABASE_URL"], "notification_database": database_url("e2e_notification"),
           "dossier_database": dossier_config["DATABASE_URL"]}
    stop.append(True)
    relay_runner.wait()
    relay.close()
    for container in reversed(containers):
        container.stop()
    dossier_app.close()


def seed_identity(config):
    from services.identity.dependencies import open_database, password_hasher
    from services.identity.seed import seed_demo

    engine, session_factory = open_database(config)
    try:
        with session_factory.begin() as session:
            seed_demo(session, password_hasher(config), DEMO_PASSWORD)
    finally:
        engine.dispose()


def login(client, username, password=DEMO_PASSWORD):
    answer = client.post("/api/v1/auth/login", json_body={"username": username, "password": password})
    assert answer.status == 200, answer
    return client.with_token(answer.json["access_token"])


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright's sync API (inside this eventlet-patched process)."""
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield chromium
    chromium.close()
    # Not playwright.stop(): under eventlet's monkey patching it waits forever for the driver's exit
    # (asyncio's child watcher never fires). The driver leaves by itself when this process ends.


@pytest.fixture
def new_page(browser, system):
    """Factory: a fresh browser context (its own cookies) at a viewport, opened on the gateway."""
    contexts = []

    def open_page(viewport=DESKTOP):
        context = browser.new_context(base_url=system["client"].base_url, viewport=viewport, locale="zh-CN")
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def screenshots():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(scope="session")
def cluster_rpc(system):
    """Standalone RPC proxies to the services (``cluster_rpc.dossier``), for steps that are not ours over
    HTTP here: the payment callback's ``record_fee_paid``, acting as the system."""
    from nameko.standalone.rpc import ClusterRpcProxy

    with ClusterRpcProxy({"AMQP_URI": system["amqp_uri"]}, timeout=60) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def identity_rpc(system):
    """A standalone RPC proxy to the identity service."""
    from nameko.standalone.rpc import ClusterRpcProxy

    with ClusterRpcProxy({"AMQP_URI": system["identity_config"]["AMQP_URI"]}) as cluster:
        yield cluster.identity


@pytest.fixture(scope="session")
def notification_rpc(system):
    """A standalone RPC proxy to the notification service (texted codes are read from its outbox)."""
    from nameko.standalone.rpc import ClusterRpcProxy

    with ClusterRpcProxy({"AMQP_URI": system["amqp_uri"]}) as cluster:
        yield cluster.notification
