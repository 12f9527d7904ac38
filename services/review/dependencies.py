"""nameko dependencies: review's lasting state per container, the meeting records' key and store,
timers whose interval is configured, and review's own bus events."""
import logging

from nameko.extensions import DependencyProvider

from shared.clock import configured_clock
from shared.timers import configured_timer

from .cases.records import RecordKit
from .context import ReviewState
from .record_signing import RecordKeys, RecordStore
from .settings import RecordSettings, Settings

log = logging.getLogger(__name__)


class ReviewStore(DependencyProvider):
    """Creates the database, tables and calendar seed in setup(); disposes of the engine in stop().

    A ``CLOCK`` callable in the config (in-process tests only; YAML cannot hold one) replaces the clock.
    """

    def setup(self):
        config = self.container.config
        self.state = ReviewState(config["DATABASE_URL"], Settings.from_config(config), clock=configured_clock(config))

    def stop(self):
        self.state.close()

    def kill(self):
        self.state.close()

    def get_dependency(self, worker_ctx):
        return self.state


class MeetingRecordKit(DependencyProvider):
    """The meeting records' settings, PDF store (config ``S3``) and signing key, one per container.

    The key is loaded on first use with the state's engine (``RecordKeys``): setup() runs alongside
    ReviewStore's, which creates the tables the key is kept in. No ``S3`` section: no records.
    """

    def setup(self):
        config = self.container.config
        settings = RecordSettings.from_config(config)
        self.kit = (RecordKit(settings, RecordStore.from_config(config["S3"]), RecordKeys(settings))
                    if config.get("S3") else None)

    def get_dependency(self, worker_ctx):
        return self.kit


def review_timer(key, default_seconds, **kwargs):
    """A timer whose interval is ``TIMERS.<key>_seconds`` in the config (shared/timers.py)."""
    return configured_timer(f"TIMERS.{key}_seconds", default_seconds, **kwargs)
