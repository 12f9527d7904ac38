"""The printed PDFs through the running gateway (issue 18, item 7): two applicants of 演示单位甲 approved,
publicised in their unit and sent up in one batch; each prints their own 评审表, the unit admin prints
both, the unit's 公示名单 and the batch's 报送汇总表, the district admin the 公示名单 of its district; the
admin of 演示单位乙, another applicant and an applicant asking for a list are refused in Chinese. The
PDFs embed the CJK font (pdffonts) and read back with the names (pdftotext); page 1 of each is saved
as a PNG beside the other screenshots."""
import subprocess
import urllib.error
import urllib.request
import uuid

import pytest
from playwright.sync_api import expect

from gateway.compose.dossiers import NOT_VISIBLE
from gateway.compose.printing_lists import NOT_A_PRINTER
from gateway.compose.printing_review_form import TITLE
from tests.e2e.conftest import DEMO_PASSWORD, DESKTOP, PHONE
from tests.e2e.review_support import (
    DISTRICT_ADMINS, UNIT_A, Staff, approve, person_name, publicise_in_unit, today, unit_publicity_over,
)
from tests.e2e.test_applicant_journey_http import PASSWORD, fill_sections, new_draft, upload, upload_required
from tests.e2e.test_pages_http import Browserless
from tests.e2e.test_pages_journey import shot, sign_in
from tests.factories import material, required_uploads
from tests.pdfs import make_pdf


class PdfBrowser(Browserless):
    """A signed-in browser that keeps a download's bytes as they came."""

    def download(self, path):
        request = urllib.request.Request(self.base_url + path, method="GET")
        try:
            with self.opener.open(request, timeout=120) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()


def signed_in(system, username, password=DEMO_PASSWORD):
    browser = PdfBrowser(system["client"].base_url)
    browser.sign_in(username, password)
    return browser


def run(*command, data):
    return subprocess.run(command, input=data, capture_output=True, check=True, timeout=60).stdout


def words(pdf):
    return "".join(run("pdftotext", "-", "-", data=pdf).decode().split())


def printed(browser, path, screenshots=None, name=None):
    """The PDF at *path*: a PDF shown inline, every font embedded; page 1 saved as *name*.png."""
    status, headers, body = browser.download(path)
    assert status == 200, (status, body[:500])
    assert headers["Content-Type"] == "application/pdf" and headers["Content-Disposition"].startswith("inline;")
    assert "no-store" in headers["Cache-Control"]
    fonts = run("pdffonts", "-", data=body).decode().splitlines()[2:]
    assert fonts and all(" yes yes yes " in row and "TrueType" in row for row in fonts), fonts
    if screenshots is not None:
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", "-",
                        str(screenshots / f"print-{name}")], input=body, check=True, timeout=60)
    return words(body)


def refused(browser, path, statuses=(403, 404)):
    status, headers, body = browser.download(path)
    assert status in statuses, (status, body[:300])
    assert headers["Content-Type"].startswith("text/html")
    return body.decode("utf-8")


def submitted(client, cluster_rpc, name):
    """A complete, submitted dossier of a new applicant of 甲: ``(phone, dossier id)``. One PDF is uploaded
    over HTTP; the other files the year's checklist asks for (per year, per achievement) are attached
    through the dossier service as the applicant, since these tests print them and never open them."""
    applicant, phone, dossier_id = new_draft(client, name, specialty="给排水工程")
    fill_sections(applicant, dossier_id, name)
    assert upload(applicant, dossier_id, make_pdf(pages=2)).status == 201
    upload_required(applicant, dossier_id)
    state = applicant.get(f"/api/v1/dossiers/{dossier_id}").json["dossier"]
    actor = {"account_id": state["applicant_id"], "role": "applicant"}
    for needed in required_uploads(state):
        cluster_rpc.dossier.attach_material(actor, dossier_id, material(
            category=needed["category"], filename=needed["filename"], year=needed["year"],
            achievement_id=needed["achievement_id"], sha256=uuid.uuid4().hex * 2))
    answer = applicant.post(f"/api/v1/dossiers/{dossier_id}/submit")
    assert answer.status == 200, answer
    return phone, dossier_id


@pytest.fixture(scope="module")
def forwarded(system, cluster_rpc):
    """Two dossiers of 甲 approved, in unit publicity from today, and sent up in one batch."""
    staff = Staff(system["client"], system["review_clock"])
    names = [person_name("印"), person_name("印")]
    people = [(name, submitted(system["client"], cluster_rpc, name)) for name in names]
    ids = [dossier_id for _, (_, dossier_id) in people]
    people = [(name, phone) for name, (phone, _) in people]
    unit_admin = staff["unit_a_admin"]
    approve(unit_admin, *ids)
    publicity = publicise_in_unit(unit_admin, *ids)
    assert publicity.status == 200, publicity
    with unit_publicity_over(staff.review_clock, publicity.json["end"]):
        batch = unit_admin.post("/api/v1/review/batches", json_body={"dossier_ids": ids})
    assert batch.status == 201 and batch.json["saved"], batch
    return {"ids": ids, "names": [name for name, _ in people], "phones": [phone for _, phone in people],
            "batch_id": batch.json["batch_id"], "period": (today().isoformat(), publicity.json["end"])}


