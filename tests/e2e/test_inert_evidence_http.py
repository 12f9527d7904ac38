"""Evidence stays inert (issue 12, M7): active PDFs and HTML/PDF polyglots are refused with the reason and
nothing stored, and every download is sandboxed — an attachment from the API, inline only in the pages."""
import pytest

from gateway.storage import EvidenceStore
from tests.e2e.test_applicant_journey_http import PASSWORD, new_draft, upload
from tests.e2e.test_pages_http import Browserless
from tests.pdfs import (
    html_after_pdf, html_before_pdf, make_pdf, pdf_with_embedded_file, pdf_with_javascript, pdf_with_open_action,
    pdf_with_page_actions, pdf_with_xfa_form,
)


@pytest.fixture(scope="module")
def draft(system):
    """An applicant of 演示单位甲 with a draft: ``(api, phone, dossier id, evidence store)``."""
    api, phone, dossier_id = new_draft(system["client"], "苏晴")
    return api, phone, dossier_id, EvidenceStore.from_config(system["s3"])


class TestActiveFilesAreRefused:
    @pytest.mark.parametrize(("content", "words"), [
        (pdf_with_open_action("/JavaScript"), "JavaScript"),
        (pdf_with_javascript(), "JavaScript"),
        (pdf_with_open_action("/Launch"), "/Launch"),
        (pdf_with_page_actions(), "/AA"),
        (pdf_with_embedded_file(), "内嵌的其他文件"),
        (pdf_with_xfa_form(), "XFA"),
        (html_before_pdf(), "文件头之前"),
        (html_after_pdf(), "网页代码"),
    ], ids=["open-action-script", "document-script", "launch", "page-actions", "embedded-file", "xfa-form",
            "html-first", "script-after-eof"])
    def test_the_upload_is_refused_saying_why_and_nothing_is_stored(self, draft, content, words):
        api, _, dossier_id, store = draft
        answer = upload(api, dossier_id, content)
        assert answer.status == 415, answer
        assert words in answer.json["error"]["message"]
        assert store.keys(prefix=f"dossiers/{dossier_id}/") == []
        assert api.get(f"/api/v1/dossiers/{dossier_id}").json["dossier"]["materials"] == []


@pytest.fixture(scope="module")
def material(draft):
    """A plain PDF the applicant uploaded."""
    api, _, dossier_id, _ = draft
    uploaded = upload(api, dossier_id, make_pdf(pages=1))
    assert uploaded.status == 201, uploaded
    return uploaded.json["material_id"]


class TestDownloadsAreSandboxed:
    def test_the_api_serves_an_attachment_that_runs_nothing(self, draft, material):
        api, _, dossier_id, _ = draft
        answer = api.get(f"/api/v1/dossiers/{dossier_id}/materials/{material}")
        assert answer.status == 200 and answer.headers["Content-Disposition"].startswith("attachment")
        assert answer.headers["Content-Security-Policy"] == "sandbox"
        assert answer.headers["X-Content-Type-Options"] == "nosniff"

    def test_the_pages_preview_is_inline_but_sandboxed(self, system, draft, material):
        _, phone, dossier_id, _ = draft
        browser = Browserless(system["client"].base_url)
        browser.sign_in(phone, PASSWORD)
        status, headers, _ = browser.get(f"/dossiers/{dossier_id}/materials/{material}")
        assert status == 200 and headers["Content-Disposition"].startswith("inline")
        assert headers["Content-Security-Policy"] == "sandbox" and headers["X-Content-Type-Options"] == "nosniff"
        status, headers, _ = browser.get(f"/dossiers/{dossier_id}/materials/{material}?download=1")
        assert status == 200 and headers["Content-Disposition"].startswith("attachment")
