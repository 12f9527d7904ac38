"""The pages over plain HTTP: sign-in cookies, CSRF, transparent refresh, uploads without scripts,
static files and who may open which page."""
import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid

import eventlet
import pytest

from tests.e2e.conftest import login
from tests.e2e.test_applicant_journey_http import PASSWORD, fill_sections, join_unit
from tests.factories import mobile_phone, resident_id
from tests.pdfs import make_pdf


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browserless:
    """A cookie-keeping HTTP client that does what a browser's forms do (redirects are not followed)."""

    def __init__(self, base_url):
        self.base_url, self.jar = base_url, http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def cookie(self, name):
        return next((cookie.value for cookie in self.jar if cookie.name == name), None)

    def set_cookie(self, name, value):
        original = next(cookie for cookie in self.jar if cookie.name == name)
        self.jar.set_cookie(http.cookiejar.Cookie(
            0, name, value, None, False, original.domain, original.domain_specified, original.domain_initial_dot,
            "/", True, False, None, False, None, None, {"HttpOnly": None}))

    def send(self, method, path, data=None, headers=None):
        request = urllib.request.Request(self.base_url + path, data=data, headers=headers or {}, method=method)
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.headers, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode("utf-8", "replace")

    def get(self, path):
        return self.send("GET", path)

    def get_following(self, path, limit=5):
        """GET, following this site's redirects as a browser would (e.g. through the refresh route)."""
        status, headers, body = self.get(path)
        while status in (302, 303, 307) and limit:
            status, headers, body = self.get(headers["Location"])
            limit -= 1
        return status, headers, body

    def post_form(self, path, fields, csrf=True):
        fields = dict(fields)
        if csrf:
            fields.setdefault("csrf_token", self.cookie("kt_csrf"))
        body = urllib.parse.urlencode(fields).encode()
        return self.send("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})

    def post_file(self, path, fields, content, headers=None):
        boundary = uuid.uuid4().hex
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
                 for name, value in fields.items()]
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="证书.pdf"\r\n'
                     f"Content-Type: application/pdf\r\n\r\n".encode())
        body = b"".join(parts) + content + f"\r\n--{boundary}--\r\n".encode()
        return self.send("POST", path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}", **(headers or {})})

    def sign_in(self, username, password):
        self.get("/login")
        status, headers, _ = self.post_form("/login", {"username": username, "password": password})
        assert status == 303, status
        return headers["Location"]


def register(client, name):
    """A new applicant of 演示单位甲: ``(API client, phone)``."""
    phone = mobile_phone()
    answer = client.post("/api/v1/auth/register",
                         json_body={"name": name, "id_number": resident_id(), "phone": phone, "password": PASSWORD})
    assert answer.status == 201, answer
    api = login(client, phone, PASSWORD)
    join_unit(client, api)
    return api, phone


@pytest.fixture(scope="module")
def draft(system):
    """An applicant with a filled draft."""
    client = system["client"]
    api, phone = register(client, "褚明")
    created = api.post("/api/v1/dossiers", json_body={"review_year": 2026, "series": "engineering",
                                                      "specialty": "暖通工程", "level": "intermediate"})
    assert created.status == 201, created
    fill_sections(api, created.json["id"], "褚明")
    return {"api": api, "phone": phone, "dossier_id": created.json["id"]}


@pytest.fixture
def applicant(system, draft):
    """The draft's applicant signed in through the login form."""
    browser = Browserless(system["client"].base_url)
    assert browser.sign_in(draft["phone"], PASSWORD) == "/dossiers"
    return browser


