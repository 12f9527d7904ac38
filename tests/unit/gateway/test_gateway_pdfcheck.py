"""Uploads are judged by their content: only readable, unencrypted, complete PDFs within the limit pass."""
import hashlib

import pytest

from gateway.exceptions import FileTooLarge, UnsupportedFileType
from gateway.pdfcheck import inspect_pdf
from tests.pdfs import encrypted_pdf, make_pdf, png_bytes, truncated_pdf

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
