"""The one true one-time notice (一次性告知), black box over HTTP: submitting an empty draft answers ONE
refusal naming every missing section, every missing required material (by year where the rule is per
year) and every eligibility failure, in the order of the editor's form, each pointing to an anchor that
exists on the editor page; the self-check lists the same; fixing exactly what it named (and nothing
else) makes the next submission pass, and the submission records the notice version it was judged by."""
import re
from pathlib import Path

import pytest

from tests.e2e.conftest import login
from tests.e2e.test_applicant_journey_http import PASSWORD, join_unit
from tests.e2e.test_pages_http import Browserless
from tests.factories import (
    annual_assessments, basic_info, continuing_education, education, mobile_phone, resident_id, review_form,
    work_experience,
)
from tests.pdfs import make_pdf

NAME = "顾一次"
SECTIONS_TO_FILL = ("basic_info", "education", "work_experience", "review_form", "commitment")


def page_client(system, phone):
    """A browser-like client signed in to the pages (cookie session), to read the editor's anchors."""
    browser = Browserless(system["client"].base_url)
    browser.sign_in(phone, PASSWORD)
    return browser


@pytest.fixture(scope="module")
def refused(system):
    """An empty draft submitted once: its refusal, the self-check and what the year's notice says."""
    client = system["client"]
    # Born on the day basic_info() types, so nothing but the named problems is wrong with the data.
    phone = mobile_phone()
    registered = client.post("/api/v1/auth/register", json_body={
        "name": NAME, "id_number": resident_id(birth="19880501"), "phone": phone, "password": PASSWORD})
    assert registered.status == 201, registered
    applicant = login(client, phone, PASSWORD)
    join_unit(client, applicant)
    created = applicant.post("/api/v1/dossiers", json_body={"review_year": 2026, "series": "engineering",
                                                            "specialty": "电气工程", "level": "intermediate"})
    assert created.status == 201, created
    dossier_id = created.json["id"]
    notice = client.get("/api/v1/notices/2026").json
    check = applicant.post(f"/api/v1/dossiers/{dossier_id}/eligibility")
    answer = applicant.post(f"/api/v1/dossiers/{dossier_id}/submit")
    return {"system": system, "applicant": applicant, "phone": phone, "dossier_id": dossier_id, "notice": notice,
            "check": check, "answer": answer}


def items_of(refused):
    return refused["answer"].json["error"]["items"]


def named_years(refused, key):
    return [item["year"] for item in items_of(refused) if item["kind"] == "material" and item["key"] == key]


def counted_years(policy, review_year=2026):
    """The years the policy counts before the title date is known: its continuing-education window."""
    last = review_year if policy["records_through_application_year"] else review_year - 1
    return list(range(last - int(policy["continuing_education"]["years"]) + 1, last + 1))


class TestOneAnswer:
    def test_the_refusal_is_one_422_with_every_kind_of_problem(self, refused):
        answer = refused["answer"]
        assert answer.status == 422, answer
        error = answer.json["error"]
        assert error["code"] == "incomplete_dossier"
        assert {item["kind"] for item in error["items"]} == {"section", "material", "eligibility"}
        assert f"共 {len(error['items'])} 项问题" in error["message"]

    def test_it_names_every_missing_section(self, refused):
        sections = [item["key"] for item in items_of(refused) if item["kind"] == "section"]
        assert set(sections) == set(SECTIONS_TO_FILL)
        assert all(item["anchor"] == f"sec-{item['key']}" for item in items_of(refused) if item["kind"] == "section")

    def test_it_names_every_required_material_and_each_yearly_one_by_year(self, refused):
        policy, messages = refused["notice"]["policy"], [item["message"] for item in items_of(refused)]
        years = counted_years(policy)
        labels = {item["key"]: item["label"] for item in policy["required_materials"]}
        assert f"缺少 {labels['education_certificate']}" in messages
        assert f"缺少 {labels['current_title_certificate']}" in messages
        for year in years:
            assert f"缺少 {year}年 {labels['annual_assessment_forms']}" in messages
            assert f"缺少 {year}年 {labels['continuing_education_proofs']}" in messages
        assert named_years(refused, "annual_assessment_forms") == years

    def test_it_names_the_eligibility_failures_the_data_implies(self, refused):
        rules = {item["key"]: item for item in items_of(refused) if item["kind"] == "eligibility"}
        # No title (逐级申报), no education, no assessments and no continuing-education hours recorded.
        assert set(rules) == {"level_step", "education", "annual_assessment", "continuing_education"}
        years = counted_years(refused["notice"]["policy"])
        assert all(f"{year}年 未记录学时" in rules["continuing_education"]["message"] for year in years)
        assert "、".join(str(year) for year in years) in rules["annual_assessment"]["message"]
        assert rules["level_step"]["section"] == "basic_info" and rules["annual_assessment"]["section"] == "annual_assessments"

    def test_the_self_check_lists_the_same_problems(self, refused):
        check = refused["check"]
        assert check.status == 200, check
        assert check.json["ready"] is False and check.json["problems"] == items_of(refused)

    def test_the_items_follow_the_editor_and_their_anchors_exist_on_it(self, refused):
        status, _, html = page_client(refused["system"], refused["phone"]).get(f"/dossiers/{refused['dossier_id']}")
        assert status == 200, html[:300]
        order = [name for name in re.findall(r'<section class="card section[^"]*" id="sec-([a-z_]+)"', html)]
        positions = [order.index(item["section"]) for item in items_of(refused) if item["section"]]
        assert positions == sorted(positions)
        for anchor in {item["anchor"] for item in items_of(refused)}:
            assert f'id="{anchor}"' in html, anchor