class TestSignInAndCsrf:
    def test_pages_need_a_sign_in_and_come_back_afterwards(self, system):
        browser = Browserless(system["client"].base_url)
        status, headers, _ = browser.get("/review/members")
        assert status == 303 and headers["Location"].startswith("/login?next=/review/members")
        status, _, body = browser.get(headers["Location"])
        assert status == 200 and 'name="next" value="/review/members"' in body and "请先登录" in body
        status, headers, _ = browser.post_form("/login", {"username": "unit_a_admin", "password": "Kunming@2026",
                                                          "next": "/review/members"})
        assert status == 303 and headers["Location"] == "/review/members"
        assert browser.cookie("kt_access") and browser.cookie("kt_refresh")
        assert browser.get("/review/members")[0] == 200

    def test_a_wrong_password_is_said_on_the_login_page(self, system):
        browser = Browserless(system["client"].base_url)
        browser.get("/login")
        nobody = f"nobody{uuid.uuid4().hex[:8]}"
        status, _, body = browser.post_form("/login", {"username": nobody, "password": "wrong-password"})
        assert status == 401 and "用户名或密码错误" in body and f'value="{nobody}"' in body

    def test_a_login_form_without_the_csrf_token_is_refused(self, system):
        browser = Browserless(system["client"].base_url)
        browser.get("/login")
        status, _, body = browser.post_form("/login", {"username": "unit_a_admin", "password": "Kunming@2026"},
                                            csrf=False)
        assert status == 403 and "页面已过期" in body
        assert browser.cookie("kt_access") is None

    def test_a_form_with_a_wrong_csrf_token_changes_nothing(self, system):
        browser = Browserless(system["client"].base_url)
        browser.sign_in("unit_a_admin", "Kunming@2026")
        status, _, body = browser.post_form("/logout", {"csrf_token": "forged"})
        assert status == 403 and "页面已过期" in body
        assert browser.get("/review")[0] == 200  # still signed in

    def test_cookies_are_http_only_and_same_site(self, system):
        request = urllib.request.Request(system["client"].base_url + "/login")
        with urllib.request.urlopen(request) as response:
            header = response.headers.get_all("Set-Cookie")
        assert header and all("HttpOnly" in h and "SameSite=Lax" in h for h in header)


class TestTransparentRefresh:
    # The refresh cookie now travels only to /session/refresh (it used to go with every request, Path=/),
    # so a page whose access cookie expired passes through that route and comes back.
    def test_an_expired_access_cookie_is_replaced_without_signing_in_again(self, system):
        browser = Browserless(system["client"].base_url)
        browser.sign_in("unit_a_admin", "Kunming@2026")
        old_refresh = browser.cookie("kt_refresh")
        browser.set_cookie("kt_access", "expired.token.value")
        status, headers, _ = browser.get("/review")
        assert status == 303 and headers["Location"] == "/session/refresh?next=%2Freview"
        status, _, body = browser.get_following("/review")
        assert status == 200 and "申报材料审核" in body
        assert browser.cookie("kt_access") != "expired.token.value" and browser.cookie("kt_refresh") != old_refresh

    def test_requests_arriving_together_with_one_refresh_token_all_succeed(self, system):
        first = Browserless(system["client"].base_url)
        first.sign_in("unit_a_admin", "Kunming@2026")
        first.set_cookie("kt_access", "expired.token.value")
        copies = []
        for _ in range(3):
            copy = Browserless(system["client"].base_url)
            for cookie in first.jar:
                copy.jar.set_cookie(cookie)
            copies.append(copy)
        statuses = [thread.wait()[0] for thread in [eventlet.spawn(copy.get_following, "/review") for copy in copies]]
        assert statuses == [200, 200, 200]
        # identity did not see a reused refresh token: the new session goes on working
        survivor = copies[0]
        survivor.set_cookie("kt_access", "expired.again")
        assert survivor.get_following("/review")[0] == 200

    def test_a_script_asks_for_fresh_cookies_with_its_csrf_header(self, system):
        browser = Browserless(system["client"].base_url)
        browser.sign_in("unit_a_admin", "Kunming@2026")
        browser.set_cookie("kt_access", "expired.token.value")
        status, _, body = browser.send("POST", "/session/refresh", b"", {"X-CSRF-Token": browser.cookie("kt_csrf")})
        assert status == 200 and '"ok": true' in body
        assert browser.cookie("kt_access") != "expired.token.value"


class TestUploadsFromPages:
    def test_the_upload_api_takes_the_session_cookie_only_with_the_csrf_header(self, applicant, draft):
        browser = applicant
        path = f"/api/v1/dossiers/{draft['dossier_id']}/materials"
        status, _, body = browser.post_file(path, {"category": "diploma"}, make_pdf())
        assert status == 403 and "csrf_refused" in body
        status, _, body = browser.post_file(path, {"category": "diploma"}, make_pdf(),
                                            headers={"X-CSRF-Token": browser.cookie("kt_csrf")})
        assert status == 201, body

    def test_the_upload_form_works_without_scripts(self, applicant, draft):
        browser = applicant
        status, headers, _ = browser.post_file(f"/dossiers/{draft['dossier_id']}/materials",
                                               {"category": "degree", "csrf_token": browser.cookie("kt_csrf")},
                                               make_pdf(pages=3))
        assert status == 303 and headers["Location"].endswith("?done=material_uploaded&in=materials#sec-materials")
        materials = draft["api"].get(f"/api/v1/dossiers/{draft['dossier_id']}").json["dossier"]["materials"]
        assert any(m["category"] == "degree" and m["pages"] == 3 for m in materials)

    def test_a_refused_upload_is_explained_next_to_the_field(self, applicant, draft):
        browser = applicant
        status, _, body = browser.post_file(f"/dossiers/{draft['dossier_id']}/materials",
                                            {"category": "", "csrf_token": browser.cookie("kt_csrf")}, make_pdf())
        assert status == 422
        assert re.search(r'id="err-materials-category" role="alert">请选择材料类别', body)


