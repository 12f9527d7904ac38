"""The review, committee and publicity pages without I/O: form parsing, the helpers that shape answers,
and every new template rendered with the review service's answer shapes."""
import json
import re

import pytest
from werkzeug.datastructures import MultiDict

from gateway.api.committees import meeting_body
from gateway.api.review import batch_answer
from gateway.auth import Principal
from gateway.compose.acting import review_actor
from gateway.pages.account import landing_for
from gateway.pages.base import nav_links
from gateway.pages.committees import committee_form, exclusions_form, experts_form
from gateway.pages.renderer import PageRenderer
from gateway.pages.review_views import (
    decision_body, error_lines, paging, problems_from_form, progress_chart, query_string, selected_ids,
)
from shared.contracts.review import CHOICES, ORGANISED_BY
from shared.errors import PermissionDenied

RENDERER = PageRenderer()
UNIT_ADMIN = Principal(account_id="u-1", name="演示单位甲管理员", roles=(("unit_admin", "unit-a"),))
CITY = Principal(account_id="c-1", name="市人社局审核员", roles=(("city_admin", "city"),))
EXPERT = Principal(account_id="e-2", name="评审专家02", roles=(("expert", "committee"),))


def render(template, me=UNIT_ADMIN, **context):
    base = {"me": me, "nav": nav_links(me), "csrf_token": "tok", "csrf_field": "csrf_token", "flash": None, "path": "/"}
    return RENDERER.render(template, **{**base, **context})


def queue_row(dossier_id="d-1", **overrides):
    return {"dossier_id": dossier_id, "applicant_id": "p-1", "applicant_name": "王芳", "unit_id": "unit-a",
            "unit_name": "演示单位甲", "district_id": "wuhua", "district_name": "五华区人社局", "review_year": 2026,
            "series": "engineering", "specialty": "给排水工程", "level": "intermediate", "status": "unit_approved",
            "submitted_at": "2026-03-01T02:00:00+00:00", "my_turn": True, **overrides}


class TestHelpers:
    def test_query_strings_keep_filters_repeat_lists_and_drop_blanks(self):
        assert query_string({"status": ["submitted", "returned"], "q": "王", "page": 2}, page=None, q="") == \
            "status=submitted&status=returned"

    @pytest.mark.parametrize(("total", "page", "expected"), [
        (0, 1, {"page": 1, "pages": 1, "prev": None, "next": None}),
        (120, 2, {"page": 2, "pages": 3, "prev": 1, "next": 3}),
        (120, 9, {"page": 3, "pages": 3, "prev": 2, "next": None}),
    ])
    def test_paging(self, total, page, expected):
        assert paging(total, page, 50) == expected

    def test_a_return_lists_every_filled_problem_and_skips_blank_rows(self):
        form = MultiDict([("action", "return"), ("reason", ""), ("problems-0-section", "materials"),
                          ("problems-0-issue", " 学历证书不清晰 "), ("problems-1-section", ""), ("problems-1-issue", ""),
                          ("problems-2-section", ""), ("problems-2-issue", "缺少继续教育证明")])
        assert problems_from_form(form) == [{"section": "materials", "issue": "学历证书不清晰"},
                                            {"section": "", "issue": "缺少继续教育证明"}]
        body = decision_body(form)
        assert body["action"] == "return" and len(body["problems"]) == 2 and body["sections"] == []

    def test_ticked_ids_are_taken_once_in_order(self):
        assert selected_ids(MultiDict([("dossier_ids", "b"), ("dossier_ids", "a"), ("dossier_ids", "b")])) == ["b", "a"]

    def test_the_chart_scales_to_the_largest_organisation_and_keeps_the_chain_order(self):
        groups = [{"org_name": "五华区人社局", "total": 4, "counts": {"passed": 1, "submitted": 3}},
                  {"org_name": "盘龙区人社局", "total": 2, "counts": {"submitted": 2}}]
        chart = progress_chart(groups, width=400, label_width=100)
        first, second = chart["rows"]
        assert [seg["status"] for seg in first["segments"]] == ["submitted", "passed"]
        assert round(sum(seg["width"] for seg in first["segments"])) == 250  # the whole bar area
        assert second["segments"][0]["width"] == pytest.approx(125)
        assert chart["legend"] == [("submitted", "待单位审核"), ("passed", "评审通过")]
        assert progress_chart([])["rows"] == []

    def test_error_lines_name_the_field_or_the_applicant_once(self):
        fields = {f"experts-{i}-specialty": ["此项不能为空"] for i in range(15)}
        assert error_lines(fields) == ["专业:此项不能为空"]
        uuid = "0b9e3c1e-5f4a-4c39-9d0e-6a1f7c2b8e11"
        assert error_lines({f"dossier_ids-{uuid}": ["当前状态为「已报送」"]}, {uuid: "王芳"}) == ["王芳:当前状态为「已报送」"]


