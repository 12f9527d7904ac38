"""Browser sessions for pages: cookies and their paths, CSRF bound to the sign-in, same-site forms,
refresh once per token, safe redirects, static files."""
import eventlet
import pytest
from werkzeug import Request, Response
from werkzeug.test import EnvironBuilder

from gateway.auth import Principal
from gateway.compose.acting import decider
from gateway.pages.account import landing_for
from gateway.pages.base import nav_links
from gateway.pages.renderer import static_file
from gateway.pages.review import decision_body
from gateway.pages.session import (
    ACCESS_COOKIE, CSRF_COOKIE, PRINCIPAL_KEY, REFRESH_COOKIE, CsrfRefused, PageSession, RefreshCoalescer,
    RefreshNeeded, cookies_must_be_secure, csrf_matches, request_principal, safe_next, same_site,
)
from shared.errors import NotAuthenticated
from shared.tokens import csrf_digest

SESSION_CSRF = "the-sign-ins-own-token"
APPLICANT = Principal(account_id="p-1", name="王芳", roles=(("applicant", None),), session_id="s-1",
                      csrf_digest=csrf_digest(SESSION_CSRF))


def request(method="GET", cookies=None, headers=None, path="/"):
    headers = dict(headers or {})
    if cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    return Request(EnvironBuilder(path=path, method=method, headers=headers).get_environ())


class FakeAuthenticator:
    """Knows a set of valid access tokens; every other token is refused."""

    def __init__(self, *valid):
        self.valid = set(valid)

    def principal_for_token(self, token, identity):
        if token not in self.valid:
            raise NotAuthenticated("令牌已过期")
        return APPLICANT

    def principal(self, request, identity):
        raise NotAuthenticated("请先登录(缺少访问令牌)")


class FakeIdentity:
    def __init__(self):
        self.refreshed = []

    def refresh(self, data, source_address=None):
        self.refreshed.append(data["refresh_token"])
        eventlet.sleep(0.01)  # let a concurrent request arrive meanwhile
        return {"access_token": "new-access", "refresh_token": "new-refresh"}


def session_for(req, authenticator, identity=None, secure=False):
    return PageSession(req, authenticator=authenticator, identity=identity or FakeIdentity(),
                       coalescer=RefreshCoalescer(), secure=secure)


def set_cookies(response):
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


class TestPageSessions:
    def test_a_valid_access_cookie_signs_the_person_in_without_refreshing(self):
        identity = FakeIdentity()
        session = session_for(request(cookies={ACCESS_COOKIE: "good", REFRESH_COOKIE: "r"}), FakeAuthenticator("good"), identity)
        assert session.principal() is APPLICANT and identity.refreshed == []
        assert session.request.environ[PRINCIPAL_KEY] is APPLICANT

    def test_an_expired_access_cookie_is_refreshed_and_new_cookies_are_set(self):
        session = session_for(request(cookies={ACCESS_COOKIE: "old", REFRESH_COOKIE: "r1", CSRF_COOKIE: "c"}),
                              FakeAuthenticator("new-access"))
        assert session.principal() is APPLICANT
        cookies = set_cookies(session.apply(Response()))
        assert "new-access" in cookies[ACCESS_COOKIE] and "new-refresh" in cookies[REFRESH_COOKIE]
        for header in cookies.values():
            assert "HttpOnly" in header and "SameSite=Lax" in header and "Secure" not in header
        assert "Path=/;" in cookies[ACCESS_COOKIE] or cookies[ACCESS_COOKIE].endswith("Path=/")
        assert CSRF_COOKIE not in cookies  # the existing CSRF token stays

    def test_the_refresh_cookie_travels_only_to_the_refresh_route(self):
        session = session_for(request(), FakeAuthenticator())
        session.start({"access_token": "a", "refresh_token": "r", "csrf_token": SESSION_CSRF})
        cookies = set_cookies(session.apply(Response()))
        assert "Path=/session/refresh" in cookies[REFRESH_COOKIE]
        session.end()
        assert "Path=/session/refresh" in set_cookies(session.apply(Response()))[REFRESH_COOKIE]

    def test_an_expired_access_cookie_elsewhere_sends_the_page_to_the_refresh_route(self):
        session = session_for(request(cookies={ACCESS_COOKIE: "old", CSRF_COOKIE: "c"}, path="/review"),
                              FakeAuthenticator())
        with pytest.raises(RefreshNeeded):
            session.principal()
        with pytest.raises(RefreshNeeded):
            session.optional_principal()

    def test_cookies_are_secure_when_configured(self):
        session = session_for(request(), FakeAuthenticator(), secure=True)
        assert "Secure" in set_cookies(session.apply(Response()))[CSRF_COOKIE]

    def test_without_cookies_nobody_is_signed_in(self):
        session = session_for(request(), FakeAuthenticator())
        with pytest.raises(NotAuthenticated):
            session.principal()
        assert session.optional_principal() is None

    def test_a_dead_session_is_cleared(self):
        class Refusing(FakeIdentity):
            def refresh(self, data, source_address=None):
                raise NotAuthenticated("登录已过期,请重新登录")

        session = session_for(request(cookies={ACCESS_COOKIE: "old", REFRESH_COOKIE: "r"}), FakeAuthenticator(), Refusing())
        assert session.optional_principal() is None
        cookies = set_cookies(session.apply(Response()))
        assert cookies[ACCESS_COOKIE].startswith(f"{ACCESS_COOKIE}=;") and "Max-Age=0" in cookies[REFRESH_COOKIE]

    def test_signing_in_puts_the_sign_ins_own_csrf_token_in_the_forms(self):
        session = session_for(request(cookies={CSRF_COOKIE: "before"}), FakeAuthenticator())
        session.start({"access_token": "a", "refresh_token": "r", "csrf_token": SESSION_CSRF})
        assert session.csrf_token == SESSION_CSRF
        assert SESSION_CSRF in set_cookies(session.apply(Response()))[CSRF_COOKIE]

    @pytest.mark.parametrize(("public_url", "setting", "secure"), [
        ("https://zc.km.gov.cn", "", True), ("https://zc.km.gov.cn", "false", True), ("http://127.0.0.1:8000", "", False),
        ("http://127.0.0.1:8000", "true", True), ("http://127.0.0.1:8000", False, False),
    ])
    def test_cookies_are_secure_whenever_the_public_url_is_https(self, public_url, setting, secure):
        assert cookies_must_be_secure(public_url, setting) is secure