class TestFixingExactlyWhatWasNamed:
    def test_after_fixing_the_named_items_the_submission_passes(self, refused):
        applicant, dossier_id, policy = refused["applicant"], refused["dossier_id"], refused["notice"]["policy"]
        items = items_of(refused)
        named = {item["key"] for item in items}
        form_years = named_years(refused, "annual_assessment_forms")
        education_years = named_years(refused, "continuing_education_proofs")
        # 基本信息 (and with it 逐级申报): a 初级 title held since the year before the first named year.
        sections = {
            "basic_info": basic_info(current_title_obtained_on=f"{min(form_years) - 1}-12-01"),
            "education": {"entries": education()},
            "work_experience": {"entries": work_experience()},
            "review_form": review_form(),
            "commitment": {"statement_version": "2026-1", "signed_name": NAME},
        }
        assert set(sections) <= named
        for section, data in sections.items():
            assert applicant.put(f"/api/v1/dossiers/{dossier_id}/sections/{section}", json_body=data).status == 200
        # 年度考核 and 继续教育: exactly the years the notice named.
        assert {"annual_assessment", "continuing_education"} <= named
        assert applicant.put(f"/api/v1/dossiers/{dossier_id}/sections/annual_assessments", json_body={
            "entries": annual_assessments(first=min(form_years), last=max(form_years))}).status == 200
        assert applicant.put(f"/api/v1/dossiers/{dossier_id}/sections/continuing_education", json_body={
            "entries": continuing_education(years=education_years)}).status == 200
        # 证明材料: one file per named material, in the category the policy item asks for, with its year.
        categories = {item["key"]: item["categories"][0] for item in policy["required_materials"]}
        for number, item in enumerate(entry for entry in items if entry["kind"] == "material"):
            fields = {"category": categories[item["key"]]}
            if item.get("year") is not None:
                fields["year"] = str(item["year"])
            uploaded = applicant.upload(f"/api/v1/dossiers/{dossier_id}/materials", fields=fields, file_field="file",
                                        filename=f"{item['message']}.pdf", content=make_pdf(pages=1, padding=number + 1))
            assert uploaded.status == 201, (item, uploaded)

        submitted = applicant.post(f"/api/v1/dossiers/{dossier_id}/submit")
        assert submitted.status == 200, submitted
        assert submitted.json["status"] == "submitted"
        last = applicant.get(f"/api/v1/dossiers/{dossier_id}/history").json["items"][-1]
        version = refused["system"]["client"].get("/api/v1/notices/2026").json["version"]
        assert last["type"] == "submitted" and last["data"]["notice_version"] == version


