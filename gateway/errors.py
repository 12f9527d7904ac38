"""The one table that turns exceptions into HTTP answers: ``{"error": {code, message, fields}}``."""
import json
import logging

from nameko.exceptions import RemoteError, UnknownService
from werkzeug import Response
from werkzeug.exceptions import HTTPException

from shared.errors import PlatformError

log = logging.getLogger(__name__)

# (exception type, status, code, message); the first matching row wins. Platform errors carry
# their own status and Chinese message; the rest are failures a person cannot fix.
ERROR_TABLE = [
    (PlatformError, None, None, None),
    (UnknownService, 503, "service_unavailable", "服务暂时不可用,请稍后重试"),
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


def error_response(exc):
    status, body = error_body(exc)
    # Throttled callers are told when to come back (identity's TooManyAttempts, the gateway's limits).
    retry_after = getattr(exc, "retry_after", None) if status == 429 else None
    return json_response(body, status, headers={"Retry-After": str(retry_after)} if retry_after else None)
