"""The 办事指南 page shows the flow, and the open notice's materials, fees and deadlines from its policy,
with the 咨询电话 of the gateway's config on it and in every footer; error pages are Chinese (404, 405,
500 with a reference), and under /api/ the JSON error contract — never Werkzeug's English HTML."""
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from werkzeug import Response
from werkzeug.exceptions import NotFound
from werkzeug.routing import Map, Rule
from werkzeug.test import Client

from gateway.api.http import JsonHttpHandler
from gateway.auth import Principal
from gateway.pages.base import nav_links
from gateway.pages.error_pages import StandaloneErrorPages
from gateway.pages.guide_views import (
    NOTICE_STATES, chosen_notice, guide_view, megabytes, open_pairs, service_desk,
)
from gateway.pages.handler import secure_headers
from gateway.pages.views import yuan_text
from gateway.pages.renderer import PageRenderer
from gateway.webserver import GatewayWsgiApp
from shared.clock import beijing_text, utc_now
from shared.config import load_config
from shared.schemas import load_or_raise, plain
from shared.contracts.notice_schemas import DEADLINES, NoticeSchema
from shared.contracts.year_policy import REQUIREMENT_KINDS, effective_policy, requirements_for, review_fee_fen
from shared.titles import LEVELS
from tests.factories import notice_document

CONFIG_PATH = Path(__file__).resolve().parents[3] / "gateway/config.yaml"
CONFIG = load_config(CONFIG_PATH)
DESK = service_desk(CONFIG)
MAX_BYTES = CONFIG["UPLOADS"]["MAX_BYTES"]
RENDERER = PageRenderer(desk=DESK)
ME = Principal(account_id="p-1", name="王芳", roles=(("applicant", None),))
NOW = utc_now()


def record(document):
    """A notice as the dossier service answers list_notices (services/dossier/notices.py record): checked
    by the notice's schema, with the policy in force."""
    document = plain(load_or_raise(NoticeSchema(), document))
    return {"review_year": document["review_year"], "version": 2, "notice": document,
            "policy": effective_policy(document.get("policy"), document.get("continuing_education")),
            "unconfirmed": {}, "published_by": "city-1", "published_at": NOW.isoformat()}


def notice_with_everything(year=2026, **overrides):
    """Every deadline set, fees and the certificate fee changed from the defaults, one series only."""
    deadlines = {name: (NOW + timedelta(days=31 + index)).isoformat() for index, name in enumerate(DEADLINES)}
    policy = {"fees": {"review_fen": {"intermediate": 20050, "associate_senior": 42000}, "certificate_fen": 1500},
              "publicity": {"unit_working_days": 7}, **overrides.pop("policy", {})}
    return notice_document(year, open_series={"engineering": ["associate_senior", "intermediate"]},
                           deadlines=deadlines, policy=policy, **overrides)


def render(template, me=None, **context):
    base = {"me": me, "nav": nav_links(me), "csrf_token": "tok", "csrf_field": "csrf_token", "flash": None,
            "path": "/guide", "unread_badge": None}
    return RENDERER.render(template, **{**base, **context})


def guide_page(notices, me=None):
    return render("guide.html", me=me, guide=guide_view(notices, DESK, MAX_BYTES))


def text_of(html, element_id):
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</(?:tr|li|p|dd|span|h3|a)>', html, re.S)
    assert found, element_id
    return re.sub(r"<[^>]+>", "", found.group(1))


