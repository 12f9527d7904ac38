"""Structured JSON logs carrying a correlation id that follows one request everywhere it goes.

The gateway takes the id from the ``X-Request-Id`` header (or makes one) and puts it in the nameko
worker's context data, which nameko sends along with every RPC call and event; each service's
``CorrelationId`` dependency picks it up, so every log line of that request, in any service,
carries the same ``correlation_id``. Services load the formatter through their config's LOGGING.
"""
import contextvars
import json
import logging
import re
import uuid
from datetime import datetime, timezone

from nameko.extensions import DependencyProvider

from .deadlines import drop_unless_request

CORRELATION_KEY = "correlation_id"
_current = contextvars.ContextVar(CORRELATION_KEY, default=None)
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


def current_correlation_id():
    return _current.get()


def _incoming_request_id(worker_ctx):
    request = worker_ctx.args[0] if worker_ctx.args else None
    headers = getattr(request, "headers", None)
    if headers is None:
        return None
    candidate = headers.get("X-Request-Id", "")
    # Only well-formed ids are trusted: a header is user input and ends up in every log line.
    return candidate if _VALID_ID.match(candidate) else None


class CorrelationId(DependencyProvider):
    """Makes the request's correlation id current in this worker and passes it on downstream."""

    def worker_setup(self, worker_ctx):
        drop_unless_request(worker_ctx)  # a request's deadline never governs the events it caused
        correlation_id = (worker_ctx.data.get(CORRELATION_KEY) or _incoming_request_id(worker_ctx)
                          or uuid.uuid4().hex)
        worker_ctx.data[CORRELATION_KEY] = correlation_id
        self._tokens = getattr(self, "_tokens", {})
        self._tokens[id(worker_ctx)] = _current.set(correlation_id)

    def worker_teardown(self, worker_ctx):
        token = getattr(self, "_tokens", {}).pop(id(worker_ctx), None)
        if token is not None:
            _current.reset(token)

    def get_dependency(self, worker_ctx):
        return worker_ctx.data.get(CORRELATION_KEY)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, service, correlation id."""

    def __init__(self, service="", **kwargs):
        super().__init__()
        self.service = service

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "service": self.service,
            "correlation_id": current_correlation_id(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def logging_config(service, level="INFO"):
    """A logging.config.dictConfig for *service* with JSON lines on stderr."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "shared.observability.JsonFormatter", "service": service}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json"}},
        "root": {"level": level, "handlers": ["stderr"]},
    }
