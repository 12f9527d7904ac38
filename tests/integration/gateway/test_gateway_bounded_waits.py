"""The gateway never hangs and never answers 500 for a service or broker that is not there.

A real gateway container on RabbitMQ, with short time limits (gateway/config.yaml ``RPC``), in front
of a stand-in ``dossier`` service (the real one's RPC names): a service that answers too late is 504
within the limit; a stopped one is 504 too, and the call does not run when it comes back (its deadline
travelled with it); a broker that refuses or hangs is 503 with Retry-After within the broker budget,
for the API and for pages; /health answers within its own limit naming the broker and each service
that did not answer; everything works again once the broker is back.
"""
import time

import eventlet
import pytest
from nameko.containers import ServiceContainer
from nameko.extensions import DependencyProvider

from gateway.api.ops import CHECKED_SERVICES
from gateway.service import GatewayService
from shared.deadlines import DEADLINE_KEY, now, rpc
from shared.observability import CorrelationId
from tests.conftest import _free_port
from tests.httpclient import HttpClient
from tests.integration.shared.tcp_proxy import TcpProxy
from tests.service_configs import service_config
from tests.waiting import wait_until

LIMITS = {"QUERY_SECONDS": 1, "COMMAND_SECONDS": 1, "SLOW_SECONDS": 2, "HEALTH_SECONDS": 1, "BROKER_SECONDS": 0.8,
          "RECHECK_SECONDS": 0.5, "RETRY_AFTER_SECONDS": 7}
MARGIN = 1.0  # seconds beyond a limit that an answer may take on a busy two-core machine
CALLS = []  # (method, deadline it carried) of every call the stand-in dossier service ran
SLOWNESS = {"seconds": 0.0}


class WorkerData(DependencyProvider):
    def get_dependency(self, worker_ctx):
        return worker_ctx.data


class StandInDossier:
    name = "dossier"

    data = WorkerData()
    correlation_id = CorrelationId()

    @rpc
    def list_notices(self):
        CALLS.append(("list_notices", self.data.get(DEADLINE_KEY)))
        eventlet.sleep(SLOWNESS["seconds"])
        return []

    @rpc
    def health(self):
        return {"service": "dossier", "status": "ok"}


class StandInReview(StandInDossier):
    name = "review"


@pytest.fixture(autouse=True)
def fresh_stand_ins():
    CALLS.clear()
    SLOWNESS["seconds"] = 0.0


@pytest.fixture
def vhost(amqp_vhost, request):
    return amqp_vhost(f"gw_bounded_{request.node.name[:40]}")


@pytest.fixture
def start_gateway(run_services, s3_settings):
    def start(amqp_uri):
        port = _free_port()
        config = service_config("gateway/config.yaml")
        config.update(AMQP_URI=amqp_uri, WEB_SERVER_ADDRESS=f"127.0.0.1:{port}", S3=dict(s3_settings),
                      PUBLIC_BASE_URL=f"http://127.0.0.1:{port}", REDIS={"URL": ""})
        config["RPC"].update(LIMITS)
        run_services((GatewayService, config))
        return HttpClient(f"http://127.0.0.1:{port}")

    return start


def timed(call):
    started = time.monotonic()
    answer = call()
    return answer, time.monotonic() - started


def test_a_query_answered_too_late_is_504_within_its_limit_and_carried_its_deadline(vhost, start_gateway, run_services):
    run_services((StandInDossier, {"AMQP_URI": vhost}))
    client = start_gateway(vhost)
    SLOWNESS["seconds"] = 3.0
    sent_at = now()
    answer, took = timed(lambda: client.get("/api/v1/notices"))
    assert answer.status == 504 and took < LIMITS["QUERY_SECONDS"] + MARGIN, (answer, took)
    assert answer.json == {"error": {"code": "upstream_timeout",
                                     "message": "后台服务未能及时响应,请稍后重试;如刚提交了修改,请先刷新查看是否已生效"}}
    (method, deadline), = CALLS
    assert method == "list_notices" and sent_at + LIMITS["QUERY_SECONDS"] <= deadline <= now()

    page, took = timed(lambda: client.get("/"))  # the home page lists the open notices
    assert page.status == 504 and took < LIMITS["QUERY_SECONDS"] + MARGIN
    assert "系统繁忙" in page.text and "未能及时响应" in page.text


