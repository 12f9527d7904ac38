"""Sessions and sign-in hardening through the gateway: logout and password change end access tokens at
once, login throttles per address (429 with Retry-After) that strangers cannot turn against an
account, no answers that tell who is registered, and review roles that a sysadmin only asks for."""
import secrets

import pytest

from tests.e2e.conftest import DEMO_PASSWORD, login
from tests.e2e.test_pages_http import Browserless
from tests.factories import mobile_phone, resident_id

PASSWORD = "Passw0rd-e2e"


def address():
    """A client address of its own (the test gateway trusts one proxy hop of X-Forwarded-For)."""
    return f"203.0.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"


def sign_in(client, username, password=PASSWORD, source=None):
    return client.post("/api/v1/auth/login", json_body={"username": username, "password": password},
                       headers={"X-Forwarded-For": source or address()})


@pytest.fixture
def applicant(system):
    """A freshly registered applicant: ``{phone, id_number}``."""
    client, phone, id_number = system["client"], mobile_phone(), resident_id()
    answer = client.post("/api/v1/auth/register", json_body={"name": "秦岭", "id_number": id_number, "phone": phone,
                                                             "password": PASSWORD})
    assert answer.status == 201, answer
    return {"phone": phone, "id_number": id_number}


class TestSessionsEnd:
    def test_after_logout_the_old_access_token_gets_401_at_once_and_other_sessions_go_on(self, system, applicant):
        client = system["client"]
        laptop, phone = (sign_in(client, applicant["phone"]).json for _ in range(2))
        me = client.with_token(laptop["access_token"])
        assert me.get("/api/v1/me").status == 200  # the principal is now cached by the gateway
        assert client.post("/api/v1/auth/logout", json_body={"refresh_token": laptop["refresh_token"]}).status == 200
        refused = me.get("/api/v1/me")
        assert refused.status == 401 and "登录已结束" in refused.json["error"]["message"]
        assert client.with_token(phone["access_token"]).get("/api/v1/me").status == 200

    def test_logout_with_the_bearer_token_alone_ends_that_session(self, system, applicant):
        client = system["client"]
        tokens = sign_in(client, applicant["phone"]).json
        me = client.with_token(tokens["access_token"])
        assert me.post("/api/v1/auth/logout").status == 200
        assert me.get("/api/v1/me").status == 401
        assert client.post("/api/v1/auth/refresh", json_body={"refresh_token": tokens["refresh_token"]}).status == 401

    def test_after_a_password_change_every_session_of_the_account_gets_401(self, system, applicant):
        client = system["client"]
        first, second = (sign_in(client, applicant["phone"]).json for _ in range(2))
        changer = client.with_token(first["access_token"])
        assert changer.get("/api/v1/me").status == 200
        answer = changer.post("/api/v1/auth/password", json_body={"old_password": PASSWORD,
                                                                  "new_password": "Xin-mima-2026"})
        assert answer.status == 200, answer
        for tokens in (first, second):
            assert client.with_token(tokens["access_token"]).get("/api/v1/me").status == 401
        assert sign_in(client, applicant["phone"], "Xin-mima-2026").status == 200

    def test_the_page_cookie_stops_working_after_logout(self, system, applicant):
        base = system["client"].base_url
        browser, copy = Browserless(base), Browserless(base)
        browser.sign_in(applicant["phone"], PASSWORD)
        for cookie in browser.jar:
            copy.jar.set_cookie(cookie)
        assert copy.get("/dossiers")[0] == 200
        access = copy.cookie("kt_access")
        assert browser.post_form("/logout", {})[0] == 303
        assert system["client"].get("/api/v1/me", headers={"Cookie": f"kt_access={access}"}).status == 401
        status, _, body = copy.get_following("/dossiers")
        assert status == 200 and 'id="login-form"' in body and "请先登录" in body

    def test_the_page_cookie_stops_working_after_a_password_change(self, system, applicant):
        browser = Browserless(system["client"].base_url)
        browser.sign_in(applicant["phone"], PASSWORD)
        assert browser.get("/dossiers")[0] == 200
        api = login(system["client"], applicant["phone"], PASSWORD)
        assert api.post("/api/v1/auth/password", json_body={"old_password": PASSWORD,
                                                            "new_password": "Xin-mima-2027"}).status == 200
        assert system["client"].get("/api/v1/me", headers={
            "Cookie": f"kt_access={browser.cookie('kt_access')}"}).status == 401
        status, _, body = browser.get_following("/dossiers")
        assert status == 200 and 'id="login-form"' in body