class TestRouteHelpers:
    def test_the_acting_role_is_the_one_asked_for_or_the_first_held(self):
        both = Principal(account_id="x", name="兼任", roles=(("unit_admin", "unit-a"), ("city_admin", "city")))
        assert review_actor(both).role == "city_admin"
        assert review_actor(both, wanted="unit_admin").org_id == "unit-a"
        with pytest.raises(PermissionDenied):
            review_actor(both, roles=("unit_admin",), wanted="city_admin")
        with pytest.raises(PermissionDenied):
            review_actor(EXPERT)

    def test_a_refused_batch_is_a_409_naming_each_dossier(self):
        answer = {"batch_id": "b", "saved": False, "refused": 1, "results": [
            {"dossier_id": "d-1", "ok": True}, {"dossier_id": "d-2", "ok": False,
                                                "error": {"code": "batch_refused", "message": "尚未登记单位内部公示"}}]}
        response = batch_answer(answer)
        body = json.loads(response.get_data())
        assert response.status_code == 409 and body["error"]["fields"] == {"d-2": ["尚未登记单位内部公示"]}
        assert body["results"] == answer["results"]
        assert batch_answer({**answer, "saved": True}).status_code == 201

    def test_a_meeting_may_name_its_date_as_in_the_design(self):
        assert meeting_body({"committee_id": "c", "date": "2026-06-01"}) == {"committee_id": "c",
                                                                             "meeting_date": "2026-06-01"}

    def test_the_committee_form_becomes_the_committee(self):
        form = MultiDict([("name", " 工程中级 "), ("series", "engineering"), ("levels", "intermediate"),
                          ("organised_by", "specialty"), ("specialties", "给排水工程、电气工程, 结构工程"),
                          ("organising_body", "昆明市人社局"), ("valid_until", "2028-01-01"), ("member_count", "7")])
        values, data = committee_form(form)
        assert data["specialties"] == ["给排水工程", "电气工程", "结构工程"] and data["member_count"] == 7
        # No shares of its own: a meeting applies the year's policy.
        assert data["levels"] == ["intermediate"] and "settings" not in data
        assert values["name"] == "工程中级" and data["office_org_id"] is None

    def test_experts_and_exclusions_from_their_forms(self):
        form = MultiDict([("expert_ids", "e-1"), ("account_ids", "e-2\ne-1\n e-3 "), ("title", "高级工程师"),
                          ("specialty", "土木工程"), ("exclude", "e-4"), ("reason-e-4", "")])
        assert [e["expert_id"] for e in experts_form(form)["experts"]] == ["e-1", "e-2", "e-3"]
        assert exclusions_form(form) == {"exclusions": [{"expert_id": "e-4", "reason": "申请回避"}]}

    def test_menus_and_landing_pages_of_the_new_roles(self):
        assert ("/expert", "评审表决") in nav_links(EXPERT) and ("/review", "审核") not in nav_links(EXPERT)
        assert ("/admin/publicity", "公示管理") in nav_links(CITY) and ("/publicity", "公示") in nav_links(None)
        assert landing_for(["expert"]) == "/expert" and landing_for(["committee_secretary"]) == "/meetings"


