"""当前待办 in headless Chromium, on a desktop and on a 390×844 phone: the card sits on the first screen of
the dossier page and of 我的申报, and shows what each status needs — 继续填写/提交申报 for a draft, 撤回
for a submission, the resubmission deadline of a returned dossier, the pay button (which pays) of an
accepted one, the publicity's end date, the certificate download; the reviewers' counts on their
queue. Then the confirmation steps (提交申报, deleting a material, 结束表决并计票, 发布公示): without
confirming nothing changes, with it the act is done; the save confirmation inside the saved
section; a refused 提交's complete list beside the button. Screenshots in /tmp/shots/nextstep/."""
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect

from shared.clock import beijing_text
from tests.e2e.conftest import DEMO_PASSWORD, DESKTOP, login
from tests.e2e.money_support import DRAWN, accepted, notify, payment_id_of, status_of
from tests.e2e.review_support import (
    UNIT_A, Staff, committee_with_pool, decide, open_meeting, person_name, submitted_dossier, vote,
)
from tests.e2e.test_applicant_journey_http import PASSWORD, join_unit, upload
from tests.e2e.test_pages_http import Browserless
from tests.e2e.test_pages_journey import confirm, sign_in
from tests.factories import basic_info, mobile_phone, resident_id
from tests.pdfs import make_pdf
from tests.waiting import wait_until

PHONE = {"width": 390, "height": 844}
VIEWPORTS = (("desktop", DESKTOP), ("phone", PHONE))
SHOTS = Path("/tmp/shots/nextstep")

expect.set_options(timeout=15000)


@pytest.fixture(scope="module")
def staff(system):
    return Staff(system["client"], system["review_clock"])


@pytest.fixture(scope="module", autouse=True)
def shots():
    SHOTS.mkdir(parents=True, exist_ok=True)


def shoot(page, name):
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)  # the first screen, as the person sees it
    page.screenshot(path=str(SHOTS / f"{name}-full.png"), full_page=True)


def on_first_screen(locator, viewport):
    """The element starts and ends inside the first screen (no scrolling needed)."""
    box = locator.bounding_box()
    assert box is not None, "not rendered"
    assert box["y"] < viewport["height"] and box["y"] + box["height"] <= viewport["height"], box
    return box


def draft_of(client, name):
    """A new applicant of 甲 with a draft holding only its basic information and one PDF: (api, phone, id)."""
    phone = mobile_phone()
    answer = client.post("/api/v1/auth/register", json_body={"name": name, "id_number": resident_id(),
                                                              "phone": phone, "password": PASSWORD})
    assert answer.status == 201, answer
    applicant = login(client, phone, PASSWORD)
    join_unit(client, applicant)
    created = applicant.post("/api/v1/dossiers", json_body={"review_year": 2026, "series": "engineering",
                                                            "specialty": "暖通工程", "level": "intermediate"})
    assert created.status == 201, created
    dossier_id = created.json["id"]
    assert applicant.put(f"/api/v1/dossiers/{dossier_id}/sections/basic_info", json_body=basic_info()).status == 200
    assert upload(applicant, dossier_id, make_pdf(), filename="职称证书.pdf", category="other").status == 201
    return applicant, phone, dossier_id


def submitted_by(client, name):
    phone = mobile_phone()
    applicant, dossier_id = submitted_dossier(client, name, UNIT_A, phone=phone)
    return applicant, phone, dossier_id


def window_end(client):
    return beijing_text(datetime.fromisoformat(client.get("/api/v1/notices/2026").json["notice"]["window"]["end"]))


def look(new_page, phone, dossier_id, name, check):
    """The dossier page and 我的申报 on both viewports: the card on the first screen, *check(card, page,
    viewport)* on the dossier page's card; screenshots of each."""
    for label, viewport in VIEWPORTS:
        page = new_page(viewport)
        sign_in(page, phone, PASSWORD)
        page.goto(f"/dossiers/{dossier_id}")
        card = page.locator("#next-step")
        expect(card).to_be_visible()
        expect(card.locator("h2")).to_have_text("当前待办")
        on_first_screen(card.locator(".next-step-action"), viewport)
        check(card, page, viewport)
        shoot(page, f"{name}-{label}")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        page.goto("/dossiers")
        item = page.locator(f"#next-step-{dossier_id}")
        expect(item).to_be_visible()
        assert page.locator("#next-steps").bounding_box()["y"] < viewport["height"]
        shoot(page, f"{name}-list-{label}")


# -- the applicant's card at each status ---------------------------------------------------------


