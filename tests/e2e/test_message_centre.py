"""The message centre (站内消息) in the browser and over JSON, against the whole system: an applicant
whose dossier is returned finds the reason in /messages and the header's count goes down as they open
it; SMS preferences persist, and the kinds the process requires stay on; the city admin office watches
and re-sends deliveries at /admin/notifications; hostile input is refused at the gateway's edge."""
import json
import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, insert

from services.notification.tables import deliveries
from tests.e2e.conftest import DEMO_PASSWORD, login
from tests.e2e.test_applicant_journey_http import PASSWORD, fill_sections, new_draft, upload, upload_required
from tests.e2e.test_hostile_input_http import refused
from tests.e2e.test_pages_http import Browserless
from tests.e2e.test_pages_journey import sign_in
from tests.factories import mobile_phone
from tests.pdfs import make_pdf
from tests.waiting import wait_until

expect.set_options(timeout=15000)

SHOTS = Path("/tmp/shots/inbox")
PHONE = {"width": 390, "height": 844}
RETURN_REASON = "继续教育证明不清晰,请重新上传"


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def decide(client, dossier_id, action, **fields):
    unit_admin = login(client, "unit_a_admin")
    version = unit_admin.get(f"/api/v1/dossiers/{dossier_id}").json["dossier"]["version"]
    answer = unit_admin.post(f"/api/v1/dossiers/{dossier_id}/decisions",
                             json_body={"action": action, "expected_version": version, **fields})
    assert answer.status == 200, answer


def messages_of(api, **params):
    answer = api.get("/api/v1/messages", params=params)
    assert answer.status == 200, answer
    return answer.json


def message_of_kind(api, kind, dossier_id):
    return next((item for item in messages_of(api, per_page=100)["items"]
                 if item["kind"] == kind and item["dossier_id"] == dossier_id), None)


@pytest.fixture(scope="module")
def applicant(system):
    """An applicant of 演示单位甲 whose dossier the unit returned, then approved after resubmission:
    two messages, both unread."""
    client = system["client"]
    api, phone, dossier_id = new_draft(client, "苏晴", "给排水工程")
    fill_sections(api, dossier_id, "苏晴")
    assert upload(api, dossier_id, make_pdf()).status == 201
    upload_required(api, dossier_id)
    assert api.post(f"/api/v1/dossiers/{dossier_id}/submit").status == 200
    decide(client, dossier_id, "return", reason=RETURN_REASON, sections=["continuing_education"])
    returned = wait_until(lambda: message_of_kind(api, "dossier_returned", dossier_id), what="the return's message")
    assert api.post(f"/api/v1/dossiers/{dossier_id}/submit").status == 200
    decide(client, dossier_id, "approve", opinion="同意推荐")
    approved = wait_until(lambda: message_of_kind(api, "dossier_approved", dossier_id), what="the approval's message")
    return {"api": api, "phone": phone, "dossier_id": dossier_id, "returned": returned, "approved": approved}


def badge(page):
    return page.locator("#nav-messages")


