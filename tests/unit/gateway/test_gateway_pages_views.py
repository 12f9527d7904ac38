"""The pages' pure helpers: review-chain progress, continuing-education totals, history rows, errors."""
from datetime import datetime, timezone

import pytest

from gateway.pages.views import (
    STEPS, continuing_education_summary, flatten_errors, history_rows, open_notices, progress_steps, shanghai_time,
)

REQUIREMENT = {"hours_per_year": 90, "professional_share": "2/3", "years": 3}


def states(steps):
    return [step["state"] for step in steps]


def event(kind, **data):
    return {"version": 1, "type": kind, "at": "2026-03-01T02:00:00+00:00",
            "actor": {"account_id": "a", "role": "applicant", "org_id": None}, "data": data, "hash": "f" * 64}


class TestProgressSteps:
    def test_a_draft_is_at_the_first_step_of_nine(self):
        steps = progress_steps("draft")
        assert [step["label"] for step in steps] == list(STEPS) and len(steps) == 9
        assert states(steps) == ["current"] + ["todo"] * 8

    @pytest.mark.parametrize(("status", "current"), [
        ("submitted", "单位审核"), ("unit_approved", "单位审核"), ("recommended", "主管部门审核"),
        ("district_approved", "市人社局审核"), ("accepted", "缴费"), ("fee_paid", "送评"),
        ("under_review", "评审"), ("in_publicity", "公示"), ("approved", "发证"),
    ])
    def test_each_live_status_marks_the_step_it_waits_at(self, status, current):
        steps = progress_steps(status)
        index = [step["label"] for step in steps].index(current)
        assert states(steps) == ["done"] * index + ["current"] + ["todo"] * (8 - index)

    def test_a_returned_dossier_is_back_with_the_applicant_and_says_so(self):
        first = progress_steps("returned")[0]
        assert (first["state"], first["note"]) == ("current", "退回修改")

    def test_a_certified_dossier_has_every_step_done(self):
        assert states(progress_steps("certified")) == ["done"] * 9

    def test_a_rejection_stops_at_the_level_that_rejected(self):
        history = [event("created"), event("submitted"), event("unit_approved"), event("recommended"),
                   event("rejected", level="district", reason="业绩不足")]
        steps = progress_steps("rejected", history)
        assert states(steps)[:4] == ["done", "done", "stopped", "todo"]
        assert steps[2]["note"] == "不予通过"

    def test_a_withdrawal_stops_where_the_dossier_stood(self):
        history = [event("created"), event("submitted"), event("withdrawn", reason="")]
        assert states(progress_steps("withdrawn", history))[:3] == ["done", "stopped", "todo"]

    def test_a_withdrawn_draft_stops_at_the_first_step(self):
        assert states(progress_steps("withdrawn", [event("created")]))[:2] == ["stopped", "todo"]

    def test_a_failed_review_stops_at_the_review(self):
        assert states(progress_steps("failed"))[5:7] == ["done", "stopped"]


class TestContinuingEducationSummary:
    def entries(self, year, professional, public):
        return [{"year": year, "kind": "professional", "hours": professional, "course": "专业"},
                {"year": year, "kind": "public", "hours": public, "course": "公需"}]

    def test_totals_per_year_against_90_hours_and_two_thirds_professional(self):
        summary = continuing_education_summary(self.entries(2024, 60, 30) + self.entries(2025, 40, 20), REQUIREMENT)
        assert (summary["required"], summary["professional_required"]) == (90, 60)
        by_year = {row["year"]: row for row in summary["years"]}
        assert by_year[2024] == {"year": 2024, "total": 90, "professional": 60, "public": 30,
                                 "professional_share": 66.7, "missing": 0, "professional_missing": 0, "short": False}
        assert by_year[2025]["short"] and by_year[2025]["missing"] == 30 and by_year[2025]["professional_missing"] == 20

    def test_enough_hours_but_too_few_professional_ones_is_a_shortfall(self):
        row, = continuing_education_summary(self.entries(2025, 50, 50), REQUIREMENT)["years"]
        assert (row["missing"], row["professional_missing"], row["short"]) == (0, 10, True)

    def test_the_notice_may_change_the_requirement(self):
        summary = continuing_education_summary(self.entries(2025, 45, 15), {"hours_per_year": 72, "professional_share": "0.5"})
        assert (summary["required"], summary["professional_required"]) == (72, 36)
        assert summary["years"][0]["missing"] == 12 and summary["years"][0]["professional_missing"] == 0

    def test_half_hours_and_years_in_order(self):
        entries = [{"year": 2025, "kind": "professional", "hours": 7.5}, {"year": 2023, "kind": "public", "hours": 1}]
        summary = continuing_education_summary(entries, REQUIREMENT)
        assert [row["year"] for row in summary["years"]] == [2023, 2025]
        assert summary["years"][1]["total"] == 7.5

    def test_nothing_recorded_gives_no_years_and_defaults_apply(self):
        summary = continuing_education_summary(None, {})
        assert summary["years"] == [] and summary["required"] == 90 and summary["professional_required"] == 60


