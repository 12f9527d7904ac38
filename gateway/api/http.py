"""The JSON API's HTTP entrypoint: nameko's ``@http`` with errors answered through the error table
(the pages have their own, gateway/pages/handler.py; both share one web server)."""
from nameko.web.handlers import HttpRequestHandler

from shared.errors import PlatformError

from .. import remote_errors  # noqa: F401  (registers every service's error types with nameko)
from ..edge import check_request_line
from ..errors import error_response
from ..request_keys import client_key
from ..webserver import GatewayWebServer


class JsonHttpHandler(HttpRequestHandler):
    server = GatewayWebServer()  # shared with the pages' handler: one socket, platform 404/405 answers

    def get_entrypoint_parameters(self, request):
        # Before a worker starts: a hostile path or query never reaches the route (gateway/edge.py).
        check_request_line(request)
        client_key(request)  # a malformed Idempotency-Key is a field error, before any service is asked
        return super().get_entrypoint_parameters(request)

    def response_from_exception(self, exc):
        return error_response(exc)


def http(method, url, **kwargs):
    """``@http(method, url)``: refusals people cause (PlatformError) are answers, not logged faults."""
    kwargs.setdefault("expected_exceptions", (PlatformError,))
    return JsonHttpHandler.decorator(method, url, **kwargs)
