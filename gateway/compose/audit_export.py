"""The auditor's search results as a CSV or Excel file (openpyxl), for an inspector outside the system.

Each row carries the dossier's id, version and chain head (``head_hash``), so a reader can ask for the
very state the export listed and check it against the hash chain. ID numbers are masked; a cell that a
spreadsheet would run as a formula is written as text (CSV injection). Review's queue export
(services/review/export.py) writes its file the same way (shared/spreadsheets.py).
"""
from datetime import datetime

from shared.clock import beijing_text
from shared.contracts import dossier as st
from shared.idnumbers import mask_resident_id
from shared.spreadsheets import CONTENT_TYPES, safe_cell, spreadsheet
from shared.titles import LEVELS, SERIES

HEADER = ["序号", "姓名", "身份证号(脱敏)", "工作单位", "主管部门", "评审年度", "系列", "专业", "级别", "状态",
          "当前版本", "提交时间(北京时间)", "最近更新(北京时间)", "链头哈希(SHA-256)", "申报材料编号"]
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
            # Masked again here on purpose: whatever identity returned, a full number never leaves.
            number, row["applicant_name"], mask_resident_id(masks[row["applicant_id"]]) if masks.get(row["applicant_id"]) else "",
            row["unit_name"], row["district_name"],
            row["review_year"], SERIES.get(row["series"], row["series"]), row["specialty"],
            LEVELS.get(row["level"], row["level"]), st.STATUS_LABELS.get(row["status"], row["status"]), row["version"],
            _moment(row.get("submitted_at")), _moment(row.get("updated_at")), row["head_hash"], row["dossier_id"],
        ])
    return [[safe_cell(cell) for cell in line] for line in lines]


def export_file(lines, fmt, stamp):
    """``(filename, content type, bytes)`` of the export in *fmt* (``csv`` or ``xlsx``)."""
    content = spreadsheet(HEADER, lines, fmt, title="审计检索结果")
    return f"audit-dossiers-{stamp}.{fmt}", CONTENT_TYPES[fmt], content