class TestLoginThrottles:
    def test_a_hundred_failures_on_random_names_from_one_address_end_in_429_with_retry_after(self, system):
        client, source, statuses = system["client"], address(), []
        for _ in range(100):
            answer = sign_in(client, f"nobody{secrets.token_hex(4)}", "wrong-pass1", source)
            statuses.append(answer.status)
        assert statuses.count(401) == 30 and statuses[-1] == 429
        assert int(answer.headers["Retry-After"]) > 0
        assert answer.json["error"]["code"] == "too_many_attempts" and "登录失败次数过多" in answer.json["error"]["message"]

    def test_an_account_attacked_from_address_a_still_logs_in_from_address_b(self, system, applicant):
        client, attacker = system["client"], address()
        for _ in range(8):
            sign_in(client, applicant["phone"], "wrong-pass1", attacker)
        assert sign_in(client, applicant["phone"], PASSWORD, attacker).status == 429
        assert sign_in(client, applicant["phone"], PASSWORD, address()).status == 200

    def test_the_city_admin_cannot_be_locked_out_by_a_stranger(self, system):
        client, attacker = system["client"], address()
        for _ in range(6):
            sign_in(client, "city_admin", "wrong-pass1", attacker)
        assert sign_in(client, "city_admin", DEMO_PASSWORD, attacker).status == 429
        assert sign_in(client, "city_admin", DEMO_PASSWORD, address()).status == 200

    def test_the_login_page_says_when_to_come_back(self, system):
        browser, source = Browserless(system["client"].base_url), address()
        browser.get("/login")
        for _ in range(31):
            status, headers, body = browser.send(
                "POST", "/login", f"username=nobody{secrets.token_hex(3)}&password=x1&csrf_token={browser.cookie('kt_csrf')}"
                .encode(), {"Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": source})
        assert status == 429 and "登录失败次数过多" in body and int(headers["Retry-After"]) > 0


class TestNoEnumeration:
    def answers(self, client, path, body, times):
        source = address()
        return [(a.status, a.json) for a in (client.post(path, json_body=body, headers={"X-Forwarded-For": source})
                                             for _ in range(times))]

    def test_login_answers_the_same_for_known_and_unknown_accounts(self, system, applicant):
        client = system["client"]
        known = self.answers(client, "/api/v1/auth/login", {"username": applicant["phone"], "password": "wrong1x"}, 7)
        unknown = self.answers(client, "/api/v1/auth/login", {"username": mobile_phone(), "password": "wrong1x"}, 7)
        assert known == unknown and [status for status, _ in known] == [401] * 5 + [429] * 2

    def test_a_reset_request_answers_the_same_for_registered_and_unregistered_phones(self, system, applicant):
        client = system["client"]
        path = "/api/v1/auth/password-reset/request"
        known = self.answers(client, path, {"phone": applicant["phone"]}, 2)
        unknown = self.answers(client, path, {"phone": mobile_phone()}, 2)
        assert [status for status, _ in known] == [200, 429]
        assert known[0] == unknown[0] and known[1][0] == unknown[1][0]
        assert known[1][1]["error"]["code"] == unknown[1][1]["error"]["code"] == "reset_requested_too_soon"

    def test_a_wrong_code_and_no_code_at_all_get_the_same_answer(self, system, applicant):
        client = system["client"]
        path = "/api/v1/auth/password-reset/confirm"
        client.post("/api/v1/auth/password-reset/request", json_body={"phone": applicant["phone"]},
                    headers={"X-Forwarded-For": address()})
        body = {"code": "000000", "new_password": "Xin-mima-2028"}
        known = self.answers(client, path, {**body, "phone": applicant["phone"]}, 1)
        unknown = self.answers(client, path, {**body, "phone": mobile_phone()}, 1)
        assert known == unknown and known[0][0] == 422
        assert known[0][1]["error"]["code"] == "invalid_reset_code"