class TestTheGuideWithANotice:
    def test_it_shows_every_step_of_the_flow_in_order(self):
        html = guide_page([record(notice_with_everything())])
        steps = ["注册实名", "填写申报材料", "上传证明材料", "提交", "单位审核推荐与公示", "主管部门审核", "市人社局审核",
                 "缴费", "评委会评审", "结果公示与异议", "电子证书"]
        positions = [html.index(f"<strong>{step}</strong>") for step in steps]
        assert positions == sorted(positions)

    def test_the_flow_quotes_the_years_publicity_days_and_certificate_fee(self):
        document = notice_with_everything()
        policy = record(document)["policy"]
        html = guide_page([record(document)])
        assert f"不少于 {policy['publicity']['unit_working_days']} 个工作日" in text_of(html, "flow-5")
        assert f"证书工本费 {yuan_text(policy['fees']['certificate_fen'])} 元" in text_of(html, "flow-11")

    def test_every_required_material_of_the_open_levels_is_listed_with_its_count(self):
        document = notice_with_everything()
        notice = record(document)
        html = guide_page([notice])
        expected = {item["key"]: item for pair in open_pairs(document) for item in requirements_for(notice["policy"], *pair)}
        assert expected  # the default checklist applies to engineering
        for key, item in expected.items():
            row = text_of(html, f"material-{key}")
            assert item["label"] in row and f"{REQUIREMENT_KINDS[item['per']]} {item['count']} 份" in row
        assert f"{notice['policy']['exceptional']['recommendation_letters']} 份" in text_of(html, "material-exceptional")

    def test_a_material_that_applies_to_some_levels_only_says_which(self):
        materials = [{"key": "senior_only", "label": "代表作", "categories": ["achievement"], "per": "dossier", "count": 3,
                      "series": None, "levels": ["associate_senior"]},
                     {"key": "health_only", "label": "执业证书", "categories": ["other"], "per": "dossier", "count": 1,
                      "series": ["health"], "levels": None}]
        document = notice_with_everything(policy={"required_materials": materials})
        html = guide_page([record(document)])
        assert "工程系列副高级" in text_of(html, "material-senior_only")
        assert 'id="material-health_only"' not in html  # 卫生 is not open this year

    def test_fees_are_in_yuan_per_open_level_with_the_certificate_fee(self):
        notice = record(notice_with_everything())
        html = guide_page([notice])
        for level in ("intermediate", "associate_senior"):
            row = text_of(html, f"fee-{level}")
            assert LEVELS[level] in row and f"{yuan_text(review_fee_fen(notice['policy'], level))} 元" in row
        assert "200.50 元" in text_of(html, "fee-intermediate")  # 20050 fen, not rounded away
        assert 'id="fee-primary"' not in html and 'id="fee-senior"' not in html  # not open
        assert "15 元" in text_of(html, "fee-certificate")

    def test_a_zero_fee_says_it_is_not_charged(self):
        document = notice_with_everything(policy={"fees": {"certificate_fen": 0}})
        assert "不收取" in text_of(guide_page([record(document)]), "fee-certificate")

    def test_the_window_and_every_deadline_of_the_notice_are_shown_in_beijing_time(self):
        from datetime import datetime

        document = notice_with_everything()
        html = guide_page([record(document)])
        assert beijing_text(datetime.fromisoformat(document["window"]["end"])) in text_of(html, "deadline-window_end")
        for name, label in DEADLINES.items():
            row = text_of(html, f"deadline-{name}")
            assert label in row and beijing_text(datetime.fromisoformat(document["deadlines"][name])) in row

    def test_a_deadline_the_notice_leaves_out_is_said_to_be_unset(self):
        document = notice_document(2026)
        assert "未规定" in text_of(guide_page([record(document)]), "deadline-payment")

    def test_the_continuing_education_answer_uses_the_years_hours(self):
        document = notice_with_everything(continuing_education={"hours_per_year": 72, "years": 5})
        html = guide_page([record(document)])
        assert "近 5 年" in text_of(html, "guide-ce") and "72 学时" in text_of(html, "guide-ce")
        assert "72 学时" in html[html.index('id="guide-faq"'):]

    def test_the_upload_limit_in_the_answers_is_the_configured_one(self):
        html = render("guide.html", guide=guide_view([], DESK, 5 * 1024 * 1024))
        assert "不超过 5 MB" in html and megabytes(MAX_BYTES) == "20 MB"


class TestWhichNotice:
    def test_the_open_notice_wins_over_a_newer_one_not_yet_open(self):
        current = record(notice_document(2026))
        later = record(notice_document(2027, start=NOW + timedelta(days=60), end=NOW + timedelta(days=90)))
        assert chosen_notice([later, current], NOW) == (current, "open")

    def test_without_an_open_one_the_next_to_open_then_the_last_closed(self):
        closed = record(notice_document(2025, start=NOW - timedelta(days=90), end=NOW - timedelta(days=60)))
        upcoming = record(notice_document(2027, start=NOW + timedelta(days=60), end=NOW + timedelta(days=90)))
        assert chosen_notice([closed, upcoming], NOW) == (upcoming, "upcoming")
        assert chosen_notice([closed], NOW) == (closed, "closed")
        html = guide_page([closed])
        assert NOTICE_STATES["closed"] in text_of(html, "guide-notice-state")


