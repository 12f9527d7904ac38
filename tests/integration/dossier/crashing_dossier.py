"""A dossier instance that dies the hard way right after saving: run by ``nameko run`` in a subprocess.

Its first command's events (and command key) are committed, then the process kills itself with
SIGKILL — no reply, no acknowledgement, no clean shutdown — exactly the "instance killed under load
between save and ack" case. RabbitMQ then hands the unacknowledged request to another instance.
"""
import os
import signal

from services.dossier.application import Dossiers
from services.dossier.dependencies import DossierStore
from services.dossier.service import DossierService


class DiesAfterSave(Dossiers):
    name = "Dossiers"  # the same event store (eventsourcing names a subclass's tables after the class)

    def save(self, *dossiers, **kwargs):
        recordings = super().save(*dossiers, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)
        return recordings


class DyingStore(DossierStore):
    def setup(self):
        config = self.container.config
        self.app = DiesAfterSave(config["DATABASE_URL"], command_retries=0)


class DyingDossierService(DossierService):
    dossiers = DyingStore()
