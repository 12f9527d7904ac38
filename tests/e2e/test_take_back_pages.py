"""撤回申报 in headless Chromium: the applicant submits, takes the submission back on the dossier page
(a confirmation step of the page's own, no script dialog), edits, submits again; the unit's queue drops
it meanwhile and the unit admin approves the resubmission, after which the button is gone and the API
refuses in Chinese. Screenshots of the page with the button, desktop and phone, go to /tmp/shots/takeback/."""
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from shared.contracts import dossier as st
from tests.e2e.conftest import DEMO_PASSWORD, login
from tests.e2e.review_support import person_name
from tests.e2e.test_applicant_journey_http import PASSWORD, fill_sections, new_draft, upload, upload_required
from tests.e2e.test_pages_journey import sign_in
from tests.pdfs import make_pdf
from tests.waiting import wait_until

expect.set_options(timeout=15000)

SHOTS = Path("/tmp/shots/takeback")
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def shots():
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


def shot(page, shots, name):
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def submit_on_page(page):
    """提交申报 as a person does it: the button, and its confirmation step when the page asks for one."""
    page.click("#submit-dossier")
    status = page.locator("#dossier-status")
    confirm = page.locator("button:visible", has_text=re.compile("确认(提交|重新提交)"))
    expect(status.filter(has_text="待单位审核").or_(confirm)).to_be_visible()
    if confirm.count():
        confirm.first.click()
    expect(status).to_have_text("待单位审核")


def unit_queue_has(unit_admin, dossier_id):
    listed = unit_admin.get("/api/v1/review/queue", params={"include_ids": "1", "per_page": 200}).json
    return dossier_id in listed["ids"]


class TestTakingBackInTheBrowser:
    def test_submit_take_back_edit_resubmit_then_the_unit_approves_and_taking_back_is_refused(
            self, system, new_page, shots, tmp_path):
        client = system["client"]
        name = person_name("欧")
        applicant_api, phone, dossier_id = new_draft(client, name, specialty="暖通工程")
        fill_sections(applicant_api, dossier_id, name)
        assert upload(applicant_api, dossier_id, make_pdf(pages=1)).status == 201
        upload_required(applicant_api, dossier_id)
        unit_admin_api = login(client, "unit_a_admin")
        dossier_url = f"/dossiers/{dossier_id}"

        # 提交申报 on the page; while the unit has not acted, 撤回申报 is offered with what it means.
        page = new_page()
        sign_in(page, phone, PASSWORD)
        page.goto(dossier_url)
        expect(page.locator("#sec-take-back")).to_have_count(0)  # a draft has nothing to take back
        submit_on_page(page)
        card = page.locator("#sec-take-back")
        expect(card).to_be_visible()
        expect(card.locator("#take-back-explained")).to_have_text("单位审核前可撤回修改,撤回后需重新提交。")
        expect(page.locator("#take-back-confirm")).to_be_hidden()  # the final button waits for the step
        shot(page, shots, "desktop-submitted-with-take-back")
        wait_until(lambda: unit_queue_has(unit_admin_api, dossier_id), what="the submission in the unit queue")
        counts_before = unit_admin_api.get("/api/v1/review/queue/counts").json["counts"]
        # The unit admin opens it for review meanwhile (and will press 审核通过 only after it was taken back).
        admin = new_page()
        sign_in(admin, "unit_a_admin", DEMO_PASSWORD)
        admin.goto(f"/review/{dossier_id}")
        admin.fill("#f-approve-opinion", "同意推荐")

        phone_page = new_page(PHONE)
        sign_in(phone_page, phone, PASSWORD)
        phone_page.goto(dossier_url)
        expect(phone_page.locator("#sec-take-back")).to_be_visible()
        shot(phone_page, shots, "phone-submitted-with-take-back")
        # A link to the section (the 当前待办 card's 撤回申报) opens the step; the final button stays to be pressed.
        expect(phone_page.locator("#take-back-confirm")).to_be_hidden()
        phone_page.goto(f"{dossier_url}#sec-take-back")
        expect(phone_page.locator("#take-back-confirm")).to_be_visible()
        phone_page.locator("#sec-take-back").scroll_into_view_if_needed()
        phone_page.screenshot(path=str(shots / "phone-take-back-confirm-step.png"))
        width = phone_page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the page is {width}px wide on a 390px phone"

        # 撤回申报: open the step, give a reason, confirm. A draft again, editable, out of the unit's queue.
        page.click("#take-back-open")
        page.fill("#f-take-back-reason", "补充一项业绩成果")
        shot(page, shots, "desktop-take-back-confirm-step")
        page.click("#take-back-confirm")
        expect(page.locator(".flash")).to_contain_text("已撤回申报")
        expect(page.locator("#dossier-status")).to_have_text("草稿")
        expect(page.locator("#sec-take-back")).to_have_count(0)
        expect(page.locator("#form-review_form")).to_be_visible()
        expect(page.locator("tr.event-submission_taken_back")).to_contain_text("撤回申报")
        expect(page.locator("tr.event-submission_taken_back")).to_contain_text("补充一项业绩成果")
        shot(page, shots, "desktop-after-take-back")
        wait_until(lambda: not unit_queue_has(unit_admin_api, dossier_id), what="the unit queue to drop it")
        counts = unit_admin_api.get("/api/v1/review/queue/counts").json["counts"]
        assert counts.get(st.SUBMITTED, 0) == counts_before.get(st.SUBMITTED, 0) - 1
        # The page the unit admin opened before is stale: the decision is refused, saying why.
        admin.click("#approve-form button[type=submit]")
        expect(admin.locator(".alert-error")).to_contain_text("申报人已撤回该申报")
        shot(admin, shots, "desktop-unit-admin-stale-approval-refused")

        # Edit, then submit again.
        page.fill("#f-review_form-work_summary", "从事暖通工程技术工作十余年,补充了业绩成果。")
        page.click("#form-review_form button[type=submit]")
        # The save confirmation, at the top or inside the saved section (wherever the page puts it).
        expect(page.locator(".flash, #saved-review_form").filter(has_text="已保存").first).to_be_visible()
        submit_on_page(page)
        wait_until(lambda: unit_queue_has(unit_admin_api, dossier_id), what="the resubmission in the unit queue")

        # The unit admin approves the resubmission in the browser.
        admin.goto(f"/review/{dossier_id}")
        expect(admin.locator("#decisions")).to_be_visible()
        admin.fill("#f-approve-opinion", "同意推荐")
        admin.click("#approve-form button[type=submit]")
        expect(admin.locator(".flash")).to_have_text("审核决定已记录。")

        # The button is gone; the API refuses in Chinese, saying the unit has acted.
        page.goto(dossier_url)
        expect(page.locator("#dossier-status")).to_have_text("单位审核通过")
        expect(page.locator("#sec-take-back")).to_have_count(0)
        expect(page.locator("#take-back-open")).to_have_count(0)
        refused = applicant_api.post(f"/api/v1/dossiers/{dossier_id}/take-back", json_body={"reason": "还想改"})
        assert refused.status == 409, refused
        assert refused.json["error"]["message"].startswith("单位已审核,不能撤回"), refused.json
        assert "如需修改请联系单位管理员退回" in refused.json["error"]["message"]
        history = applicant_api.get(f"/api/v1/dossiers/{dossier_id}/history").json
        types = [entry["type"] for entry in (history["items"] if isinstance(history, dict) else history)]
        assert types.count("submission_taken_back") == 1 and types.count(st.recorded_event("submit", st.DRAFT)) == 2
        assert types[-1] == "unit_approved"