class TestTheReviewForm:
    def test_each_applicant_prints_their_own_and_not_the_others(self, system, forwarded, screenshots):
        for index, dossier_id in enumerate(forwarded["ids"]):
            applicant = signed_in(system, forwarded["phones"][index], PASSWORD)
            text = printed(applicant, f"/dossiers/{dossier_id}/print/review-form.pdf", screenshots,
                           f"review-form-{index}")
            assert TITLE in text and forwarded["names"][index] in text and UNIT_A in text
            assert "单位意见" in text and "同意" in text and "贴照片" in text  # the unit's opinion, recorded
            other = forwarded["ids"][1 - index]
            assert NOT_VISIBLE in refused(applicant, f"/dossiers/{other}/print/review-form.pdf", (404,))

    def test_the_unit_admin_prints_their_units_and_another_units_admin_is_refused(self, system, forwarded):
        unit_a = signed_in(system, "unit_a_admin")
        for name, dossier_id in zip(forwarded["names"], forwarded["ids"], strict=True):
            assert name in printed(unit_a, f"/dossiers/{dossier_id}/print/review-form.pdf")
        unit_b = signed_in(system, "unit_b_admin")
        for dossier_id in forwarded["ids"]:
            assert NOT_VISIBLE in refused(unit_b, f"/dossiers/{dossier_id}/print/review-form.pdf", (404,))

    def test_the_print_button_is_on_the_preview_and_the_review_page(self, system, forwarded):
        dossier_id = forwarded["ids"][0]
        link = f'href="/dossiers/{dossier_id}/print/review-form.pdf"'
        applicant = signed_in(system, forwarded["phones"][0], PASSWORD)
        status, _, body = applicant.get(f"/dossiers/{dossier_id}/preview")
        assert status == 200 and link in body and "打印评审表" in body
        status, _, body = signed_in(system, "unit_a_admin").get(f"/review/{dossier_id}")
        assert status == 200 and link in body and "打印评审表" in body


    @pytest.mark.parametrize("viewport, name", [(DESKTOP, "desktop"), (PHONE, "phone")])
    def test_the_print_button_is_seen_on_a_desktop_and_a_phone(self, forwarded, new_page, screenshots, viewport, name):
        page = new_page(viewport)
        sign_in(page, forwarded["phones"][0], PASSWORD)
        page.goto(f"/dossiers/{forwarded['ids'][0]}/preview")
        expect(page.locator("#print-review-form")).to_be_visible()
        shot(page, screenshots, f"print-preview-button-{name}")


class TestTheLists:
    def test_the_unit_prints_its_publicity_list_and_the_batchs_roster(self, system, forwarded, screenshots):
        unit_a = signed_in(system, "unit_a_admin")
        status, _, queue = unit_a.get("/review?review_year=2026")
        assert status == 200 and 'id="print-publicity-list"' in queue and 'id="print-roster"' in queue
        start, end = forwarded["period"]
        text = printed(unit_a, "/review/print/publicity-list.pdf?year=2026", screenshots, "publicity-list")
        assert "公示名单" in text and "监督电话" in text and f"{start}至{end}" in text
        assert all(name in text for name in forwarded["names"])
        text = printed(unit_a, f"/review/print/roster.pdf?batch={forwarded['batch_id']}", screenshots, "roster")
        assert "推荐花名册" in text and all(name in text for name in forwarded["names"])
        assert f"合计{len(forwarded['ids'])}人" in text  # the batch alone: exactly its dossiers
        assert all(name in printed(unit_a, "/review/print/roster.pdf?year=2026") for name in forwarded["names"])

    def test_the_district_prints_the_publicity_list_of_its_units(self, system, forwarded):
        district = signed_in(system, DISTRICT_ADMINS[UNIT_A])
        text = printed(district, "/review/print/publicity-list.pdf?year=2026")
        assert all(name in text for name in forwarded["names"])

    def test_another_unit_sees_none_of_them_and_its_batch_is_refused(self, system, forwarded):
        unit_b = signed_in(system, "unit_b_admin")
        body = refused(unit_b, f"/review/print/roster.pdf?batch={forwarded['batch_id']}")
        assert "报送批次" in body and "管辖范围" in body
        status, _, content = unit_b.download("/review/print/publicity-list.pdf?year=2026")
        if status == 200:  # 乙 has dossiers of its own in publicity (from other tests): none of 甲's
            assert not any(name in words(content) for name in forwarded["names"])
        else:
            assert status == 404 and "没有已登记单位内部公示" in content.decode("utf-8")

    def test_an_applicant_prints_no_list_and_a_bad_year_is_refused(self, system, forwarded):
        applicant = signed_in(system, forwarded["phones"][0], PASSWORD)
        assert NOT_A_PRINTER in refused(applicant, "/review/print/publicity-list.pdf?year=2026", (403,))
        assert NOT_A_PRINTER in refused(applicant, "/review/print/roster.pdf", (403,))
        body = refused(signed_in(system, "unit_a_admin"), "/review/print/roster.pdf?year=abc", (422,))
        assert "评审年度有误" in body
