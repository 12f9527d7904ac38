"""The meeting record's PDF: reportlab platypus on A4, every glyph in the embedded CJK TrueType font
(shared/fonts.py), the dossiers' results as a table that breaks across pages under a repeated
header, and a closing block with the record number, the content's SHA-256, the key id, the
signature, the verification address and its QR code.

Rendering is deterministic (reportlab's invariant mode): the same content and signature always give
the same bytes, so a PDF re-rendered after a failed store matches the SHA-256 signed at close.
"""
import io
from xml.sax.saxutils import escape

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.colors import HexColor
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from shared.fonts import cjk_font

INK = HexColor("#1f1f1f")
GREY = HexColor("#5c5c5c")
RULE = HexColor("#9b1b1b")
HEADER_FILL = HexColor("#f1e9e0")
LINE = HexColor("#b9b0a6")
MARGIN = 18 * mm
WIDTH = A4[0] - 2 * MARGIN
# 序号 申报人 工作单位 系列·级别·专业 回避 参加表决 同意 不同意 弃权 须同意 结果 (mm; they add up to WIDTH)
RESULT_COLUMNS = [9, 19, 36, 30, 10, 12, 10, 12, 10, 12, 14]
RESULT_HEADER = ["序号", "申报人", "工作单位", "系列 · 级别 · 专业", "回避", "参加表决", "同意", "不同意", "弃权",
                 "须同意", "结果"]


def render_record(content, *, content_sha256, key_id, signature, url, font_path=None):
    """The PDF bytes of the record whose canonical *content* was signed (*signature*, by *key_id*)."""
    font = cjk_font(font_path)
    styles = _styles(font)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=20 * mm, bottomMargin=18 * mm,
        title=f"{content['title']} {content['number']}", author=content["committee"]["organising_body"],
        subject=content["meeting"]["title"], creator="昆明市职称评审系统", invariant=1,
        initialFontName=font)  # every font in the file is the embedded one, not even the canvas's first
    story = [
        *_heading(content, styles), *_overview(content, styles), *_draw(content, styles), *_results(content, styles),
        *_leads(content, styles), _seal(content, styles, content_sha256, key_id, signature, url),
    ]
    document.build(story, canvasmaker=_numbered_canvas(font, content["number"], content["committee"]["name"]))
    return buffer.getvalue()


def _styles(font):
    def style(name, size, **extra):
        return ParagraphStyle(name, **{"fontName": font, "fontSize": size, "leading": size * 1.45, "textColor": INK,
                                       "wordWrap": "CJK", **extra})

    return {
        "title": style("title", 18, alignment=TA_CENTER, spaceAfter=2 * mm, textColor=RULE),
        "subtitle": style("subtitle", 10.5, alignment=TA_CENTER, textColor=GREY),
        "h2": style("h2", 12, spaceBefore=5 * mm, spaceAfter=2 * mm, textColor=RULE),
        "body": style("body", 10),
        "small": style("small", 8.5, textColor=GREY),
        "cell": style("cell", 8.5),
        "head": style("head", 8.5, alignment=TA_CENTER),
        "number": style("number", 8.5, alignment=TA_CENTER),
        "lead": style("lead", 9.5, leftIndent=4 * mm, spaceAfter=1.5 * mm),
        "mono": style("mono", 8, textColor=INK),
    }


def _text(value):
    return escape(str(value if value is not None else ""))


def _table_style(styles, commands):
    # A table sets its cell font even around paragraphs: the embedded one, or Helvetica is named unembedded.
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), styles["body"].fontName), *commands])


def _heading(content, styles):
    return [
        Paragraph(_text(content["title"]), styles["title"]),
        Paragraph(f"{_text(content['committee']['name'])} · 纪要编号 {_text(content['number'])}", styles["subtitle"]),
        Spacer(1, 3 * mm),
    ]