@pytest.fixture(scope="module")
def draft(system):
    applicant, phone, dossier_id = draft_of(system["client"], person_name("韩"))
    return {"api": applicant, "phone": phone, "id": dossier_id}


class TestTheApplicantsCard:
    def test_a_draft_continues_or_submits_before_the_window_closes(self, system, draft, new_page):
        end = window_end(system["client"])

        def check(card, page, viewport):
            expect(card.locator("[data-role=action]")).to_contain_text("继续填写申报材料,完成后提交申报")
            expect(card.locator("[data-role=deadline]")).to_contain_text(f"申报截止:{end}")
            expect(card.locator("[data-role=holder]")).to_contain_text("您本人")
            expect(card.locator("#next-continue")).to_have_attribute("href", f"/dossiers/{draft['id']}#sec-education")
            on_first_screen(card.locator("#next-submit"), viewport)

        look(new_page, draft["phone"], draft["id"], "01-draft", check)

    def test_a_submitted_dossier_waits_for_the_unit_and_leads_to_take_back(self, system, new_page):
        _, phone, dossier_id = submitted_by(system["client"], person_name("卫"))

        def check(card, page, viewport):
            expect(card.locator("[data-role=action]")).to_contain_text("无需操作,等待单位审核")
            expect(card.locator("[data-role=holder]")).to_contain_text("工作单位 演示单位甲")
            take_back = card.locator("#next-take_back")
            expect(take_back).to_have_text("撤回申报")
            on_first_screen(take_back, viewport)
            take_back.click()
            expect(page.locator("#sec-take-back")).to_be_in_viewport()

        look(new_page, phone, dossier_id, "02-submitted", check)

    def test_a_returned_dossier_shows_its_resubmission_deadline_and_who_returned_it(self, system, staff, new_page):
        client = system["client"]
        _, phone, dossier_id = submitted_by(client, person_name("蒋"))
        returned = decide(staff["unit_a_admin"], dossier_id, "return", reason="工作经历缺少起止时间",
                          sections=["work_experience"])
        assert returned.status == 200, returned
        end = window_end(client)  # the e2e notice sets no later resubmission deadline

        def check(card, page, viewport):
            expect(card.locator("[data-role=deadline]")).to_contain_text(f"重新提交截止:{end}")
            expect(card.locator("[data-role=detail]")).to_contain_text("退回原因:工作经历缺少起止时间")
            expect(card.locator("[data-role=detail]")).to_contain_text("需修改:工作经历")
            expect(card.locator("[data-role=contact]")).to_contain_text("演示单位甲")
            button = card.locator("#next-resubmit")
            expect(button).to_have_text(f"修改并重新提交(截止 {end})")
            on_first_screen(button, viewport)

        look(new_page, phone, dossier_id, "03-returned", check)

    def test_an_accepted_dossier_has_the_pay_button_on_the_first_screen_and_it_pays(self, system, staff, new_page,
                                                                                     cluster_rpc):
        applicant, phone, dossier_id = submitted_by(system["client"], person_name("沈"))
        order = accepted(staff, applicant, dossier_id)
        expires = beijing_text(datetime.fromisoformat(order["expires_at"]))

        def check(card, page, viewport):
            expect(card.locator("[data-role=action]")).to_contain_text("请在线缴纳评审费")
            expect(card.locator("[data-role=deadline]")).to_contain_text(f"缴费截止:{expires}")
            expect(card.locator("[data-role=detail]")).to_contain_text(f"评审费 {order['amount_yuan']} 元")
            expect(card.locator("[data-role=holder]")).to_contain_text("市人社局")
            on_first_screen(card.locator("#next-pay"), viewport)
            expect(card.locator("#next-pay")).to_have_text("在线缴费")

        look(new_page, phone, dossier_id, "04-accepted", check)
        page = new_page(PHONE)
        sign_in(page, phone, PASSWORD)
        page.goto(f"/dossiers/{dossier_id}")
        page.click("#next-pay")  # the card's own button starts the payment
        expect(page.locator("#cashier-amount")).to_have_text(f"¥ {order['amount_yuan']}")
        page.click("#confirm-payment")
        expect(page.locator("#cashier-result")).to_contain_text("订单已确认缴费")
        wait_until(lambda: status_of(applicant, dossier_id) == "fee_paid", what="the fee recorded")
        page.goto(f"/dossiers/{dossier_id}")
        expect(page.locator("#next-step [data-role=action]")).to_contain_text("无需操作,等待送评审委员会评审")
        shoot(page, "05-fee-paid-phone")


