"""nameko dependencies: review's lasting state per container, and timers whose interval is configured."""
from nameko.extensions import DependencyProvider
from nameko.timer import Timer

from shared.clock import configured_clock

from .context import ReviewState
from .settings import Settings


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


class ConfiguredTimer(Timer):
    """A nameko timer whose interval comes from ``TIMERS.<key>_seconds`` in the config."""

    def __init__(self, key, default_seconds, **kwargs):
        self.key = key
        super().__init__(interval=default_seconds, **kwargs)

    def setup(self):
        timers = self.container.config.get("TIMERS") or {}
        self.interval = float(timers.get(f"{self.key}_seconds", self.interval))


review_timer = ConfiguredTimer.decorator
