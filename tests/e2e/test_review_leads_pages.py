"""Lead reviewers and the fixed order of a meeting in headless Chromium: the office names a lead on the
meeting page, the lead writes their 主审意见 on the ballot page (on a phone), another expert reads it
above their ballot; the office takes a dossier out of a drawn meeting by a reasoned decision; a meeting
without dossiers offers no draw. Screenshots on desktop and phone under /tmp/shots/leads/."""
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.review_support import (
    UNIT_A, Staff, accepted_and_paid, committee_with_pool, expert_id, person_name, recommended, submitted_dossier,
    today,
)
from tests.e2e.test_pages_journey import sign_in
from tests.waiting import wait_until

DRAWN = (2, 3, 4, 5, 7, 8, 9, 10, 12)  # nobody from 甲: the dossiers below are 甲's, so no one recuses
SHOTS = Path("/tmp/shots/leads")
PHONE = {"width": 390, "height": 844}
OPINION = "申报人主持完成的给排水管网改造工程获省级优秀工程设计奖,论文与继续教育均符合中级要求,建议同意。"
REASON = "申报人申请调整至下一批次评审,经评委会办公室研究同意"

expect.set_options(timeout=15000)


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def staff(system):
    return Staff(system["client"], system["review_clock"])


def queue_status(staff, dossier_id):
    return staff["city_admin"].get(f"/api/v1/review/queue/{dossier_id}").json["status"]


@pytest.fixture(scope="module")
def drawn(system, staff, cluster_rpc):
    """Three fee-paid dossiers of 甲 assigned to a meeting whose draw yields the experts numbered DRAWN,
    all of them attending; the vote not open yet."""
    names = [person_name("蒋"), person_name("沈"), person_name("韩")]
    ids = [submitted_dossier(system["client"], name)[1] for name in names]
    recommended(staff, UNIT_A, *ids)
    accepted_and_paid(staff, cluster_rpc, UNIT_A, *ids)
    for dossier_id in ids:
        wait_until(lambda d=dossier_id: queue_status(staff, d) == "fee_paid", what="fee_paid event")
    office = staff["eng_secretary"]
    committee = committee_with_pool(staff["city_admin"])
    meeting = office.post("/api/v1/meetings", json_body={"committee_id": committee["id"], "date": today().isoformat(),
                                                          "expert_count": len(DRAWN)})
    assert meeting.status == 201, meeting
    meeting_id = meeting.json["id"]
    assigned = office.post(f"/api/v1/meetings/{meeting_id}/dossiers", json_body={"dossier_ids": ids})
    assert assigned.status == 200 and assigned.json["assigned"] == 3, assigned
    unavailable = [{"expert_id": expert_id(n), "reason": "会期冲突"} for n in range(1, 16) if n not in DRAWN]
    draw = office.post(f"/api/v1/meetings/{meeting_id}/draw", json_body={"exclusions": unavailable})
    assert draw.status == 200, draw
    attendance = office.post(f"/api/v1/meetings/{meeting_id}/attendance",
                             json_body={"expert_ids": [expert_id(n) for n in DRAWN]})
    assert attendance.status == 200, attendance
    return {"id": meeting_id, "ids": ids, "names": names, "committee": committee, "title": meeting.json["title"]}


class TestTheFixedOrder:
    def test_a_meeting_without_dossiers_offers_no_draw(self, drawn, staff, new_page):
        office = staff["eng_secretary"]
        empty = office.post("/api/v1/meetings", json_body={"committee_id": drawn["committee"]["id"],
                                                           "date": today().isoformat(), "expert_count": 9})
        assert empty.status == 201 and empty.json["title"] != drawn["title"], empty
        refused = office.post(f"/api/v1/meetings/{empty.json['id']}/draw", json_body={})
        assert refused.status == 409 and refused.json["error"]["message"] == "请先分配申报材料,再抽取专家"
        page = new_page(PHONE)
        sign_in(page, "eng_secretary", DEMO_PASSWORD)
        page.goto(f"/meetings/{empty.json['id']}")
        expect(page.locator("#draw-waits")).to_contain_text("请先分配申报材料,再抽取专家")
        expect(page.locator("#draw-form")).to_have_count(0)
        assert "未确认" not in page.content()
        shot(page, "05-planned-meeting-waits-for-dossiers-phone")

    def test_after_the_draw_the_office_takes_a_dossier_out_by_a_reasoned_decision(self, drawn, staff, new_page):
        meeting_id, d3 = drawn["id"], drawn["ids"][2]
        page = new_page()
        sign_in(page, "eng_secretary", DEMO_PASSWORD)
        page.goto(f"/meetings/{meeting_id}")
        expect(page.locator("#assign-form")).to_have_count(0)  # drawn: no free assignment any more
        page.click("#dossier-changes summary")
        page.check(f"#change-form input[name=remove][value='{d3}']")
        page.fill("#f-change-reason", "调整")
        page.click("#change-button")
        expect(page.locator("#err-change-reason")).to_contain_text("5 到 500")
        expect(page.locator(f"#change-form input[name=remove][value='{d3}']")).to_be_checked()
        page.fill("#f-change-reason", REASON)
        page.click("#change-button")
        expect(page.locator(".flash")).to_have_text("申报材料调整决定已记录。")
        expect(page.locator("#change-list")).to_contain_text("撤出")
        expect(page.locator("#change-list")).to_contain_text(REASON)
        expect(page.locator("#change-list")).to_contain_text(drawn["names"][2])
        expect(page.locator(f"#md-{d3}")).to_have_count(0)
        shot(page, "06-dossier-removed-by-decision-desktop")
        assert queue_status(staff, d3) == "fee_paid"