# -- a vote closed and a publicity published, each after its confirmation -----------------------


@pytest.fixture(scope="module")
def voting(system, staff, cluster_rpc):
    """A paid 甲 dossier in an open meeting where every drawn expert has voted 同意."""
    applicant, phone, dossier_id = submitted_by(system["client"], person_name("韦"))
    order = accepted(staff, applicant, dossier_id)
    started = applicant.post(f"/api/v1/orders/{order['order_id']}/pay").json
    signed = cluster_rpc.payment.cashier_confirm(payment_id_of(started["cashier_url"]))
    assert notify(system["client"], signed).status == 200
    wait_until(lambda: status_of(applicant, dossier_id) == "fee_paid", what="the fee recorded")
    committee = committee_with_pool(staff["city_admin"])
    meeting = open_meeting(staff["eng_secretary"], committee["id"], [dossier_id], DRAWN)
    for number in DRAWN:
        assert vote(staff.expert(number), meeting["id"], dossier_id).status == 201
    return {"api": applicant, "phone": phone, "id": dossier_id, "meeting": meeting["id"]}


def meeting_state(staff, meeting_id):
    return staff["eng_secretary"].get(f"/api/v1/meetings/{meeting_id}").json["state"]


@pytest.fixture(scope="module")
def passed(voting, staff):
    if meeting_state(staff, voting["meeting"]) != "closed":
        assert staff["eng_secretary"].post(f"/api/v1/meetings/{voting['meeting']}/close").status == 200
    wait_until(lambda: status_of(voting["api"], voting["id"]) == "passed", what="the vote's result")
    return voting


@pytest.fixture(scope="module")
def publicised(passed, staff):
    if status_of(passed["api"], passed["id"]) == "passed":
        answer = staff["city_admin"].post("/api/v1/publicity", json_body={"dossier_ids": [passed["id"]]})
        assert answer.status == 201, answer
    wait_until(lambda: status_of(passed["api"], passed["id"]) == "in_publicity", what="the publicity")
    return passed


