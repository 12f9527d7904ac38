"""What the reviewer saw (审核所见), issue 16 item 5, in headless Chromium with the real services: a dossier
returned by its unit (the applicant then replaces the diploma), approved by the unit, the district and
the city, and voted through by a committee. Each decision shows the version it was taken on and the
materials present then; the detached diploma still opens under the unit's return, by its hash, with
those very bytes — and is refused once its stored object is altered. Applicants and unit admins may not
look. Desktop and 390 px; screenshots in /tmp/shots/audit-decisions/."""
import hashlib
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from gateway.pages.audit_decisions_views import DECISION_EVENTS
from gateway.storage import EvidenceStore
from tests.e2e.conftest import DEMO_PASSWORD, login
from tests.e2e.money_support import DRAWN
from tests.e2e.review_support import (
    UNIT_A, Staff, accepted_and_paid, committee_with_pool, decide, open_meeting, person_name, printed_pdf, recommended,
    submitted_dossier, vote,
)
from tests.e2e.test_applicant_journey_http import PASSWORD, upload
from tests.e2e.test_pages_journey import sign_in
from tests.factories import mobile_phone
from tests.waiting import wait_until

SHOTS = Path("/tmp/shots/audit-decisions")
PHONE = {"width": 390, "height": 844}
RETURN_REASON = "学历证书扫描件不清晰,请重新上传"

