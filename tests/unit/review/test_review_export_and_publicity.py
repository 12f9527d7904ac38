"""Exports (masked ID numbers, no formula injection), objection limits and the resubmission deadline."""
import base64
import csv
import io
from datetime import date, datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook

from services.review import export
from services.review.domain import deadlines, publicity
from services.review.exceptions import PublicityWindowError, RateLimitedError

ROW = {"dossier_id": "d-1", "applicant_id": "acc-1", "applicant_name": "=HYPERLINK(\"x\")", "unit_name": "演示单位甲",
       "district_name": "五华区人社局", "review_year": 2026, "series": "engineering", "specialty": "土木工程",
       "level": "intermediate", "status": "submitted", "submitted_at": datetime(2026, 3, 1, 1, 30, tzinfo=timezone.utc),
       "updated_at": datetime(2026, 3, 1, 2, 0, tzinfo=timezone.utc)}


class TestExport:
    def test_csv_has_a_bom_chinese_headers_masked_numbers_and_local_times(self):
        lines = export.table([ROW], {"acc-1": "530102199001011234"})  # even a full number comes out masked
        answer = export.render(lines, "csv", "20260301-0930")
        content = base64.b64decode(answer["content_base64"])
        assert content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
        assert rows[0][:3] == ["序号", "姓名", "身份证号(脱敏)"]
        assert rows[1][2] == "5301**********1234"
        assert rows[1][10] == "2026-03-01 09:30"
        assert (answer["filename"], answer["rows"]) == ("review-queue-20260301-0930.csv", 1)

    def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_escaped(self):
        assert export.table([ROW], {})[0][1] == "'=HYPERLINK(\"x\")"
        assert export.safe_cell("@SUM(A1)") == "'@SUM(A1)" and export.safe_cell("李明") == "李明"

    def test_xlsx_opens_with_the_same_rows(self):
        answer = export.render(export.table([ROW], {}), "xlsx", "stamp")
        sheet = load_workbook(io.BytesIO(base64.b64decode(answer["content_base64"]))).active
        assert [cell.value for cell in sheet[1]][:2] == ["序号", "姓名"]
        assert sheet["I2"].value == "中级" and sheet["J2"].value == "待单位审核"
        assert sheet["C2"].value is None  # identity gave no number: the column stays empty


class TestObjections:
    limits = publicity.ObjectionLimits(per_contact=3, per_address=10, window_hours=24)

    def test_a_contact_may_object_three_times_a_day(self):
        publicity.check_rate(self.limits, by_contact=2, by_address=0)
        with pytest.raises(RateLimitedError) as raised:
            publicity.check_rate(self.limits, by_contact=3, by_address=0)
        assert raised.value.http_status == 429

    def test_an_address_is_limited_too(self):
        with pytest.raises(RateLimitedError):
            publicity.check_rate(self.limits, by_contact=0, by_address=10)

    def test_contacts_compare_without_spaces_or_case_and_addresses_are_only_kept_as_keyed_hashes(self):
        assert publicity.normalise_contact(" 139 0000 0001 ") == "13900000001"
        assert publicity.normalise_contact("A@B.cn") == publicity.normalise_contact("a@b.CN")
        key = publicity.address_key("203.0.113.7", "pepper")
        assert len(key) == 64 and "203" not in key
        assert key != publicity.address_key("203.0.113.7", "other") and publicity.address_key(None) is None

    def test_objections_only_inside_the_window(self):
        start, end = date(2026, 9, 24), date(2026, 10, 8)
        publicity.check_open_for_objections(date(2026, 10, 8), start, end)
        for day in (date(2026, 9, 23), date(2026, 10, 9)):
            with pytest.raises(PublicityWindowError):
                publicity.check_open_for_objections(day, start, end)


class TestResubmissionDeadline:
    def test_the_later_of_the_window_end_and_the_resubmission_deadline(self):
        notice = {"window": {"end": "2026-05-31T23:59:59+08:00"},
                  "deadlines": {"resubmission": "2026-06-15T17:00:00+08:00"}}
        deadline = deadlines.resubmission_deadline(notice)
        assert deadline == datetime(2026, 6, 15, 9, 0, tzinfo=timezone.utc)
        assert not deadlines.overdue(deadline, deadline)
        assert deadlines.overdue(deadline + timedelta(seconds=1), deadline)
        assert "2026-06-15 17:00" in deadlines.abandon_reason(deadline)

    def test_without_a_resubmission_deadline_the_window_end_counts(self):
        notice = {"window": {"end": "2026-05-31T23:59:59+08:00"}, "deadlines": {"resubmission": None}}
        assert deadlines.resubmission_deadline(notice).isoformat() == "2026-05-31T23:59:59+08:00"
