"""Every state-changing request gets an idempotency key before it reaches a service.

The key is the client's ``Idempotency-Key`` header (checked by the API's handler, gateway/api/http.py),
or one the gateway makes for this request. It goes into the nameko context data with a fingerprint
of what the request asks for, so every service on the request's path stores it with its write
(shared/idempotency.py): a request nameko redelivers after a crash is recorded once, and a client
that retries after a 504 with the same key gets the first answer. A key sent again with a different
request is refused (409).
"""
import logging

from nameko.extensions import DependencyProvider

from shared.errors import ValidationFailed
from shared.idempotency import (
    HEADER, IDEMPOTENCY_KEY, REQUEST_FINGERPRINT, STATE_CHANGING_METHODS, check_client_key, new_key,
    request_fingerprint,
)

from .edge import MAX_JSON_BODY_BYTES

log = logging.getLogger(__name__)
# Bodies small and stable enough to be part of the fingerprint. A multipart upload is left out: its
# boundary is random per attempt, so a client's retry would never match its first try.
_FINGERPRINTED_TYPES = ("application/json", "application/x-www-form-urlencoded")


def client_key(request):
    """The request's valid ``Idempotency-Key``, None without one; a malformed one is a 422."""
    if HEADER not in request.headers:
        return None
    return check_client_key(request.headers.get(HEADER))


def fingerprint(request):
    body = b""
    if request.mimetype in _FINGERPRINTED_TYPES and (request.content_length or 0) <= MAX_JSON_BODY_BYTES:
        body = request.get_data(cache=True)
    return request_fingerprint(request.method, request.path, body)


class RequestKeys(DependencyProvider):
    """Puts the request's key and fingerprint into the worker's context data (state-changing methods)."""

    def worker_setup(self, worker_ctx):
        request = worker_ctx.args[0] if worker_ctx.args else None
        if getattr(request, "method", None) not in STATE_CHANGING_METHODS:
            return
        try:
            key = client_key(request)
        except ValidationFailed:  # pages never send one; the API's handler refused a bad one already
            key = None
        worker_ctx.data[IDEMPOTENCY_KEY] = key or new_key()
        try:
            worker_ctx.data[REQUEST_FINGERPRINT] = fingerprint(request)
        except Exception:  # never fail here: an error in worker set-up would stop the whole gateway
            log.exception("could not fingerprint the request; its key is checked without one")

    def get_dependency(self, worker_ctx):
        return worker_ctx.data.get(IDEMPOTENCY_KEY)
