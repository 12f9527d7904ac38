"""`make run`'s environment: the defaults are the usual stack, other values move a second stack aside."""
from pathlib import Path

import pytest

from deploy.dev.launch import dev_environment, settings_from
from deploy.dev.services import SEEDS
from shared.config import load_config

ROOT = Path(__file__).resolve().parents[3]
URL_VARIABLES = ("S3_ENDPOINT", "GATEWAY_PUBLIC_URL", "PAYMENT_SIMULATOR_NOTIFY_URL", "PAYMENT_CASHIER_URL",
                 "CERTIFICATE_VERIFY_URL", "GATEWAY_PORT", "GATEWAY_HOST", "IDENTITY_TOKEN_PRIVATE_KEY")


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch):
    """The configs below are read with their defaults, whatever the shell running the tests sets."""
    for name in URL_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_without_settings_the_launcher_runs_todays_stack(tmp_path):
    settings = settings_from({})
    assert settings.run_dir == ROOT / ".run" and settings.logs == ROOT / ".run" / "logs"
    assert (settings.s3_host, settings.s3_port, settings.gateway_port) == ("127.0.0.1", 9000, 8000)
    assert settings.public_url == "http://127.0.0.1:8000"
    assert settings.seeds == SEEDS
    environment = dev_environment(settings_from({"KUNMING_RUN_DIR": str(tmp_path)}), {})
    # The same addresses the services' config files default to.
    payment = load_config(ROOT / "services/payment/config.yaml")["SIMULATOR"]
    assert environment["PAYMENT_CASHIER_URL"] == payment["CASHIER_URL"]
    assert environment["PAYMENT_SIMULATOR_NOTIFY_URL"] == "http://127.0.0.1:8000/api/v1/payments/notify/simulator"
    assert environment["CERTIFICATE_VERIFY_URL"] == load_config(ROOT / "services/certificate/config.yaml")["VERIFY_URL"]
    gateway = load_config(ROOT / "gateway/config.yaml")
    assert environment["S3_ENDPOINT"] == gateway["S3"]["endpoint"]
    assert environment["GATEWAY_PUBLIC_URL"] == gateway["PUBLIC_BASE_URL"]


def test_an_isolated_stack_moves_its_urls_run_dir_and_seeds(tmp_path, monkeypatch):
    environ = {"KUNMING_RUN_DIR": str(tmp_path / "run"), "GATEWAY_PORT": "18123", "S3_PORT": "19123", "KUNMING_SEED": "none"}
    settings = settings_from(environ)
    environment = dev_environment(settings, environ)
    assert settings.seeds == []
    assert settings.logs == tmp_path / "run" / "logs"
    assert environment["IDENTITY_TOKEN_PRIVATE_KEY"] == str(tmp_path / "run" / "identity-signing-key.pem")
    assert (tmp_path / "run" / "identity-signing-key.pem").read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert environment["S3_ENDPOINT"] == "127.0.0.1:19123"
    assert environment["PAYMENT_SIMULATOR_NOTIFY_URL"] == "http://127.0.0.1:18123/api/v1/payments/notify/simulator"
    assert environment["PAYMENT_CASHIER_URL"] == "http://127.0.0.1:18123/payments/simulator/cashier"
    assert environment["CERTIFICATE_VERIFY_URL"] == "http://127.0.0.1:18123/certificates/verify"
    # What the children then read from their config files.
    monkeypatch.setenv("GATEWAY_PORT", "18123")
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    gateway = load_config(ROOT / "gateway/config.yaml")
    assert gateway["WEB_SERVER_ADDRESS"] == "127.0.0.1:18123"
    assert gateway["PUBLIC_BASE_URL"] == "http://127.0.0.1:18123"
    assert load_config(ROOT / "services/certificate/config.yaml")["S3"]["endpoint"] == "127.0.0.1:19123"


def test_what_the_callers_environment_sets_wins(tmp_path):
    environ = {"KUNMING_RUN_DIR": str(tmp_path), "GATEWAY_PORT": "18123", "IDENTITY_TOKEN_PRIVATE_KEY": "/keys/k.pem",
               "PAYMENT_SIMULATOR_NOTIFY_URL": "http://elsewhere/notify", "S3_ENDPOINT": "s3.internal:9000"}
    environment = dev_environment(settings_from(environ), environ)
    assert environment["PAYMENT_SIMULATOR_NOTIFY_URL"] == "http://elsewhere/notify"
    assert environment["S3_ENDPOINT"] == "s3.internal:9000"
    assert environment["IDENTITY_TOKEN_PRIVATE_KEY"] == "/keys/k.pem"
    assert not (tmp_path / "identity-signing-key.pem").exists()
    assert environment["PAYMENT_SIMULATOR_ENABLED"] == "true"


def test_seeds_can_be_chosen_by_module_and_a_typo_is_refused():
    assert settings_from({"KUNMING_SEED": "services.identity.seed"}).seeds == [["-m", "services.identity.seed"]]
    with pytest.raises(SystemExit, match="services.identiti.seed"):
        settings_from({"KUNMING_SEED": "services.identiti.seed"})
