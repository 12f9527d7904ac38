"""The header's "消息 (N)" costs a page one short call and never breaks it.

A real gateway container on RabbitMQ in front of stand-ins for identity (a real signed token, the
person's roles), dossier (the home page's notices) and notification: with the count answered the
header shows it; with no notification service at all, or one that answers too slowly, the page still
renders (200, the link without a count) within the badge's short wait, and the next pages do not wait
on it again for a while.
"""
import time

import eventlet
import pytest

from gateway.compose.messages import UNREAD_BADGE
from gateway.service import GatewayService
from shared.deadlines import rpc
from shared.roles import APPLICANT
from shared.tokens import SigningKey, TokenSigner, public_key_pem
from tests.conftest import _free_port
from tests.httpclient import HttpClient
from tests.service_configs import service_config

KEY = SigningKey.generate()
SIGNER = TokenSigner(KEY, issuer="stand-in", audience="kunming", ttl_seconds=600)
UNREAD = {"count": 3, "delay": 0.0, "calls": 0}
MARGIN = 1.0  # seconds beyond a wait that an answer may take on a busy machine


class StandInIdentity:
    name = "identity"

    @rpc
    def token_public_keys(self):
        return {"keys": {KEY.kid: public_key_pem(KEY.public_key)}, "issuer": "stand-in", "audience": "kunming"}

    @rpc
    def authenticate(self, token):
        return {"account_id": "a-1", "name": "王芳", "roles": [{"role": APPLICANT, "org_id": None}]}


class StandInDossier:
    name = "dossier"

    @rpc
    def list_notices(self):
        return []


class StandInNotification:
    name = "notification"

    @rpc
    def unread_count(self, actor):
        UNREAD["calls"] += 1
        eventlet.sleep(UNREAD["delay"])
        return {"unread": UNREAD["count"]}


@pytest.fixture(autouse=True)
def fresh_badge():
    UNREAD.update(count=3, delay=0.0, calls=0)
    UNREAD_BADGE.resting_until = 0.0  # process-wide: no test inherits another's rest
    yield
    UNREAD_BADGE.resting_until = 0.0


@pytest.fixture
def gateway(amqp_vhost, run_services, s3_settings, request):
    """``(vhost, client)``: a gateway and the identity and dossier stand-ins on a virtual host of their own."""
    vhost = amqp_vhost(f"gw_badge_{request.node.name[:40]}")
    port = _free_port()
    config = service_config("gateway/config.yaml")
    config.update(AMQP_URI=vhost, WEB_SERVER_ADDRESS=f"127.0.0.1:{port}", S3=dict(s3_settings),
                  PUBLIC_BASE_URL=f"http://127.0.0.1:{port}", REDIS={"URL": ""})
    config["RPC"].update(QUERY_SECONDS=5)  # the badge waits far less than an ordinary query may
    run_services((StandInIdentity, {"AMQP_URI": vhost}), (StandInDossier, {"AMQP_URI": vhost}), (GatewayService, config))
    return vhost, HttpClient(f"http://127.0.0.1:{port}")


def signed_in_home(client):
    token, _ = SIGNER.issue("a-1")
    started = time.monotonic()
    answer = client.get("/", headers={"Cookie": f"kt_access={token}"})
    return answer, time.monotonic() - started


def test_the_header_shows_the_unread_count(gateway, run_services):
    vhost, client = gateway
    run_services((StandInNotification, {"AMQP_URI": vhost}))
    answer, _ = signed_in_home(client)
    assert answer.status == 200, answer
    assert '<span class="unread-count" id="unread-count"> (3)</span>' in answer.text
    assert UNREAD["calls"] == 1


def test_without_a_notification_service_the_page_renders_without_the_count(gateway):
    _, client = gateway
    answer, took = signed_in_home(client)
    assert answer.status == 200 and 'id="nav-messages"' in answer.text and 'id="unread-count"' not in answer.text
    assert took < UNREAD_BADGE.wait_seconds + MARGIN


def test_a_slow_notification_service_costs_one_short_wait_then_none(gateway, run_services):
    vhost, client = gateway
    run_services((StandInNotification, {"AMQP_URI": vhost}))
    UNREAD["delay"] = 3.0
    answer, took = signed_in_home(client)
    assert answer.status == 200 and 'id="unread-count"' not in answer.text
    assert UNREAD_BADGE.wait_seconds <= took < UNREAD_BADGE.wait_seconds + MARGIN, took
    UNREAD["delay"] = 0.0
    answer, took = signed_in_home(client)
    assert answer.status == 200 and 'id="unread-count"' not in answer.text and took < MARGIN
    assert UNREAD["calls"] == 1  # the second page did not ask
