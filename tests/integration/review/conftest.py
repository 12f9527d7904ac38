"""Fixtures for the review service's integration tests: the system once per module, its clock reset per test."""
import pytest

from shared.rpc import register_platform_errors
from tests.integration.review.review_support import ReviewSystem

register_platform_errors()


@pytest.fixture(scope="module")
def system(database_url, amqp_uri):
    # Module scope: these services share the run's integration vhost with other groups of tests,
    # so they are stopped before the next module (and any other group) starts.
    started = ReviewSystem(database_url, amqp_uri).start()
    yield started
    started.stop()


@pytest.fixture(autouse=True)
def real_time(request):
    """Every test starts at the real time; tests that move review's clock get it back afterwards."""
    yield
    if "system" in request.fixturenames:
        request.getfixturevalue("system").clock.reset()
