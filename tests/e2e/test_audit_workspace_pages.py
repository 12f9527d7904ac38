"""The audit officer's workspace (审计工作台) in headless Chromium, issue 16 items 1–4 and 8: the auditor
finds a dossier by name and submission day, reads its timeline (who, role, organisation, what, why,
correlation id, hash), opens version N exactly as the preview shows it, moves by slider and by moment,
compares N with N+3 field by field, exports the search; an event stored under the old class version
(written straight into PostgreSQL) reads in the timeline, at its version and in the comparison. On a
desktop and at 390 px; screenshots in /tmp/shots/audit/."""
import csv
import io
import re
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect

from services.dossier.application import Dossiers
from shared.clock import beijing_text, beijing_today
from shared.roles import APPLICANT, Actor
from tests.e2e.conftest import DEMO_PASSWORD, login
from tests.e2e.review_support import person_name, submitted_dossier
from tests.e2e.test_applicant_journey_http import fill_sections, new_draft, upload
from tests.e2e.test_pages_journey import sign_in
from tests.integration.dossier.test_dossier_upcast import store_version_1_detach
from tests.pdfs import make_pdf

SHOTS = Path("/tmp/shots/audit")
PHONE = {"width": 390, "height": 844}
MASKED_ID = re.compile(r"^\d{4}\*{10}[\dX]{4}$")

