"""The review room (评审室) in headless Chromium: from the ballot page a drawn expert reads a dossier of
their meeting — every section, the PDF inline, the earlier opinions — on a desktop and on a phone,
while the meeting is drawn or open; refused before the draw and after the close, refused when not
drawn or recused; the office reads who viewed what. Steps the pages do not take come over the API."""
import json
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.review_support import (
    UNIT_A, Staff, accepted_and_paid, committee_with_pool, expert_id, person_name, printed_pdf, recommended,
    submitted_dossier, today,
)
from tests.e2e.test_pages_journey import shot, sign_in
from tests.waiting import wait_until

DRAWN = (2, 3, 4, 5, 7, 8, 9, 10, 12)  # nobody from 甲: both dossiers are 甲's
PHONE = {"width": 390, "height": 844}

expect.set_options(timeout=15000)


@pytest.fixture(scope="module")
def staff(system):
    return Staff(system["client"], system["review_clock"])


def room_url(meeting_id, dossier_id):
    return f"/expert/meetings/{meeting_id}/dossiers/{dossier_id}"


@pytest.fixture(scope="module")
def planned(system, staff, cluster_rpc):
    """A meeting with two fee-paid dossiers of 甲 assigned (before any draw)."""
    names = [person_name("蒋"), person_name("沈")]
    pdf = printed_pdf("Diploma - scanned copy", "Kunming University of Science and Technology",
                      "Bachelor of Engineering")
    applicants, ids = zip(*(submitted_dossier(system["client"], name, pdf=pdf) for name in names), strict=True)
    recommended(staff, UNIT_A, *ids)
    accepted_and_paid(staff, cluster_rpc, UNIT_A, *ids)
    for dossier_id in ids:
        wait_until(lambda d=dossier_id: staff["city_admin"].get(f"/api/v1/review/queue/{d}").json["status"] == "fee_paid",
                   what="fee_paid event")
    committee = committee_with_pool(staff["city_admin"])
    office = staff["eng_secretary"]
    meeting = office.post("/api/v1/meetings", json_body={"committee_id": committee["id"], "date": today().isoformat(),
                                                         "expert_count": len(DRAWN)})
    assert meeting.status == 201, meeting
    assigned = office.post(f"/api/v1/meetings/{meeting.json['id']}/dossiers", json_body={"dossier_ids": list(ids)})
    assert assigned.status == 200 and assigned.json["assigned"] == 2, assigned
    materials = [applicant.get(f"/api/v1/dossiers/{dossier_id}").json["dossier"]["materials"][0]["material_id"]
                 for applicant, dossier_id in zip(applicants, ids, strict=True)]
    return {"id": meeting.json["id"], "ids": list(ids), "names": names, "applicants": applicants,
            "materials": materials}


@pytest.fixture(scope="module")
def drawn(planned, staff):
    """The experts numbered DRAWN drawn (attendance not recorded yet); expert03 declares a conflict with
    the second dossier."""
    office, meeting_id = staff["eng_secretary"], planned["id"]
    unavailable = [{"expert_id": expert_id(n), "reason": "会期冲突"} for n in range(1, 16) if n not in DRAWN]
    draw = office.post(f"/api/v1/meetings/{meeting_id}/draw", json_body={"exclusions": unavailable})
    assert draw.status == 200, draw
    conflict = staff.expert(3).post(f"/api/v1/meetings/{meeting_id}/conflicts",
                                    json_body={"dossier_id": planned["ids"][1], "reason": "曾与申报人共同承担项目"})
    assert conflict.status == 201, conflict
    return planned


@pytest.fixture(scope="module")
def opened(drawn, staff):
    office, meeting_id = staff["eng_secretary"], drawn["id"]
    attendance = office.post(f"/api/v1/meetings/{meeting_id}/attendance",
                             json_body={"expert_ids": [expert_id(n) for n in DRAWN]})
    assert attendance.status == 200 and attendance.json["met"], attendance
    opened = office.post(f"/api/v1/meetings/{meeting_id}/open")
    assert opened.status == 200, opened
    return drawn


@pytest.fixture(scope="module")
def closed(opened, staff):
    answer = staff["eng_secretary"].post(f"/api/v1/meetings/{opened['id']}/close")
    assert answer.status == 200 and answer.json["state"] == "closed", answer
    return opened


def refused(page, url, status, words):
    response = page.goto(url)
    assert response.status == status, (url, response.status)
    expect(page.locator("main")).to_contain_text(words)