def test_a_stopped_service_is_504_and_the_call_does_not_run_when_it_returns(vhost, start_gateway):
    stopped = ServiceContainer(StandInDossier, {"AMQP_URI": vhost})  # its queue stays, nobody consumes
    stopped.start()
    stopped.stop()
    client = start_gateway(vhost)
    answer, took = timed(lambda: client.get("/api/v1/notices"))
    assert answer.status == 504 and took < LIMITS["QUERY_SECONDS"] + MARGIN, (answer, took)

    back = ServiceContainer(StandInDossier, {"AMQP_URI": vhost})
    back.start()
    try:
        eventlet.sleep(1.0)  # the queued call is delivered now, and refused: its deadline has passed
        assert CALLS == []
        answer = client.get("/api/v1/notices")
        assert answer.status == 200 and answer.json == {"items": []} and len(CALLS) == 1
    finally:
        back.stop()


@pytest.fixture
def proxied(vhost, start_gateway, run_services):
    """The gateway reaches the broker through a TCP proxy; the stand-in dossier service directly."""
    proxy = TcpProxy()
    run_services((StandInDossier, {"AMQP_URI": vhost}))
    client = start_gateway(proxy.amqp_uri(vhost))
    assert client.get("/api/v1/notices").status == 200
    yield proxy, client
    proxy.accept()
    proxy.resume()


def test_a_broker_that_is_down_is_503_with_retry_after_quickly_for_api_and_pages(proxied):
    proxy, client = proxied
    proxy.refuse()
    for _ in range(3):  # the first meets the dead connections, the next ones are refused at once
        answer, took = timed(lambda: client.get("/api/v1/notices"))
        assert answer.status == 503 and took < 2.0, (answer, took)
        assert answer.headers["Retry-After"] == "7"
        assert answer.json == {"error": {"code": "service_unavailable", "message": "系统繁忙,暂时无法连接后台服务,请稍后重试"}}
    page, took = timed(lambda: client.get("/"))
    assert page.status == 503 and took < 2.0 and page.headers["Retry-After"] == "7"
    assert "系统繁忙" in page.text and "暂时无法连接" in page.text and page.headers["Content-Type"].startswith("text/html")

    health, took = timed(lambda: client.get("/health"))
    assert health.status == 503 and took < LIMITS["HEALTH_SECONDS"] + MARGIN
    assert health.json["broker"]["status"] == "error"
    assert {name: report["error"] for name, report in health.json["services"].items()} == {
        name: "broker_unreachable" for name in CHECKED_SERVICES}

    proxy.accept()  # the broker is back: the gateway reconnects by itself
    wait_until(lambda: client.get("/api/v1/notices").status == 200, seconds=20, interval=0.2,
               what="the gateway to answer /api/v1/notices again")
    assert client.get("/health").json["broker"] == {"status": "ok"}


def test_a_broker_that_hangs_is_503_within_the_broker_budget(proxied):
    proxy, client = proxied
    proxy.stall()
    answer, took = timed(lambda: client.get("/api/v1/notices"))
    assert answer.status == 503 and took < LIMITS["BROKER_SECONDS"] + MARGIN, (answer, took)
    assert answer.headers["Retry-After"] == "7"
    proxy.resume()
    wait_until(lambda: client.get("/api/v1/notices").status == 200, seconds=20, interval=0.2,
               what="the gateway to answer /api/v1/notices again")


def test_health_answers_within_its_limit_naming_each_service_that_did_not(vhost, start_gateway, run_services):
    stopped = ServiceContainer(StandInReview, {"AMQP_URI": vhost})  # review: queue there, nobody consuming
    stopped.start()
    stopped.stop()
    run_services((StandInDossier, {"AMQP_URI": vhost}))
    client = start_gateway(vhost)
    health, took = timed(lambda: client.get("/health"))
    assert health.status == 503 and took < LIMITS["HEALTH_SECONDS"] + MARGIN, (health, took)
    assert health.json["broker"] == {"status": "ok"} and health.json["status"] == "degraded"
    services = health.json["services"]
    assert services["dossier"]["status"] == "ok"
    assert services["review"] == {"status": "error", "error": "timeout"}
    assert {services[name]["error"] for name in ("identity", "payment", "certificate")} == {"UnknownService"}
