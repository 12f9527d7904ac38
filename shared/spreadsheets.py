"""Exports as CSV or Excel (openpyxl) — the review queue's and the auditor's alike: a header row, the
lines, cells a spreadsheet would run as formulas written as text (CSV injection), UTF-8 that Excel reads."""
import csv
import io

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Text a spreadsheet shows as text: a leading formula character is escaped with a quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(header, lines):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(lines)
    # The BOM makes Excel on Windows read the file as UTF-8.
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(header, lines, title):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(header)
    for line in lines:
        sheet.append(line)
    for index, heading in enumerate(header, 1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, len(heading) * 2 + 2)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def spreadsheet(header, lines, fmt, title):
    """The bytes of the export in *fmt* (``csv`` or ``xlsx``)."""
    return csv_bytes(header, lines) if fmt == "csv" else xlsx_bytes(header, lines, title)
