"""Deadlines in the nameko context data (shared/deadlines.py): reading them, bounding waits by them,
and refusing to start a call that arrived after its caller's deadline."""
import logging
from types import SimpleNamespace

import pytest
from nameko.events import EventHandler
from nameko.exceptions import deserialize, serialize

from shared import deadlines
from shared.deadlines import DEADLINE_KEY, DeadlineExceeded, DeadlineRpc
from shared.rpc import register_platform_errors
from shared.rpc_ports import TimedProxy


class Service:
    def ping(self, n):
        return n


def rpc_entrypoint():
    """A DeadlineRpc bound to a stand-in container that records the workers it would start."""
    entrypoint = DeadlineRpc()
    entrypoint.method_name = "ping"
    started = []
    entrypoint.container = SimpleNamespace(service_name="echo", service_cls=Service,
                                           spawn_worker=lambda *args, **kwargs: started.append((args, kwargs)))
    return entrypoint, started


def message_with(deadline):
    headers = {"nameko.correlation_id": "req-12345678"}
    if deadline is not None:
        headers[f"nameko.{DEADLINE_KEY}"] = deadline
    return SimpleNamespace(headers=headers)


@pytest.mark.parametrize("value, expected", [(1700000000.5, 1700000000.5), ("1700000000.25", 1700000000.25),
                                             (1700000000, 1700000000.0), (None, None), ("soon", None),
                                             (True, None), (float("inf"), None), (float("nan"), None), ([], None)])
def test_a_deadline_is_read_from_what_a_header_may_hold(value, expected):
    assert deadlines.parse(value) == expected


def test_a_wait_is_bounded_by_what_is_left_of_the_deadline():
    assert deadlines.bounded(30, None) == 30
    assert 4 < deadlines.bounded(30, deadlines.deadline_in(5)) <= 5
    assert deadlines.bounded(2, deadlines.deadline_in(5)) == 2
    assert deadlines.bounded(30, deadlines.now() - 1) == 0.0
    assert 9 < deadlines.bounded(None, deadlines.deadline_in(10)) <= 10


def test_a_call_past_its_deadline_is_refused_before_any_worker_starts(caplog):
    entrypoint, started = rpc_entrypoint()
    with caplog.at_level(logging.WARNING, logger="shared.deadlines"):
        with pytest.raises(DeadlineExceeded) as refused:
            entrypoint.handle_message({"args": [1], "kwargs": {}}, message_with(deadlines.now() - 2.5))
    assert started == []
    assert refused.value.http_status == 504 and "超时" in refused.value.message
    assert "refused echo.ping" in caplog.text and "req-12345678" in caplog.text


@pytest.mark.parametrize("deadline", [None, "garbage"])
def test_a_call_without_a_usable_deadline_runs_as_before(deadline):
    entrypoint, started = rpc_entrypoint()
    entrypoint.handle_message({"args": [1], "kwargs": {}}, message_with(deadline))
    assert len(started) == 1


def test_a_call_in_time_runs_with_its_deadline_in_the_worker_context():
    entrypoint, started = rpc_entrypoint()
    deadline = deadlines.deadline_in(5)
    entrypoint.handle_message({"args": [1], "kwargs": {}}, message_with(deadline))
    (_, kwargs), = started
    assert kwargs["context_data"][DEADLINE_KEY] == deadline


def test_the_refusal_comes_back_over_rpc_as_itself():
    register_platform_errors()
    again = deserialize(serialize(DeadlineExceeded()))
    assert isinstance(again, DeadlineExceeded) and again.code == "deadline_exceeded"


def test_only_rpc_workers_keep_a_deadline():
    rpc_worker = SimpleNamespace(entrypoint=DeadlineRpc(), data={DEADLINE_KEY: 1.0})
    event_worker = SimpleNamespace(entrypoint=EventHandler("dossier", "dossier_submitted"), data={DEADLINE_KEY: 1.0})
    deadlines.drop_unless_request(rpc_worker)
    deadlines.drop_unless_request(event_worker)
    assert rpc_worker.data == {DEADLINE_KEY: 1.0} and event_worker.data == {}


class RecordingProxy:
    """A nameko ServiceProxy stand-in: a worker context with data, and methods that record calls."""

    def __init__(self, deadline=None, answer_after=None):
        self.worker_ctx = SimpleNamespace(data={DEADLINE_KEY: deadline} if deadline is not None else {})
        self.sent, self.answer_after = [], answer_after

    def __getattr__(self, name):
        proxy = self

        class Method:
            def call_async(self, *args):
                proxy.sent.append((name, args))
                return Reply()

        class Reply:
            def result(self):
                import eventlet

                eventlet.sleep(proxy.answer_after or 0)
                return "answer"

        return Method()


def test_a_port_does_not_send_a_call_whose_deadline_has_passed():
    proxy = RecordingProxy(deadline=deadlines.now() - 1)
    with pytest.raises(DeadlineExceeded):
        TimedProxy(proxy, timeout=30).call("get", "d-1")
    assert proxy.sent == []


def test_a_port_waits_no_longer_than_the_deadline_and_says_so():
    proxy = RecordingProxy(deadline=deadlines.deadline_in(0.2), answer_after=5)
    with pytest.raises(DeadlineExceeded):
        TimedProxy(proxy, timeout=30).call("get", "d-1")
    assert proxy.sent == [("get", ("d-1",))]


def test_a_port_without_a_deadline_keeps_its_own_time_limit():
    proxy = RecordingProxy(answer_after=5)
    with pytest.raises(TimeoutError):
        TimedProxy(proxy, timeout=0.2).call("get", "d-1")
    assert TimedProxy(RecordingProxy(deadline=deadlines.deadline_in(5)), timeout=1).call("get", "d-1") == "answer"


def test_every_rpc_method_of_every_service_refuses_late_calls():
    import importlib

    from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
    from nameko.rpc import Rpc

    services = {"identity": "IdentityService", "dossier": "DossierService", "review": "ReviewService",
                "payment": "PaymentService", "certificate": "CertificateService"}
    for package, class_name in services.items():
        service_cls = getattr(importlib.import_module(f"services.{package}.service"), class_name)
        entrypoints = [entrypoint for member in vars(service_cls).values()
                       for entrypoint in getattr(member, ENTRYPOINT_EXTENSIONS_ATTR, ())]
        rpcs = [entrypoint for entrypoint in entrypoints if isinstance(entrypoint, Rpc)]
        assert rpcs and all(isinstance(entrypoint, DeadlineRpc) for entrypoint in rpcs), class_name