class TestRefreshOncePerToken:
    def test_concurrent_requests_with_one_refresh_token_share_one_refresh(self):
        identity, coalescer = FakeIdentity(), RefreshCoalescer()

        def refresh():
            return coalescer.tokens_for("r1", lambda token: identity.refresh({"refresh_token": token}))

        answers = [thread.wait() for thread in [eventlet.spawn(refresh) for _ in range(5)]]
        assert identity.refreshed == ["r1"]
        assert all(answer == answers[0] for answer in answers)

    def test_the_shared_answer_expires(self):
        now = [0.0]
        identity, coalescer = FakeIdentity(), RefreshCoalescer(keep_seconds=30, clock=lambda: now[0])
        exchange = lambda token: identity.refresh({"refresh_token": token})  # noqa: E731
        coalescer.tokens_for("r1", exchange)
        now[0] = 31.0
        coalescer.tokens_for("r1", exchange)
        assert identity.refreshed == ["r1", "r1"]


class TestCsrf:
    def test_tokens_must_be_present_and_equal(self):
        assert csrf_matches("abc", "abc")
        assert not csrf_matches("abc", "abd") and not csrf_matches("", "") and not csrf_matches("abc", None)

    def test_an_api_write_with_only_a_cookie_needs_the_sign_ins_csrf_header(self):
        cookies = {ACCESS_COOKIE: "good", CSRF_COOKIE: SESSION_CSRF}
        with pytest.raises(CsrfRefused):
            request_principal(request("POST", cookies), FakeAuthenticator("good"), None)
        headers = {"X-CSRF-Token": SESSION_CSRF}
        assert request_principal(request("POST", cookies, headers), FakeAuthenticator("good"), None) is APPLICANT

    def test_a_token_planted_in_the_csrf_cookie_does_not_match_the_sign_in(self):
        # Double submit alone would accept any cookie/header pair the attacker managed to set.
        cookies = {ACCESS_COOKIE: "good", CSRF_COOKIE: "planted"}
        with pytest.raises(CsrfRefused):
            request_principal(request("POST", cookies, {"X-CSRF-Token": "planted"}), FakeAuthenticator("good"), None)

    def test_a_signed_in_form_must_carry_its_own_sign_ins_token(self):
        session = session_for(request("POST", {ACCESS_COOKIE: "good", CSRF_COOKIE: "planted"}),
                              FakeAuthenticator("good"))
        with pytest.raises(CsrfRefused):
            session.check_csrf("planted")
        session.check_csrf(SESSION_CSRF)

    def test_a_dead_sign_ins_form_goes_on_as_nobodys_with_the_double_submit_check(self):
        class Refusing(FakeIdentity):
            def refresh(self, data, source_address=None):
                raise NotAuthenticated("登录已过期,请重新登录")

        session = session_for(request("POST", {ACCESS_COOKIE: "dead", REFRESH_COOKIE: "r", CSRF_COOKIE: "c"}),
                              FakeAuthenticator(), Refusing())
        session.check_csrf("c")
        with pytest.raises(NotAuthenticated):
            session.principal()

    @pytest.mark.parametrize(("headers", "allowed"), [
        ({}, True), ({"Origin": "http://localhost"}, True), ({"Referer": "http://localhost/dossiers"}, True),
        ({"Origin": "https://evil.example"}, False), ({"Origin": "null"}, False),
        ({"Referer": "https://evil.example/page"}, False),
    ])
    def test_state_changing_requests_must_come_from_this_site(self, headers, allowed):
        assert same_site(request("POST", headers=headers)) is allowed

    def test_a_cross_site_form_is_refused_whatever_its_token(self):
        session = session_for(request("POST", {CSRF_COOKIE: "c"}, {"Origin": "https://evil.example"}),
                              FakeAuthenticator())
        with pytest.raises(CsrfRefused, match="其他网站"):
            session.check_csrf("c")

    def test_an_api_read_with_a_cookie_needs_no_csrf_token(self):
        assert request_principal(request("GET", {ACCESS_COOKIE: "good"}), FakeAuthenticator("good"), None) is APPLICANT

    def test_a_bearer_header_wins_over_cookies(self):
        with pytest.raises(NotAuthenticated, match="缺少访问令牌"):
            request_principal(request("GET", {ACCESS_COOKIE: "good"}, {"Authorization": "Basic x"}),
                              FakeAuthenticator("good"), None)


