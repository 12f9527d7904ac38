"""The payment receipt (电子缴费凭证) as a PDF: reportlab with an embedded CJK TrueType font.

Times on the document are Asia/Shanghai; amounts appear in figures and in capital numerals, as on
any Chinese receipt. The receipt is rendered on request from the order, never stored.
"""
import io
from datetime import datetime

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.lib.styles import ParagraphStyle

from shared.clock import beijing_text
from shared.titles import LEVELS, SERIES

from .domain import KIND_LABELS, ORDER_STATUS_LABELS, REFUNDED, REFUNDING, yuan, yuan_in_words
from shared.fonts import cjk_font

PROVIDER_LABELS = {"simulator": "模拟支付平台(开发演示)"}


def local_time(moment):
    return beijing_text(moment, "%Y-%m-%d %H:%M:%S") + "(北京时间)" if moment else ""


def receipt_rows(order, payee):
    """The receipt's label/value pairs: what the PDF shows, and what tests read back."""
    return [
        ("凭证编号", order["order_id"]),
        ("缴费人", order["applicant_name"]),
        ("评审年度", f"{order['review_year']}年度"),
        ("申报系列", SERIES.get(order["series"], order["series"])),
        ("申报专业", order["specialty"]),
        ("申报级别", LEVELS.get(order["level"], order["level"])),
        ("收费项目", KIND_LABELS.get(order["kind"], order["kind"])),
        ("金额(小写)", f"¥{yuan(order['amount_fen'])}"),
        ("金额(大写)", yuan_in_words(order["amount_fen"])),
        ("支付渠道", PROVIDER_LABELS.get(order["provider"], order["provider"] or "")),
        ("交易流水号", order["trade_no"] or ""),
        ("支付时间", local_time(order["paid_at"])),
        ("订单状态", ORDER_STATUS_LABELS[order["status"]]),
        ("收款单位", payee),
    ]


def render_receipt(order, *, payee, issued_at: datetime, font_path=None):
    """The receipt PDF of a paid (or since refunded) order, as bytes."""
    font = cjk_font(font_path)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=22 * mm, rightMargin=22 * mm, topMargin=25 * mm,
                                 bottomMargin=20 * mm, title=f"缴费凭证 {order['order_id']}", author=payee,
                                 invariant=1)
    title = ParagraphStyle("title", fontName=font, fontSize=20, leading=28, alignment=1)
    note = ParagraphStyle("note", fontName=font, fontSize=10, leading=16, wordWrap="CJK", textColor=colors.HexColor("#444444"))
    table = Table([[label, value] for label, value in receipt_rows(order, payee)], colWidths=[38 * mm, 120 * mm])
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), font),
        ("FONTSIZE", (0, 0), (-1, -1), 11),
        ("LEADING", (0, 0), (-1, -1), 16),
        ("GRID", (0, 0), (-1, -1), 0.6, colors.HexColor("#7a7a7a")),
        ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f1f1f1")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
    ]))
    item = KIND_LABELS.get(order["kind"], order["kind"])
    story = [Paragraph(f"昆明市{item}电子缴费凭证", title), Spacer(1, 8 * mm), table, Spacer(1, 8 * mm)]
    if order["status"] in (REFUNDING, REFUNDED):
        story.append(Paragraph("注:该笔款项因撤销申报或订单关闭已办理原路退款,以退款到账为准。", note))
    story.append(Paragraph(f"开具时间:{local_time(issued_at)}。本凭证由昆明市职称申报评审系统自动生成,"
                           f"可作为缴纳{item}的证明;凭证编号可在系统中查验。", note))
    document.build(story)
    return buffer.getvalue()
