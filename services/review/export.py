"""Exports of a filtered work queue as CSV or Excel (openpyxl), with ID numbers masked.

The dossier events carry no ID number; the column shows the masked number identity gives (never
the full one). Cells that a spreadsheet would run as a formula are neutralised (CSV injection).
"""
import base64

from shared.contracts import dossier as st
from shared.clock import beijing_text
from shared.idnumbers import mask_resident_id
from shared.spreadsheets import CONTENT_TYPES, safe_cell, spreadsheet  # noqa: F401 (CONTENT_TYPES: review's answer names it)
from shared.titles import LEVELS, SERIES

HEADER = ["序号", "姓名", "身份证号(脱敏)", "工作单位", "主管部门", "评审年度", "系列", "专业", "级别", "状态",
          "提交时间(北京时间)", "最近更新(北京时间)", "申报材料编号"]
def _local(moment):
    return beijing_text(moment) if moment else ""


def table(rows, masks):
    """The export's rows (lists of cells) for queue *rows*; *masks* maps applicant ids to masked numbers."""
    lines = []
    for number, row in enumerate(rows, 1):
        # Masked again here on purpose: whatever identity returned, a full number never leaves.
        masked = mask_resident_id(masks[row["applicant_id"]]) if masks.get(row["applicant_id"]) else ""
        lines.append([
            number, row["applicant_name"], masked, row["unit_name"], row["district_name"], row["review_year"],
            SERIES.get(row["series"], row["series"]), row["specialty"], LEVELS.get(row["level"], row["level"]),
            st.STATUS_LABELS.get(row["status"], row["status"]), _local(row["submitted_at"]), _local(row["updated_at"]),
            row["dossier_id"],
        ])
    return [[safe_cell(cell) for cell in line] for line in lines]


def render(lines, fmt, stamp):
    """``{filename, content_type, content_base64, rows}``: bytes travel over RPC as base64."""
    content = spreadsheet(HEADER, lines, fmt, title="审核队列")
    return {"filename": f"review-queue-{stamp}.{fmt}", "content_type": CONTENT_TYPES[fmt],
            "content_base64": base64.b64encode(content).decode("ascii"), "rows": len(lines)}
