"""Decide from a file's bytes whether it is an acceptable PDF, and describe it.

The name and the declared content type of an upload are ignored: only the content counts. A PDF
must start with the ``%PDF-`` header, end with an ``%%EOF`` marker (a truncated upload does
not), open with pypdf, not be encrypted (reviewers must be able to read it) and have pages.
"""
import hashlib
import io
import logging
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from .exceptions import FileTooLarge, UnsupportedFileType

# pypdf logs every oddity of a malformed upload; the refusal message already says what matters.
logging.getLogger("pypdf").setLevel(logging.ERROR)

HEADER_WINDOW = 1024  # the PDF specification allows the header within the first 1024 bytes
TRAILER_WINDOW = 2048


@dataclass(frozen=True)
class PdfInfo:
    sha256: str
    size: int
    pages: int


def inspect_pdf(data: bytes, max_bytes: int) -> PdfInfo:
    """Return the PDF's digest, size and page count, or raise a Chinese error saying why it is refused."""
    if len(data) > max_bytes:
        raise FileTooLarge(f"文件大小 {_megabytes(len(data))} 超过上限 {_megabytes(max_bytes)}")
    if not data:
        raise UnsupportedFileType("文件为空,请上传 PDF 文件")
    if b"%PDF-" not in data[:HEADER_WINDOW]:
        raise UnsupportedFileType("文件内容不是 PDF,请上传 PDF 格式的扫描件")
    if b"%%EOF" not in data[-TRAILER_WINDOW:]:
        raise UnsupportedFileType("PDF 文件不完整(可能上传中断或文件已损坏),请重新导出后上传")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise UnsupportedFileType("PDF 文件已加密或设有打开密码,审核人员无法查看,请去除密码后上传")
        pages = len(reader.pages)
        for page in reader.pages:
            page.mediabox  # touching every page object finds broken cross-references
    except UnsupportedFileType:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError) as error:
        raise UnsupportedFileType(f"PDF 文件已损坏,无法打开({type(error).__name__})") from None
    if pages == 0:
        raise UnsupportedFileType("PDF 文件没有页面")
    return PdfInfo(sha256=hashlib.sha256(data).hexdigest(), size=len(data), pages=pages)


def _megabytes(size):
    return f"{size / 1024 / 1024:.1f} MB"