class TestHistoryRows:
    def test_rows_name_the_event_the_role_and_the_reason_in_chinese(self):
        returned = {**event("returned", level="unit", reason="请补充材料", sections=["materials", "education"]),
                    "actor": {"account_id": "u", "role": "unit_admin", "org_id": "unit"}}
        row, = history_rows([returned])
        assert (row["label"], row["role"], row["level"], row["reason"]) == ("退回修改", "单位管理员", "单位", "请补充材料")
        assert row["sections"] == ["证明材料", "学历学位"] and row["workflow"] is True

    def test_an_approval_shows_its_opinion_and_edits_are_not_workflow(self):
        approved, edited = history_rows([event("unit_approved", opinion="同意推荐"), event("basic_info_updated", data={})])
        assert approved["reason"] == "同意推荐" and approved["workflow"]
        assert edited["label"] == "填写基本信息" and not edited["workflow"]

    def test_an_attached_material_names_its_file(self):
        row, = history_rows([event("material_attached", category="diploma", filename="学历证书.pdf")])
        assert row["detail"] == "学历证书:学历证书.pdf"


class TestOpenNotices:
    def notice(self, year, start, end):
        return {"review_year": year, "notice": {"window": {"start": start, "end": end}, "open_series": {}}}

    def test_only_notices_whose_window_covers_now_newest_first(self):
        now = datetime(2026, 5, 1, tzinfo=timezone.utc)
        notices = [self.notice(2025, "2025-03-01T00:00:00+00:00", "2025-06-01T00:00:00+00:00"),
                   self.notice(2026, "2026-03-01T00:00:00+08:00", "2026-06-01T00:00:00+08:00"),
                   self.notice(2027, "2026-04-01T00:00:00+00:00", "2026-07-01T00:00:00+00:00")]
        assert [n["review_year"] for n in open_notices(notices, now)] == [2027, 2026]


class TestTimesAndErrors:
    def test_times_are_shown_in_asia_shanghai(self):
        assert shanghai_time("2026-03-01T16:30:00+00:00") == "2026-03-02 00:30"
        assert shanghai_time(datetime(2026, 3, 1, 0, 0, tzinfo=timezone.utc), "%H:%M") == "08:00"
        assert shanghai_time("2026-03-01") == "2026-03-01" and shanghai_time(None) == ""

    def test_nested_list_errors_become_the_forms_field_names(self):
        fields = {"entries": {"0": {"school": ["此项不能为空"]}, 2: {"end": ["结束日期不能早于开始日期"]}},
                  "phone": ["此项为必填项"], "sections": ["请选择需要修改的栏目"]}
        assert flatten_errors(fields) == {
            "entries-0-school": ["此项不能为空"], "entries-2-end": ["结束日期不能早于开始日期"],
            "phone": ["此项为必填项"], "sections": ["请选择需要修改的栏目"],
        }

    def test_a_list_level_message_stays_on_the_list(self):
        assert flatten_errors({"entries": ["应有 0 到 100 项"]}) == {"entries": ["应有 0 到 100 项"]}
