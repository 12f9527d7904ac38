"""The review pages in headless Chromium: the queue with bulk selection, unit publicity and a batch;
the review page with every section, the PDF inline and a return listing every problem; the expert's
voting page; publishing, the PUBLIC publicity page with an objection (also on a phone) and its
handling; the meeting page; the progress chart. Data the pages do not create comes over the API."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.review_support import (
    COMMITTEE_OFFICE, UNIT_A, Staff, accepted_and_paid, approve, committee_with_pool, expert_id, open_meeting,
    person_name, printed_pdf, recommended, submitted_dossier, today, unit_publicity_over, vote,
)
from tests.waiting import wait_until
from tests.e2e.conftest import PHONE
from tests.e2e.test_pages_journey import confirm, shot, sign_in

DRAWN = (2, 3, 4, 5, 7, 8, 9, 10, 12)  # nobody from 甲: the dossiers below are 甲's, so no one recuses

expect.set_options(timeout=15000)


@pytest.fixture(scope="module")
def staff(system):
    return Staff(system["client"], system["review_clock"])


def queue_status(staff, dossier_id):
    return staff["city_admin"].get(f"/api/v1/review/queue/{dossier_id}").json["status"]


@pytest.fixture(scope="module")
def meeting(system, staff, cluster_rpc):
    """Two dossiers of 甲 in an open meeting where every drawn expert but expert02 has voted 同意."""
    client = system["client"]
    names = [person_name("冯"), person_name("陈")]
    ids = [submitted_dossier(client, name)[1] for name in names]
    recommended(staff, UNIT_A, *ids)
    accepted_and_paid(staff, cluster_rpc, UNIT_A, *ids)
    for dossier_id in ids:
        wait_until(lambda d=dossier_id: queue_status(staff, d) == "fee_paid", what="fee_paid event")
    committee = committee_with_pool(staff["city_admin"])
    opened = open_meeting(staff["eng_secretary"], committee["id"], ids, DRAWN)
    for number in DRAWN[1:]:
        for dossier_id in ids:
            assert vote(staff.expert(number), opened["id"], dossier_id).status == 201
    return {"id": opened["id"], "ids": ids, "names": names}


@pytest.fixture(scope="module")
def passed(meeting, staff):
    """The meeting closed (expert02's ballots cast over the API if the page test did not cast them)."""
    for dossier_id in meeting["ids"]:
        answer = vote(staff.expert(2), meeting["id"], dossier_id, "agree")
        assert answer.status in (201, 409), answer
    closed = staff["eng_secretary"].post(f"/api/v1/meetings/{meeting['id']}/close")
    assert closed.status == 200, closed
    assert [queue_status(staff, dossier_id) for dossier_id in meeting["ids"]] == ["passed", "passed"]
    return meeting


class TestQueueAndReview:
    def test_the_unit_admin_selects_dossiers_records_unit_publicity_and_sends_them_up(self, system, staff, new_page,
                                                                                      screenshots):
        names = [person_name("欧阳"), person_name("欧阳")]
        ids = [submitted_dossier(system["client"], name)[1] for name in names]
        approve(staff["unit_a_admin"], *ids)
        page = new_page()
        sign_in(page, "unit_a_admin", DEMO_PASSWORD)
        page.goto("/review?status=unit_approved&q=欧阳")
        expect(page.locator("#count-unit_approved")).to_contain_text("单位审核通过")
        for dossier_id in ids:
            expect(page.locator(f"#row-{dossier_id}")).to_contain_text("单位审核通过")
            page.check(f"#row-{dossier_id} input.pick-row")
        expect(page.locator("#selected-count")).to_have_text("2")
        shot(page, screenshots, "20-review-queue-bulk-selection")

        page.click("#bulk-batch")  # no unit publicity yet: the whole batch is refused, each reason named
        expect(page.locator("#batch-refused")).to_contain_text("整批未报送")
        for dossier_id in ids:
            expect(page.locator(f"#result-{dossier_id}")).to_contain_text("尚未登记单位内部公示")

        page.goto("/review?status=unit_approved&q=欧阳")
        page.check("#select-page")
        page.fill("#f-up-start", (today() - timedelta(days=30)).isoformat())  # before the unit approval
        page.click("#bulk-unit-publicity")
        expect(page.locator("#bulk-message")).to_contain_text(f"不能早于 {today().isoformat()}")

        page.goto("/review?status=unit_approved&q=欧阳")
        page.check("#select-page")
        expect(page.locator("#selected-count")).to_have_text("2")
        page.fill("#f-up-start", today().isoformat())
        page.click("#bulk-unit-publicity")
        expect(page.locator("#bulk-answer")).to_contain_text("5 个工作日")
        expect(page.locator("#results .ok")).to_have_count(2)

        end = staff["unit_a_admin"].get("/api/v1/calendar/working-days",
                                        params={"start": today().isoformat(), "working_days": 5}).json["end"]
        with unit_publicity_over(system["review_clock"], end):
            page.goto("/review?status=unit_approved&q=欧阳")
            page.check("#select-page")
            page.click("#bulk-batch")
            expect(page.locator("#batch-saved")).to_contain_text("已报送 2 件")
        shot(page, screenshots, "21-review-batch-saved")
        assert [queue_status(staff, dossier_id) for dossier_id in ids] == ["recommended", "recommended"]
        page.goto("/review/batches")
        expect(page.locator("#batches tbody tr").first).to_contain_text("已报送")

    def test_the_review_page_shows_everything_and_a_return_lists_every_problem(self, system, staff, new_page,
                                                                             screenshots):
        pdf = printed_pdf("Diploma - scanned copy", "Kunming University of Science and Technology",
                          "Bachelor of Engineering")
        applicant, dossier_id = submitted_dossier(system["client"], person_name("褚"), pdf=pdf)
        page = new_page()
        sign_in(page, "unit_a_admin", DEMO_PASSWORD)
        page.goto(f"/review/{dossier_id}")
        for section in ("basic_info", "education", "work_experience", "continuing_education", "achievements",
                        "annual_assessments", "review_form", "commitment", "materials"):
            expect(page.locator(f"#view-{section}")).to_be_visible()
        viewer = page.locator("#pdf-viewer")
        expect(viewer).to_have_attribute("src", re.compile(rf"/dossiers/{dossier_id}/materials/"))
        pdf = page.request.get(viewer.get_attribute("src"))
        assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
        assert "inline" in pdf.headers["content-disposition"]
        expect(page.locator("#full-history summary")).to_contain_text("完整历史")
        shot(page, screenshots, "22-review-dossier")
        # Chromium's PDF viewer draws in view and after the frame has loaded (a full-page shot misses it).
        page.locator("#pdf-viewer-card").scroll_into_view_if_needed()
        page.wait_for_timeout(1500)
        page.locator("#pdf-viewer-card").screenshot(path=str(screenshots / "22b-review-pdf-inline.png"))

        page.select_option("#f-return-problems-0-section", "continuing_education")
        page.fill("#f-return-problems-0-issue", "2024 年专业科目学时证明缺失")
        page.select_option("#f-return-problems-1-section", "materials")
        page.fill("#f-return-problems-1-issue", "学历证书扫描件不清晰")
        page.locator("#return-form .add-row").click()  # a third row appears, left blank
        expect(page.locator("#problem-rows .row")).to_have_count(4)
        page.click("#return-form button[type=submit]")
        expect(page.locator(".flash")).to_have_text("审核决定已记录。")
        view = applicant.get(f"/api/v1/dossiers/{dossier_id}").json["dossier"]
        assert view["status"] == "returned"
        assert view["return_notice"]["sections"] == ["continuing_education", "materials"]
        assert "2 项问题" in view["return_notice"]["reason"] and "学历证书扫描件不清晰" in view["return_notice"]["reason"]
        page.goto(f"/review/{dossier_id}")
        expect(page.locator("#opinion-list .opinion-returned")).to_contain_text("2024 年专业科目学时证明缺失")


class TestCommitteeAndVote:
    def test_the_expert_votes_in_their_own_meeting_and_sees_no_ones_choices(self, meeting, new_page, screenshots):
        page = new_page()
        sign_in(page, "expert02", DEMO_PASSWORD)
        expect(page).to_have_url(re.compile(r"/expert$"))
        expect(page.locator(f"#mine-{meeting['id']}")).to_contain_text("待表决 2 件")
        page.click(f"#mine-{meeting['id']} a")
        first, second = meeting["ids"]
        page.locator(f"#ballot-{first} .choice-agree").click()
        page.click(f"#ballot-{first} button[type=submit]")
        expect(page.locator(".flash")).to_have_text("您的表决已记录。")
        expect(page.locator(f"#dossier-{first} .ballot-state")).to_have_text("已投票")
        page.locator(f"#ballot-{second} .choice-abstain").click()
        shot(page, screenshots, "23-expert-vote")
        page.click(f"#ballot-{second} button[type=submit]")
        expect(page.locator(f"#dossier-{second} .ballot-state")).to_have_text("已投票")
        expect(page.locator(".ballot-form")).to_have_count(0)
        text = page.locator("main").inner_text()
        assert not re.search(r"评审专家(0[13-9]|1\d)", text)  # no other expert is named
        assert "弃权" not in text.replace("同意、不同意或弃权", "")  # not even their own choice is shown back

    def test_an_expert_not_drawn_cannot_open_the_voting_page(self, meeting, new_page):
        page = new_page()
        sign_in(page, "expert01", DEMO_PASSWORD)
        response = page.goto(f"/expert/meetings/{meeting['id']}")
        assert response.status == 404
        expect(page.locator("main")).to_contain_text("未被抽取")

    def test_the_office_sees_the_draw_quorum_and_tallies(self, passed, new_page, screenshots):
        page = new_page()
        sign_in(page, "eng_secretary", DEMO_PASSWORD)
        page.goto(f"/meetings/{passed['id']}")
        expect(page.locator("#meeting-state")).to_have_text("已结束")
        expect(page.locator("#quorum")).to_contain_text("已达法定人数")
        expect(page.locator(f"#md-{passed['ids'][0]} .tally")).to_contain_text("通过")
        page.click("#replay-link")
        expect(page.locator("#replay-result")).to_contain_text("复核一致")
        shot(page, screenshots, "24-meeting")


class TestCommitteeManagementPages:
    def test_the_city_forms_a_committee_and_the_office_runs_a_meeting(self, system, staff, cluster_rpc, new_page,
                                                                        screenshots):
        _, dossier_id = submitted_dossier(system["client"], person_name("卫"))
        recommended(staff, UNIT_A, dossier_id)
        accepted_and_paid(staff, cluster_rpc, UNIT_A, dossier_id)
        wait_until(lambda: queue_status(staff, dossier_id) == "fee_paid", what="fee_paid event")

        city = new_page()
        sign_in(city, "city_admin", DEMO_PASSWORD)
        city.goto("/committees")
        name = f"昆明市工程系列中级评审委员会(页面{dossier_id[:6]})"
        city.fill("#f-name", name)
        city.select_option("#f-series", "engineering")
        city.check("#committee-form input[name=levels][value=intermediate]")
        city.select_option("#f-organised_by", "series")
        city.select_option("#f-office_org_id", COMMITTEE_OFFICE)
        city.fill("#f-valid_until", (today() + timedelta(days=365 * 4)).isoformat())
        city.fill("#f-member_count", "14")
        city.click("#committee-form button[type=submit]")
        expect(city.locator("#err-member_count")).to_contain_text("奇数")
        expect(city.locator("#err-valid_until")).to_contain_text("3 年")
        city.fill("#f-valid_until", (today() + timedelta(days=700)).isoformat())
        city.fill("#f-member_count", "15")
        city.click("#committee-form button[type=submit]")
        expect(city.locator(".flash")).to_contain_text("评委会已组建")
        city.fill("#f-account_ids", "\n".join(expert_id(n) for n in range(1, 16)))
        city.click("#experts-form button[type=submit]")  # no specialty: every missing field is named
        expect(city.locator(".alert-error li").first).to_contain_text("不能为空")
        city.fill("#f-account_ids", "\n".join(expert_id(n) for n in range(1, 16)))
        city.fill("#f-specialty", "给排水工程")
        city.click("#experts-form button[type=submit]")
        expect(city.locator(".flash")).to_contain_text("专家已加入专家库")
        expect(city.locator("#experts tbody tr")).to_have_count(15)
        city.fill("#f-meeting_date", today().isoformat())
        city.fill("#f-expert_count", "9")
        city.click("#meeting-form button[type=submit]")
        expect(city.locator(".flash")).to_contain_text("评审会议已创建")
        meeting_url = city.url.split("?")[0]

        office = new_page()
        sign_in(office, "eng_secretary", DEMO_PASSWORD)
        office.goto(meeting_url)
        office.check(f"#assign-form input[value='{dossier_id}']")
        office.click("#assign-form button[type=submit]")
        expect(office.locator(".flash")).to_contain_text("已分配")
        for number in (1, 6, 11, 13, 14, 15):  # 1, 6, 11 are 甲's and left out anyway; 13–15 unavailable
            office.check(f"#exclude-{expert_id(number)}")
        office.click("#draw-button")
        expect(office.locator(".flash")).to_contain_text("已随机抽取专家")
        expect(office.locator("#drawn-experts tbody tr")).to_have_count(9)
        office.click("#attendance-button")
        expect(office.locator("#quorum")).to_contain_text("已达法定人数")
        office.click("#open-form button")
        expect(office.locator("#meeting-state")).to_have_text("评审中")
        for number in (2, 3, 4, 5, 7, 8, 9, 10, 12):
            assert vote(staff.expert(number), meeting_url.rsplit("/", 1)[-1], dossier_id).status == 201
        office.reload()
        expect(office.locator(f"#md-{dossier_id} .tally")).to_contain_text("已投 9 / 9")
        office.click("#close-form button")
        confirm(office)
        expect(office.locator(f"#md-{dossier_id} .tally")).to_contain_text("同意 9")
        expect(office.locator("#tally-check-result")).to_contain_text("核验通过")
        shot(office, screenshots, "28-meeting-closed-by-office")


class TestPublicity:
    def test_publishing_the_public_page_on_a_phone_an_objection_and_its_handling(self, passed, new_page, screenshots):
        admin = new_page()
        sign_in(admin, "city_admin", DEMO_PASSWORD)
        admin.goto("/admin/publicity")
        for dossier_id in passed["ids"]:
            expect(admin.locator(f"#passed-{dossier_id} input")).to_be_checked()
        admin.click("#publish-form button[type=submit]")
        confirm(admin)
        expect(admin.locator(".flash")).to_have_text("公示已发布。")
        publicity_url = admin.url.split("?")[0]
        publicity_id = publicity_url.rsplit("/", 1)[-1]

        phone = new_page(PHONE)  # anyone, not signed in
        phone.goto("/publicity")
        phone.click(f"#publicity-{publicity_id} a")
        entries = phone.locator("#publicity-entries")
        for name in passed["names"]:
            expect(entries).to_contain_text(name)
        assert not re.search(r"\d{17}[\dXx]|\d{4}\*+", phone.locator("main").inner_text())
        held = passed["ids"][1]
        phone.click(f"#entry-{held} a")
        expect(phone.locator("#f-dossier_id")).to_have_value(held)
        phone.fill("#f-contact", "13987654321")
        phone.fill("#f-facts", "据了解该人员的继续教育学时证明系补开,请予核查。")
        phone.click("#objection-form button[type=submit]")
        expect(phone.locator("#objection-lodged")).to_contain_text("异议已受理")
        shot(phone, screenshots, "25-phone-public-publicity")
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        admin.goto(publicity_url)
        expect(admin.locator(f"#admin-entry-{held}")).to_contain_text("异议处理中")
        objection = admin.locator("article.objection-open")
        expect(objection).to_contain_text("继续教育学时证明系补开")
        shot(admin, screenshots, "26-publicity-objection")
        objection.locator("input[value=dismissed]").check()
        objection.locator("textarea[name=reason]").fill("经核查,学时证明真实有效")
        objection.locator("button[type=submit]").click()
        expect(admin.locator(".flash")).to_have_text("异议处理结论已记录。")
        expect(admin.locator(f"#admin-entry-{held}")).to_contain_text("公示中")

    def test_a_public_objection_with_missing_facts_is_explained_beside_the_fields(self, passed, new_page, system):
        publicities = system["client"].get("/api/v1/publicity").json["items"]
        publicity_id = next(p["id"] for p in publicities if p["open"])
        page = new_page()
        page.goto(f"/publicity/{publicity_id}")
        page.click("#objection-form button[type=submit]")
        expect(page.locator("#err-contact")).to_be_visible()
        expect(page.locator("#err-facts")).to_be_visible()
        expect(page.locator("#err-dossier_id")).to_be_visible()


class TestProgress:
    def test_the_city_sees_counts_by_district_as_a_chart(self, meeting, new_page, screenshots):
        page = new_page()
        sign_in(page, "city_admin", DEMO_PASSWORD)
        page.goto("/progress")
        expect(page.locator("#progress-table")).to_contain_text("五华区人社局")
        assert page.locator("svg.chart rect.seg").count() >= 2
        assert page.locator(".legend li").count() >= 2
        shot(page, screenshots, "27-progress-chart")
