"""JSON log lines carry the correlation id of the request being handled."""
import json
import logging
from types import SimpleNamespace

from shared.observability import CorrelationId, JsonFormatter, current_correlation_id


def worker(args=(), data=None):
    return SimpleNamespace(args=args, data=dict(data or {}))


def record(message="办理完成"):
    return logging.LogRecord("services.dossier", logging.INFO, __file__, 1, message, None, None)


def test_an_incoming_correlation_id_is_kept_and_current_during_the_worker():
    provider, ctx = CorrelationId(), worker(data={"correlation_id": "req-12345678"})
    provider.worker_setup(ctx)
    try:
        assert current_correlation_id() == "req-12345678"
        line = json.loads(JsonFormatter(service="dossier").format(record()))
        assert line["correlation_id"] == "req-12345678" and line["service"] == "dossier"
        assert line["message"] == "办理完成"
    finally:
        provider.worker_teardown(ctx)
    assert current_correlation_id() is None


def test_a_request_header_id_is_used_when_well_formed_and_replaced_when_not():
    provider = CorrelationId()
    good = worker(args=(SimpleNamespace(headers={"X-Request-Id": "abcdef-123456"}),))
    provider.worker_setup(good)
    provider.worker_teardown(good)
    assert good.data["correlation_id"] == "abcdef-123456"
    evil = worker(args=(SimpleNamespace(headers={"X-Request-Id": "x\n{\"forged\": 1}"}),))
    provider.worker_setup(evil)
    provider.worker_teardown(evil)
    assert evil.data["correlation_id"] != "x\n{\"forged\": 1}" and len(evil.data["correlation_id"]) == 32
