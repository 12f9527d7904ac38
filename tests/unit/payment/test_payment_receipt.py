"""The receipt PDF embeds a CJK font and its text holds every field (read back with pypdf)."""
import io
from datetime import datetime, timezone

from pypdf import PdfReader

from services.payment.receipt import receipt_rows, render_receipt
from shared.clock import utc_now

ORDER = {
    "order_id": "PO20260301ABCDEF123456", "applicant_name": "李明", "review_year": 2026, "series": "engineering",
    "specialty": "土木工程", "level": "intermediate", "kind": "review_fee", "amount_fen": 16000,
    "provider": "simulator", "trade_no": "SIM20260301000000000001", "status": "paid",
    "paid_at": datetime(2026, 3, 1, 2, 30, tzinfo=timezone.utc),
}


def text_of(pdf):
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_receipt_holds_every_field_with_beijing_time_and_capital_amount():
    pdf = render_receipt(ORDER, payee="昆明市人力资源和社会保障局", issued_at=datetime(2026, 3, 2, tzinfo=timezone.utc))
    text = text_of(pdf)
    for expected in ("电子缴费凭证", "李明", "工程", "土木工程", "中级", "职称评审费", "¥160.00", "人民币壹佰陆拾元整",
                     "SIM20260301000000000001", "2026-03-01 10:30:00", "昆明市人力资源和社会保障局", ORDER["order_id"]):
        assert expected in text, expected


def test_the_chinese_font_is_embedded_not_referenced():
    pdf = render_receipt(ORDER, payee="昆明市人力资源和社会保障局", issued_at=datetime(2026, 3, 2, tzinfo=timezone.utc))
    reader = PdfReader(io.BytesIO(pdf))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    descriptors = [font.get_object()["/FontDescriptor"].get_object() for font in fonts.values()
                   if "/FontDescriptor" in font.get_object()]
    assert any("/FontFile2" in descriptor for descriptor in descriptors)


def test_a_refunded_order_says_so():
    pdf = render_receipt(dict(ORDER, status="refunded"), payee="昆明市人社局", issued_at=utc_now())
    assert "原路退款" in text_of(pdf) and "已退款" in text_of(pdf)


def test_rows_name_the_provider_for_people():
    assert dict(receipt_rows(ORDER, "x"))["支付渠道"] == "模拟支付平台(开发演示)"
