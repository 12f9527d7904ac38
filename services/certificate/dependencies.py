"""Composition root of the certificate service: the application (database, key, store)."""
from nameko.extensions import DependencyProvider

from shared.clock import configured_clock

from .application import Certificates, CertificateSettings
from .numbering import Numbering
from .storage import CertificateStore


def build_certificates(config, clock=None):
    """The Certificates application for *config*; the caller closes it."""
    signing = config.get("SIGNING") or {}
    return Certificates(
        config["DATABASE_URL"],
        store=CertificateStore.from_config(config["S3"]),
        settings=CertificateSettings.from_config(config),
        numbering=Numbering.from_config(config.get("NUMBERING")),
        private_key=signing.get("PRIVATE_KEY") or None,
        previous_public_keys=signing.get("PREVIOUS_PUBLIC_KEYS") or None,
        **({"clock": clock} if clock else {}),
    )


class CertificateApplication(DependencyProvider):
    """One Certificates application per container, closed in stop()."""

    def setup(self):
        self.certificates = build_certificates(self.container.config, clock=configured_clock(self.container.config))

    def stop(self):
        self.certificates.close()

    def kill(self):
        self.certificates.close()

    def get_dependency(self, worker_ctx):
        return self.certificates
