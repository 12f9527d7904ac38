"""The gateway's HTTP entrypoint: nameko's ``@http`` with errors answered through the error table."""
from nameko.web.handlers import HttpRequestHandler

from shared.errors import PlatformError

from . import remote_errors  # noqa: F401  (registers every service's error types with nameko)
from .errors import error_response


class JsonHttpHandler(HttpRequestHandler):
    def response_from_exception(self, exc):
        return error_response(exc)


def http(method, url, **kwargs):
    """``@http(method, url)``: refusals people cause (PlatformError) are answers, not logged faults."""
    kwargs.setdefault("expected_exceptions", (PlatformError,))
    return JsonHttpHandler.decorator(method, url, **kwargs)