class TestMessages:
    def test_the_return_is_a_message_naming_the_reason_that_links_to_the_dossier(self, applicant):
        returned, dossier_id = applicant["returned"], applicant["dossier_id"]
        assert RETURN_REASON in returned["body"] and returned["link"] == f"/dossiers/{dossier_id}"
        assert returned["read_at"] is None and returned["kind_label"] == "申报材料被退回修改"
        listing = messages_of(applicant["api"])
        assert [item["message_id"] for item in listing["items"][:2]] == [applicant["approved"]["message_id"],
                                                                         returned["message_id"]]  # newest first
        assert listing["unread"] == 2 and messages_of(applicant["api"], unread_only="true")["total"] == 2

    def test_opening_a_message_in_the_browser(self, applicant, new_page):
        api, dossier_id, returned = applicant["api"], applicant["dossier_id"], applicant["returned"]
        unread = messages_of(api)["unread"]
        page = new_page()
        sign_in(page, applicant["phone"], PASSWORD)
        expect(badge(page)).to_have_text(f"消息 ({unread})")
        badge(page).click()
        item = page.locator(f"#message-{returned['message_id']}")
        expect(item).to_have_class("message unread")
        expect(item).to_contain_text(RETURN_REASON)
        expect(item).to_contain_text("申报材料被退回修改")
        expect(page.locator(f"#message-{applicant['approved']['message_id']}")).to_have_class("message unread")
        expect(page.locator("#unread-total")).to_have_text(str(unread))
        shot(page, "01-messages-desktop")

        page.click(f"#open-{returned['message_id']}")
        expect(page).to_have_url(re.compile(rf"/dossiers/{dossier_id}$"))
        expect(badge(page)).to_have_text(f"消息 ({unread - 1})" if unread > 1 else "消息")
        assert messages_of(api)["unread"] == unread - 1
        assert message_of_kind(api, "dossier_returned", dossier_id)["read_at"]

        page.goto("/messages")
        expect(page.locator(f"#message-{returned['message_id']}")).to_have_class("message")
        expect(page.locator(f"#read-{returned['message_id']}")).to_have_count(0)

    def test_on_a_phone_the_list_fits_and_a_button_marks_one_then_all_read(self, applicant, new_page):
        api = applicant["api"]
        page = new_page(PHONE)
        sign_in(page, applicant["phone"], PASSWORD)
        page.goto("/messages")
        shot(page, "02-messages-phone")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        approved = applicant["approved"]["message_id"]
        before = messages_of(api)["unread"]
        assert before >= 1
        page.click(f"#read-{approved}")
        expect(page.locator(".flash")).to_have_text("已标为已读。")
        expect(page.locator(f"#message-{approved}")).to_have_class("message")
        assert messages_of(api)["unread"] == before - 1
        if before - 1:
            page.click("#read-all")
            expect(page.locator(".flash")).to_have_text("全部消息已标为已读。")
        assert messages_of(api)["unread"] == 0
        expect(page.locator("#unread-count")).to_have_count(0)
        expect(badge(page)).to_have_text("消息")
        expect(page.locator("#read-all")).to_have_count(0)

    def test_marking_another_persons_message_changes_nothing_of_theirs(self, system, applicant):
        other, _, _ = new_draft(system["client"], "路人")
        marked = other.post("/api/v1/messages/read", json_body={"message_ids": [applicant["approved"]["message_id"]]})
        assert marked.status == 200 and marked.json["marked"] == 0
        assert messages_of(other)["total"] == 0


class TestPreferences:
    def test_an_optional_kind_may_be_turned_off_and_stays_off(self, applicant):
        api = applicant["api"]
        listed = api.get("/api/v1/me/notification-preferences")
        assert listed.status == 200, listed
        by_kind = {item["kind"]: item for item in listed.json["items"]}
        assert by_kind["dossier_returned"]["required"] and by_kind["dossier_returned"]["sms_enabled"]
        assert not by_kind["dossier_approved"]["required"]
        assert "meeting_opened" not in by_kind  # an expert's kind
        changed = api.put("/api/v1/me/notification-preferences", json_body={"sms": {"dossier_approved": False}})
        assert changed.status == 200, changed
        again = {item["kind"]: item for item in api.get("/api/v1/me/notification-preferences").json["items"]}
        assert again["dossier_approved"]["sms_enabled"] is False
        assert api.put("/api/v1/me/notification-preferences", json_body={"sms": {"dossier_approved": True}}).status == 200

    def test_a_required_kind_cannot_be_turned_off(self, applicant):
        api = applicant["api"]
        answer = api.put("/api/v1/me/notification-preferences",
                         json_body={"sms": {"dossier_returned": False, "fee_paid": False}})
        assert "流程必需" in refused(answer, "sms")
        assert answer.json["error"]["fields"]["sms"] == {"dossier_returned": ["流程必需,不能关闭"]}
        kept = {item["kind"]: item for item in api.get("/api/v1/me/notification-preferences").json["items"]}
        assert kept["dossier_returned"]["sms_enabled"] and kept["fee_paid"]["sms_enabled"]  # nothing was saved

    def test_the_page_keeps_required_kinds_on_and_saves_the_others(self, applicant, new_page):
        api = applicant["api"]
        page = new_page(PHONE)
        sign_in(page, applicant["phone"], PASSWORD)
        page.goto("/messages")
        page.click("#preferences-link")
        required = page.locator("#sms-applicant-dossier_returned")
        expect(required).to_be_checked()
        expect(required).to_be_disabled()
        expect(page.locator("#locked-applicant-dossier_returned")).to_have_text("流程必需,不能关闭")
        optional = page.locator("#sms-applicant-fee_paid")
        expect(optional).to_be_enabled()
        optional.uncheck()
        shot(page, "03-preferences-phone")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.click("#save-preferences-applicant")
        expect(page.locator(".flash")).to_have_text("短信提醒设置已保存。")
        expect(page.locator("#sms-applicant-fee_paid")).not_to_be_checked()
        expect(page.locator("#sms-applicant-dossier_approved")).to_be_checked()
        expect(page.locator("#sms-applicant-dossier_returned")).to_be_checked()
        saved = {item["kind"]: item["sms_enabled"] for item in api.get("/api/v1/me/notification-preferences").json["items"]}
        assert saved["fee_paid"] is False and saved["dossier_approved"] is True and saved["dossier_returned"] is True
        page.set_viewport_size({"width": 1280, "height": 900})
        shot(page, "04-preferences-desktop")


