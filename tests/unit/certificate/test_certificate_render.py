"""The certificate PDF: fields readable by pypdf, the CJK font embedded with a glyph for every
character, the QR link to the verification page, deterministic bytes, and a PNG for people to look at.

The PNG goes to test-artifacts/certificates/ (pdftoppm from poppler-utils); look at it after a
change to the layout: Chinese must render as characters, not boxes.
"""
import io
import shutil
import subprocess
from pathlib import Path

import pytest
import qrcode
from PIL import Image
from pypdf import PdfReader
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics

from services.certificate.domain import face, verification_code, verify_url
from shared.fonts import cjk_font
from services.certificate.render import PAGE, render_certificate
from services.certificate.signing import CertificateSigner
from shared.tokens import SigningKey
from tests.unit.certificate.certificate_samples import FIELDS

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "certificates"
SIGNER = CertificateSigner(SigningKey.generate(), {})
SIGNATURE = SIGNER.sign(FIELDS)
CODE = verification_code(SIGNATURE)
URL = verify_url("http://127.0.0.1:8000/certificates/verify", FIELDS.number, CODE)


@pytest.fixture(scope="module")
def pdf():
    return render_certificate(FIELDS, code=CODE, url=URL, signature=SIGNATURE, key_id=SIGNER.key_id)


def test_the_text_holds_every_field_the_code_and_the_key_id(pdf):
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    for label, value in face(FIELDS):
        assert label in text and value in text, label
    assert "专业技术资格证书" in text and f"验证码 {CODE[:4]}-{CODE[4:]}" in text and SIGNER.key_id[:16] in text


def test_the_qr_code_links_to_the_verification_page(pdf):
    annotations = [annotation.get_object() for annotation in PdfReader(io.BytesIO(pdf)).pages[0]["/Annots"]]
    assert [annotation["/A"]["/URI"] for annotation in annotations] == [URL]


def test_the_font_is_embedded_and_has_a_glyph_for_every_character_printed(pdf):
    font = pdfmetrics.getFont(cjk_font())
    printed = "".join(value + label for label, value in face(FIELDS)) + "专业技术资格证书电子签名扫码查验真伪"
    missing = {character for character in printed if ord(character) not in font.face.charToGlyph}
    assert missing == set()
    reader = PdfReader(io.BytesIO(pdf))
    fonts = reader.pages[0]["/Resources"]["/Font"].values()
    assert any("/FontFile2" in font.get_object().get("/FontDescriptor", {}) for font in fonts)


def test_rendering_is_deterministic(pdf):
    assert render_certificate(FIELDS, code=CODE, url=URL, signature=SIGNATURE, key_id=SIGNER.key_id) == pdf


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) is not installed")
def test_the_page_renders_to_a_png_for_review(pdf, tmp_path):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    source = tmp_path / "certificate.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-singlefile", str(source), str(ARTIFACTS / "certificate")],
                   check=True)
    png = ARTIFACTS / "certificate.png"
    with Image.open(png) as image:
        width, height = image.size
        assert width > height > 600  # A4 landscape at 80 dpi
        # the red title is there: the top band holds red pixels
        band = image.convert("RGB").crop((width // 3, int(height * 0.1), 2 * width // 3, int(height * 0.2)))
        pixels = band.tobytes()
        red = sum(1 for i in range(0, len(pixels), 3) if pixels[i] > 120 and pixels[i + 1] < 80 and pixels[i + 2] < 80)
        assert red > 500
    fonts = subprocess.run(["pdffonts", str(source)], capture_output=True, text=True).stdout
    assert "yes yes yes" in " ".join(fonts.split()) and "Type 3" not in fonts


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) is not installed")
def test_the_printed_qr_code_is_the_code_of_the_verification_url(pdf, tmp_path):
    """Sample every module of the QR code on the rendered page and compare with the URL's QR matrix."""
    dpi = 300
    source = tmp_path / "certificate.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-singlefile", str(source), str(tmp_path / "page")], check=True)
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(URL)
    code.make(fit=True)
    matrix = code.get_matrix()
    scale, size = dpi / 72, 46 * mm
    left, top = (PAGE[0] - 78 * mm) * scale, (PAGE[1] - (PAGE[1] - 112 * mm + size)) * scale
    cell = size * scale / len(matrix)
    with Image.open(tmp_path / "page.png") as image:
        gray = image.convert("L")
        printed = [[gray.getpixel((int(left + (column + 0.5) * cell), int(top + (row + 0.5) * cell))) < 128
                    for column in range(len(matrix))] for row in range(len(matrix))]
    assert printed == matrix