class TestTheReviewRoom:
    def test_before_the_draw_no_expert_reads_the_assigned_dossiers(self, planned, new_page):
        page = new_page()
        sign_in(page, "expert02", DEMO_PASSWORD)
        refused(page, room_url(planned["id"], planned["ids"][0]), 403, "尚未抽取专家")

    def test_a_drawn_expert_reads_the_dossier_and_its_pdf_from_the_ballot_page(self, drawn, new_page, screenshots):
        first = drawn["ids"][0]
        page = new_page()
        sign_in(page, "expert02", DEMO_PASSWORD)
        page.goto(f"/expert/meetings/{drawn['id']}")
        expect(page.locator(f"#room-{first}")).to_have_text("查阅申报材料")
        page.click(f"#room-{first}")
        expect(page).to_have_url(re.compile(rf"{room_url(drawn['id'], first)}$"))
        expect(page.locator("#room-head h1")).to_contain_text(drawn["names"][0])
        for section in ("basic_info", "education", "work_experience", "continuing_education", "achievements",
                        "annual_assessments", "review_form", "commitment", "materials"):
            expect(page.locator(f"#view-{section}")).to_be_visible()
        expect(page.locator("#opinion-list")).to_contain_text("同意")  # the unit, district and city approvals
        assert page.locator("form").count() == 1  # read-only: only the layout's sign-out form
        viewer = page.locator("#pdf-viewer")
        expect(viewer).to_have_attribute("src", re.compile(rf"{room_url(drawn['id'], first)}/materials/\w+$"))
        pdf = page.request.get(viewer.get_attribute("src"))
        assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
        assert "inline" in pdf.headers["content-disposition"] and pdf.headers["content-security-policy"] == "sandbox"
        assert pdf.body().startswith(b"%PDF")
        shot(page, screenshots, "room-01-dossier-desktop")
        # Chromium's PDF viewer draws in view and after the frame has loaded (a full-page shot misses it).
        page.locator("#room-materials").scroll_into_view_if_needed()
        page.wait_for_timeout(1500)
        page.locator("#room-materials").screenshot(path=str(screenshots / "room-02-pdf-inline-desktop.png"))
        page.click("#back-to-ballots")
        expect(page.locator(f"#dossier-{first}")).to_be_visible()

    def test_a_recused_expert_reads_the_other_dossier_only(self, drawn, new_page):
        first, second = drawn["ids"]
        page = new_page()
        sign_in(page, "expert03", DEMO_PASSWORD)
        page.goto(f"/expert/meetings/{drawn['id']}")
        expect(page.locator(f"#room-{first}")).to_be_visible()
        expect(page.locator(f"#room-{second}")).to_have_count(0)
        refused(page, room_url(drawn["id"], second), 403, "曾与申报人共同承担项目")
        assert page.request.get(f"{room_url(drawn['id'], second)}/materials/{drawn['materials'][1]}").status == 403
        api = page.request.get(f"/api/v1/expert/meetings/{drawn['id']}/dossiers/{first}")  # the same rule over JSON
        assert api.status == 200 and api.json()["dossier"]["id"] == first and api.json()["room"]["allowed"]

    def test_an_expert_not_drawn_is_refused(self, drawn, new_page):
        page = new_page()
        sign_in(page, "expert01", DEMO_PASSWORD)
        refused(page, room_url(drawn["id"], drawn["ids"][0]), 403, "不是本次评审会议抽取的专家")

    def test_during_the_vote_the_expert_reads_on_a_phone(self, opened, new_page, screenshots):
        first = opened["ids"][0]
        phone = new_page(PHONE)
        sign_in(phone, "expert04", DEMO_PASSWORD)
        phone.goto(f"/expert/meetings/{opened['id']}")
        expect(phone.locator("#meeting-state")).to_have_text("评审中")
        phone.click(f"#room-{first}")
        expect(phone.locator("#view-basic_info")).to_be_visible()
        src = phone.locator("#pdf-viewer").get_attribute("src")
        assert phone.request.get(src).status == 200
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shot(phone, screenshots, "room-03-dossier-phone")
        phone.locator("#room-materials").scroll_into_view_if_needed()
        phone.wait_for_timeout(1500)
        phone.screenshot(path=str(screenshots / "room-04-pdf-phone.png"))

    def test_the_office_sees_who_read_what_and_applicants_see_no_expert(self, opened, staff, new_page, screenshots):
        page = new_page()
        sign_in(page, "eng_secretary", DEMO_PASSWORD)
        page.goto(f"/meetings/{opened['id']}")
        log = page.locator("#room-view-list")
        expect(log).to_contain_text("评审专家02")
        expect(log).to_contain_text("评审专家04")
        expect(log).to_contain_text("证明材料")
        expect(log).to_contain_text(opened["names"][0])
        page.locator("#room-views").scroll_into_view_if_needed()
        page.locator("#room-views").screenshot(path=str(screenshots / "room-05-view-log.png"))

        views = staff["auditor"].get(f"/api/v1/meetings/{opened['id']}/room-views").json["items"]
        read = {(v["expert_id"], v["dossier_id"], v["what"].split(":")[0]) for v in views}
        assert {(expert_id(2), opened["ids"][0], "dossier"), (expert_id(2), opened["ids"][0], "material"),
                (expert_id(4), opened["ids"][0], "dossier")} <= read
        assert all(v["viewed_at"] and v["source_address"] for v in views)
        applicant = opened["applicants"][0]
        assert applicant.get(f"/api/v1/meetings/{opened['id']}/room-views").status == 403
        assert "评审专家" not in json.dumps(applicant.get(f"/api/v1/dossiers/{opened['ids'][0]}").json,
                                         ensure_ascii=False)

    def test_after_the_close_the_room_is_shut(self, closed, new_page, screenshots):
        first = closed["ids"][0]
        page = new_page()
        sign_in(page, "expert02", DEMO_PASSWORD)
        page.goto(f"/expert/meetings/{closed['id']}")
        expect(page.locator(".room-link")).to_have_count(0)
        refused(page, room_url(closed["id"], first), 403, "已结束表决")
        shot(page, screenshots, "room-06-refused-after-close")
        assert page.request.get(f"{room_url(closed['id'], first)}/materials/{closed['materials'][0]}").status == 403
        assert page.request.get(f"/api/v1/expert/meetings/{closed['id']}/dossiers/{first}").status == 403
