"""Small helpers shared by the gateway's route modules: JSON bodies, query strings, client address."""
import json

from shared.errors import ValidationFailed
from shared.schemas import load_or_raise

from .errors import json_response


def json_body(request):
    """The request's JSON object, or a Chinese 400-class error saying what is wrong with it."""
    # The raw body whatever the declared content type (request.data is empty for form types).
    raw = request.get_data(cache=True, as_text=True)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed("请求体不是有效的 JSON") from None
    if not isinstance(body, dict):
        raise ValidationFailed("请求体应为 JSON 对象")
    return body


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


def client_address(request):
    """The caller's address as our reverse proxy reports it, else the socket peer."""
    forwarded = request.headers.get("X-Forwarded-For", "")
    return forwarded.split(",")[0].strip() or request.remote_addr


def created(payload):
    return json_response(payload, 201)


def ok(payload):
    return json_response(payload, 200)
