"""Uploads are judged by their content: only readable, unencrypted, complete, inert PDFs within the limit pass."""
import hashlib

import pytest

from gateway.exceptions import FileTooLarge, UnsupportedFileType
from gateway.pdfcheck import inspect_pdf
from tests.pdfs import (
    encrypted_pdf, html_after_pdf, html_before_pdf, make_pdf, pdf_with_embedded_file, pdf_with_javascript,
    pdf_with_open_action, pdf_with_page_actions, pdf_with_xfa_form, png_bytes, truncated_pdf,
)

LIMIT = 20 * 1024 * 1024


def test_a_real_pdf_is_described_by_digest_size_and_pages():
    data = make_pdf(pages=3)
    info = inspect_pdf(data, LIMIT)
    assert info.pages == 3
    assert info.size == len(data)
    assert info.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (png_bytes(), "不是 PDF"),
        (b"", "为空"),
        (truncated_pdf(), "不完整"),
        (encrypted_pdf(), "加密"),
        (b"%PDF-1.7\n garbage that is not a pdf body \n%%EOF", "损坏"),
    ],
    ids=["renamed-png", "empty", "truncated", "encrypted", "corrupt"],
)
def test_files_that_are_not_usable_pdfs_are_refused_with_a_reason(data, words):
    with pytest.raises(UnsupportedFileType) as raised:
        inspect_pdf(data, LIMIT)
    assert words in raised.value.message
    assert raised.value.http_status == 415


def test_a_file_over_the_limit_is_refused_before_parsing():
    data = make_pdf(pages=1, padding=21 * 1024 * 1024)
    with pytest.raises(FileTooLarge) as raised:
        inspect_pdf(data, LIMIT)
    assert "20.0 MB" in raised.value.message and raised.value.http_status == 413


class TestEvidenceMustBeInert:
    @pytest.mark.parametrize(("data", "words"), [
        (pdf_with_javascript(), "JavaScript"),
        (pdf_with_open_action("/JavaScript"), "JavaScript"),
        (pdf_with_open_action("/Launch"), "/Launch"),
        (pdf_with_page_actions(), "/AA"),
        (pdf_with_embedded_file(), "内嵌的其他文件"),
        (pdf_with_xfa_form(), "XFA"),
    ], ids=["document-script", "open-action-script", "launch", "page-actions", "embedded-file", "xfa-form"])
    def test_a_pdf_with_active_content_is_refused_saying_what_it_holds(self, data, words):
        with pytest.raises(UnsupportedFileType) as raised:
            inspect_pdf(data, LIMIT)
        assert words in raised.value.message and "安全" in raised.value.message
        assert raised.value.http_status == 415

    @pytest.mark.parametrize(("data", "words"), [
        (html_before_pdf(), "文件头之前"),
        (b"%PDF-1.7\n%<html><script>alert(1)</script>\n" + make_pdf(pages=1)[9:], "网页代码"),
        (html_after_pdf(), "网页代码"),
    ], ids=["html-first", "html-in-the-first-kilobyte", "script-after-eof"])
    def test_an_html_pdf_polyglot_is_refused(self, data, words):
        with pytest.raises(UnsupportedFileType) as raised:
            inspect_pdf(data, LIMIT)
        assert words in raised.value.message

    def test_a_large_plain_pdf_stays_acceptable(self):
        assert inspect_pdf(make_pdf(pages=2, padding=3 * 1024 * 1024), LIMIT).pages == 2
