"""The real gateway, in front of stand-ins for identity and dossier on RabbitMQ: /guide shows the notice
the dossier service answers (flow, materials, fees, deadlines) and the configured 咨询电话; every page's
footer links to it; paths and methods no route serves, and failures, are answered in Chinese — a page
outside /api/, the JSON error contract under it, never Werkzeug's English HTML nor a stack trace."""
from datetime import datetime

import pytest
from nameko.containers import ServiceContainer

from gateway.service import GatewayService
from shared.clock import beijing_text
from shared.contracts.year_policy import effective_policy, review_fee_fen
from shared.deadlines import rpc
from shared.tokens import SigningKey, public_key_pem
from tests.conftest import _free_port
from tests.factories import notice_document
from tests.httpclient import HttpClient
from tests.service_configs import service_config

KEY = SigningKey.generate()
NOTICES = {"items": []}  # what the stand-in dossier service answers list_notices with


class StandInIdentity:
    name = "identity"

    @rpc
    def token_public_keys(self):
        return {"keys": {KEY.kid: public_key_pem(KEY.public_key)}, "issuer": "stand-in", "audience": "kunming"}

    @rpc
    def register(self, body, source_address=None):
        return {"unexpected": "no id"}  # the gateway's route then fails on a missing key: an unhandled error


class StandInDossier:
    name = "dossier"

    @rpc
    def list_notices(self):
        return NOTICES["items"]


def notice_record(document):
    return {"review_year": document["review_year"], "version": 1, "notice": document,
            "policy": effective_policy(document.get("policy"), document.get("continuing_education")),
            "unconfirmed": {}, "published_by": "city-1", "published_at": document["window"]["start"]}


@pytest.fixture(scope="module")
def gateway(amqp_vhost, s3_settings):
    vhost = amqp_vhost("gw_guide_errors")
    port = _free_port()
    config = service_config("gateway/config.yaml")
    config.update(AMQP_URI=vhost, WEB_SERVER_ADDRESS=f"127.0.0.1:{port}", S3=dict(s3_settings),
                  PUBLIC_BASE_URL=f"http://127.0.0.1:{port}", REDIS={"URL": ""})
    containers = [ServiceContainer(cls, settings) for cls, settings in (
        (StandInIdentity, {"AMQP_URI": vhost}), (StandInDossier, {"AMQP_URI": vhost}), (GatewayService, config))]
    for container in containers:
        container.start()
    yield HttpClient(f"http://127.0.0.1:{port}"), config
    for container in reversed(containers):
        container.stop()


@pytest.fixture(autouse=True)
def no_notices():
    NOTICES["items"] = []
    yield
    NOTICES["items"] = []


def assert_no_english_framework_text(text):
    for words in ("Not Found", "Method Not Allowed", "Internal Server Error", "Traceback", "The requested URL"):
        assert words not in text


class TestTheGuide:
    def test_it_shows_the_published_notices_materials_fees_and_deadlines_and_the_phone(self, gateway):
        client, config = gateway
        document = notice_document(2026, policy={"fees": {"review_fen": {"intermediate": 18800}}},
                                   deadlines={"payment": notice_document(2026)["window"]["end"]})
        NOTICES["items"] = [notice_record(document)]
        answer = client.get("/guide")
        assert answer.status == 200, answer
        page = answer.text
        assert document["title"] in page and "正在受理" in page
        assert "<strong>注册实名</strong>" in page and "<strong>电子证书</strong>" in page
        assert 'id="material-education_certificate"' in page and "学历/学位证书" in page
        assert f"{review_fee_fen(notice_record(document)['policy'], 'intermediate') // 100} 元" in page
        assert beijing_text(datetime.fromisoformat(document["deadlines"]["payment"])) in page
        assert str(config["GUIDE"]["PHONE"]) in page[page.index('id="guide-contact"'):]

    def test_without_a_notice_it_says_so_and_still_guides(self, gateway):
        client, _ = gateway
        answer = client.get("/guide")
        assert answer.status == 200 and "尚未发布年度职称评审通知" in answer.text and 'id="faq-1"' in answer.text

    def test_other_pages_link_to_it_with_the_phone_in_the_footer(self, gateway):
        client, config = gateway
        for path in ("/", "/login", "/register", "/publicity-nope"):
            page = client.get(path).text
            footer = page[page.index("<footer"):]
            assert 'href="/guide"' in footer and str(config["GUIDE"]["PHONE"]) in footer, path


class TestHtmlErrors:
    def test_an_unknown_page_is_the_chinese_404_page_with_the_layout(self, gateway):
        client, _ = gateway
        answer = client.get("/no-such-page")
        assert answer.status == 404 and answer.headers["Content-Type"].startswith("text/html")
        assert "<h1>页面不存在</h1>" in answer.text and 'class="site-header"' in answer.text
        assert_no_english_framework_text(answer.text)

    def test_a_wrong_method_on_a_page_is_the_chinese_405_page(self, gateway):
        client, _ = gateway
        answer = client.request("DELETE", "/guide")
        assert answer.status == 405 and "<h1>不支持该请求方式</h1>" in answer.text and "GET" in answer.headers["Allow"]
        assert_no_english_framework_text(answer.text)

    def test_a_page_that_fails_is_the_chinese_500_page_naming_the_request(self, gateway):
        client, _ = gateway
        NOTICES["items"] = [None]  # the home page cannot read this answer: an unhandled error
        answer = client.get("/", headers={"X-Request-Id": "guide-errors-ref-0001"})
        assert answer.status == 500 and "<h1>系统繁忙</h1>" in answer.text
        assert 'id="error-reference">guide-errors-ref-0001<' in answer.text
        assert_no_english_framework_text(answer.text)
        assert "NoneType" not in answer.text and "Error(" not in answer.text


class TestApiErrors:
    def test_an_unknown_api_path_is_the_json_404_contract(self, gateway):
        client, _ = gateway
        answer = client.get("/api/v1/nope")
        assert answer.status == 404 and answer.headers["Content-Type"].startswith("application/json")
        assert answer.json == {"error": {"code": "route_not_found", "message": "没有这个地址,请核对网址"}}

    def test_a_wrong_method_on_an_api_route_is_the_json_405_contract(self, gateway):
        client, _ = gateway
        answer = client.get("/api/v1/auth/register")
        assert answer.status == 405 and answer.json["error"]["code"] == "method_not_allowed"
        assert answer.headers["Allow"] == "POST" and "GET" in answer.json["error"]["message"]

    def test_an_unhandled_api_error_is_the_json_500_contract_without_a_stack_trace(self, gateway):
        client, _ = gateway
        answer = client.post("/api/v1/auth/register", json_body={"name": "王芳"})
        assert answer.status == 500 and answer.headers["Content-Type"].startswith("application/json")
        assert answer.json["error"]["code"] == "internal_error" and "系统" in answer.json["error"]["message"]
        assert set(answer.json["error"]) <= {"code", "message", "fields"}
        assert "KeyError" not in answer.text and "Traceback" not in answer.text and "'id'" not in answer.text
