"""The auditor's search results as a CSV or Excel file (openpyxl), for an inspector outside the system.

Each row carries the dossier's id, version and chain head (``head_hash``), so a reader can ask for the
very state the export listed and check it against the hash chain. ID numbers are masked; a cell that a
spreadsheet would run as a formula is written as text (CSV injection). Review's queue export
(services/review/export.py) follows the same rules for its own columns.
"""
import csv
import io
from datetime import datetime

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from shared.clock import beijing_text
from shared.contracts import dossier as st
from shared.titles import LEVELS, SERIES

HEADER = ["序号", "姓名", "身份证号(脱敏)", "工作单位", "主管部门", "评审年度", "系列", "专业", "级别", "状态",
          "当前版本", "提交时间(北京时间)", "最近更新(北京时间)", "链头哈希(SHA-256)", "申报材料编号"]
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Text a spreadsheet shows as text: a leading formula character is escaped with a quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _moment(value):
    """A summary time (an ISO string over RPC, or a datetime in tests) in Beijing time."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return beijing_text(value, "%Y-%m-%d %H:%M:%S")


def table(rows, masks):
    """The export's lines for summary *rows*; *masks* maps applicant ids to masked ID numbers."""
    lines = []
    for number, row in enumerate(rows, 1):
        lines.append([
            number, row["applicant_name"], masks.get(row["applicant_id"], ""), row["unit_name"], row["district_name"],
            row["review_year"], SERIES.get(row["series"], row["series"]), row["specialty"],
            LEVELS.get(row["level"], row["level"]), st.STATUS_LABELS.get(row["status"], row["status"]), row["version"],
            _moment(row.get("submitted_at")), _moment(row.get("updated_at")), row["head_hash"], row["dossier_id"],
        ])
    return [[safe_cell(cell) for cell in line] for line in lines]


def to_csv(lines):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(lines)
    return buffer.getvalue().encode("utf-8-sig")  # the BOM makes Excel on Windows read UTF-8


def to_xlsx(lines):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "审计检索结果"
    sheet.append(HEADER)
    for line in lines:
        sheet.append(line)
    for index, heading in enumerate(HEADER, 1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, len(heading) * 2 + 2)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_file(lines, fmt, stamp):
    """``(filename, content type, bytes)`` of the export in *fmt* (``csv`` or ``xlsx``)."""
    content = to_csv(lines) if fmt == "csv" else to_xlsx(lines)
    return f"audit-dossiers-{stamp}.{fmt}", CONTENT_TYPES[fmt], content
