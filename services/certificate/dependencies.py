"""Composition root of the certificate service: the application (database, key, store) and timers."""
from nameko.extensions import DependencyProvider
from nameko.timer import Timer

from shared.clock import configured_clock

from .application import Certificates, CertificateSettings
from .numbering import Numbering
from .storage import CertificateStore


def _setting(config, path, default):
    node = config
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return default if node in (None, "") else node


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


class ConfiguredTimer(Timer):
    """A nameko timer whose interval comes from the service config; 0 or less switches it off."""

    def __init__(self, setting, default, **kwargs):
        super().__init__(interval=default, **kwargs)
        self.setting = setting
        self.default = default

    def setup(self):
        self.interval = float(_setting(self.container.config, self.setting, self.default))

    def start(self):
        if self.interval > 0:
            super().start()

    def stop(self):
        if self.gt is not None:
            super().stop()

    def kill(self):
        if self.gt is not None:
            super().kill()


configured_timer = ConfiguredTimer.decorator