class TestRedirectsAndMenus:
    @pytest.mark.parametrize(("target", "expected"), [
        ("/dossiers/1?x=1", "/dossiers/1?x=1"), ("https://evil.example/", "/"), ("//evil.example", "/"),
        ("/\\evil.example", "/"), ("javascript:alert(1)", "/"), ("", "/"), (None, "/"),
    ])
    def test_only_local_paths_are_followed_after_login(self, target, expected):
        assert safe_next(target) == expected

    def test_landing_page_by_role(self):
        assert landing_for(["applicant"]) == "/dossiers"
        assert landing_for(["unit_admin"]) == "/review"
        assert landing_for(["auditor"]) == "/"

    def test_menus_follow_the_roles(self):
        assert ("/login", "登录") in nav_links(None)
        assert ("/dossiers", "我的申报") in nav_links(APPLICANT) and ("/review", "审核") not in nav_links(APPLICANT)
        admin = Principal(account_id="u", name="管理员", roles=(("unit_admin", "unit-a"),))
        assert ("/review/members", "成员确认") in nav_links(admin)


class TestReviewForms:
    DOSSIER = {"status": "submitted", "unit_id": "unit-a", "district_id": "wuhua"}

    def test_the_unit_admin_of_the_dossiers_unit_decides_a_submitted_dossier(self):
        mine = Principal(account_id="u", name="甲", roles=(("unit_admin", "unit-a"),))
        other = Principal(account_id="v", name="乙", roles=(("unit_admin", "unit-b"),))
        assert decider(mine, self.DOSSIER).org_id == "unit-a"
        assert decider(other, self.DOSSIER) is None
        assert decider(mine, {**self.DOSSIER, "status": "recommended"}) is None
        assert decider(mine, {**self.DOSSIER, "status": "draft"}) is None

    def test_form_bodies_per_action(self):
        from werkzeug.datastructures import MultiDict

        body = decision_body(MultiDict([("action", "return"), ("reason", " 材料不全 "), ("sections", "education"),
                                        ("sections", "materials"), ("opinion", "ignored")]))
        assert body == {"action": "return", "reason": "材料不全", "sections": ["education", "materials"]}
        assert decision_body(MultiDict({"action": "approve", "opinion": "同意"})) == {"action": "approve", "opinion": "同意"}


class TestStaticFiles:
    def test_css_and_scripts_are_served_with_their_types(self):
        content, kind = static_file("site.css")
        assert b"WenQuanYi Micro Hei" in content and kind == "text/css; charset=utf-8"
        assert static_file("site.js")[1] == "text/javascript; charset=utf-8"

    @pytest.mark.parametrize("path", ["../service.py", "../../shared/config.py", "/etc/passwd", "..%2fservice.py",
                                      "", ".", "missing.css", "../templates/base.html"])
    def test_nothing_outside_the_static_folder_or_of_other_kinds(self, path):
        assert static_file(path) is None