expect.set_options(timeout=15000)


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def fits_the_screen(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def attached(history, filename):
    return next(event for event in history if event["type"] == "material_attached"
                and event["data"]["filename"] == filename)


@pytest.fixture(scope="module")
def decided(system, cluster_rpc):
    """The dossier through every level; its history as the auditor's API gives it."""
    client, name, phone = system["client"], person_name("欧阳"), mobile_phone()
    staff = Staff(client, system["review_clock"])
    applicant, dossier_id = submitted_dossier(client, name, phone=phone,
                                              pdf=printed_pdf("DIPLOMA (blurred scan)", "first upload"))
    returned = decide(staff["unit_a_admin"], dossier_id, "return", reason=RETURN_REASON, sections=["materials"])
    assert returned.status == 200, returned
    first = next(m for m in applicant.get(f"/api/v1/dossiers/{dossier_id}").json["dossier"]["materials"]
                 if m["category"] == "diploma")
    detached = applicant.request("DELETE", f"/api/v1/dossiers/{dossier_id}/materials/{first['material_id']}")
    assert detached.status == 200, detached
    assert upload(applicant, dossier_id, printed_pdf("DIPLOMA (clear scan)", "second upload"),
                  filename="学历证书(清晰版).pdf").status == 201
    assert applicant.post(f"/api/v1/dossiers/{dossier_id}/submit").status == 200
    recommended(staff, UNIT_A, dossier_id)
    accepted_and_paid(staff, cluster_rpc, UNIT_A, dossier_id)
    committee = committee_with_pool(staff["city_admin"])
    meeting = open_meeting(staff["eng_secretary"], committee["id"], [dossier_id], DRAWN)
    for number in DRAWN:
        assert vote(staff.expert(number), meeting["id"], dossier_id, "disagree" if number == DRAWN[0] else "agree").status == 201
    assert staff["eng_secretary"].post(f"/api/v1/meetings/{meeting['id']}/close").status == 200
    auditor = login(client, "auditor")
    wait_until(lambda: auditor.get(f"/api/v1/dossiers/{dossier_id}").json["dossier"]["status"] == "passed",
               what="the committee's vote recorded")
    history = auditor.get(f"/api/v1/dossiers/{dossier_id}/history").json["items"]
    return {"id": dossier_id, "name": name, "phone": phone, "history": history, "meeting": meeting,
            "old": attached(history, "学历证书.pdf"), "new": attached(history, "学历证书(清晰版).pdf")}


@pytest.fixture
def auditor_page(new_page):
    def open_page(viewport=None):
        page = new_page(viewport) if viewport else new_page()
        sign_in(page, "auditor", DEMO_PASSWORD)
        return page
    return open_page


def present_before(history, version):
    """The material ids attached and not yet detached before event *version* (what a reviewer saw then)."""
    present = set()
    for event in history:
        if event["version"] >= version:
            break
        if event["type"] == "material_attached":
            present.add(event["data"]["material_id"])
        elif event["type"] == "material_detached":
            present.discard(event["data"]["material_id"])
    return present


def decision_events(history):
    return [event for event in history if event["type"] in DECISION_EVENTS]


class TestWhatTheReviewerSaw:
    def test_each_decision_shows_the_version_it_was_taken_on_and_the_materials_present_then(self, decided, auditor_page):
        page, dossier_id, history = auditor_page(), decided["id"], decided["history"]
        decisions = decision_events(history)
        assert [event["type"] for event in decisions] == [
            "returned", "unit_approved", "recommended", "district_approved", "city_approved", "passed"]
        returned, approved, *_, passed = decisions
        old, new = decided["old"], decided["new"]

        page.goto(f"/audit/dossiers/{dossier_id}")
        page.locator(f"#event-{returned['version']} a.decision-link").click()
        expect(page).to_have_url(re.compile(rf"/audit/dossiers/{dossier_id}/decisions#decision-{returned['version']}$"))
        expect(page.locator("#tab-decisions")).to_have_attribute("aria-current", "page")
        expect(page.locator("section.decision")).to_have_count(len(decisions))

        card = page.locator(f"#decision-{returned['version']}")
        expect(card.locator("h2")).to_have_text(re.compile(r"单位审核\s*退回修改"))
        expect(card.locator(".decision-actor")).to_contain_text("单位管理员 · 演示单位甲")
        expect(card.locator(".decision-reason")).to_have_text(RETURN_REASON)
        expect(card.locator(".decision-sections")).to_have_text("证明材料")
        seen = returned["version"] - 1
        expect(card.locator(".decision-seen a.version-link")).to_have_attribute(
            "href", f"/audit/dossiers/{dossier_id}/versions/{seen}")
        expect(card.locator(".decision-seen")).to_contain_text("当时状态 待单位审核")
        expect(card.locator("tr.decision-material")).to_have_count(len(present_before(history, returned["version"])))
        row = card.locator("tr.decision-material", has_text="学历证书.pdf")
        expect(row).to_have_count(1)  # the blurred diploma, detached after this decision
        expect(row.locator("td[data-label=文件]")).to_have_text("学历证书.pdf")
        expect(row.locator("td[data-label=类别]")).to_have_text("学历证书")
        expect(row.locator("td[data-label=大小]")).to_contain_text(f"{old['data']['size']} 字节")
        expect(row.locator("details.hash summary")).to_have_attribute("title", old["data"]["sha256"])
        expect(row.locator("td[data-label=上传于]")).to_contain_text(f"第 {old['version']} 版")
        detached_at = next(event["version"] for event in history if event["type"] == "material_detached")
        expect(row.locator(".detached-later")).to_have_text(f"第 {detached_at} 版已删除")
        shot(page, "01-decisions-desktop")

        unit = page.locator(f"#decision-{approved['version']}")
        expect(unit.locator("tr.decision-material")).to_have_count(len(present_before(history, approved["version"])))
        expect(unit.locator("tr.decision-material", has_text="学历证书.pdf")).to_have_count(0)  # the blurred one is gone
        expect(unit.locator("tr.decision-material", has_text="学历证书(清晰版).pdf")).to_have_count(1)
        expect(unit.locator(".decision-reason")).to_have_text("同意")
        expect(unit.locator("a.compare-previous")).to_have_attribute(
            "href", f"/audit/dossiers/{dossier_id}/compare?from={seen}&to={approved['version'] - 1}")

        committee = page.locator(f"#decision-{passed['version']}")
        expect(committee.locator("h2")).to_have_text(re.compile(r"评审委员会评审\s*评审通过"))
        tally = passed["data"]["tally"]
        expect(committee.locator(".decision-tally")).to_have_text(
            f"同意 {tally['agree']}、不同意 {tally['disagree']}、弃权 {tally['abstain']}(须 {tally['required']} 票)")
        expect(committee.locator(".decision-meeting")).to_contain_text(decided["meeting"]["committee_name"])
        expect(committee.locator("tr.decision-material")).to_have_count(len(present_before(history, passed["version"])))
        for expert in decided["meeting"].get("experts") or []:  # the tally, never who sat or voted how
            expect(page.locator("main")).not_to_contain_text(expert["name"])
        committee.scroll_into_view_if_needed()
        shot(page, "02-decisions-committee-desktop")

        page.locator(f"#decision-{approved['version']} a.compare-previous").click()
        expect(page.locator("#materials-removed")).to_contain_text("学历证书.pdf")
        expect(page.locator("#materials-added")).to_contain_text("学历证书(清晰版).pdf")
        assert new["data"]["sha256"] != old["data"]["sha256"]

    def test_a_file_opens_by_its_hash_with_those_very_bytes_and_is_refused_once_its_object_is_altered(
            self, system, decided, auditor_page):
        page, dossier_id, old = auditor_page(), decided["id"], decided["old"]
        page.goto(f"/audit/dossiers/{dossier_id}/decisions")
        returned = decision_events(decided["history"])[0]
        link = page.locator(f"#decision-{returned['version']} a.file-link", has_text="学历证书.pdf").get_attribute("href")
        assert link == f"/audit/dossiers/{dossier_id}/files/{old['data']['sha256']}"
        opened = page.request.get(link)  # with the page's session (Playwright downloads hang under eventlet)
        assert opened.status == 200 and opened.headers["content-type"] == "application/pdf"
        assert opened.headers["content-security-policy"] == "sandbox"
        assert opened.headers["content-disposition"].startswith("inline;")
        original = opened.body()
        assert hashlib.sha256(original).hexdigest() == old["data"]["sha256"]

        store = EvidenceStore.from_config(system["s3"])
        key = old["data"]["object_key"]
        store.put_pdf(key, original + b"\n% one line added after the fact\n", old["data"]["sha256"])
        try:
            refused = page.request.get(link)
            assert refused.status == 409
            text = refused.text()
            assert "文件校验未通过:存储的文件与申报材料记录的 SHA-256 不一致" in text
            assert old["data"]["sha256"] in text
            page.goto(link)
            expect(page.locator("main")).to_contain_text("文件可能已被改动,不予打开")
            shot(page, "03-altered-file-refused")
        finally:
            store.put_pdf(key, original, old["data"]["sha256"])
        assert page.request.get(link).status == 200

        assert page.request.get(f"/audit/dossiers/{dossier_id}/files/{'0' * 64}").status == 404
        malformed = page.request.get(f"/audit/dossiers/{dossier_id}/files/not-a-hash")
        assert malformed.status == 422 and "64 位十六进制" in malformed.text()

    def test_the_page_works_on_a_390_px_phone(self, decided, auditor_page):
        page = auditor_page(PHONE)
        page.goto(f"/audit/dossiers/{decided['id']}/decisions")
        expect(page.locator("h1")).to_have_text("审核所见")
        assert fits_the_screen(page)
        shot(page, "04-decisions-phone")


class TestWhoMayLook:
    def test_the_city_office_may_and_applicants_and_unit_admins_may_not(self, decided, new_page):
        dossier_id = decided["id"]
        file_link = f"/audit/dossiers/{dossier_id}/files/{decided['old']['data']['sha256']}"
        city = new_page()
        sign_in(city, "city_admin", DEMO_PASSWORD)
        assert city.goto(f"/audit/dossiers/{dossier_id}/decisions").status == 200
        expect(city.locator("section.decision")).to_have_count(len(decision_events(decided["history"])))
        for username, password in ((decided["phone"], PASSWORD), ("unit_a_admin", DEMO_PASSWORD)):
            page = new_page()
            sign_in(page, username, password)
            assert page.goto(f"/audit/dossiers/{dossier_id}/decisions").status in (403, 404), username
            expect(page.locator("main")).not_to_contain_text(decided["old"]["data"]["sha256"])
            answer = page.request.get(file_link)
            assert answer.status in (403, 404), username
            assert not answer.body().startswith(b"%PDF-")
