"""Decide from a file's bytes whether it is an acceptable PDF, and describe it.

The name and the declared content type of an upload are ignored: only the content counts. A PDF
must start with the ``%PDF-`` header, end with an ``%%EOF`` marker (a truncated upload does
not), open with pypdf, not be encrypted (reviewers must be able to read it) and have pages.

Evidence must also be inert, because reviewers open it in their browsers: a file with JavaScript,
a launch or form-submission action, automatic actions (/AA), embedded files, a scripted (XFA) form
or rich media is refused with the reason, and so is an HTML/PDF polyglot — anything before the
``%PDF-`` header, or web markup near the start or after the last ``%%EOF`` (where a browser
sniffing the file would find it). Every object pypdf can reach is inspected, its names decoded
(``/J#61vaScript`` is ``/JavaScript``), including objects inside compressed object streams.
"""
import hashlib
import io
import logging
import re
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.errors import PdfReadError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from .exceptions import FileTooLarge, UnsupportedFileType

# pypdf logs every oddity of a malformed upload; the refusal message already says what matters.
logging.getLogger("pypdf").setLevel(logging.ERROR)

HEADER_WINDOW = 1024  # the PDF specification allows the header within the first 1024 bytes
TRAILER_WINDOW = 2048
MAX_OBJECTS = 500_000  # far above any scan or export; past it the structure is refused, not walked
# Markup a browser that sniffs the bytes would take for a web page.
WEB_MARKUP = re.compile(rb"<\s*(?:!doctype|html|head|body|script|iframe|object|embed|svg|img|meta|style)", re.I)
SAFE_AGAIN = "请用扫描或“打印为 PDF”重新生成不含该内容的文件后上传"
# Dictionary keys, and values of /S (action), /Type and /Subtype, that make a PDF active.
ACTIVE_KEYS = {
    "/JS": "JavaScript 脚本(/JS)", "/JavaScript": "JavaScript 脚本(/JavaScript)", "/AA": "打开或浏览时自动执行的动作(/AA)",
    "/EmbeddedFiles": "内嵌的其他文件(/EmbeddedFiles)", "/EF": "内嵌的其他文件(/EF)", "/XFA": "带脚本的动态表单(XFA)",
    "/RichMediaContent": "多媒体内容",
}
ACTIVE_VALUES = {
    "/JavaScript": "JavaScript 脚本(/JavaScript)", "/Launch": "启动外部程序的动作(/Launch)", "/SubmitForm": "提交表单的动作",
    "/ImportData": "导入数据的动作", "/EmbeddedFile": "内嵌的其他文件", "/FileAttachment": "附件注释(内嵌的其他文件)",
    "/RichMedia": "多媒体内容", "/RichMediaExecute": "多媒体内容",
}
ACTIVE_VALUE_KEYS = ("/S", "/Type", "/Subtype")


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
    check_not_polyglot(data)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise UnsupportedFileType("PDF 文件已加密或设有打开密码,审核人员无法查看,请去除密码后上传")
        pages = len(reader.pages)
        for page in reader.pages:
            _ = page.mediabox  # touching every page object finds broken cross-references
        check_inert(reader)
    except UnsupportedFileType:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError) as error:
        raise UnsupportedFileType(f"PDF 文件已损坏,无法打开({type(error).__name__})") from None
    if pages == 0:
        raise UnsupportedFileType("PDF 文件没有页面")
    return PdfInfo(sha256=hashlib.sha256(data).hexdigest(), size=len(data), pages=pages)


def check_not_polyglot(data: bytes):
    """Refuse a file that is also something else: bytes before the header, or web markup where a
    browser sniffing it would look (the first kilobyte, anything after the last ``%%EOF``)."""
    if not data.startswith(b"%PDF-"):
        raise UnsupportedFileType("文件在 PDF 文件头之前还有其他内容,可能是伪装成 PDF 的其他文件,不能上传;" + SAFE_AGAIN)
    found = WEB_MARKUP.search(data[:HEADER_WINDOW]) or WEB_MARKUP.search(data[data.rfind(b"%%EOF"):])
    if found:
        markup = found.group().decode("ascii", "replace").strip()
        raise UnsupportedFileType(f"文件中含有网页代码({markup}),可能是伪装成 PDF 的网页,不能上传;" + SAFE_AGAIN)


def check_inert(reader: PdfReader):
    """Refuse a PDF with active content, naming what was found (see ACTIVE_KEYS and ACTIVE_VALUES)."""
    found = active_content(reader)
    if found:
        raise UnsupportedFileType(f"PDF 文件含有{found},出于安全原因不能上传;" + SAFE_AGAIN)


def active_content(reader: PdfReader):
    """What active content the PDF holds (a Chinese phrase), or None. Walks every object reachable from
    the trailer and every object the cross-reference table lists, even an unreferenced one."""
    stack = [reader.trailer, *_listed_objects(reader)]
    seen, walked = set(), 0
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            if (item.idnum, item.generation) in seen:
                continue
            seen.add((item.idnum, item.generation))
            item = item.get_object()
        walked += 1
        if walked > MAX_OBJECTS:
            return "过多的对象(结构异常)"
        if isinstance(item, DictionaryObject):
            for key, value in item.items():
                if key in ACTIVE_KEYS:
                    return ACTIVE_KEYS[key]
                if key in ACTIVE_VALUE_KEYS and isinstance(value, str) and value in ACTIVE_VALUES:
                    return ACTIVE_VALUES[value]
                stack.append(value)
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return None


def _listed_objects(reader):
    """An indirect reference to every object of the cross-reference table and of the object streams."""
    listed = [IndirectObject(idnum, generation, reader) for generation, objects in reader.xref.items()
              for idnum in objects]
    return listed + [IndirectObject(idnum, 0, reader) for idnum in reader.xref_objStm]


def _megabytes(size):
    return f"{size / 1024 / 1024:.1f} MB"