class TestLeadReviewers:
    def test_the_office_names_a_lead_who_writes_and_another_expert_reads_it_before_voting(self, drawn, staff,
                                                                                         new_page):
        meeting_id, (d1, d2, _) = drawn["id"], drawn["ids"]
        office = new_page()
        sign_in(office, "eng_secretary", DEMO_PASSWORD)
        office.goto(f"/meetings/{meeting_id}")
        expect(office.locator("h1")).to_have_text(drawn["title"])
        assert "第" in drawn["title"] and "批评审会议" in drawn["title"]
        office.check(f"#lead-form-{d1} input[value='{expert_id(2)}']")
        office.click(f"#lead-form-{d1} button[type=submit]")
        expect(office.locator(".flash")).to_have_text("主审专家已指定。")
        expect(office.locator(f"#leads-{d1}")).to_contain_text("主审专家 评审专家02")
        expect(office.locator(f"#leads-{d1}")).to_contain_text("尚未提交主审意见")
        expect(office.locator(f"#md-{d1}")).to_contain_text("评审专家02")
        shot(office, "01-office-names-lead-desktop")

        lead = new_page(PHONE)
        sign_in(lead, "expert02", DEMO_PASSWORD)
        lead.goto(f"/expert/meetings/{meeting_id}")
        expect(lead.locator(f"#lead-opinion-{d2}")).to_have_count(0)  # not their dossier to lead
        lead.fill(f"#f-lead-{d1}-opinion", "同意推荐。")
        lead.click(f"#lead-opinion-{d1} button[type=submit]")
        expect(lead.locator(f"#err-lead-{d1}-opinion")).to_contain_text("10 到 4000")
        expect(lead.locator(f"#f-lead-{d1}-opinion")).to_have_value("同意推荐。")
        lead.fill(f"#f-lead-{d1}-opinion", OPINION)
        lead.click(f"#lead-opinion-{d1} button[type=submit]")
        expect(lead.locator(".flash")).to_contain_text("主审意见已保存")
        expect(lead.locator(f"#lead-opinions-{d1}")).to_contain_text("评审专家02(本人)")
        expect(lead.locator(f"#f-lead-{d1}-opinion")).to_have_value(OPINION)
        shot(lead, "02-lead-writes-opinion-phone")

        opened = staff["eng_secretary"].post(f"/api/v1/meetings/{meeting_id}/open")
        assert opened.status == 200, opened
        for viewport, name in ((None, "03-other-expert-reads-desktop"), (PHONE, "04-other-expert-reads-phone")):
            other = new_page(viewport) if viewport else new_page()
            sign_in(other, "expert03", DEMO_PASSWORD)
            other.goto(f"/expert/meetings/{meeting_id}")
            block = other.locator(f"#lead-opinions-{d1}")
            expect(block).to_contain_text("主审专家 评审专家02")
            expect(block).to_contain_text(OPINION)
            expect(other.locator(f"#lead-opinion-{d1}")).to_have_count(0)
            expect(other.locator(f"#ballot-{d1}")).to_be_visible()
            html = other.content()
            assert html.index(f'id="lead-opinions-{d1}"') < html.index(f'id="ballot-{d1}"')
            expect(other.locator(f"#lead-opinions-{d2}")).to_have_count(0)
            shot(other, name)
        # The review room shows the lead's opinion above the earlier levels' opinions.
        other.goto(f"/expert/meetings/{meeting_id}/dossiers/{d1}")
        expect(other.locator("#room-lead-opinions")).to_contain_text("主审专家 评审专家02")
        expect(other.locator("#room-lead-opinions")).to_contain_text(OPINION)
        other.goto(f"/expert/meetings/{meeting_id}/dossiers/{d2}")
        expect(other.locator("#room-lead-opinions")).to_contain_text("本件未指定主审专家")

        office.reload()
        expect(office.locator(f"#leads-{d1}")).to_contain_text(OPINION)
        auditor = staff["auditor"].get(f"/api/v1/meetings/{meeting_id}").json
        (entry,) = [d for d in auditor["dossiers"] if d["dossier_id"] == d1]
        assert [(lead["name"], lead["opinion"]) for lead in entry["leads"]] == [("评审专家02", OPINION)]
