"""Every Kubernetes manifest parses, and every platform process has a Deployment running its real command."""
from pathlib import Path

import yaml

from deploy.dev.services import SERVICES, WORKERS

K8S = Path(__file__).resolve().parents[3] / "deploy" / "k8s"


def documents():
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        docs.extend(doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc)
    return docs


def deployments():
    return {doc["metadata"]["name"]: doc for doc in documents() if doc["kind"] == "Deployment"}


def container(deployment):
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return only


def test_every_manifest_has_kind_name_and_namespace():
    for doc in documents():
        assert doc["kind"] and doc["metadata"]["name"]
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "kunming-title"


def test_every_service_and_worker_runs_its_make_run_command():
    found = deployments()
    for service in SERVICES:
        assert container(found[service.name])["command"] == [
            "nameko", "run", "--config", service.config_path, service.entrypoint]
    for worker in WORKERS:
        assert container(found[worker.name])["command"] == ["python", "-m", worker.module, *worker.args]


def test_every_deployment_has_probes_resources_and_configuration():
    for name, deployment in deployments().items():
        spec = container(deployment)
        assert "livenessProbe" in spec, name
        assert spec["resources"]["requests"]["cpu"], name
        sources = {next(iter(source.values()))["name"] for source in spec["envFrom"]}
        assert sources == {"kunming-title-config", "kunming-title-secrets"}, name
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()


def test_autoscalers_point_at_existing_deployments():
    names = deployments()
    scalers = [doc for doc in documents() if doc["kind"] == "HorizontalPodAutoscaler"]
    assert {"gateway", "dossier", "review"} <= {doc["spec"]["scaleTargetRef"]["name"] for doc in scalers}
    for scaler in scalers:
        assert scaler["spec"]["scaleTargetRef"]["name"] in names


def test_the_secret_template_holds_placeholders_only():
    secret = next(doc for doc in documents() if doc["kind"] == "Secret")
    for key, value in secret["stringData"].items():
        assert "CHANGE-ME" in value, key


def test_the_secret_template_names_every_services_database_setting():
    import re

    secret = next(doc for doc in documents() if doc["kind"] == "Secret")
    for service in SERVICES:
        text = (K8S.parents[1] / service.config_path).read_text(encoding="utf-8")
        match = re.search(r"^DATABASE_URL: \$\{(\w+):", text, re.MULTILINE)
        if match:
            assert match.group(1) in secret["stringData"], service.name
