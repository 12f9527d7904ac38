"""Files for upload tests, made on the fly: real PDFs, an encrypted one, a PNG, a truncated PDF."""
import io
import struct
import zlib

from pypdf import PdfWriter


def make_pdf(pages=2, padding=0):
    """A real PDF with *pages* blank A4 pages; *padding* adds an embedded blob to reach a size."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if padding:
        writer.add_attachment("padding.bin", b"\0" * padding)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


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