def failed_delivery(system, phone):
    """A delivery as the worker leaves it after its last attempt failed (the SMS gateway refused it)."""
    delivery_id = str(uuid.uuid4())
    now = system["review_clock"]()  # the notification service's clock
    engine = create_engine(system["notification_database"])
    try:
        with engine.begin() as connection:
            connection.execute(insert(deliveries).values(
                id=delivery_id, event_key=f"e2e-failed:{delivery_id}", recipient_id="e2e", channel="sms",
                kind="fee_due", account_id=None, phone=phone, template="fee_due", params={},
                body="【昆明人社】您的申报材料已通过市人社局审核,请按期缴纳评审费。", dossier_id=None, urgent=False,
                status="failed", attempts=8, next_attempt_at=now, last_error="短信网关答复 HTTP 503: busy",
                last_attempt_at=now, created_at=now, sent_at=None))
    finally:
        engine.dispose()
    return delivery_id


def delivery_state(city, delivery_id):
    for status in ("pending", "held", "sent", "failed"):
        items = city.get("/api/v1/notifications/deliveries", params={"status": status, "per_page": 200}).json["items"]
        found = next((item for item in items if item["delivery_id"] == delivery_id), None)
        if found:
            return found
    raise AssertionError(f"delivery {delivery_id} is not listed")


class TestDeliveryMonitor:
    def test_the_city_office_sees_deliveries_masked_and_sends_a_failed_one_again(self, system, applicant, new_page):
        phone = mobile_phone()
        delivery_id = failed_delivery(system, phone)
        page = new_page()
        sign_in(page, "city_admin", DEMO_PASSWORD)
        page.click("a[href='/admin/notifications']")
        expect(page.locator("#delivery-counts")).to_contain_text("发送失败")
        expect(page.locator("#count-failed strong")).not_to_have_text("0")
        page.click("#count-failed")
        row = page.locator(f"#delivery-{delivery_id}")
        expect(row).to_contain_text(f"{phone[:3]}****{phone[-4:]}")
        expect(row).to_contain_text("短信网关答复 HTTP 503")
        expect(row).to_contain_text("发送失败")
        html = page.content()
        assert phone not in html and applicant["phone"] not in html
        shot(page, "05-deliveries-desktop")
        page.click(f"#retry-{delivery_id}")
        expect(page.locator(".flash")).to_contain_text("已重新排队发送")
        expect(page.locator(f"#delivery-{delivery_id}")).to_have_count(0)  # no longer among the failed
        state = delivery_state(login(system["client"], "city_admin"), delivery_id)
        assert state["status"] in ("pending", "sent", "held") and state["attempts"] <= 1
        page.set_viewport_size(PHONE)
        page.goto("/admin/notifications")
        shot(page, "06-deliveries-phone")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    def test_a_delivery_that_has_not_failed_is_not_sent_again(self, system, applicant):
        city = login(system["client"], "city_admin")
        listed = city.get("/api/v1/notifications/deliveries")
        assert listed.status == 200 and set(listed.json["counts"]) == {"pending", "held", "sent", "failed"}
        # The applicant's own SMS (the return's, the approval's) are queued, held or sent: not failed.
        not_failed = next(item for item in listed.json["items"] if item["status"] != "failed")
        answer = city.post(f"/api/v1/notifications/deliveries/{not_failed['delivery_id']}/retry")
        assert answer.status == 409 and "只有发送失败" in answer.json["error"]["message"]

    def test_auditors_read_without_resending_and_applicants_may_not_look(self, system, applicant, new_page):
        auditor = login(system["client"], "auditor")
        assert auditor.get("/api/v1/notifications/deliveries").status == 200
        refused_retry = auditor.post(f"/api/v1/notifications/deliveries/{uuid.uuid4()}/retry")
        assert refused_retry.status == 403
        assert applicant["api"].get("/api/v1/notifications/deliveries").status == 403
        page = new_page()
        sign_in(page, "auditor", DEMO_PASSWORD)
        page.goto("/admin/notifications")
        expect(page.locator("#delivery-counts")).to_be_visible()
        expect(page.locator("button:has-text('重新发送')")).to_have_count(0)
        browser = Browserless(page.url.split("/admin")[0])
        browser.sign_in(applicant["phone"], PASSWORD)
        status, _, body = browser.get("/admin/notifications")
        assert status == 403 and "市人社局审核员" in body


