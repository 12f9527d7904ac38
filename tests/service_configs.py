"""The setup the service tests repeat: a service's real config.yaml made fit for a test run, a copy of
it isolated on a database and virtual host of its own, and an engine on a test's database.

Isolation matters for bus tests: a service on the shared virtual host would take events another
test published for its own instance, and a shared database would mix their records."""
import copy
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine

from shared.config import load_config

ROOT = Path(__file__).resolve().parents[1]
# Review's timers at an hour: none fires while a test runs unless the test starts instances of its own.
QUIET_REVIEW_TIMERS = {"deadlines_seconds": 3600, "publicity_seconds": 3600}


def service_config(path):
    """The config.yaml at *path* (relative to the repository, e.g. ``services/review/config.yaml``),
    without its LOGGING section: the tests leave logging to pytest."""
    config = copy.deepcopy(load_config(ROOT / path))
    config.pop("LOGGING", None)
    return config


def isolated_config(config, database_url, amqp_vhost, name, **overrides):
    """A copy of *config* on the database and the virtual host *name* (fixtures ``database_url`` and
    ``amqp_vhost``), with *overrides* set on top (``EVENT_HANDLING``, ``TIMERS``, ``max_workers`` …)."""
    isolated = copy.deepcopy(config)
    isolated.update(AMQP_URI=amqp_vhost(name), DATABASE_URL=database_url(name), **overrides)
    return isolated


@contextmanager
def engine_on(url):
    """An engine on the database at *url* for the length of the block (a fixture yields it)."""
    engine = create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