def _key_values(rows, styles, label_width=32 * mm, width=WIDTH):
    """Label and value rows; each value is Paragraph markup (escaped by the caller)."""
    table = Table([[Paragraph(_text(label), styles["small"]), Paragraph(value, styles["body"])] for label, value in rows],
                  colWidths=[label_width, width - label_width])
    table.setStyle(_table_style(styles, [
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEBELOW", (0, 0), (-1, -1), 0.3, LINE),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]))
    return table


def _overview(content, styles):
    committee, meeting, experts, summary = (content["committee"], content["meeting"], content["experts"],
                                            content["summary"])
    band = "、".join(committee["levels"])
    voting = _span(meeting["opened_at"], meeting["closed_at"])
    rows = [
        ("评审委员会", _text(committee["name"])),
        ("组建单位", _text(committee["organising_body"] or "—")),
        ("评审范围", _text(f"{committee['series']}系列 · {band}" if band else f"{committee['series']}系列")),
        ("会议名称", _text(meeting["title"])),
        ("会议日期", _text(meeting["date"])),
        ("表决时间", _text(voting) + "(北京时间)"),
        ("评审专家", _text(f"抽取 {experts['drawn']} 人,出席 {experts['attending']} 人,缺席 {experts['absent']} 人"
                          f"(法定出席人数 {experts['quorum_required']} 人,出席比例 {experts['quorum_share']})")),
        ("通过条件", _text(f"同意票不少于出席且未回避专家人数的 {content['pass_share']}(向上取整)")),
        ("评审结果", _text(f"共评审 {summary['dossiers']} 件,通过 {summary['carried']} 件,"
                          f"未通过 {summary['not_carried']} 件")),
    ]
    return [Paragraph("一、会议概况", styles["h2"]), _key_values(rows, styles)]


def _span(opened, closed):
    """``2026-05-12 09:30 至 12:05``; the closing date is repeated only when it is another day."""
    if opened and closed:
        return f"{opened} 至 {closed[11:] if closed[:10] == opened[:10] else closed}"
    return opened or closed or "—"


def _draw(content, styles):
    draw = content["draw"]
    replay = ("复核一致:以记录的种子与候选名单重新抽取,结果与记录相同" if draw["replay_matches"]
              else "复核不一致:以记录的种子与候选名单重新抽取的结果与记录不同,请联系审计人员")
    rows = [
        ("抽取种子", f"<font size=8.5>{_text(draw['seed'])}</font>"),
        ("候选与排除", _text(f"候选 {draw['candidates']} 人,排除 {draw['excluded']} 人,抽取 {draw['drawn']} 人")),
        ("抽取复核", _text(replay)),
    ]
    return [Paragraph("二、专家随机抽取与复核", styles["h2"]), _key_values(rows, styles)]


def _results(content, styles):
    header = [Paragraph(label, styles["head"]) for label in RESULT_HEADER]
    rows = [header]
    for entry in content["dossiers"]:
        kind = " · ".join(part for part in (entry["series"], entry["level"]) if part)
        described = "<br/>".join(_text(part) for part in (kind, entry["specialty"]) if part) or "—"
        tally = entry["tally"] or {}
        numbers = [tally.get(name, "—") for name in ("voters", "agree", "disagree", "abstain", "required")]
        rows.append([
            Paragraph(str(entry["position"]), styles["number"]), Paragraph(_text(entry["applicant_name"]), styles["cell"]),
            Paragraph(_text(entry["unit_name"]), styles["cell"]), Paragraph(described, styles["cell"]),
            Paragraph(str(entry["recused"]), styles["number"]),
            *[Paragraph(_text(number), styles["number"]) for number in numbers],
            Paragraph(_text(entry["outcome"]), styles["number"]),
        ])
    table = Table(rows, colWidths=[width * mm for width in RESULT_COLUMNS], repeatRows=1)
    table.setStyle(_table_style(styles, [
        ("GRID", (0, 0), (-1, -1), 0.4, LINE), ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2), ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
    ]))
    story = [Paragraph("三、表决结果汇总", styles["h2"]), table, Spacer(1, 2 * mm),
             Paragraph("投票为无记名投票;本表只载明计票结果,不载明任何专家的表决意见。回避:出席专家中须回避该件表决的"
                       "人数;参加表决:出席且未回避的专家人数。", styles["small"])]
    check = content.get("tally_check")
    if check:
        verdict = "通过" if check["ok"] else "未通过"
        detail = f"({_text(check['detail'])})" if check.get("detail") else ""
        story.append(Paragraph(f"计票核验:{verdict}{detail}", styles["body"]))
    return story


def _leads(content, styles):
    story = [Paragraph("四、主审意见", styles["h2"])]
    with_leads = [entry for entry in content["dossiers"] if entry["leads"]]
    if not with_leads:
        return story + [Paragraph("本次会议未指定主审专家。", styles["body"])]
    for entry in with_leads:
        block = [Paragraph(_text(f"{entry['position']}. {entry['applicant_name']}({entry['unit_name']})"),
                           styles["body"])]
        for lead in entry["leads"]:
            opinion = _text(lead["opinion"]).replace("\n", "<br/>") if lead["opinion"] else "(未提交主审意见)"
            block.append(Paragraph(f"主审专家 {_text(lead['name'])}:{opinion}", styles["lead"]))
        story.append(KeepTogether(block[:2]))
        story.extend(block[2:])
    return story


def _seal(content, styles, content_sha256, key_id, signature, url):
    rows = [
        ("纪要编号", _text(content["number"])),
        ("内容 SHA-256", f"<font size=8>{_text(content_sha256)}</font>"),
        ("签名密钥标识", f"<font size=8>{_text(key_id)}</font>"),
        ("电子签名", f"<font size=8>{_text(signature)}</font>"),
        ("查验地址", f'<link href="{_text(url)}"><font size=8.5>{_text(url)}</font></link>'),
    ]
    table = _key_values(rows, styles, label_width=26 * mm, width=WIDTH - 32 * mm)
    qr = QrCode(url, 28 * mm)
    block = Table([[table, qr]], colWidths=[WIDTH - 32 * mm, 32 * mm])
    block.setStyle(_table_style(styles, [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("ALIGN", (1, 0), (1, 0), "RIGHT")]))
    return KeepTogether([
        Paragraph("五、签发与查验", styles["h2"]), block, Spacer(1, 2 * mm),
        Paragraph("本纪要由评审系统在结束表决时根据表决记录生成,并由评审服务以 Ed25519 电子签名签发。查验方式:访问查验"
                  "地址(或扫描二维码),输入纪要编号并上传本 PDF 文件或填写其 SHA-256;文件的任何改动都会使查验结果为无效。",
                  styles["small"]),
    ])


class QrCode(Flowable):
    """The verification address as a QR code of vector squares (each dark run of a row one rectangle)."""

    def __init__(self, url, size):
        super().__init__()
        code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
        code.add_data(url)
        code.make(fit=True)
        self.matrix, self.size = code.get_matrix(), size
        self.width = self.height = size

    def draw(self):
        cell = self.size / len(self.matrix)
        self.canv.setFillColor(INK)
        for row_index, row in enumerate(self.matrix):
            column = 0
            while column < len(row):
                if not row[column]:
                    column += 1
                    continue
                start = column
                while column < len(row) and row[column]:
                    column += 1
                self.canv.rect(start * cell, self.size - (row_index + 1) * cell, (column - start) * cell, cell,
                               stroke=0, fill=1)


def _numbered_canvas(font, number, committee_name):
    """A canvas that holds its pages until the end, so each page's footer can say 第 n 页,共 m 页."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for index, state in enumerate(self._pages, 1):
                self.__dict__.update(state)
                self._margins(index, total)
                super().showPage()
            super().save()

        def _margins(self, index, total):
            width, height = A4
            self.setStrokeColor(RULE)
            self.setLineWidth(0.6)
            self.line(MARGIN, height - 14 * mm, width - MARGIN, height - 14 * mm)
            self.setFillColor(GREY)
            self.setFont(font, 8)
            self.drawString(MARGIN, height - 12.5 * mm, committee_name)
            self.drawRightString(width - MARGIN, height - 12.5 * mm, "表决结果汇总表 / 评审会议纪要")
            self.drawString(MARGIN, 10 * mm, f"纪要编号 {number}")
            self.drawRightString(width - MARGIN, 10 * mm, f"第 {index} 页,共 {total} 页")

    return NumberedCanvas
