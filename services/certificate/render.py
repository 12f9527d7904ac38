"""The certificate PDF: reportlab on an A4 landscape page, an embedded CJK TrueType font, a QR code
to the public verification page, the verification code and the signature's key id and value.

Rendering is deterministic (reportlab's invariant mode): the same certificate always gives the
same bytes, so a PDF re-rendered after a crash matches the one stored before it.
"""
import io
import math

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.colors import HexColor, white
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from .domain import face, printed_code
from shared.fonts import cjk_font

RED = HexColor("#9b1b1b")
GOLD = HexColor("#b8862b")
INK = HexColor("#1f1f1f")
GREY = HexColor("#5c5c5c")
PAGE = landscape(A4)


def render_certificate(fields, *, code, url, signature, key_id, font_path=None):
    """The PDF bytes of a certificate whose *fields* were signed (*signature*, by *key_id*)."""
    font = cjk_font(font_path)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=PAGE, invariant=1)
    canvas.setTitle(f"电子职称证书 {fields.number}")
    canvas.setAuthor(fields.issuing_body)
    canvas.setSubject(f"{fields.name} {fields.qualification}")
    _frame(canvas)
    _heading(canvas, font)
    _fields(canvas, font, fields)
    _qr(canvas, url, x=PAGE[0] - 78 * mm, y=PAGE[1] - 112 * mm, size=46 * mm)
    # The QR code is also a link, for whoever opens the PDF on a screen.
    canvas.linkURL(url, (PAGE[0] - 78 * mm, PAGE[1] - 112 * mm, PAGE[0] - 32 * mm, PAGE[1] - 66 * mm), relative=0)
    _verification(canvas, font, code, x=PAGE[0] - 55 * mm, y=PAGE[1] - 121 * mm)
    _issuer(canvas, font, fields, x=PAGE[0] - 55 * mm, y=50 * mm)
    _footer(canvas, font, key_id, signature, url)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _frame(canvas):
    width, height = PAGE
    canvas.setStrokeColor(RED)
    canvas.setLineWidth(3)
    canvas.rect(9 * mm, 9 * mm, width - 18 * mm, height - 18 * mm)
    canvas.setStrokeColor(GOLD)
    canvas.setLineWidth(0.8)
    canvas.rect(12.5 * mm, 12.5 * mm, width - 25 * mm, height - 25 * mm)


def _heading(canvas, font):
    width, height = PAGE
    canvas.setFillColor(RED)
    canvas.setFont(font, 30)
    canvas.drawCentredString(width / 2, height - 36 * mm, "专业技术资格证书")
    canvas.setFillColor(GREY)
    canvas.setFont(font, 12)
    canvas.drawCentredString(width / 2, height - 45 * mm, "(电子证书)")


def _fields(canvas, font, fields):
    label_x, value_x, top, row = 32 * mm, 62 * mm, PAGE[1] - 62 * mm, 8.1 * mm
    value_width = PAGE[0] - 92 * mm - value_x
    for index, (label, value) in enumerate(face(fields)):
        y = top - index * row
        canvas.setFillColor(GREY)
        canvas.setFont(font, 11.5)
        canvas.drawString(label_x, y, label)
        canvas.setFillColor(INK)
        size = _fitting_size(value, font, 13, value_width)
        canvas.setFont(font, size)
        canvas.drawString(value_x, y, value)
        canvas.setStrokeColor(HexColor("#d9c7a0"))
        canvas.setLineWidth(0.4)
        canvas.line(value_x, y - 2.2 * mm, value_x + value_width, y - 2.2 * mm)


def _fitting_size(text, font, size, width, smallest=7):
    """The largest font size up to *size* at which *text* fits in *width* (long unit names shrink)."""
    while size > smallest and stringWidth(text, font, size) > width:
        size -= 0.5
    return size


def _qr(canvas, url, *, x, y, size):
    """The QR code as vector squares (each dark run of a row drawn as one rectangle)."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(url)
    code.make(fit=True)
    matrix = code.get_matrix()
    cell = size / len(matrix)
    canvas.setFillColor(white)
    canvas.rect(x - 2 * cell, y - 2 * cell, size + 4 * cell, size + 4 * cell, stroke=0, fill=1)
    canvas.setFillColor(INK)
    for row_index, row in enumerate(matrix):
        column = 0
        while column < len(row):
            if not row[column]:
                column += 1
                continue
            start = column
            while column < len(row) and row[column]:
                column += 1
            canvas.rect(x + start * cell, y + size - (row_index + 1) * cell, (column - start) * cell, cell,
                        stroke=0, fill=1)


def _verification(canvas, font, code, *, x, y):
    canvas.setFillColor(GREY)
    canvas.setFont(font, 10)
    canvas.drawCentredString(x, y, "扫码查验真伪")
    canvas.setFillColor(INK)
    canvas.setFont(font, 13)
    canvas.drawCentredString(x, y - 7 * mm, f"验证码 {printed_code(code)}")


def _issuer(canvas, font, fields, *, x, y):
    """A red ring naming the issuing body, marking the electronic signature (not a seal image)."""
    radius = 19 * mm
    canvas.setStrokeColor(RED)
    canvas.setFillColor(RED)
    canvas.setLineWidth(1.6)
    canvas.circle(x, y, radius, stroke=1, fill=0)
    canvas.setLineWidth(0.6)
    canvas.circle(x, y, radius - 2.2 * mm, stroke=1, fill=0)
    _arc_text(canvas, font, fields.issuing_body, x, y, radius - 6.2 * mm, size=9.5)
    canvas.setFont(font, 10)
    canvas.drawCentredString(x, y - 1.5 * mm, "电子签名")


def _arc_text(canvas, font, text, cx, cy, radius, size):
    """*text* along the top of a circle, left to right, each character upright to the centre."""
    span = min(250.0, 22.0 * len(text))
    start = 90 + span / 2
    step = span / max(len(text) - 1, 1)
    canvas.setFont(font, size)
    for index, character in enumerate(text):
        angle = math.radians(start - index * step)
        canvas.saveState()
        canvas.translate(cx + radius * math.cos(angle), cy + radius * math.sin(angle))
        canvas.rotate(math.degrees(angle) - 90)
        canvas.drawCentredString(0, -size / 3, character)
        canvas.restoreState()


def _footer(canvas, font, key_id, signature, url):
    canvas.setFillColor(GREY)
    canvas.setFont(font, 8.5)
    base = url.split("?")[0]
    canvas.drawString(32 * mm, 24 * mm, f"本证书由发证机关以 Ed25519 电子签名签发(密钥标识 {key_id[:16]}),与纸质证书具有同等效力。")
    canvas.drawString(32 * mm, 19.5 * mm, f"查验方式:扫描二维码,或访问 {base} 输入证书编号和验证码。")
    canvas.setFont(font, 7)
    canvas.drawString(32 * mm, 15.5 * mm, f"签名值:{signature[:64]}…")
