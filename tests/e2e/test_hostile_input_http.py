"""Hostile text is refused at the gateway's edge (issue 12, M6): the hand-made cases of the sweep get a
400/422 with the JSON error contract and a Chinese field message, never a 5xx, and nothing is stored."""
import json

import pytest

from tests.e2e.conftest import login
from tests.e2e.test_applicant_journey_http import PASSWORD, new_draft
from tests.e2e.test_pages_http import Browserless
from tests.factories import basic_info, mobile_phone, resident_id

CHINESE = range(0x4E00, 0xA000)


def refused(answer, field):
    """Assert the error contract: 400/422, code and message, and a Chinese message for *field*."""
    assert answer.status in (400, 422), answer
    error = answer.json["error"]
    assert error["code"] and any(ord(ch) in CHINESE for ch in error["message"]), error
    messages = error["fields"][field]
    text = json.dumps(messages, ensure_ascii=False)
    assert any(ord(ch) in CHINESE for ch in text), messages
    return text


@pytest.fixture(scope="module")
def applicant(system):
    """An applicant of 演示单位甲 (so they may apply) with one draft."""
    api, phone, dossier_id = new_draft(system["client"], "韩梅", "给排水工程")
    return {"api": api, "phone": phone, "dossier_id": dossier_id}


@pytest.fixture(scope="module")
def city(system):
    return login(system["client"], "city_admin")


def dossier_count(api):
    return api.get("/api/v1/dossiers").json["total"]


def events_of(api, dossier_id):
    return len(api.get(f"/api/v1/dossiers/{dossier_id}/history").json["items"])


class TestQueriesAndPaths:
    def test_an_anonymous_org_search_with_a_nul_is_refused(self, system):
        assert "空字符" in refused(system["client"].get("/api/v1/orgs?q=%00"), "q")

    def test_a_dossier_search_with_a_nul_is_refused(self, applicant):
        assert "空字符" in refused(applicant["api"].get("/api/v1/dossiers?q=%00"), "q")

    def test_a_committee_id_holding_a_nul_is_refused(self, city):
        assert "空字符" in refused(city.get("/api/v1/committees/%00"), "committee_id")

    def test_a_meeting_filter_with_a_nul_is_refused(self, city):
        assert "空字符" in refused(city.get("/api/v1/meetings?state=%00"), "state")

    def test_an_objection_filter_with_a_nul_is_refused(self, city):
        assert "空字符" in refused(city.get("/api/v1/objections?publicity_id=%00"), "publicity_id")

    def test_reconciliation_for_the_year_9999_is_refused(self, city):
        assert "1900 到 2100" in refused(city.get("/api/v1/payments/reconciliation?date=9999-12-31"), "date")


class TestAccounts:
    def test_a_login_with_a_nul_is_refused(self, system):
        answer = system["client"].post("/api/v1/auth/login", json_body={"username": "city_admin\u0000",
                                                                         "password": "Kunming@2026"})
        assert "空字符" in refused(answer, "username")

    @pytest.mark.parametrize(("name", "words"), [("李\u0000明", "空字符"), ("李\u202e明", "文字方向")])
    def test_a_registration_with_a_hostile_name_is_refused_and_creates_no_account(self, system, name, words):
        phone = mobile_phone()
        answer = system["client"].post("/api/v1/auth/register", json_body={
            "name": name, "id_number": resident_id(), "phone": phone, "password": PASSWORD})
        assert words in refused(answer, "name")
        signed_in = system["client"].post("/api/v1/auth/login", json_body={"username": phone, "password": PASSWORD})
        assert signed_in.status == 401  # no account was made


class TestDossierBodies:
    def test_creating_a_dossier_with_a_nul_in_the_specialty_is_refused_and_stores_nothing(self, applicant):
        api, before = applicant["api"], dossier_count(applicant["api"])
        answer = api.post("/api/v1/dossiers", json_body={"review_year": 2026, "series": "engineering",
                                                         "specialty": "给排水\u0000工程", "level": "intermediate"})
        assert "空字符" in refused(answer, "specialty")
        assert dossier_count(api) == before

    def test_a_five_thousand_deep_section_body_is_refused_and_stores_nothing(self, applicant):
        api, dossier_id = applicant["api"], applicant["dossier_id"]
        before = events_of(api, dossier_id)
        deep = ('{"gender":' * 5000 + '"男"' + "}" * 5000).encode()
        answer = api.request("PUT", f"/api/v1/dossiers/{dossier_id}/sections/basic_info", data=deep,
                             headers={"Content-Type": "application/json"})
        assert "32 层" in refused(answer, "body")
        assert events_of(api, dossier_id) == before

    @pytest.mark.parametrize(("change", "field", "words"), [
        ({"ethnicity": "汉\ud800"}, "ethnicity", "代理项"),
        ({"work_start_date": "9999-12-31"}, "work_start_date", "1900 到 2100"),
        ({"birth_date": "1988-05-01"}, "birth_date", "由身份证号码自动生成"),
        ({"position": "工程师\u200b"}, "position", "不可见"),
    ])
    def test_a_section_with_hostile_text_or_an_absurd_date_is_refused_and_stores_nothing(
            self, applicant, change, field, words):
        api, dossier_id = applicant["api"], applicant["dossier_id"]
        before = events_of(api, dossier_id)
        raw = json.dumps(basic_info(**change), ensure_ascii=True).encode()  # ASCII escapes carry the surrogate
        answer = api.request("PUT", f"/api/v1/dossiers/{dossier_id}/sections/basic_info", data=raw,
                             headers={"Content-Type": "application/json"})
        assert words in refused(answer, field)
        assert events_of(api, dossier_id) == before


class TestPages:
    def test_the_new_dossier_form_shows_the_refusal_beside_the_specialty_and_stores_nothing(self, system, applicant):
        before = dossier_count(applicant["api"])
        browser = Browserless(system["client"].base_url)
        browser.sign_in(applicant["phone"], PASSWORD)
        status, _, body = browser.post_form("/dossiers/new", {"review_year": "2026", "series": "engineering",
                                                              "specialty": "给排水\u0000工程", "level": "intermediate"})
        assert status == 422, body[:500]
        assert 'id="err-specialty"' in body and "不能包含空字符" in body
        assert dossier_count(applicant["api"]) == before

    def test_a_page_query_with_a_nul_gets_a_chinese_refusal_not_a_server_error(self, system):
        status, _, body = Browserless(system["client"].base_url).get("/publicity?page=%00")
        assert status == 422 and "空字符" in body