class TestTemplates:
    def test_the_queue_offers_bulk_actions_to_the_unit_admin(self):
        listing = {"items": [queue_row("d-1"), queue_row("d-2", applicant_name="<b>李</b>")], "total": 2}
        html = render("review.html", listing=listing, counts={"total": 2, "counts": {"unit_approved": 2},
                                                              "labels": {"unit_approved": "单位审核通过"}},
                      filters={}, role="unit_admin", roles=["unit_admin"], pager=paging(2, 1), query="", keep={},
                      query_string=query_string, statuses={"submitted": "待单位审核"})
        assert 'id="bulk-unit-publicity"' in html and 'id="bulk-batch"' in html and 'id="bulk-publish"' not in html
        assert html.count('class="pick-row"') == 2 and 'name="csrf_token" value="tok"' in html
        assert "&lt;b&gt;李&lt;/b&gt;" in html and 'id="count-unit_approved"' in html
        assert '/api/v1/review/queue/export?format=csv' in html

    def test_the_queue_of_a_district_admin_has_no_bulk_bar(self):
        district = Principal(account_id="d", name="五华区", roles=(("district_admin", "wuhua"),))
        html = render("review.html", me=district, listing={"items": [queue_row(status="recommended")], "total": 1},
                      counts={"total": 1, "counts": {}, "labels": {}}, filters={}, role="district_admin",
                      roles=["district_admin"], pager=paging(1, 1), query="", keep={}, query_string=query_string,
                      statuses={})
        assert 'id="bulk-bar"' not in html and 'id="row-d-1"' in html

    def test_a_refused_batch_page_names_each_dossier(self):
        answer = {"saved": False, "refused": 1, "batch_id": "b" * 36, "results": [
            {"dossier_id": "d-1", "ok": False, "error": {"message": "尚未登记单位内部公示,不能报送"}}]}
        html = render("review_bulk.html", action="batch", title="报送", answer=answer, message=None, problems=[],
                      names={"d-1": queue_row("d-1")})
        assert 'id="batch-refused"' in html and "尚未登记单位内部公示" in html and "王芳" in html

    def test_the_progress_page_draws_svg_without_inline_styles(self):
        progress = {"grouping": "district", "review_year": None, "total": 3, "counts": {"submitted": 3},
                    "labels": {"submitted": "待单位审核"}, "groups": [
                        {"org_id": "w", "org_name": "五华区人社局", "total": 3, "counts": {"submitted": 3},
                         "labels": {"submitted": "待单位审核"}}]}
        html = render("progress.html", me=CITY, progress=progress, chart=progress_chart(progress["groups"]),
                      role="city_admin", roles=["city_admin"], filters={})
        assert re.search(r'<rect x="[\d.]+" y="\d+" width="[\d.]+" height="18" class="seg seg-submitted">', html)
        assert "style=" not in html

    def test_overdue_dossiers_are_counted_per_organisation_and_flagged_in_the_queue(self):
        progress = {"grouping": "unit", "review_year": 2027, "total": 3, "counts": {"submitted": 3}, "overdue": 2,
                    "labels": {"submitted": "待单位审核"}, "groups": [
                        {"org_id": "a", "org_name": "甲", "total": 2, "counts": {"submitted": 2}, "overdue": 2,
                         "labels": {"submitted": "待单位审核"}},
                        {"org_id": "b", "org_name": "乙", "total": 1, "counts": {"submitted": 1}, "overdue": 0,
                         "labels": {"submitted": "待单位审核"}}]}
        html = render("progress.html", me=CITY, progress=progress, chart=progress_chart(progress["groups"]),
                      role="city_admin", roles=["city_admin"], filters={})
        assert 'id="progress-overdue">逾期 2 件' in html
        assert re.search(r'id="group-a">.*?逾期 2</span>', html, re.S)
        assert not re.search(r'id="group-b">[^\n]*\n[^\n]*\n[^\n]*逾期 ', html)
        listing = {"items": [queue_row(overdue=True, overdue_label="逾期:单位审核已于 2027年3月1日 17:00 截止"),
                             queue_row("d-2")], "total": 2, "overdue": 1}
        html = render("review.html", listing=listing, counts={"total": 2, "counts": {}, "labels": {}},
                      filters={}, role="unit_admin", roles=["unit_admin"], pager=paging(2, 1), query="", keep={},
                      query_string=query_string, statuses={"submitted": "待单位审核"})
        assert 'id="queue-overdue">逾期 1 份' in html and html.count('class="badge badge-warn overdue"') == 1
        assert 'title="逾期:单位审核已于 2027年3月1日 17:00 截止"' in html

    def test_the_voting_page_offers_the_three_choices_only_where_the_expert_may_vote(self):
        meeting = {"meeting_id": "m-1", "title": "评审会议", "meeting_date": "2026-06-01", "state": "open",
                   "state_label": "评审中", "attending": True, "dossiers": [
                       {"dossier_id": "d-1", "applicant_name": "王芳", "unit_name": "甲", "recused": None, "voted": False},
                       {"dossier_id": "d-2", "applicant_name": "李雷", "unit_name": "乙", "recused": None, "voted": True},
                       {"dossier_id": "d-3", "applicant_name": "韩梅", "unit_name": "丙", "recused": "与申报人同一单位",
                        "voted": False}]}
        html = render("expert_vote.html", me=EXPERT, meeting=meeting, choices=CHOICES)
        assert 'id="ballot-d-1"' in html and 'id="ballot-d-2"' not in html and 'id="ballot-d-3"' not in html
        assert html.count('type="radio" name="choice"') == 3
        assert "已投票" in html and "回避(与申报人同一单位)" in html

    def test_the_public_page_shows_only_the_public_fields(self):
        publicity = {"id": "p-1", "title": "公示", "start": "2026-06-01", "end": "2026-06-05", "working_days": 5,
                     "open": True, "entries": [{"dossier_id": "d-1", "name": "王芳", "unit": "演示单位甲",
                                                "series": "工程", "specialty": "给排水工程", "level": "中级"}]}
        html = render("publicity.html", me=None, publicity=publicity, values={}, errors={}, chosen="d-1")
        assert 'id="objection-form"' in html and '<option value="d-1" selected>' in html
        assert 'name="csrf_token" value="tok"' in html

    @pytest.mark.parametrize("state", ["planned", "drawn", "open", "closed"])
    def test_the_meeting_page_in_each_state(self, state):
        expert = {"expert_id": "e-1", "name": "评审专家01", "unit_name": "甲", "unit_id": "u", "title": "高工",
                  "specialty": "土木", "draw_order": 1, "attending": state != "drawn"}
        meeting = {"id": "m-1", "committee_id": "c-1", "committee_name": "工程中级", "title": "评审会议",
                   "meeting_date": "2026-06-01", "expert_count": 1, "state": state, "state_label": state,
                   "draw": None if state == "planned" else {"seed": "ab", "candidates": ["e-1"], "excluded": {},
                                                            "drawn_at": "2026-06-01T01:00:00+00:00"},
                   "attendance_recorded": state != "drawn", "experts": [] if state == "planned" else [expert],
                   "quorum": {"drawn": 1, "attending": 1, "required": 1, "met": True}, "pass_share": "2/3",
                   "dossiers": [{"dossier_id": "d-1", "applicant_name": "王芳", "unit_name": "甲", "state": "passed",
                                 "tally": {"agree": 1, "disagree": 0, "abstain": 0, "voters": 1, "required": 1,
                                           "passed": True} if state == "closed" else None, "error": None,
                                 "voters": 1, "ballots_cast": 0, "recused": []}]}
        committee = {"settings": {"quorum_share": "2/3"}, "experts": [expert], "series_label": "工程",
                     "level_labels": ["中级"]}
        html = render("meeting.html", me=CITY, meeting=meeting, committee=committee, candidates=[], names={},
                      replayed=None, can_run=True)
        assert ('id="draw-form"' in html) == (state == "planned")
        assert ('id="open-form"' in html) == (state == "drawn")
        assert ('id="close-form"' in html) == (state == "open")
        assert ("同意 1 · 不同意 0 · 弃权 0" in html) == (state == "closed")

    def test_the_committee_pages_render(self):
        committee = {"id": "c-1", "name": "工程中级", "series_label": "工程", "level_labels": ["中级"],
                     "band_label": "中级", "organised_by_label": "按系列组建", "specialties": [],
                     "organising_body": "昆明市人社局", "valid_from": "2026-01-01", "valid_until": "2027-12-31",
                     "member_count": 15, "minimum_members": 15,
                     "settings": {"quorum_share": "2/3", "pass_share": "2/3"},
                     "unconfirmed": "中级…为可调整的设置", "pool_size": 0, "pool_complete": False, "valid_today": True,
                     "experts": [], "policy": {"review_year": 2026, "policy_version": 3}, "max_valid_years": 3,
                     "unit_changes": []}
        html = render("committee.html", me=CITY, committee=committee, meetings=[], known_experts=[],
                      role="city_admin", problems=["专业:此项不能为空"], errors={}, message="提交的信息有误")
        assert 'id="experts-form"' in html and 'id="meeting-form"' in html and "专业:此项不能为空" in html
        assert "通知第 3 版" in html and "没有变更" in html
        expert = {"expert_id": "e-1", "name": "赵工", "unit_id": "u-1", "unit_name": "甲单位", "title": "高级工程师",
                  "specialty": "土木", "added_at": "2026-01-02T00:00:00+00:00"}
        change = {"id": "x", "expert_id": "e-1", "expert_name": "赵工", "from_unit_id": "u-0", "from_unit_name": "旧单位",
                  "to_unit_id": "u-1", "to_unit_name": "甲单位", "reason": "已调入甲单位", "changed_by": "city",
                  "changed_at": "2026-03-01T02:00:00+00:00"}
        html = render("committee.html", me=CITY, committee={**committee, "experts": [expert], "unit_changes": [change]},
                      meetings=[], known_experts=[], role="city_admin", problems=["理由:此项为必填项"],
                      errors={"reason": ["此项为必填项"]}, message="提交的信息有误", form="unit-e-1",
                      units=[{"id": "u-1", "name": "甲单位"}, {"id": "u-2", "name": "乙单位"}],
                      unit_values={"unit_id": "u-2", "reason": ""})
        # The change form offers every other unit, keeps the choice, names the missing reason; the record shows.
        assert 'action="/committees/c-1/experts/e-1/unit"' in html and '<option value="u-2" selected>' in html
        assert '<option value="u-1"' not in html and "details class=\"unit-change\" open" in html
        assert "已调入甲单位" in html and "2026-03-01 10:00" in html
        html = render("committees.html", me=CITY, committees=[committee], offices=[{"id": "o", "name": "办公室"}],
                      can_manage=True, ORGANISED_BY=ORGANISED_BY, unconfirmed="未确认", values={}, errors={})
        assert 'id="committee-form"' in html and "0 / 15 人" in html

    def test_the_admin_publicity_pages_and_the_calendar_render(self):
        html = render("publicity_admin.html", me=CITY, passed={"items": [queue_row(status="passed")], "total": 1},
                      publicities=[], can_manage=True, today="2026-06-01", problems=[], message=None)
        assert 'id="publish-form"' in html and 'value="d-1" checked' in html
        detail = {"id": "p-1", "title": "公示", "start": "2026-06-01", "end": "2026-06-05", "working_days": 5,
                  "open": True, "calendar_warning": None, "entries": [
                      {"dossier_id": "d-1", "applicant_name": "王芳", "unit_name": "甲", "specialty": "土木",
                       "level": "intermediate", "state_label": "异议处理中", "open_objections": 1}]}
        objections = [{"id": "o-1", "dossier_id": "d-1", "state": "open", "state_label": "待处理", "facts": "事实",
                       "objector_name": "", "contact": "139", "lodged_at": "2026-06-02T01:00:00+00:00"}]
        html = render("publicity_admin_detail.html", me=CITY, publicity=detail, objections=objections,
                      names={"d-1": "王芳"}, can_manage=True, errors={}, failed=None, message=None)
        assert 'id="resolve-o-1"' in html and "异议处理中" in html
        calendar = {"year": 2027, "configured": False, "days_off": [], "workdays": [], "source": "",
                    "calendar_warning": "2027 年未配置节假日"}
        html = render("calendar.html", me=CITY, calendar=calendar, year=2027, message=None, errors={}, preview=None,
                      filters={}, years=[2026, 2027, 2028])
        assert 'id="calendar-warning"' in html and 'id="calendar-form"' in html


