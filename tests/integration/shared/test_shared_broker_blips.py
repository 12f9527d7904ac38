"""No nameko container dies of a broker blip (shared/amqp_resilience.py), on the real RabbitMQ.

A service container talks to the broker through a TCP proxy (tcp_proxy.py); callers talk to the
broker directly. The proxy's connections are reset at exact moments — right after a reply went out,
so the ack meets a reset socket; just before a reply, with the broker "down" for longer than the
publish retries — and at random moments under concurrent traffic. Each time the container must
stay alive, reconnect and serve calls once the proxy lets it through again. (Without the patch each
of these kills the container: "thread exited with error … ConnectionResetError: [Errno 104]".)
"""
import logging
import random

import eventlet
import pytest
from nameko.exceptions import RpcTimeout
from nameko.rpc import Responder
from nameko.standalone.rpc import ClusterRpcProxy

from shared import amqp_resilience
from shared.deadlines import DEADLINE_KEY, deadline_in, rpc
from tests.integration.shared.tcp_proxy import TcpProxy
from tests.waiting import wait_until

# What the service's workers did, and which fault to inject at the reply of which call (once each).
EXECUTED = []
FAULTS = {}


class Echo:
    name = "blip_echo"

    @rpc
    def ping(self, n, fault=None):
        EXECUTED.append(n)
        if fault and n not in FAULTS:
            FAULTS[n] = fault
            eventlet.getcurrent().blip_fault = fault  # read by the reply hook in this worker's greenthread
        eventlet.sleep(random.random() * 0.005)
        return n


@pytest.fixture
def proxy():
    tcp_proxy = TcpProxy()
    yield tcp_proxy
    tcp_proxy.close()


@pytest.fixture
def faults_at_reply(proxy, monkeypatch):
    """Injects the fault a call asked for around its own reply (nameko's Responder, on the real broker)."""
    EXECUTED.clear()
    FAULTS.clear()
    send_response = Responder.send_response
    down_for = {"seconds": 6.0}

    def send_response_with_fault(self, result, exc_info):
        fault = getattr(eventlet.getcurrent(), "blip_fault", None)
        if fault == "reply":  # the broker goes away before the reply, longer than the publish retries
            proxy.refuse()
            eventlet.spawn_after(down_for["seconds"], proxy.accept)
        answer = send_response(self, result, exc_info)
        if fault == "ack":  # the reply went out; the ack that follows at once meets a reset socket
            proxy.reset()
        return answer

    monkeypatch.setattr(Responder, "send_response", send_response_with_fault)
    return down_for


@pytest.fixture
def echo(proxy, run_services, amqp_vhost, request):
    direct = amqp_vhost(f"blips_{request.node.name[:40]}")
    container, = run_services((Echo, {"AMQP_URI": proxy.amqp_uri(direct), "max_workers": 20}))
    return {"container": container, "direct": direct}


def alive(container):
    return not container._died.ready()


def served_again(direct, n, seconds=20):
    with ClusterRpcProxy({"AMQP_URI": direct}, timeout=seconds) as cluster:
        return cluster.blip_echo.ping(n)


def test_the_patch_is_in_force_in_a_service_process():
    assert amqp_resilience.is_installed()


def test_a_reset_during_the_ack_leaves_the_container_serving(echo, proxy, faults_at_reply, caplog):
    with ClusterRpcProxy({"AMQP_URI": echo["direct"]}, timeout=10) as cluster:
        assert cluster.blip_echo.ping(1) == 1
        connections_before = proxy.accepted
        with caplog.at_level(logging.WARNING, logger="shared.amqp_resilience"):
            assert cluster.blip_echo.ping(2, fault="ack") == 2  # the reply was out before the reset
            # The service acks after its caller already has the reply, so the warning may come a little later.
            wait_until(lambda: "message ack not delivered to the broker" in caplog.text, seconds=5,
                       what="the warning that the ack was lost")
    assert served_again(echo["direct"], 3) == 3
    assert alive(echo["container"]) and proxy.accepted > connections_before  # it reconnected


def test_a_broker_gone_during_the_reply_leaves_the_container_serving(echo, proxy, faults_at_reply, caplog):
    # The call carries a deadline that passes while the broker is away: the redelivery of the
    # unacknowledged request after the reconnect is refused, so the command ran exactly once.
    context = {DEADLINE_KEY: deadline_in(3)}
    with caplog.at_level(logging.WARNING):
        with ClusterRpcProxy({"AMQP_URI": echo["direct"]}, context_data=context, timeout=faults_at_reply["seconds"]) as cluster:
            with pytest.raises(RpcTimeout):
                cluster.blip_echo.ping(4, fault="reply")
        assert alive(echo["container"])
        assert served_again(echo["direct"], 5) == 5
    assert "RPC reply of blip_echo.ping lost" in caplog.text
    assert "refused blip_echo.ping" in caplog.text  # the redelivered request, past its deadline
    assert EXECUTED.count(4) == 1 and alive(echo["container"])


def test_resets_at_random_moments_under_load_leave_the_container_serving(echo, proxy):
    stop, outcomes = [], {"ok": 0, "lost": 0}

    def caller():
        with ClusterRpcProxy({"AMQP_URI": echo["direct"]}, timeout=3) as cluster:
            while not stop:
                try:
                    cluster.blip_echo.ping(7)
                    outcomes["ok"] += 1
                except RpcTimeout:  # its reply was lost with a connection: this caller's proxy is done
                    outcomes["lost"] += 1
                    return

    for _ in range(6):
        callers = [eventlet.spawn(caller) for _ in range(8)]
        eventlet.sleep(0.2 + random.random() * 0.3)
        proxy.reset()
        eventlet.sleep(0.3)
        stop.append(True)
        for greenthread in callers:
            greenthread.wait()
        stop.clear()
        assert alive(echo["container"])
    assert served_again(echo["direct"], 8) == 8
    assert alive(echo["container"]) and outcomes["ok"] > 0