class TestNewDossierForm:
    def test_an_applicant_without_a_unit_is_told_to_join_one(self, system):
        client = system["client"]
        phone = mobile_phone()
        client.post("/api/v1/auth/register",
                    json_body={"name": "蒋宁", "id_number": resident_id(), "phone": phone, "password": PASSWORD})
        browser = Browserless(client.base_url)
        browser.sign_in(phone, PASSWORD)
        status, _, body = browser.post_form("/dossiers/new", {"review_year": "2026", "series": "engineering",
                                                              "specialty": "测绘工程", "level": "intermediate"})
        assert status == 403 and "尚未加入用人单位" in body and 'href="/units/join"' in body

    def test_a_level_the_notice_does_not_open_is_explained_beside_the_level(self, system):
        client = system["client"]
        _, phone = register(client, "韩梅")
        browser = Browserless(client.base_url)
        browser.sign_in(phone, PASSWORD)
        status, _, body = browser.post_form("/dossiers/new", {"review_year": "2026", "series": "health",
                                                              "specialty": "临床医学", "level": "intermediate"})
        assert status == 422
        assert re.search(r'id="err-level" role="alert">2026年度未开放卫生系列中级评审', body)
        assert 'value="临床医学"' in body


class TestWhoSeesWhichPage:
    def test_another_applicant_gets_not_found(self, system, draft):
        client = system["client"]
        _, phone = register(client, "卫东")
        browser = Browserless(client.base_url)
        browser.sign_in(phone, PASSWORD)
        for path in (f"/dossiers/{draft['dossier_id']}", f"/dossiers/{draft['dossier_id']}/history",
                     f"/dossiers/{draft['dossier_id']}/preview"):
            status, _, body = browser.get(path)
            assert status == 404 and "申报材料不存在或无权查看" in body, path

    def test_the_admin_of_another_unit_gets_not_found(self, system, draft):
        browser = Browserless(system["client"].base_url)
        browser.sign_in("unit_b_admin", "Kunming@2026")
        status, _, _ = browser.get(f"/review/{draft['dossier_id']}")
        assert status == 404
        assert draft["dossier_id"] not in browser.get("/review")[2]

    def test_an_applicant_cannot_decide(self, applicant, draft):
        browser = applicant
        status, _, _ = browser.post_form(f"/review/{draft['dossier_id']}/decision", {"action": "approve", "opinion": "好"})
        assert status == 403


class TestStaticFilesAndHeaders:
    def test_css_and_script_are_served_by_the_gateway(self, system):
        client = system["client"]
        css = client.get("/static/site.css")
        assert css.status == 200 and css.headers["Content-Type"].startswith("text/css")
        assert "WenQuanYi Micro Hei" in css.text
        assert client.get("/static/site.js").headers["Content-Type"].startswith("text/javascript")

    @pytest.mark.parametrize("path", ["/static/../service.py", "/static/..%2Fservice.py", "/static/%2e%2e/pages.py",
                                      "/static/../templates/base.html", "/static/nothing.css"])
    def test_no_file_outside_the_static_folder(self, system, path):
        request = urllib.request.Request(system["client"].base_url + path)
        try:
            with urllib.request.urlopen(request) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read()
        assert status == 404 and b"GatewayService" not in body

    def test_pages_forbid_framing_and_foreign_scripts_and_are_not_cached(self, system):
        answer = system["client"].get("/")
        assert answer.status == 200 and answer.headers["Content-Type"].startswith("text/html")
        policy = answer.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert answer.headers["Cache-Control"] == "no-store"

    def test_the_openapi_document_lists_only_the_api(self, system):
        spec = system["client"].get("/api/v1/openapi.json").json
        assert all(path.startswith("/api/") or path in ("/health", "/metrics") for path in spec["paths"])
