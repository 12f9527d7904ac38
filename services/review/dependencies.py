"""nameko dependencies: review's lasting state per container, and timers whose interval is configured."""
from nameko.extensions import DependencyProvider

from shared.clock import configured_clock
from shared.timers import configured_timer

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


def review_timer(key, default_seconds, **kwargs):
    """A timer whose interval is ``TIMERS.<key>_seconds`` in the config (shared/timers.py)."""
    return configured_timer(f"TIMERS.{key}_seconds", default_seconds, **kwargs)
