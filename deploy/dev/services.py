"""The processes that make up the platform: one source for `make run`, the deploy files and their tests."""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Service:
    """A nameko service: started with ``nameko run --config <config> <entrypoint>``."""

    name: str
    entrypoint: str
    config: str = ""
    url: str = ""  # the default address, if it listens on HTTP (launch.py prints the one GATEWAY_PORT gives)

    @property
    def config_path(self):
        return self.config or f"services/{self.name}/config.yaml"

    def command(self, python_bin):
        return [f"{python_bin}/nameko", "run", "--config", self.config_path, self.entrypoint]


@dataclass(frozen=True)
class Worker:
    """A plain process of a service (the outbox relay), started as ``python -m <module>``."""

    name: str
    module: str
    args: list = field(default_factory=list)

    def command(self, python_bin):
        return [f"{python_bin}/python", "-m", self.module, *self.args]


SERVICES = [
    Service("identity", "services.identity.service:IdentityService"),
    Service("dossier", "services.dossier.service:DossierService"),
    Service("review", "services.review.service:ReviewService"),
    Service("payment", "services.payment.service:PaymentService"),
    Service("certificate", "services.certificate.service:CertificateService"),
    Service("accesslog", "services.accesslog.service:AccessLogService"),
    Service("notification", "services.notification.service:NotificationService"),
    Service("gateway", "gateway.service:GatewayService", config="gateway/config.yaml", url="http://127.0.0.1:8000/"),
]
# Services that answer the `health` RPC (the gateway reports them all at GET /health).
RPC_SERVICES = [service for service in SERVICES if service.name != "gateway"]

# Idempotent data loads run by `make run` before the services start (the object store already runs).
# The demo story (deploy/dev/demo) goes before the notice seed, so that on a fresh machine it publishes
# the year's notice itself, on the first morning of its story.
SEEDS = [
    ["-m", "services.identity.seed"],
    ["-m", "deploy.dev.demo"],
    ["-m", "services.dossier.seed"],
]

WORKERS = [
    Worker("dossier-relay", "services.dossier.relay"),
]
