"""The gateway's time limits by kind of call, the broker gate, and the 503/504 answers they give."""
import json
import time
from types import SimpleNamespace

import eventlet
import kombu.exceptions
import pytest
from nameko.exceptions import UnknownService

from gateway import rpc_budget
from gateway.errors import error_response
from gateway.rpc_budget import BrokerGate, ServiceUnavailable, UpstreamTimeout
from shared.config import load_config
from shared.deadlines import DeadlineExceeded


def limits(**overrides):
    return rpc_budget.settings({"RPC": {**overrides}})


def test_every_kind_of_call_has_its_limit_from_the_config_file():
    configured = rpc_budget.settings(load_config("gateway/config.yaml"))
    assert configured == {"QUERY_SECONDS": 5, "COMMAND_SECONDS": 10, "SLOW_SECONDS": 30, "HEALTH_SECONDS": 2,
                          "BROKER_SECONDS": 1.5, "RECHECK_SECONDS": 1, "RETRY_AFTER_SECONDS": 5}


def test_the_environment_overrides_a_limit(monkeypatch):
    monkeypatch.setenv("GATEWAY_RPC_QUERY_SECONDS", "2.5")
    assert rpc_budget.settings(load_config("gateway/config.yaml"))["QUERY_SECONDS"] == 2.5


def test_a_missing_section_or_value_takes_the_defaults():
    assert rpc_budget.settings({}) == {name: float(value) for name, value in rpc_budget.DEFAULTS.items()}
    assert limits(QUERY_SECONDS="")["QUERY_SECONDS"] == 5.0


@pytest.mark.parametrize("service, method, kind", [
    ("dossier", "get", "query"), ("dossier", "list_notices", "query"), ("identity", "authenticate", "query"),
    ("dossier", "submit", "command"), ("identity", "login", "command"), ("review", "a_method_added_later", "command"),
    ("certificate", "pdf", "slow"), ("payment", "receipt_pdf", "slow"), ("review", "export_queue", "slow"),
    ("dossier", "health", "health"),
])
def test_calls_are_sorted_into_kinds(service, method, kind):
    assert rpc_budget.kind_of(service, method) == kind
    assert rpc_budget.seconds_for(limits(), service, method) == limits()[f"{kind.upper()}_SECONDS"]


def body_and_headers(exc):
    response = error_response(exc)
    return response.status_code, json.loads(response.get_data()), response.headers


def test_an_unreachable_broker_answers_503_with_retry_after_in_the_error_format():
    status, body, headers = body_and_headers(ServiceUnavailable(retry_after=7))
    assert status == 503 and headers["Retry-After"] == "7"
    assert body == {"error": {"code": "service_unavailable", "message": "系统繁忙,暂时无法连接后台服务,请稍后重试"}}


def test_other_503s_say_when_to_come_back_too():
    for error in (UnknownService("dossier"), kombu.exceptions.OperationalError("[Errno 111] refused")):
        status, body, headers = body_and_headers(error)
        assert status == 503 and int(headers["Retry-After"]) > 0 and body["error"]["code"] == "service_unavailable"


def test_a_call_out_of_time_answers_504_in_chinese():
    for error in (UpstreamTimeout(), DeadlineExceeded()):
        status, body, headers = body_and_headers(error)
        assert status == 504 and "Retry-After" not in headers
        assert body == {"error": {"code": error.code, "message": error.message}} and "请稍后重试" in error.message
    assert UpstreamTimeout().code == "upstream_timeout" and DeadlineExceeded().code == "deadline_exceeded"


def gate(connected=True, **overrides):
    broker_gate = BrokerGate()
    broker_gate.container = SimpleNamespace(config={"RPC": {"BROKER_SECONDS": 0.3, "RECHECK_SECONDS": 0.5,
                                                            "RETRY_AFTER_SECONDS": 9, **overrides}})
    broker_gate.queue_consumer = SimpleNamespace(_broker_connected=connected)
    broker_gate.setup()
    return broker_gate


def test_the_gate_sends_when_the_broker_is_there():
    assert gate().send(lambda: "reply") == "reply"


def test_a_refused_connection_is_503_and_the_next_calls_are_refused_without_trying():
    broker_gate, tried = gate(), []

    def refused():
        tried.append(1)
        raise ConnectionRefusedError(111, "Connection refused")

    with pytest.raises(ServiceUnavailable) as first:
        broker_gate.send(refused)
    assert first.value.retry_after == 9
    with pytest.raises(ServiceUnavailable):
        broker_gate.send(refused)
    assert len(tried) == 1 and broker_gate.problem().startswith("unreachable")
    eventlet.sleep(0.55)  # RECHECK_SECONDS later it tries again
    assert broker_gate.send(lambda: "reply") == "reply" and broker_gate.problem() is None


def test_a_broker_that_does_not_answer_is_503_within_the_broker_budget():
    broker_gate = gate()
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable):
        broker_gate.send(lambda: eventlet.sleep(10))
    assert time.monotonic() - started < 0.6


def test_a_disconnected_reply_consumer_is_503_at_once():
    tried = []
    with pytest.raises(ServiceUnavailable):
        gate(connected=False).send(lambda: tried.append(1))
    assert tried == []


def test_errors_that_are_not_the_broker_pass_through():
    with pytest.raises(UnknownService):
        gate().send(lambda: (_ for _ in ()).throw(UnknownService("dossier")))
