"""Files for upload tests, made on the fly: real PDFs, an encrypted one, a PNG, a truncated PDF, and
hostile ones — active content (JavaScript, launch actions, embedded files, scripted forms) and
HTML/PDF polyglots — that must be refused."""
import io
import struct
import zlib

from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject, TextStringObject


def _written(writer):
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _blank(pages=1):
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    return writer


def make_pdf(pages=2, padding=0):
    """A real PDF with *pages* blank A4 pages; *padding* bytes of whitespace in the first page's
    content stream bring it to a size (inert: an embedded file would be refused)."""
    writer = _blank(pages)
    if padding:
        content = DecodedStreamObject()
        content.set_data(b" " * padding)
        writer.pages[0][NameObject("/Contents")] = writer._add_object(content)
    return _written(writer)


def _action(kind, **entries):
    return DictionaryObject({NameObject("/S"): NameObject(kind),
                             **{NameObject(f"/{key}"): value for key, value in entries.items()}})


def pdf_with_javascript():
    """A document-level script (the /Names /JavaScript tree)."""
    writer = _blank()
    writer.add_js("app.alert('hello');")
    return _written(writer)


def pdf_with_open_action(kind="/JavaScript"):
    """``/OpenAction`` running a script (or, with ``/Launch``, a program) when the file is opened."""
    writer = _blank()
    action = (_action(kind, JS=TextStringObject("app.alert(1);")) if kind == "/JavaScript"
              else _action(kind, F=TextStringObject("calc.exe")))
    writer._root_object[NameObject("/OpenAction")] = action
    return _written(writer)


def pdf_with_page_actions():
    """A page whose additional actions (/AA) run a script when it is opened."""
    writer = _blank()
    open_page = _action("/JavaScript", JS=TextStringObject("app.alert(2);"))
    writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): open_page})
    return _written(writer)


def pdf_with_embedded_file():
    writer = _blank()
    writer.add_attachment("invoice.exe", b"MZ not really a program")
    return _written(writer)


def pdf_with_xfa_form():
    """An AcroForm carrying an XFA (scripted, dynamic) form."""
    writer = _blank()
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject({
        NameObject("/Fields"): ArrayObject(),
        NameObject("/XFA"): TextStringObject("<xdp:xdp><script>app.alert(3)</script></xdp:xdp>")})
    return _written(writer)


def html_before_pdf():
    """An HTML page with a PDF after it: browsers sniff HTML, PDF readers find the header later."""
    return b"<html><body><script>alert(document.cookie)</script></body></html>\n" + make_pdf(pages=1)


def html_after_pdf():
    """A real PDF with a script appended after its ``%%EOF``."""
    return make_pdf(pages=1) + b"<script>alert(document.cookie)</script>\n"


def encrypted_pdf():
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt(user_password="secret", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def truncated_pdf():
    data = make_pdf(pages=3)
    return data[: len(data) // 2]


def png_bytes():
    """A valid 1×1 PNG, to be uploaded under a .pdf name."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0\0")) + chunk(b"IEND", b"")
