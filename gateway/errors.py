"""The one table that turns exceptions into HTTP answers: ``{"error": {code, message, fields}}``."""
import json
import logging
import math

import amqp.exceptions
import kombu.exceptions
from nameko.exceptions import RemoteError, UnknownService
from werkzeug import Response
from werkzeug.exceptions import HTTPException

from shared.errors import PlatformError

log = logging.getLogger(__name__)
# Retry-After of a 503 that carries no figure of its own (gateway/config.yaml RPC.RETRY_AFTER_SECONDS
# sets the one of the gateway's own 503s).
RETRY_AFTER_SECONDS = 5

# (exception type, status, code, message); the first matching row wins. Platform errors carry
# their own status and Chinese message; the rest are failures a person cannot fix.
ERROR_TABLE = [
    (PlatformError, None, None, None),
    (UnknownService, 503, "service_unavailable", "服务暂时不可用,请稍后重试"),
    # The broker, met outside the gateway's bounded proxy (which answers these itself, gateway/rpc_budget.py).
    (kombu.exceptions.OperationalError, 503, "service_unavailable", "系统繁忙,暂时无法连接后台服务,请稍后重试"),
    (amqp.exceptions.ConnectionError, 503, "service_unavailable", "系统繁忙,暂时无法连接后台服务,请稍后重试"),
    (RemoteError, 502, "upstream_error", "后台服务处理出错,请稍后重试"),
    (HTTPException, None, "http_error", "请求无效"),
    (Exception, 500, "internal_error", "系统内部错误,请稍后重试;如持续出现请联系管理员"),
]


def json_response(payload, status=200, headers=None):
    return Response(json.dumps(payload, ensure_ascii=False, default=str), status=status, headers=headers,
                    mimetype="application/json")


def error_body(exc):
    """``(status, body)`` for *exc* according to ERROR_TABLE."""
    for error_type, status, code, message in ERROR_TABLE:
        if not isinstance(exc, error_type):
            continue
        if isinstance(exc, PlatformError):
            return exc.http_status, {"error": exc.to_dict()}
        if isinstance(exc, HTTPException):
            return exc.code, {"error": {"code": code, "message": message}}
        if status >= 500:
            log.error("request failed: %r", exc, exc_info=exc)
        return status, {"error": {"code": code, "message": message}}


def retry_after(exc, status):
    """Seconds a caller should wait before trying again, for a throttled (429) or unavailable (503) answer."""
    if status not in (429, 503):
        return None
    return getattr(exc, "retry_after", None) or (RETRY_AFTER_SECONDS if status == 503 else None)


def retry_headers(exc, status):
    seconds = retry_after(exc, status)
    return {"Retry-After": str(max(1, math.ceil(seconds)))} if seconds else {}


def error_response(exc):
    status, body = error_body(exc)
    # Throttled callers are told when to come back (identity's TooManyAttempts, the gateway's limits),
    # and so are callers while the services cannot be reached.
    return json_response(body, status, headers=retry_headers(exc, status) or None)