expect.set_options(timeout=15000)


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def fits_the_screen(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.fixture(scope="module")
def submitted(system):
    """A submitted dossier of a new applicant, with its history as the API gives it."""
    name = person_name("司马")
    applicant, dossier_id = submitted_dossier(system["client"], name)
    history = login(system["client"], "auditor").get(f"/api/v1/dossiers/{dossier_id}/history").json["items"]
    dossier = applicant.get(f"/api/v1/dossiers/{dossier_id}").json["dossier"]
    version = next(event["version"] for event in history if event["type"] == "review_form_filled")
    assert [event["type"] for event in history[version:version + 3]] == \
        ["commitment_signed", "achievement_added", "material_attached"]
    return {"name": name, "id": dossier_id, "history": history, "dossier": dossier, "n": version}


@pytest.fixture
def auditor_page(new_page):
    def open_page(viewport=None):
        page = new_page(viewport) if viewport else new_page()
        sign_in(page, "auditor", DEMO_PASSWORD)
        return page
    return open_page


class TestTheAuditorsWorkspace:
    def test_the_auditor_finds_the_dossier_and_reads_its_timeline(self, submitted, auditor_page):
        page = auditor_page()
        page.click("nav.site-nav >> text=审计工作台")
        expect(page.locator("h1")).to_have_text("审计工作台 · 申报材料检索")
        page.fill("#f-applicant_name", submitted["name"])
        page.fill("#f-submitted_from", beijing_today().isoformat())
        page.fill("#f-submitted_to", beijing_today().isoformat())
        page.click("#audit-search-submit")
        row = page.locator(f"#audit-row-{submitted['id']}")
        expect(row).to_contain_text(submitted["name"])
        expect(row).to_contain_text("待单位审核")
        expect(row.locator("td[data-label=身份证号]")).to_have_text(MASKED_ID)
        shot(page, "01-search-desktop")

        row.locator("text=时间线").click()
        history = submitted["history"]
        expect(page.locator("#timeline tbody tr")).to_have_count(len(history))
        expect(page.locator("#verify-result")).to_contain_text(f"哈希链校验通过:共 {len(history)} 条事件")
        last = history[-1]
        submit_row = page.locator(f"#event-{last['version']}")
        expect(submit_row).to_contain_text(submitted["name"])
        expect(submit_row).to_contain_text("申报人")
        expect(submit_row).to_contain_text("提交申报")
        expect(submit_row).to_contain_text(beijing_text(datetime.fromisoformat(last["at"]), "%Y-%m-%d %H:%M:%S"))
        expect(submit_row.locator("td[data-label=关联编号]")).to_have_text(last["actor"]["correlation_id"])
        expect(submit_row.locator("details.hash summary")).to_have_attribute("title", last["hash"])
        submit_row.locator("details.hash summary").click()
        expect(submit_row.locator("details.hash")).to_contain_text(last["prev_hash"])
        shot(page, "02-timeline-desktop")

        page.select_option("#f-kind", "material_attached")  # the filter submits itself
        attached = [event for event in history if event["type"] == "material_attached"]
        expect(page.locator("#timeline tbody tr")).to_have_count(len(attached))
        expect(page.locator("#timeline")).to_contain_text("学历证书:学历证书.pdf")
        page.select_option("#f-kind", "")
        page.select_option("#f-actor", label=f"{submitted['name']}(申报人)")
        expect(page.locator("#timeline tbody tr")).to_have_count(len(history))  # every event is the applicant's

    def test_version_n_renders_as_it_stood_and_the_slider_and_a_moment_move_it(self, submitted, auditor_page):
        page, n, dossier_id = auditor_page(), submitted["n"], submitted["id"]
        page.goto(f"/audit/dossiers/{dossier_id}")
        page.click(f"#event-{n} a.version-link")
        expect(page).to_have_url(re.compile(rf"/audit/dossiers/{dossier_id}/versions/{n}$"))
        at = beijing_text(datetime.fromisoformat(submitted["history"][n - 1]["at"]), "%Y-%m-%d %H:%M:%S")
        expect(page.locator("#version-banner")).to_contain_text(f"第 {n} 版 · 北京时间 {at}")
        expect(page.locator("#version-banner")).to_contain_text("当时状态 草稿")
        expect(page.locator("#view-review_form")).to_contain_text("从事土木工程技术工作十余年")
        expect(page.locator("#view-commitment")).to_contain_text("未填写")  # signed only in version n+1
        expect(page.locator("#view-materials")).to_contain_text("未上传")
        shot(page, "03-version-n-desktop")

        page.fill("#f-version", str(n + 2))  # the slider submits itself
        expect(page).to_have_url(re.compile(rf"/versions/{n + 2}$"))
        expect(page.locator("#view-achievements")).to_contain_text("某污水处理厂工程")

        typed = datetime.fromisoformat(submitted["history"][n]["at"]).replace(microsecond=0)
        expected = max(event["version"] for event in submitted["history"] if datetime.fromisoformat(event["at"]) <= typed) \
            if datetime.fromisoformat(submitted["history"][0]["at"]) <= typed else None
        # Chromium keeps a datetime-local value in its shortest form and drops ":00" seconds;
        # Playwright refuses a fill whose value the browser then shows differently.
        page.fill("#f-at", beijing_text(typed, "%Y-%m-%dT%H:%M:%S" if typed.second else "%Y-%m-%dT%H:%M"))
        page.click("#moment-form button[type=submit]")
        if expected is None:
            expect(page.locator("#err-at")).to_contain_text("尚未创建")
        else:
            expect(page.locator("#version-banner")).to_contain_text(f"第 {expected} 版")
            expect(page.locator("#version-banner")).to_contain_text(f"您查询的时刻:北京时间 {beijing_text(typed, '%Y-%m-%d %H:%M:%S')}")

    def test_version_n_compared_with_n_plus_3_names_every_change_in_words(self, submitted, auditor_page):
        page, n, dossier_id = auditor_page(), submitted["n"], submitted["id"]
        page.goto(f"/audit/dossiers/{dossier_id}/versions/{n}")
        page.click("text=与其后版本比较")
        expect(page).to_have_url(re.compile(rf"/compare\?from={n}&to={n + 3}$"))
        expect(page.locator("#compare-summary h2")).to_have_text(f"第 {n} 版 → 第 {n + 3} 版")
        expect(page.locator("#compare-counts")).to_contain_text("新增 5 项 · 修改 0 项 · 删除 0 项")
        commitment = page.locator("#diff-commitment")
        expect(commitment).to_contain_text("新增")
        expect(commitment).to_contain_text("签名(请输入申报人姓名)")
        expect(commitment).to_contain_text(submitted["name"])
        expect(page.locator("#diff-achievements")).to_contain_text("成果类别:项目;名称:某污水处理厂工程")
        # The diploma the test uploaded (the checklist's other required files come with it).
        material = next(m for m in submitted["dossier"]["materials"] if m["filename"] == "学历证书.pdf")
        added = page.locator("#materials-added")
        expect(added).to_contain_text("学历证书.pdf")
        expect(added).to_contain_text("学历证书")
        expect(added).to_contain_text(f"{material['size']} 字节")
        expect(added).to_contain_text(material["sha256"])
        expect(page.locator("main")).not_to_contain_text("{")  # words, not JSON
        shot(page, "04-compare-desktop")

        link = added.locator("text=打开文件").get_attribute("href")
        assert link == f"/audit/dossiers/{dossier_id}/versions/{n + 3}/materials/{material['material_id']}"
        opened = page.request.get(link)  # the file as the dossier held it then, sandboxed
        assert opened.status == 200 and opened.headers["content-type"] == "application/pdf"
        assert opened.headers["content-security-policy"] == "sandbox" and opened.body().startswith(b"%PDF-")

    def test_the_search_exports_as_csv_and_excel_with_masked_id_numbers(self, submitted, auditor_page):
        page = auditor_page()
        page.goto(f"/audit?applicant_name={submitted['name']}")
        # Fetched with the page's own session (the browser's download machinery is not what is tested).
        answer = page.request.get(page.locator("#audit-export-csv").get_attribute("href"))
        assert answer.status == 200 and answer.headers["content-type"] == "text/csv; charset=utf-8"
        assert re.fullmatch(r"attachment; filename\*=UTF-8''audit-dossiers-\d{8}-\d{6}\.csv",
                            answer.headers["content-disposition"])
        lines = list(csv.reader(io.StringIO(answer.body().decode("utf-8-sig"))))
        (line,) = [line for line in lines[1:] if line[14] == submitted["id"]]
        assert line[1] == submitted["name"] and MASKED_ID.fullmatch(line[2]) and line[9] == "待单位审核"
        assert line[10] == str(len(submitted["history"])) and line[13] == submitted["history"][-1]["hash"]
        workbook = page.request.get(page.locator("#audit-export-xlsx").get_attribute("href"))
        assert workbook.status == 200 and workbook.body()[:2] == b"PK"
        assert workbook.headers["content-disposition"].endswith(".xlsx")

    def test_bad_search_values_are_named_beside_their_fields(self, auditor_page):
        page = auditor_page()
        page.goto("/audit?review_year=20x6&submitted_from=2026-03-09&submitted_to=2026-03-01&series=bogus")
        expect(page.locator("#err-review_year")).to_have_text("应为 2000 到 2100 之间的年份")
        expect(page.locator("#err-submitted_to")).to_have_text("结束日不能早于开始日")
        expect(page.locator("#err-series")).to_contain_text("应为以下之一:工程")
        expect(page.locator(".alert-error")).to_contain_text("检索条件有误")

    def test_every_page_works_on_a_390_px_phone(self, submitted, auditor_page):
        page, n, dossier_id = auditor_page(PHONE), submitted["n"], submitted["id"]
        for url, name in ((f"/audit?applicant_name={submitted['name']}", "05-search-phone"),
                          (f"/audit/dossiers/{dossier_id}", "06-timeline-phone"),
                          (f"/audit/dossiers/{dossier_id}/versions/{n}", "07-version-n-phone"),
                          (f"/audit/dossiers/{dossier_id}/compare?from={n}&to={n + 3}", "08-compare-phone")):
            page.goto(url)
            expect(page.locator("h1")).to_be_visible()
            assert fits_the_screen(page), url
            shot(page, name)


class TestWhoMayUseIt:
    def test_the_search_is_the_auditors_and_a_dossiers_timeline_also_the_city_offices(self, submitted, new_page):
        city = new_page()
        sign_in(city, "city_admin", DEMO_PASSWORD)
        assert city.goto("/audit").status == 403
        expect(city.locator("main")).to_contain_text("仅供审计/纪检人员使用")
        assert city.goto(f"/audit/dossiers/{submitted['id']}").status == 200
        expect(city.locator("#timeline tbody tr")).to_have_count(len(submitted["history"]))
        unit = new_page()
        sign_in(unit, "unit_a_admin", DEMO_PASSWORD)
        assert unit.goto(f"/audit/dossiers/{submitted['id']}/compare").status == 403
        expect(unit.locator("nav.site-nav")).not_to_contain_text("审计工作台")


@pytest.fixture(scope="module")
def old_detach(system, database_url):
    """A draft with two materials, the first detached by a ``material_detached`` event as a version 1
    writer stored it (no file named), written straight into the event store."""
    client, name = system["client"], person_name("上官")
    applicant, _, dossier_id = new_draft(client, name)
    fill_sections(applicant, dossier_id, name)
    assert upload(applicant, dossier_id, make_pdf(pages=1), filename="旧学历证书.pdf").status == 201
    assert upload(applicant, dossier_id, make_pdf(pages=3), filename="职称证书.pdf", category="other").status == 201
    app = Dossiers(database_url("e2e_dossier"))
    try:
        dossier = app.load(dossier_id)
        gone = next(item for item in dossier.materials.values() if item["filename"] == "旧学历证书.pdf")
        version = store_version_1_detach(app, dossier, Actor(account_id=dossier.applicant_id, role=APPLICANT),
                                         gone["material_id"])
    finally:
        app.close()
    return {"id": dossier_id, "version": version, "material": gone}


class TestAnOldVersionEvent:
    """The pages tell a version 1 event from the event that attached the file it detached."""

    def test_it_reads_in_the_timeline_at_its_version_and_in_the_comparison(self, old_detach, auditor_page):
        page, dossier_id, version, gone = auditor_page(), old_detach["id"], old_detach["version"], old_detach["material"]
        page.goto(f"/audit/dossiers/{dossier_id}")
        row = page.locator(f"#event-{version}")
        expect(row).to_contain_text("删除证明材料")
        expect(row).to_contain_text("学历证书:旧学历证书.pdf")
        expect(page.locator("#verify-result")).to_contain_text("哈希链校验通过")
        shot(page, "09-old-event-timeline")

        page.goto(f"/audit/dossiers/{dossier_id}/versions/{version}")
        expect(page.locator("#version-banner")).to_contain_text(f"第 {version} 版")
        expect(page.locator("#view-materials")).to_contain_text("职称证书.pdf")
        expect(page.locator("#view-materials")).not_to_contain_text("旧学历证书.pdf")

        page.goto(f"/audit/dossiers/{dossier_id}/compare?from={version - 1}&to={version}")
        removed = page.locator("#materials-removed")
        expect(removed).to_contain_text("旧学历证书.pdf")
        expect(removed).to_contain_text(gone["sha256"])
        expect(page.locator("#compare-counts")).to_contain_text("删除 1 项")
        shot(page, "10-old-event-compare")