class TestConfirmations:
    def test_closing_the_vote_asks_first_and_only_the_confirmation_closes_it(self, voting, staff, new_page):
        office = new_page()
        sign_in(office, "eng_secretary", DEMO_PASSWORD)
        office.goto(f"/meetings/{voting['meeting']}")
        office.click("#close-form button")
        expect(office.locator("#confirm-title")).to_have_text("确认结束表决并计票")
        expect(office.locator("#confirm-lines")).to_contain_text("结束后不再接受投票")
        expect(office.locator("#confirm-facts")).to_contain_text(f"已投 {len(DRAWN)} / {len(DRAWN)}")
        shoot(office, "10-confirm-close-vote")
        assert meeting_state(staff, voting["meeting"]) == "open"  # asking changed nothing
        office.click("#confirm-cancel")
        expect(office.locator("#meeting-state")).to_have_text("评审中")
        assert meeting_state(staff, voting["meeting"]) == "open"
        office.click("#close-form button")
        confirm(office)
        expect(office.locator(".flash")).to_have_text("表决已结束,计票结果已记录。")
        assert meeting_state(staff, voting["meeting"]) == "closed"

    def test_publishing_asks_first_and_only_the_confirmation_publishes(self, passed, new_page):
        admin = new_page()
        sign_in(admin, "city_admin", DEMO_PASSWORD)
        admin.goto("/admin/publicity")
        for box in admin.locator("#publish-form input[name=dossier_ids]").all():  # only this module's dossier
            if box.get_attribute("value") != passed["id"]:
                box.uncheck()
        admin.click("#publish-form button[type=submit]")
        expect(admin.locator("#confirm-title")).to_have_text("确认发布公示")
        expect(admin.locator("#confirm-facts")).to_contain_text("1 件")
        expect(admin.locator("#confirm-lines")).to_contain_text("不能撤回")
        shoot(admin, "11-confirm-publish")
        assert status_of(passed["api"], passed["id"]) == "passed"
        confirm(admin)
        expect(admin.locator(".flash")).to_have_text("公示已发布。")
        wait_until(lambda: status_of(passed["api"], passed["id"]) == "in_publicity", what="the publicity")

    def test_submitting_asks_first_saying_what_locks(self, system, draft, new_page):
        page = new_page()
        sign_in(page, draft["phone"], PASSWORD)
        page.goto(f"/dossiers/{draft['id']}")
        page.click("#submit-dossier")
        expect(page.locator("#confirm-lines")).to_contain_text("提交后在单位审核前可撤回;单位审核后将不能修改")
        shoot(page, "12-confirm-submit")
        assert status_of(draft["api"], draft["id"]) == "draft"
        page.click("#confirm-cancel")
        expect(page.locator("#submit-dossier")).to_be_visible()
        assert status_of(draft["api"], draft["id"]) == "draft"

    def test_a_refused_submission_lists_every_problem_beside_the_button(self, draft, new_page):
        page = new_page(PHONE)
        sign_in(page, draft["phone"], PASSWORD)
        page.goto(f"/dossiers/{draft['id']}")
        page.click("#submit-dossier")
        confirm(page)
        problems = page.locator("#submit-problems")
        expect(problems).to_be_visible()
        expect(problems).to_be_in_viewport()  # where the person is looking: the 提交 button's section
        for section in ("education", "work_experience", "review_form", "commitment"):
            expect(problems.locator(f"a[href='#sec-{section}']").first).to_be_visible()  # the section, maybe a rule too
        # Every problem the self-check names (one notice: sections, materials, eligibility), no more, no fewer;
        # basic information and a material are there, so neither is among them.
        expected = draft["api"].post(f"/api/v1/dossiers/{draft['id']}/eligibility").json["problems"]
        assert len(expected) > 4 and not any(item.get("section") == "basic_info" for item in expected)
        expect(problems.locator("li")).to_have_count(len(expected))
        expect(page.locator("#form-message")).to_contain_text(f"共 {len(expected)} 项问题")
        box, button = problems.bounding_box(), page.locator("#submit-dossier").bounding_box()
        assert 0 <= button["y"] - (box["y"] + box["height"]) < PHONE["height"] / 2, (box, button)
        shoot(page, "13-refused-submit-phone")
        problems.locator("a[href='#sec-education']").first.click()
        expect(page.locator("#sec-education")).to_be_in_viewport()
        assert status_of(draft["api"], draft["id"]) == "draft"

    def test_deleting_a_material_asks_first(self, draft, new_page):
        page = new_page()
        sign_in(page, draft["phone"], PASSWORD)
        page.goto(f"/dossiers/{draft['id']}")
        materials = lambda: draft["api"].get(f"/api/v1/dossiers/{draft['id']}").json["dossier"]["materials"]  # noqa: E731
        assert len(materials()) == 1
        page.locator("#material-list li", has_text="职称证书.pdf").locator("button", has_text="删除").click()
        expect(page.locator("#confirm-facts")).to_contain_text("职称证书.pdf")
        shoot(page, "14-confirm-delete-material")
        assert len(materials()) == 1
        page.click("#confirm-cancel")
        expect(page.locator("#material-list li")).to_have_count(1)
        page.locator("#material-list li").locator("button", has_text="删除").click()
        confirm(page)
        expect(page.locator("#sec-materials .section-flash")).to_have_text("已删除该证明材料。")
        expect(page.locator("#material-list li")).to_have_count(0)
        assert materials() == []


class TestWithoutScripts:
    def test_a_post_without_confirm_only_asks_and_one_with_it_acts(self, system, new_page):
        """The server checks ``confirm=1`` itself: a form posted without it (an old page, a script) is
        answered with the confirmation page and changes nothing."""
        client = system["client"]
        applicant, phone, dossier_id = draft_of(client, person_name("尤"))
        browser = Browserless(client.base_url)
        browser.sign_in(phone, PASSWORD)
        material = applicant.get(f"/api/v1/dossiers/{dossier_id}").json["dossier"]["materials"][0]["material_id"]
        removal = f"/dossiers/{dossier_id}/materials/{material}/remove"
        status, _, body = browser.post_form(removal, {})
        assert status == 200 and 'id="confirm-form"' in body and f'action="{removal}"' in body
        assert '<input type="hidden" name="confirm" value="1">' in body
        assert len(applicant.get(f"/api/v1/dossiers/{dossier_id}").json["dossier"]["materials"]) == 1
        status, headers, _ = browser.post_form(removal, {"confirm": "1"})
        assert status == 303 and headers["Location"].endswith("?done=material_removed&in=materials#sec-materials")
        assert applicant.get(f"/api/v1/dossiers/{dossier_id}").json["dossier"]["materials"] == []
        status, _, body = browser.post_form(f"/dossiers/{dossier_id}/submit", {"confirm": "0"})
        assert status == 200 and "确认提交申报" in body and status_of(applicant, dossier_id) == "draft"
        status, _, body = browser.post_form(f"/dossiers/{dossier_id}/submit", {"confirm": "1"})
        assert status == 422 and 'id="submit-problems"' in body and "证明材料" in body  # refused: nothing to lock


