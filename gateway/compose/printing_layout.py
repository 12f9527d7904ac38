"""What the printed forms share (评审表, 公示名单, 报送汇总表): A4 pages in the embedded CJK TrueType font
(shared/fonts.py, the same registration as the audit summary and the meeting record), ruled tables,
long text that flows to further pages, and a footer numbering the pages "第 X 页 共 Y 页".

A table row never splits across pages in reportlab, and a row taller than a page cannot be laid out at
all: long text (a 5,000-character work summary) is therefore cut into rows of a few lines each, which
break between pages like any other rows while the frame around them stays drawn.
"""
import io
from xml.sax.saxutils import escape

from reportlab.lib.colors import HexColor
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import CondPageBreak, Paragraph, SimpleDocTemplate, Table, TableStyle

from shared.fonts import cjk_font

INK, GREY, LINE, FILL = HexColor("#111111"), HexColor("#555555"), HexColor("#333333"), HexColor("#eeeeee")
MARGIN = 16 * mm
CREATOR = "昆明市职称评审系统"
# Characters per row of a long text: about six lines of a full-width cell, so a row is never near a page.
CHUNK = 300


def styles(font):
    def style(name, size, **extra):
        return ParagraphStyle(name, **{"fontName": font, "fontSize": size, "leading": size * 1.5, "textColor": INK,
                                       "wordWrap": "CJK", **extra})

    return {"title": style("title", 18, alignment=TA_CENTER, leading=26, spaceAfter=2 * mm),
            "subtitle": style("subtitle", 10, alignment=TA_CENTER, textColor=GREY, spaceAfter=3 * mm),
            "h2": style("h2", 11.5, spaceBefore=4 * mm, spaceAfter=1.5 * mm),
            "body": style("body", 9.5), "label": style("label", 9.5, alignment=TA_CENTER),
            "cell": style("cell", 8.5), "head": style("head", 8.5, alignment=TA_CENTER),
            "small": style("small", 8, textColor=GREY), "center": style("center", 9.5, alignment=TA_CENTER)}


def text(value, blank="—"):
    """*value* as paragraph markup: escaped, line breaks kept, *blank* for nothing."""
    if value in (None, ""):
        return blank
    return escape(str(value)).replace("\n", "<br/>")


def heading(markup, style):
    """A section heading that is never the last line of a page: too little room left, a new page
    (keepWithNext would instead carry a long table whole to the next page, leaving a gap)."""
    return [CondPageBreak(28 * mm), Paragraph(markup, style)]


def cell(value, style, blank=""):
    return Paragraph(text(value, blank), style)


SENTENCE_ENDS = "。！？；!?;"


def chunks(value, size=CHUNK):
    """*value* cut at its line breaks and then into pieces of at most *size* characters a row can hold,
    each ending at a sentence's end where one is in the piece's second half (no ragged line mid-sentence)."""
    pieces = []
    for line in str(value or "").splitlines() or [""]:
        while len(line) > size:
            cut = max(line.rfind(mark, size // 2, size) for mark in SENTENCE_ENDS) + 1 or size
            pieces.append(line[:cut])
            line = line[cut:]
        pieces.append(line)
    return pieces


def ruled(data, widths, font, commands=(), repeat=0, heights=None):
    """A table ruled in black, every cell in the embedded font (a table names its own cell font even
    around paragraphs: Helvetica would otherwise appear, unembedded)."""
    table = Table(data, colWidths=widths, rowHeights=heights, repeatRows=repeat)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), font), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("GRID", (0, 0), (-1, -1), 0.6, LINE), ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3), *commands]))
    return table


def flowing_box(label, value, width, style, font, label_width=28 * mm, blank="(未填写)"):
    """A labelled box whose text flows over as many pages as it needs: one row per chunk, ruled only
    around the whole (each part of a split box keeps its frame)."""
    pieces = chunks(value) if value else [None]
    rows = [[Paragraph(text(label), styles(font)["label"]) if index == 0 else "", cell(piece, style, blank)]
            for index, piece in enumerate(pieces)]
    table = Table(rows, colWidths=[label_width, width - label_width])
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), font), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BOX", (0, 0), (-1, -1), 0.6, LINE), ("LINEAFTER", (0, 0), (0, -1), 0.6, LINE),
        ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
        ("TOPPADDING", (0, 0), (-1, 0), 4), ("BOTTOMPADDING", (0, -1), (-1, -1), 6)]))
    return table


def numbered_canvas(font, footer):
    """A canvas class writing *footer* and "第 X 页 共 Y 页" on every page, once the total is known."""
    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):  # keep the page until the last one tells how many there are
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                width, _ = self._pagesize
                self.setFont(font, 8)
                self.setFillColor(GREY)
                self.drawString(MARGIN, 9 * mm, footer)
                self.drawRightString(width - MARGIN, 9 * mm, f"第 {number} 页 共 {total} 页")
                super().showPage()
            super().save()

    return NumberedCanvas


def build(story, *, title, footer, pagesize=A4, font_path=None):
    """The PDF bytes of *story* (flowables made with :func:`styles` of :func:`font`)."""
    font = cjk_font(font_path)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=pagesize, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=14 * mm,
                                 bottomMargin=16 * mm, title=title, author=CREATOR, creator=CREATOR, invariant=1,
                                 initialFontName=font)
    document.build(story, canvasmaker=numbered_canvas(font, footer))
    return buffer.getvalue()


def font(font_path=None):
    return cjk_font(font_path)


def frame_width(pagesize=A4):
    return pagesize[0] - 2 * MARGIN
