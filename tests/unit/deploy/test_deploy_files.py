"""The deploy files parse, and every service they start exists with the command `make run` uses."""
import importlib
from pathlib import Path

import yaml

from deploy.dev.services import RPC_SERVICES, SERVICES, WORKERS
from shared.config import load_config

ROOT = Path(__file__).resolve().parents[3]


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_every_platform_process_has_a_compose_service_with_the_same_command():
    services = compose()["services"]
    for service in SERVICES:
        assert services[service.name]["command"] == ["nameko", "run", "--config", service.config_path, service.entrypoint]
    for worker in WORKERS:
        assert services[worker.name]["command"] == ["python", "-m", worker.module, *worker.args]


def test_every_compose_command_points_at_code_and_config_that_exist():
    for name, service in compose()["services"].items():
        command = service.get("command") or []
        if command[:2] == ["nameko", "run"]:
            assert (ROOT / command[3]).exists(), name
            module, _, cls = command[4].partition(":")
            assert hasattr(importlib.import_module(module), cls), name
        elif command[:2] == ["python", "-m"]:
            assert importlib.util.find_spec(command[2]) is not None, name


def test_platform_services_have_restart_policy_healthcheck_or_replicas():
    services = compose()["services"]
    for process in [*SERVICES, *WORKERS]:
        definition = services[process.name]
        assert definition["restart"] == "unless-stopped"
        assert "replicas" in definition["deploy"]


def test_each_service_config_loads_with_defaults_and_names_its_own_database():
    for service in RPC_SERVICES:
        config = load_config(ROOT / service.config_path)
        assert config["AMQP_URI"].startswith("pyamqp://")
        assert config["DATABASE_URL"].endswith(f"/kunming_{service.name}")


def test_the_gateway_listens_where_the_readme_says():
    gateway = next(service for service in SERVICES if service.name == "gateway")
    config = load_config(ROOT / gateway.config_path)
    assert config["WEB_SERVER_ADDRESS"] == "127.0.0.1:8000"
    assert compose()["services"]["gateway"]["ports"] == ["8000:8000"]
