"""The dossier service's side of checkpoints: a dependency giving the Checkpoints of its application
(or None when ``CHECKPOINTS`` names no key) and a timer that makes one every
``CHECKPOINTS.interval_seconds`` (0 turns it off: ``python -m services.dossier.checkpoints`` makes them)."""
import logging

from nameko.extensions import DependencyProvider

from shared.timers import ConfiguredTimer

from .checkpoints import configured
from .dependencies import DossierStore

log = logging.getLogger(__name__)
DEFAULT_INTERVAL_SECONDS = 300


def _settings(config):
    return (config or {}).get("CHECKPOINTS") or {}


class CheckpointKeeper(DependencyProvider):
    """``Checkpoints`` over the container's own Dossiers application (made on first use, after
    DossierStore's setup), or None when this instance has no checkpoint key configured."""

    def setup(self):
        # Keys are loaded now: a misconfigured key stops the service at start, not every call later.
        self._make = configured(self.container.config)
        self.checkpoints, self._made = None, False

    def _application(self):
        store = next(dependency for dependency in self.container.dependencies if isinstance(dependency, DossierStore))
        return store.app

    def get_dependency(self, worker_ctx):
        if not self._made:
            app = self._application()
            self.checkpoints, self._made = self._make(app, app.clock), True
        return self.checkpoints


class CheckpointTimer(ConfiguredTimer):
    """Fires every ``CHECKPOINTS.interval_seconds`` when this instance can sign; otherwise never starts."""

    def __init__(self, **kwargs):
        super().__init__("CHECKPOINTS.interval_seconds", DEFAULT_INTERVAL_SECONDS, **kwargs)

    def configured_interval(self, config):
        settings = _settings(config)
        if not settings.get("signing_key"):
            return 0
        # An empty setting (``DOSSIER_CHECKPOINT_INTERVAL_SECONDS=``) means off here, not the default.
        return float(settings.get("interval_seconds", DEFAULT_INTERVAL_SECONDS) or 0)


checkpoint_timer = CheckpointTimer.decorator