class TestTheGuideWithoutANotice:
    def test_it_says_none_is_published_and_still_shows_the_flow_and_answers(self):
        html = guide_page([])
        assert "尚未发布年度职称评审通知" in html
        assert 'id="guide-materials"' not in html and 'id="guide-fees"' not in html
        assert 'id="flow-11"' in html and html.count('class="faq"') >= 10

    def test_notices_that_cannot_be_read_are_said_to_be_unavailable(self):
        html = guide_page(None)
        assert 'id="guide-notice-unavailable"' in html and 'id="flow-1"' in html

    def test_between_eight_and_twelve_answers_cover_the_questions_people_ask(self):
        faq = guide_view([record(notice_document(2026))], DESK, MAX_BYTES)["faq"]
        questions = " ".join(question for question, _ in faq)
        assert 8 <= len(faq) <= 12
        for topic in ("忘记密码", "退回", "破格", "继续教育", "年度考核", "缴费", "查验", "格式", "异议", "进度"):
            assert topic in questions


class TestServiceDeskSettings:
    def test_the_guide_and_the_footer_show_the_configured_phone_hours_and_address(self):
        html = guide_page([])
        assert CONFIG["GUIDE"]["PHONE"] and str(CONFIG["GUIDE"]["PHONE"]) in text_of(html, "guide-phone")
        assert str(CONFIG["GUIDE"]["HOURS"]) in text_of(html, "guide-hours")
        assert str(CONFIG["GUIDE"]["ADDRESS"]) in text_of(html, "guide-address")
        assert str(CONFIG["GUIDE"]["PHONE"]) in text_of(html, "footer-phone")

    def test_an_environment_variable_overrides_the_phone(self, monkeypatch):
        monkeypatch.setenv("GATEWAY_GUIDE_PHONE", "12333")
        desk = service_desk(load_config(CONFIG_PATH))
        assert desk["phone"] == "12333"  # YAML reads a bare number: still text
        html = PageRenderer(desk=desk).render("guide.html", me=None, nav=nav_links(None), csrf_token="", csrf_field="c",
                                              flash=None, path="/guide", guide=guide_view([], desk, MAX_BYTES))
        assert text_of(html, "footer-phone") == "12333"

    @pytest.mark.parametrize("template, context", [
        ("home.html", {"notices": []}),
        ("login.html", {"values": {}, "errors": {}, "message": None, "next": ""}),
        ("error.html", {"status_code": 404, "error": {"message": "没有这个地址"}}),
    ])
    def test_pages_link_to_the_guide_from_the_footer(self, template, context):
        for me in (None, ME):
            html = render(template, me=me, **context)
            footer = html[html.index('<footer'):]
            assert 'href="/guide"' in footer and str(CONFIG["GUIDE"]["PHONE"]) in footer


class TestErrorPages:
    @pytest.mark.parametrize("status, heading", [(404, "页面不存在"), (405, "不支持该请求方式"), (500, "系统繁忙"),
                                                 (503, "系统繁忙"), (403, "无权操作"), (422, "无法完成操作")])
    def test_each_status_has_its_chinese_heading_and_title(self, status, heading):
        html = render("error.html", status_code=status, error={"message": "说明"})
        assert f"<h1>{heading}</h1>" in html and f"<title>{heading} ·" in html

    def test_a_failure_names_its_reference_and_a_refusal_does_not(self):
        failed = render("error.html", status_code=500, error={"message": "系统内部错误"}, reference="req-12345678")
        assert text_of(failed, "error-reference") == "req-12345678"
        refused = render("error.html", status_code=404, error={"message": "没有"}, reference="req-12345678")
        assert "req-12345678" not in refused

    def test_the_standalone_page_has_the_layout_and_no_english(self):
        answer = StandaloneErrorPages(RENDERER).response(404, "没有这个地址,请核对网址", path="/nope")
        html = answer.get_data(as_text=True)
        assert answer.status_code == 404 and answer.mimetype == "text/html"
        assert "<h1>页面不存在</h1>" in html and 'href="/guide"' in html and 'href="/login"' in html
        assert "Not Found" not in html


class FakeProvider:
    """A route as the web server sees it (an entrypoint with a rule and a request handler)."""

    def __init__(self, rule, answer):
        self.rule, self.answer = rule, answer

    def get_url_rule(self):
        return self.rule

    def handle_request(self, request):
        return self.answer(request)


