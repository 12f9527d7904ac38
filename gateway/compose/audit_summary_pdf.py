"""The audit package's PDF summary (审计包摘要): which dossier, its chain and its check, every event in
words (Beijing time, who, what), every material with its SHA-256, and who exported it when.

reportlab platypus on A4, every glyph in the embedded CJK TrueType font (shared/fonts.py), as the
meeting record (services/review/record_render.py). The summary is for people; what proves the history
is the package's event records and its signature (shared/audit_package.py), which the PDF names.
"""
import io
from xml.sax.saxutils import escape

from reportlab.lib.colors import HexColor
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from shared.fonts import cjk_font

INK, GREY, RULE = HexColor("#1f1f1f"), HexColor("#5c5c5c"), HexColor("#9b1b1b")
HEADER_FILL, LINE = HexColor("#f1e9e0"), HexColor("#b9b0a6")
MARGIN = 16 * mm
WIDTH = A4[0] - 2 * MARGIN
# 版本 时间 操作人 事件 (mm; they add up to WIDTH)
EVENT_COLUMNS = [12, 32, 50, 84]
# 材料 类别 大小 挂载/撤下 SHA-256
MATERIAL_COLUMNS = [40, 24, 18, 22, 74]


def render_summary(content, font_path=None):
    """The PDF bytes of *content*: ``{dossier: {id, applicant_name, unit_name, review_year, series, level,
    status}, chain: {events, head_hash, check}, events: [{version, at, actor, what}], materials: [{filename,
    category, size, versions, sha256}], exported: {at, by}}`` — every value already in words."""
    font = cjk_font(font_path)
    styles = _styles(font)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=18 * mm,
                                 bottomMargin=16 * mm, title=f"审计包摘要 {content['dossier']['id']}",
                                 author="昆明市职称评审系统", creator="昆明市职称评审系统", invariant=1,
                                 initialFontName=font)
    story = [Paragraph("申报材料审计包摘要", styles["title"]),
             Paragraph(_text(f"申报材料编号 {content['dossier']['id']}"), styles["subtitle"]), Spacer(1, 3 * mm),
             *_overview(content, styles), *_events(content, styles), *_materials(content, styles),
             *_how_to_check(styles)]
    document.build(story)
    return buffer.getvalue()


def _styles(font):
    def style(name, size, **extra):
        return ParagraphStyle(name, **{"fontName": font, "fontSize": size, "leading": size * 1.45, "textColor": INK,
                                       "wordWrap": "CJK", **extra})

    return {"title": style("title", 17, alignment=TA_CENTER, spaceAfter=2 * mm, textColor=RULE),
            "subtitle": style("subtitle", 9.5, alignment=TA_CENTER, textColor=GREY),
            "h2": style("h2", 12, spaceBefore=5 * mm, spaceAfter=2 * mm, textColor=RULE),
            "body": style("body", 9.5), "small": style("small", 8.5, textColor=GREY), "cell": style("cell", 8),
            "mono": style("mono", 7, wordWrap=None)}


def _text(value):
    return escape(str(value if value not in (None, "") else "—"))


def _table_style(font, commands):
    # A table sets its cell font even around paragraphs: the embedded one, or Helvetica is named unembedded.
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), font), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                       ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2), *commands])


def _overview(content, styles):
    dossier, chain, exported = content["dossier"], content["chain"], content["exported"]
    rows = [("申报人", dossier["applicant_name"]), ("工作单位", dossier["unit_name"]),
            ("评审年度 · 系列 · 级别", f"{dossier['review_year']} 年 · {dossier['series']} · {dossier['level']}"),
            ("当前状态", dossier["status"]), ("事件数", f"{chain['events']} 版"),
            ("链头哈希(SHA-256)", chain["head_hash"]), ("哈希链校验", chain["check"]),
            ("导出时间", f"{exported['at']}(北京时间)"), ("导出人", exported["by"])]
    table = Table([[Paragraph(_text(label), styles["small"]),
                    Paragraph(_text(value), styles["mono"] if "哈希(" in label else styles["body"])]
                   for label, value in rows], colWidths=[38 * mm, WIDTH - 38 * mm])
    table.setStyle(_table_style(styles["body"].fontName, [("LINEBELOW", (0, 0), (-1, -1), 0.3, LINE)]))
    return [Paragraph("一、申报材料与校验结果", styles["h2"]), table]


def _grid(header, rows, widths, styles):
    cells = [[Paragraph(_text(cell), styles["cell"]) for cell in header]]
    cells += [[Paragraph(_text(cell), styles["mono"] if index == len(row) - 1 and len(str(cell)) == 64 else styles["cell"])
               for index, cell in enumerate(row)] for row in rows]
    table = Table(cells, colWidths=[width * mm for width in widths], repeatRows=1)
    table.setStyle(_table_style(styles["body"].fontName, [
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL), ("GRID", (0, 0), (-1, -1), 0.3, LINE)]))
    return table


def _events(content, styles):
    rows = [[event["version"], event["at"], event["actor"], event["what"]] for event in content["events"]]
    return [Paragraph(f"二、事件记录(共 {len(rows)} 版,时间为北京时间)", styles["h2"]),
            _grid(["版本", "时间", "操作人", "事件"], rows, EVENT_COLUMNS, styles)]


def _materials(content, styles):
    rows = [[item["filename"], item["category"], item["size"], item["versions"], item["sha256"]]
            for item in content["materials"]]
    if not rows:
        return [Paragraph("三、材料", styles["h2"]), Paragraph("该申报材料未曾上传附件材料。", styles["body"])]
    return [Paragraph(f"三、材料(曾上传的全部材料,共 {len(rows)} 件)", styles["h2"]),
            _grid(["文件名", "类别", "大小(字节)", "挂载 / 撤下版本", "SHA-256"], rows, MATERIAL_COLUMNS, styles)]


def _how_to_check(styles):
    return [Paragraph("四、离线校验", styles["h2"]), Paragraph(
        "本摘要随审计包一同签名。审计包(ZIP 文件)的每一个字节都由平台公布的检查点签名密钥签名:签名声明位于 ZIP 文件尾注释,"
        "其中载明申报材料编号、事件数、链头哈希及文件摘要。取得公钥(GET /api/v1/audit/public-keys,按密钥编号)后执行:"
        "python -m shared.audit_package verify 审计包.zip --public-key 公钥.pem ——通过时显示“审计包校验通过”,"
        "任何一个字节被改动都会校验失败。", styles["body"])]