class TestReviewErrors:
    def test_review_refusals_keep_their_own_status_codes(self):
        from gateway.errors import error_body
        from shared.contracts.review_errors import DoubleVoteError, OutOfScopeError, RateLimitedError, RecusedError

        assert error_body(RateLimitedError("同一联系方式 24 小时内最多提出 3 件异议"))[0] == 429
        assert error_body(DoubleVoteError("已投过票"))[1]["error"]["code"] == "already_voted"
        assert error_body(RecusedError("须回避"))[0] == 403 and error_body(OutOfScopeError("不存在"))[0] == 404


class TestTheVersionAPageWasRenderedAt:
    """A decision made on a page carries the version the page showed, so a stale page is refused."""

    def test_the_decision_forms_carry_the_hidden_version(self):
        form = MultiDict([("action", "approve"), ("opinion", "同意"), ("expected_version", "12")])
        assert decision_body(form) == {"action": "approve", "opinion": "同意", "expected_version": 12}
        odd = MultiDict([("action", "reject"), ("reason", "不符合"), ("expected_version", "twelve")])
        assert decision_body(odd)["expected_version"] == "twelve"  # the schema refuses it in Chinese

    def test_the_list_sends_the_versions_of_the_ticked_dossiers_only(self):
        from gateway.pages.review_views import versions_from_form

        form = MultiDict([("dossier_ids", "d-1"), ("version-d-1", "7"), ("version-d-2", "9"), ("version-d-3", "x")])
        assert versions_from_form(form, ["d-1", "d-3"]) == {"d-1": 7}

    def test_a_stale_page_is_sent_on_so_the_dossier_can_say_who_moved_it(self):
        from gateway.pages.review import stale_page_decider

        dossier = {"version": 12, "status": "returned", "unit_id": "unit-a"}
        assert stale_page_decider(UNIT_ADMIN, dossier, MultiDict([("expected_version", "11")])).role == "unit_admin"
        assert stale_page_decider(UNIT_ADMIN, dossier, MultiDict([("expected_version", "12")])) is None
        assert stale_page_decider(EXPERT, dossier, MultiDict([("expected_version", "11")])) is None

    def test_every_row_of_the_queue_carries_its_version(self):
        listing = {"items": [queue_row("d-1", version=7), queue_row("d-2", version=3)], "total": 2}
        html = render("review.html", listing=listing, counts={"total": 2, "counts": {}, "labels": {}},
                      filters={}, role="unit_admin", roles=["unit_admin"], pager=paging(2, 1), query="", keep={},
                      query_string=query_string, statuses={})
        assert 'name="version-d-1" value="7"' in html and 'name="version-d-2" value="3"' in html