class TestHostileInput:
    """Refused at the edge, in Chinese, and nothing changes at the notification service."""

    @pytest.mark.parametrize("query, field", [
        ("page=%00", "page"), ("per_page=100000", "per_page"), ("page=0", "page"), ("unread_only=%E2%80%8B", "unread_only"),
        ("per_page=" + "9" * 500, "per_page"),
    ])
    def test_a_hostile_inbox_query_is_refused(self, applicant, query, field):
        refused(applicant["api"].get(f"/api/v1/messages?{query}"), field)

    @pytest.mark.parametrize("raw, field", [
        ('{"message_ids": ["\\ud800"]}', "message_ids"),
        ('{"message_ids": ["a\\u0000b"]}', "message_ids"),
        ('{"all": "\\u0000"}', "all"),
        ('{"message_ids": ["' + "x" * 5000 + '"]}', "message_ids"),
        (json.dumps({"message_ids": [str(n) for n in range(500)]}), "message_ids"),
        ('{"message_ids\\u202e": ["a"]}', "message_ids\u202e"),
        ("{}", "message_ids"),
    ])
    def test_a_hostile_mark_read_is_refused_and_marks_nothing(self, applicant, raw, field):
        api = applicant["api"]
        before = messages_of(api)["unread"]
        answer = api.request("POST", "/api/v1/messages/read", data=raw.encode(), headers={"Content-Type": "application/json"})
        refused(answer, field)
        assert messages_of(api)["unread"] == before

    def test_an_absurdly_large_body_is_refused(self, applicant):
        raw = json.dumps({"message_ids": ["x" * 1000] * 2000}).encode()
        answer = applicant["api"].request("POST", "/api/v1/messages/read", data=raw,
                                          headers={"Content-Type": "application/json"})
        assert answer.status == 413 and "请求体过大" in answer.json["error"]["message"]

    @pytest.mark.parametrize("body, field", [
        ({"sms": {"fee_paid\u0000": False}}, "sms"), ({"sms": {"no_such_kind": False}}, "sms"),
        ({"sms": {"fee_paid": "\ud800"}}, "sms"), ({"sms": "all off"}, "sms"), ({"email": {}}, "email"),
    ])
    def test_hostile_preferences_are_refused_and_nothing_is_saved(self, applicant, body, field):
        api = applicant["api"]
        before = api.get("/api/v1/me/notification-preferences").json
        raw = json.dumps(body, ensure_ascii=True).encode()  # ASCII escapes carry NULs and surrogates
        answer = api.request("PUT", "/api/v1/me/notification-preferences", data=raw,
                             headers={"Content-Type": "application/json"})
        refused(answer, field)
        assert api.get("/api/v1/me/notification-preferences").json == before

    def test_hostile_delivery_queries_are_refused(self, system):
        city = login(system["client"], "city_admin")
        assert "应为以下之一" in refused(city.get("/api/v1/notifications/deliveries?status=lost"), "status")
        refused(city.get("/api/v1/notifications/deliveries?per_page=%00"), "per_page")
        assert "空字符" in refused(city.post("/api/v1/notifications/deliveries/%00/retry"), "delivery_id")
        refused(city.post(f"/api/v1/notifications/deliveries/{'x' * 40}/retry"), "delivery_id")

    def test_the_page_refuses_a_hostile_query_in_chinese(self, system, applicant):
        browser = Browserless(system["client"].base_url)
        browser.sign_in(applicant["phone"], PASSWORD)
        status, _, body = browser.get("/messages?page=%00")
        assert status == 422 and "空字符" in body
        status, _, body = browser.get("/messages?page=999999999")
        assert status == 200 and 'id="messages"' in body  # a page past the end is an empty page, not an error