class TestRoleRequests:
    def test_a_sysadmins_city_admin_waits_for_a_second_person_of_the_city_admin_office(self, system):
        client = system["client"]
        sysadmin, city = login(client, "sysadmin"), login(client, "city_admin")
        city_org = client.get("/api/v1/orgs", params={"kind": "city"}).json["items"][0]["id"]
        login_name = f"ca{secrets.token_hex(4)}"
        asked = sysadmin.post("/api/v1/accounts", json_body={"login_name": login_name, "name": "新审核员",
                                                             "password": PASSWORD, "role": "city_admin",
                                                             "org_id": city_org})
        assert asked.status == 202, asked
        assert asked.json["status"] == "pending" and asked.json["roles"] == []
        request_id = asked.json["pending_role_requests"][0]["id"]
        assert sign_in(client, login_name).status == 401
        listed = city.get("/api/v1/role-requests").json["items"]
        assert request_id in {item["id"] for item in listed}
        refused = sysadmin.post(f"/api/v1/role-requests/{request_id}/confirm")
        assert refused.status == 403 and "市人社局审核员" in refused.json["error"]["message"]
        assert city.post(f"/api/v1/role-requests/{request_id}/confirm").json["status"] == "confirmed"
        signed_in = sign_in(client, login_name)
        assert signed_in.status == 200 and [r["role"] for r in signed_in.json["account"]["roles"]] == ["city_admin"]

    def test_the_routes_are_in_the_openapi_document(self, system):
        paths = system["client"].get("/api/v1/openapi.json").json["paths"]
        assert {"/api/v1/role-requests", "/api/v1/role-requests/{request_id}/confirm",
                "/api/v1/role-requests/{request_id}/refuse", "/api/v1/accounts/{account_id}/roles"} <= set(paths)


class TestPageForms:
    def test_a_cross_site_form_post_is_refused_with_a_chinese_page(self, system, applicant):
        browser = Browserless(system["client"].base_url)
        browser.sign_in(applicant["phone"], PASSWORD)
        status, _, body = browser.send(
            "POST", "/logout", f"csrf_token={browser.cookie('kt_csrf')}".encode(),
            {"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://evil.example"})
        assert status == 403 and "不接受从其他网站提交的表单" in body
        assert browser.get("/dossiers")[0] == 200  # still signed in

    def test_another_sessions_csrf_token_is_refused(self, system, applicant):
        base = system["client"].base_url
        mine, other = Browserless(base), Browserless(base)
        mine.sign_in(applicant["phone"], PASSWORD)
        other.sign_in(applicant["phone"], PASSWORD)
        status, _, body = mine.post_form("/logout", {"csrf_token": other.cookie("kt_csrf")})
        assert status == 403 and "页面已过期" in body

    def test_the_refresh_cookie_is_scoped_to_the_refresh_route(self, system, applicant):
        browser = Browserless(system["client"].base_url)
        browser.sign_in(applicant["phone"], PASSWORD)
        paths = {cookie.name: cookie.path for cookie in browser.jar}
        assert paths["kt_refresh"] == "/session/refresh" and paths["kt_access"] == "/"

    def test_a_form_sent_with_an_expired_access_cookie_goes_through_the_refresh_route_and_is_repeated(
            self, system, applicant):
        browser = Browserless(system["client"].base_url)
        browser.sign_in(applicant["phone"], PASSWORD)
        browser.set_cookie("kt_access", "expired.token.value")
        status, headers, _ = browser.post_form("/logout", {})
        assert status == 307 and headers["Location"] == "/session/refresh?next=%2Flogout"
        status, headers, _ = browser.post_form(headers["Location"], {})
        assert status == 307 and headers["Location"] == "/logout"
        status, headers, _ = browser.post_form("/logout", {})
        assert status == 303 and "msg=signed_out" in headers["Location"]
