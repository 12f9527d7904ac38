"""The processes that make up the platform: one source for `make run`, the deploy files and their tests."""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Service:
    """A nameko service: started with ``nameko run --config <config> <entrypoint>``."""

    name: str
    entrypoint: str

    @property
    def config_path(self):
        return f"services/{self.name}/config.yaml"

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
]

# Idempotent data loads run by `make run` before the services start.
SEEDS = [
    ["-m", "services.identity.seed"],
]

WORKERS = [
    Worker("dossier-relay", "services.dossier.relay"),
]