class FakeServer:
    def __init__(self, providers):
        self.providers = providers
        pages = StandaloneErrorPages(RENDERER)
        self.html_errors = lambda status, message, headers=None, path="/": secure_headers(
            pages.response(status, message, headers, path))

    def make_url_map(self):
        url_map = Map()
        for provider in self.providers:
            provider.rule.endpoint = provider
            url_map.add(provider.rule)
        return url_map


def broken(request):
    raise RuntimeError("secret detail /srv/gateway/pages/x.py line 12")


def api_failure(request):
    # What the JSON handler answers when a route raised something no one expected.
    return JsonHttpHandler.response_from_exception(None, KeyError("secret detail"))


@pytest.fixture
def client():
    providers = [
        FakeProvider(Rule("/guide", methods=["GET"]), lambda request: Response("ok")),
        FakeProvider(Rule("/admin/fees", methods=["GET"]), lambda request: Response("ok")),
        FakeProvider(Rule("/api/v1/auth/login", methods=["POST"]), lambda request: Response("{}")),
        FakeProvider(Rule("/api/v1/boom", methods=["GET"]), api_failure),
        FakeProvider(Rule("/api/v1/broken", methods=["GET"]), broken),
        FakeProvider(Rule("/broken", methods=["GET"]), broken),
        FakeProvider(Rule("/raises-http", methods=["GET"]), lambda request: (_ for _ in ()).throw(NotFound())),
    ]
    return Client(GatewayWsgiApp(FakeServer(providers)))


def json_error(answer):
    assert answer.mimetype == "application/json"
    return json.loads(answer.get_data(as_text=True))["error"]


class TestTheWebServersAnswers:
    def test_an_unknown_page_is_the_chinese_404_page(self, client):
        answer = client.get("/no-such-page")
        html = answer.get_data(as_text=True)
        assert answer.status_code == 404 and answer.mimetype == "text/html"
        assert "<h1>页面不存在</h1>" in html and "没有这个地址" in html and "Not Found" not in html
        assert "Content-Security-Policy" in answer.headers

    def test_a_wrong_method_on_a_page_is_the_chinese_405_page(self, client):
        answer = client.post("/guide")
        html = answer.get_data(as_text=True)
        assert answer.status_code == 405 and "<h1>不支持该请求方式</h1>" in html
        assert "GET" in answer.headers["Allow"] and "Method Not Allowed" not in html

    def test_an_unknown_api_path_is_the_json_404_contract(self, client):
        answer = client.get("/api/v1/nope")
        assert answer.status_code == 404
        assert json_error(answer) == {"code": "route_not_found", "message": "没有这个地址,请核对网址"}

    def test_a_wrong_method_on_an_api_route_is_the_json_405_contract(self, client):
        answer = client.get("/api/v1/auth/login")
        error = json_error(answer)
        assert answer.status_code == 405 and error["code"] == "method_not_allowed"
        assert "POST" in answer.headers["Allow"] and "GET" in error["message"]

    def test_an_unhandled_api_error_is_a_json_500_without_a_stack_trace(self, client):
        answer = client.get("/api/v1/boom")
        text = answer.get_data(as_text=True)
        assert answer.status_code == 500 and json_error(answer)["code"] == "internal_error"
        assert "系统" in json_error(answer)["message"]
        assert "secret" not in text and "Traceback" not in text and "KeyError" not in text

    def test_an_exception_escaping_a_handler_still_gets_the_platforms_500(self, client):
        api = client.get("/api/v1/broken")
        assert api.status_code == 500 and json_error(api)["code"] == "internal_error"
        page = client.get("/broken")
        html = page.get_data(as_text=True)
        assert page.status_code == 500 and "<h1>系统繁忙</h1>" in html
        assert "secret" not in html and "Internal Server Error" not in html

    def test_an_http_exception_from_a_handler_is_not_werkzeugs_page(self, client):
        answer = client.get("/raises-http")
        assert answer.status_code == 404 and "<h1>页面不存在</h1>" in answer.get_data(as_text=True)

    def test_a_doubled_slash_is_redirected_not_refused(self, client):
        answer = client.get("/admin//fees")
        assert answer.status_code == 308 and answer.headers["Location"].endswith("/admin/fees")
