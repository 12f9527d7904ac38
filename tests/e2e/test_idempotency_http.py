"""Over HTTP: a client's ``Idempotency-Key`` makes a retry (after a 504, say) safe, a malformed or
reused one is refused in Chinese, and a decision made on a stale version — by API or on a review page
left open — is refused with who moved the dossier, never recorded on top of the other one."""
import re
import uuid

import pytest

from tests.e2e.review_support import Staff, person_name, seen_version, submitted_dossier
from tests.e2e.test_pages_http import Browserless

DEMO_PASSWORD = "Kunming@2026"


@pytest.fixture(scope="module")
def staff(system):
    return Staff(system["client"], system["review_clock"])


def fresh_key():
    return str(uuid.uuid4())


def history_types(staff, dossier_id):
    return [entry["type"] for entry in staff["city_admin"].get(f"/api/v1/dossiers/{dossier_id}/history").json["items"]]


def approve_body(version):
    return {"action": "approve", "opinion": "同意推荐", "expected_version": version}


class TestIdempotencyKeys:
    def test_a_retry_with_the_same_key_answers_the_first_result_and_records_once(self, system, staff):
        _, dossier_id = submitted_dossier(system["client"], person_name("黄"))
        unit_admin, key = staff["unit_a_admin"], fresh_key()
        body = approve_body(seen_version(unit_admin, dossier_id))
        path = f"/api/v1/review/dossiers/{dossier_id}/decisions"
        first = unit_admin.post(path, json_body=body, headers={"Idempotency-Key": key})
        again = unit_admin.post(path, json_body=body, headers={"Idempotency-Key": key})
        assert first.status == again.status == 200, (first, again)
        assert again.json == first.json
        assert history_types(staff, dossier_id).count("unit_approved") == 1

    def test_without_a_key_the_same_decision_twice_is_a_conflict_not_a_second_decision(self, system, staff):
        _, dossier_id = submitted_dossier(system["client"], person_name("郑"))
        unit_admin = staff["unit_a_admin"]
        body = approve_body(seen_version(unit_admin, dossier_id))
        assert unit_admin.post(f"/api/v1/dossiers/{dossier_id}/decisions", json_body=body).status == 200
        again = unit_admin.post(f"/api/v1/dossiers/{dossier_id}/decisions", json_body=body)
        assert again.status == 409 and again.json["error"]["code"] == "stale_version"
        assert history_types(staff, dossier_id).count("unit_approved") == 1

    @pytest.mark.parametrize("bad", ["short", "审核决定的幂等键不能用中文0123", "x" * 200])
    def test_a_malformed_key_is_a_chinese_field_error_and_nothing_happens(self, system, staff, bad):
        _, dossier_id = submitted_dossier(system["client"], person_name("韩"))
        unit_admin = staff["unit_a_admin"]
        before = history_types(staff, dossier_id)
        answer = unit_admin.request("POST", f"/api/v1/dossiers/{dossier_id}/decisions",
                                    json_body=approve_body(seen_version(unit_admin, dossier_id)),
                                    headers={"Idempotency-Key": bad.encode("utf-8").decode("latin-1")})
        assert answer.status == 422, answer
        (message,) = answer.json["error"]["fields"]["Idempotency-Key"]
        assert "可打印 ASCII" in message
        assert history_types(staff, dossier_id) == before

    def test_a_key_sent_again_with_another_request_is_refused(self, system, staff):
        _, first_id = submitted_dossier(system["client"], person_name("曹"))
        _, other_id = submitted_dossier(system["client"], person_name("许"))
        unit_admin, key = staff["unit_a_admin"], fresh_key()
        assert unit_admin.post(f"/api/v1/dossiers/{first_id}/decisions", headers={"Idempotency-Key": key},
                               json_body=approve_body(seen_version(unit_admin, first_id))).status == 200
        reused = unit_admin.post(f"/api/v1/dossiers/{other_id}/decisions", headers={"Idempotency-Key": key},
                                 json_body=approve_body(seen_version(unit_admin, other_id)))
        assert reused.status == 409 and reused.json["error"]["code"] == "idempotency_key_reused"
        assert "已用于另一项操作" in reused.json["error"]["message"]
        assert "unit_approved" not in history_types(staff, other_id)

    def test_the_openapi_document_describes_the_key_and_the_version(self, system):
        document = system["client"].get("/api/v1/openapi.json").json
        operation = document["paths"]["/api/v1/review/dossiers/{dossier_id}/decisions"]["post"]
        assert "Idempotency-Key" in [parameter["name"] for parameter in operation["parameters"]]
        schema = document["components"]["schemas"]["ReviewDecision"]
        assert "expected_version" in schema["required"]
        assert "expected_version" in document["components"]["schemas"]["Decision"]["required"]


class TestStaleDecisions:
    def test_a_decision_on_a_version_that_moved_is_refused_with_who_moved_it(self, system, staff):
        _, dossier_id = submitted_dossier(system["client"], person_name("冯"))
        unit_admin = staff["unit_a_admin"]
        seen = seen_version(unit_admin, dossier_id)
        returned = unit_admin.post(f"/api/v1/review/dossiers/{dossier_id}/decisions", json_body={
            "action": "return", "reason": "请补充学历证明", "sections": ["education"], "expected_version": seen})
        assert returned.status == 200, returned
        late = unit_admin.post(f"/api/v1/review/dossiers/{dossier_id}/decisions", json_body=approve_body(seen))
        assert late.status == 409 and late.json["error"]["code"] == "stale_version"
        message = late.json["error"]["message"]
        assert f"第 {seen} 版" in message and "「退回修改」" in message and "单位管理员" in message
        assert history_types(staff, dossier_id)[-1] == "returned"

    def test_a_decision_without_its_version_is_a_field_error(self, system, staff):
        _, dossier_id = submitted_dossier(system["client"], person_name("彭"))
        answer = staff["unit_a_admin"].post(f"/api/v1/review/dossiers/{dossier_id}/decisions",
                                            json_body={"action": "approve", "opinion": "同意"})
        assert answer.status == 422 and "版本号" in answer.json["error"]["fields"]["expected_version"][0]

    def test_a_decision_made_on_a_review_page_left_open_is_refused_with_a_clear_message(self, system, staff):
        _, dossier_id = submitted_dossier(system["client"], person_name("蒋"))
        browser = Browserless(system["client"].base_url)
        browser.sign_in("unit_a_admin", DEMO_PASSWORD)
        status, _, page = browser.get(f"/review/{dossier_id}")
        assert status == 200
        rendered = re.search(r'id="approve-form".*?name="expected_version" value="(\d+)"', page, re.S).group(1)
        # Meanwhile a colleague returns it through the API.
        colleague = staff["unit_a_admin"]
        assert colleague.post(f"/api/v1/review/dossiers/{dossier_id}/decisions", json_body={
            "action": "return", "reason": "请补充材料", "sections": ["materials"],
            "expected_version": int(rendered)}).status == 200
        status, _, body = browser.post_form(f"/review/{dossier_id}/decision", {
            "action": "approve", "opinion": "同意推荐", "expected_version": rendered})
        assert status == 409
        assert "申报材料已被他人处理" in body and "「退回修改」" in body and "未记录" in body
        assert history_types(staff, dossier_id).count("unit_approved") == 0