SHOTS = Path("/tmp/shots/one-time-notice")


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def half_done(system):
    """A draft with its sections filled, one achievement, a diploma uploaded twice, nothing else."""
    from tests.e2e.test_applicant_journey_http import fill_sections, new_draft, upload

    client = system["client"]
    applicant, phone, dossier_id = new_draft(client, "卢清单", specialty="给排水工程")
    fill_sections(applicant, dossier_id, "卢清单")
    pdf = make_pdf(pages=1)
    assert upload(applicant, dossier_id, pdf, filename="学历证书.pdf").status == 201
    assert upload(applicant, dossier_id, pdf, filename="学历证书-再传.pdf").status == 201
    return {"applicant": applicant, "phone": phone, "dossier_id": dossier_id}


class TestTheEditorPage:
    """The 必备材料清单 panel, the upload form's year and achievement, duplicates flagged, and the refused
    submission's list with links: in Chromium, on a desktop and on a phone."""

    def test_the_checklist_upload_and_refusal_on_the_page(self, half_done, new_page):
        from playwright.sync_api import expect

        from tests.e2e.conftest import DESKTOP
        from tests.e2e.test_pages_journey import sign_in

        url = f"/dossiers/{half_done['dossier_id']}"
        for viewport, name in ((DESKTOP, "desktop"), ({"width": 390, "height": 844}, "phone")):
            page = new_page(viewport)
            sign_in(page, half_done["phone"], PASSWORD)
            page.goto(url + "#sec-materials")
            panel = page.locator("#required-materials")
            expect(panel).to_be_visible()
            expect(panel.locator("#req-education_certificate .checklist-head .mark")).to_have_text("✓")
            expect(panel.locator("#req-current_title_certificate .checklist-head .mark")).to_have_text("缺")
            expect(panel.locator("#duplicate-uploads")).to_contain_text("学历证书.pdf = 学历证书-再传.pdf")
            expect(page.locator("#material-list .badge", has_text="重复上传")).to_have_count(2)
            # The achievement fill_sections added is offered, and its proof is asked for by name.
            expect(page.locator("#f-materials-achievement_id option", has_text="某污水处理厂工程")).to_have_count(1)
            expect(panel.locator("#req-achievement_proofs")).to_contain_text("某污水处理厂工程")
            if name == "desktop":
                # Upload the first year's 年度考核登记表 through the form: the page comes back with it ✓.
                first_year = panel.locator("#req-annual_assessment_forms .slot").first
                year = first_year.get_attribute("data-year")
                page.select_option("#f-materials-category", "annual_assessment")
                page.fill("#f-materials-year", year)
                page.set_input_files("#f-materials-file", files=[{
                    "name": f"{year}年度考核登记表.pdf", "mimeType": "application/pdf",
                    "buffer": make_pdf(pages=1, padding=7)}])
                page.click("#upload-form button[type=submit]")
                row = page.locator(f"#req-annual_assessment_forms .slot[data-year='{year}']")
                expect(row.locator(".mark")).to_have_text("✓")
                expect(row).to_contain_text(f"{year}年度考核登记表.pdf")
                # A year after the review year is refused beside its field, in Chinese, and nothing is kept.
                page.select_option("#f-materials-category", "annual_assessment")
                page.fill("#f-materials-year", "2031")
                page.set_input_files("#f-materials-file", files=[{
                    "name": "未来.pdf", "mimeType": "application/pdf", "buffer": make_pdf(pages=1, padding=9)}])
                page.click("#upload-form button[type=submit]")
                expect(page.locator("#err-materials-year")).to_contain_text("不能晚于评审年度")
            shot(page, f"{name}-checklist")
            page.locator("#sec-materials").screenshot(path=str(SHOTS / f"{name}-materials-section.png"))
            # 提交申报: refused once, with every remaining problem listed and linked.
            page.goto(url)
            page.click("#submit-dossier")
            confirm = page.locator("button:visible", has_text=re.compile("确认提交"))
            if confirm.count():
                confirm.first.click()
            problems = page.locator("#submit-problem-list li")
            expect(problems.first).to_be_visible()
            assert problems.count() > 1
            link = page.locator("#submit-problem-list a[href='#req-current_title_certificate']")
            expect(link).to_have_count(1)
            shot(page, f"{name}-refused")
            page.locator("#sec-actions").screenshot(path=str(SHOTS / f"{name}-refused-list.png"))
            link.click()
            expect(page.locator("#req-current_title_certificate")).to_be_in_viewport()
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