class TestFeedbackWhereTheUserLooks:
    def test_the_save_confirmation_is_inside_the_saved_section(self, draft, new_page):
        page = new_page(PHONE)
        sign_in(page, draft["phone"], PASSWORD)
        page.goto(f"/dossiers/{draft['id']}")
        page.fill("#f-work_experience-entries-0-employer", "演示单位甲")
        page.fill("#f-work_experience-entries-0-position", "技术员")
        page.fill("#f-work_experience-entries-0-start", "2012-07-01")
        page.click("#form-work_experience button[type=submit]")
        note = page.locator("#sec-work_experience .section-flash")
        expect(note).to_have_text("已保存。")
        expect(note).to_be_in_viewport()
        expect(page.locator(".flash")).to_have_count(0)  # not at the top, where nobody is looking
        expect(page.locator(".section-flash")).to_have_count(1)
        shoot(page, "15-saved-in-section-phone")


class TestPublicityAndCertificate:
    def test_in_publicity_the_card_names_the_end_and_links_the_publicity(self, publicised, new_page):
        shown = publicised["api"].get(f"/api/v1/dossiers/{publicised['id']}").json["dossier"]["publicity"]

        def check(card, page, viewport):
            expect(card.locator("[data-role=action]")).to_contain_text(f"无需操作,公示期至 {shown['end']} 结束")
            expect(card.locator("[data-role=deadline]")).to_contain_text(f"公示截止:{shown['end']}")
            link = card.locator("#next-publicity")
            expect(link).to_have_text(f"查看公示(至 {shown['end']})")
            expect(link).to_have_attribute("href", f"/publicity/{shown['publicity_id']}")
            on_first_screen(link, viewport)

        look(new_page, publicised["phone"], publicised["id"], "06-in-publicity", check)

    def test_a_certified_dossier_offers_the_certificate_download(self, system, publicised, staff, new_page):
        clock = system["review_clock"]
        try:
            clock.travel(days=10)  # past the window's last working day
            assert staff["city_admin"].post("/api/v1/review/timers/run").status == 200
        finally:
            clock.reset()

        def ready():
            view = publicised["api"].get(f"/api/v1/dossiers/{publicised['id']}").json
            return view["dossier"]["status"] == "certified" and (view["certificate"] or {}).get("pdf_ready")

        wait_until(ready, seconds=40, what="the certificate")

        def check(card, page, viewport):
            button = card.locator("#next-certificate")
            expect(button).to_have_text("下载电子证书")
            on_first_screen(button, viewport)
            status, content_type = page.evaluate(
                "async url => { const r = await fetch(url); return [r.status, r.headers.get('content-type')]; }",
                button.get_attribute("href"))
            assert status == 200 and content_type == "application/pdf"

        look(new_page, publicised["phone"], publicised["id"], "07-certified", check)


# -- the reviewers' counts -------------------------------------------------------------------------


class TestTheReviewersCard:
    @pytest.mark.parametrize("username, status", [("unit_a_admin", "submitted"), ("wuhua_admin", "recommended"),
                                                  ("city_admin", "district_approved")])
    def test_the_queue_opens_with_what_awaits_them(self, system, staff, new_page, username, status):
        def count():
            return staff["unit_a_admin"].get("/api/v1/review/queue/counts").json["counts"].get("submitted", 0)

        waiting_for_unit = count()
        submitted_by(system["client"], person_name("褚"))  # at least one waits for the unit
        # The queue learns of the submission from the bus: wait until it counts it, then read the counts.
        wait_until(lambda: count() > waiting_for_unit, what="the submission in the unit's queue")
        expected = staff[username].get("/api/v1/review/queue/counts").json["counts"].get(status, 0)
        for label, viewport in VIEWPORTS:
            page = new_page(viewport)
            sign_in(page, username, DEMO_PASSWORD)
            page.goto("/review")
            card = page.locator("#admin-todo")
            expect(card.locator("h2")).to_have_text("当前待办")
            item = page.locator(f"#todo-{status}")
            expect(item.locator(".todo-count")).to_have_text(str(expected))
            on_first_screen(item, viewport)
            shoot(page, f"20-review-{username}-{label}")
        item.locator("a").first.click()
        expect(page).to_have_url(f"{system['client'].base_url}/review?status={status}&awaiting=1")
        expect(page.locator("#queue-total")).to_contain_text(f"共 {expected} 份")
