"""Small helpers shared by the gateway's route modules: JSON bodies, query strings, client address."""
from shared.errors import ValidationFailed
from shared.schemas import load_or_raise

from .edge import MAX_JSON_BODY_BYTES, parse_json_object
from .errors import json_response
from .exceptions import RequestTooLarge


def json_body(request):
    """The request's JSON object, its text checked at the edge (gateway/edge.py), or a Chinese
    400-class error saying what is wrong with it."""
    if request.content_length and request.content_length > MAX_JSON_BODY_BYTES:
        raise RequestTooLarge(f"请求体过大,不能超过 {MAX_JSON_BODY_BYTES // 1024} KB")
    # The raw body whatever the declared content type (request.data is empty for form types).
    return parse_json_object(request.get_data(cache=True))


def load_body(request, schema):
    """Validate the JSON body with a marshmallow *schema* at the edge (the service checks again)."""
    return load_or_raise(schema, json_body(request))


def query_args(request, list_fields=()):
    """Query parameters as a dict; names in *list_fields* may repeat (``?status=a&status=b``)."""
    args = {}
    for name in request.args:
        values = [value for value in request.args.getlist(name) if value != ""]
        if not values:
            continue
        args[name] = values if name in list_fields else values[-1]
    return args


def int_arg(args, name, default):
    try:
        return int(args.get(name, default))
    except (TypeError, ValueError):
        raise ValidationFailed("查询参数有误", fields={name: ["应为整数"]}) from None


# How many reverse proxies of ours stand in front of the gateway (GATEWAY_TRUSTED_PROXY_HOPS); set
# once at start-up by the ClientAddresses dependency. Each proxy appends the address it saw to
# X-Forwarded-For, so only the last *hops* entries are ours: anything left of them came from the
# client and may be forged, and trusting it would let anyone dodge address-based limits.
_trusted_proxy_hops = 0


def trust_proxy_hops(hops):
    global _trusted_proxy_hops
    _trusted_proxy_hops = max(0, int(hops))


def client_address(request, hops=None):
    """The caller's address as the outermost of our proxies saw it; the socket peer without proxies."""
    hops = _trusted_proxy_hops if hops is None else hops
    forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
    if hops > 0 and len(forwarded) >= hops:
        return forwarded[-hops]
    return request.remote_addr


def created(payload):
    return json_response(payload, 201)


def ok(payload):
    return json_response(payload, 200)
