"""The audit workspace's pure parts: the search form checked field by field in Chinese, events as timeline
rows in words (old event versions included), the timeline's filters, versions and moments, and the
export's limits and masking (gateway/pages/audit_views.py, gateway/compose/audit.py, audit_export.py)."""
import csv
import io

import pytest

from gateway.auth import Principal
from gateway.compose.audit import SEARCHERS, audit_actor, every_match, masked_id_numbers
from gateway.compose.audit_export import HEADER, table
from shared.spreadsheets import csv_bytes
from gateway.exceptions import ExportTooLarge
from gateway.pages.audit_views import moment_arg, search_query, stood_at, timeline_filters, timeline_rows, version_arg
from shared.errors import PermissionDenied
from shared.roles import APPLICANT, AUDITOR, CITY_ADMIN, SYSTEM, UNIT_ADMIN


class TestSearchForm:
    def test_every_filter_becomes_the_dossier_list_query(self):
        query, errors, _ = search_query({
            "applicant_name": " 李明 ", "unit_name": "演示单位", "district_id": "d-1", "review_year": "2026",
            "series": "engineering", "level": "intermediate", "status": ["submitted", "returned"],
            "submitted_from": "2026-03-01", "submitted_to": "2026-03-31"})
        assert errors == {}
        assert query == {"applicant_name": "李明", "unit_name": "演示单位", "district_id": "d-1", "review_year": 2026,
                         "series": "engineering", "level": "intermediate", "status": ["submitted", "returned"],
                         "submitted_from": "2026-03-01", "submitted_to": "2026-03-31"}

    def test_bad_values_are_named_field_by_field_in_chinese_and_left_out_of_the_query(self):
        query, errors, values = search_query({
            "applicant_name": "张" * 51, "review_year": "２０２６", "series": "<script>", "level": "top",
            "status": "nonsense", "submitted_from": "2026-13-01", "submitted_to": "1899-01-01"})
        assert query == {}
        assert errors == {"applicant_name": ["不能超过 50 个字符"], "review_year": ["应为 2000 到 2100 之间的年份"],
                          "series": ["应为以下之一:工程、卫生、教育、农业、经济、会计"],
                          "level": ["应为以下之一:初级、中级、副高级、正高级"], "status": ["未知的状态"],
                          "submitted_from": ["日期格式应为 YYYY-MM-DD"], "submitted_to": ["年份应在 2000 到 2100 之间"]}
        assert values["series"] == "<script>"  # shown back in the form (the template escapes it)

    def test_a_date_range_ending_before_it_starts_is_refused(self):
        _, errors, _ = search_query({"submitted_from": "2026-03-02", "submitted_to": "2026-03-01"})
        assert errors == {"submitted_to": ["结束日不能早于开始日"]}


def event(version, kind, data=None, role=APPLICANT, account="applicant-1", org=None, at="2026-03-01T01:00:00+00:00"):
    return {"version": version, "type": kind, "at": at, "data": data or {}, "hash": f"{version:064d}",
            "prev_hash": f"{version - 1:064d}",
            "actor": {"account_id": account, "role": role, "org_id": org, "correlation_id": f"corr-{version}"}}


ATTACHED = {"material_id": "m-1", "filename": "学历证书.pdf", "category": "diploma", "size": 2048, "pages": 2,
            "sha256": "c" * 64, "object_key": "k"}
EVENTS = [
    event(1, "created", {"review_year": 2026, "series": "engineering", "specialty": "给排水工程", "level": "intermediate"}),
    event(2, "material_attached", ATTACHED),
    # A version 1 event, upcast on reading: the file it detached is not recorded.
    event(3, "material_detached", {"material_id": "m-1", "filename": None, "category": None, "size": None, "sha256": None}),
    event(4, "submitted", {"resubmission": False}),
    event(5, "returned", {"level": "unit", "reason": "学历证书不清晰", "sections": ["materials"]},
          role=UNIT_ADMIN, account="unit-admin-1", org="unit-1", at="2026-03-02T02:03:04+00:00"),
    event(6, "abandoned", {"reason": "逾期未重新提交"}, role=SYSTEM, account="system"),
]
PEOPLE, ORGS = {"applicant-1": "李明", "unit-admin-1": "王管理"}, {"unit-1": "演示单位甲"}


class TestTimeline:
    def test_each_event_reads_in_words_with_who_when_why_and_its_chain_link(self):
        rows = timeline_rows(EVENTS, PEOPLE, ORGS)
        returned = rows[4]
        assert (returned["version"], returned["at"], returned["actor_name"], returned["role"], returned["organisation"]) == \
            (5, "2026-03-02 10:03:04", "王管理", "单位管理员", "演示单位甲")
        assert (returned["label"], returned["detail"], returned["reason"], returned["sections"]) == \
            ("退回修改", "单位审核", "学历证书不清晰", ["证明材料"])
        assert (returned["correlation_id"], returned["hash"], returned["prev_hash"]) == ("corr-5", f"{5:064d}", f"{4:064d}")
        assert rows[0]["detail"] == "2026年度 · 工程系列 · 给排水工程 · 中级"
        assert (rows[5]["actor_name"], rows[5]["role"]) == ("系统", "系统")

    def test_an_old_detach_event_that_names_no_file_is_told_from_the_event_that_attached_it(self):
        rows = timeline_rows(EVENTS, PEOPLE, ORGS)
        assert rows[2]["detail"] == rows[1]["detail"] == "学历证书:学历证书.pdf(2 页,2048 字节,SHA-256 cccccccccccc…)"

    def test_an_actor_identity_does_not_know_is_shown_by_a_short_account_id(self):
        assert timeline_rows(EVENTS[:1], {}, {})[0]["actor_name"] == "账号 applican"

    def test_the_filters_keep_one_actor_or_one_kind_and_offer_only_what_the_events_hold(self):
        rows = timeline_rows(EVENTS, PEOPLE, ORGS)
        shown, actors, kinds, chosen = timeline_filters(rows, {"actor": f"unit-admin-1|{UNIT_ADMIN}"})
        assert [row["version"] for row in shown] == [5] and chosen == {"actor": f"unit-admin-1|{UNIT_ADMIN}", "kind": ""}
        assert actors[f"applicant-1|{APPLICANT}"] == "李明(申报人)" and kinds["material_detached"] == "删除证明材料"
        shown, _, _, chosen = timeline_filters(rows, {"kind": "material_attached"})
        assert [row["version"] for row in shown] == [2]
        shown, _, _, chosen = timeline_filters(rows, {"kind": "<b>unknown</b>", "actor": "nobody"})
        assert len(shown) == 6 and chosen == {"actor": "", "kind": ""}  # an unknown choice filters nothing


class TestVersionsAndMoments:
    def test_a_version_must_be_one_the_dossier_has(self):
        assert version_arg("3", 6) == (3, None)
        assert version_arg("7", 6) == (None, "版本应为 1 到 6 之间的整数")
        assert version_arg("-1", 6)[0] is None and version_arg("３", 6)[0] is None

    def test_a_typed_moment_without_an_offset_is_beijing_time(self):
        assert moment_arg("2026-03-01T09:30") == ("2026-03-01T09:30:00+08:00", None)
        assert moment_arg("2026-03-01T01:30:00+00:00") == ("2026-03-01T01:30:00+00:00", None)
        assert moment_arg("yesterday") == (None, "时间格式应为 YYYY-MM-DDTHH:MM(北京时间)")

    def test_the_version_standing_at_a_moment_is_the_last_recorded_at_or_before_it(self):
        assert stood_at(EVENTS, 4, "2026-03-01T10:00:00+08:00")  # versions 1–4 at 09:00, 5 the next day
        assert not stood_at(EVENTS, 3, "2026-03-01T10:00:00+08:00")
        assert stood_at(EVENTS, 6, "2026-03-05T10:00:00+08:00")
        assert not stood_at(EVENTS, 5, "2026-03-01T10:00:00+08:00")


class FakeList:
    """The dossier proxy's ``list`` over *total* rows, recording the pages asked."""

    def __init__(self, total):
        self.rows = [{"dossier_id": f"d-{n}", "applicant_id": f"a-{n}"} for n in range(total)]
        self.asked = []

    def list(self, query):
        self.asked.append(query["page"])
        start = (query["page"] - 1) * query["per_page"]
        return {"items": self.rows[start:start + query["per_page"]], "total": len(self.rows)}


class Reply:
    def __init__(self, answer):
        self.answer = answer

    def result(self):
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


class FakeMethod:
    def __init__(self, answers):
        self.answers = answers

    def call_async(self, key):
        return Reply(self.answers.get(key, LookupError(key)))


class FakeIdentity:
    def __init__(self, accounts):
        self.get_account = FakeMethod(accounts)


class TestExport:
    def test_every_matching_dossier_is_gathered_page_by_page(self):
        dossiers = FakeList(450)
        rows = every_match(dossiers, {"series": "engineering"}, 500)
        assert len(rows) == 450 and dossiers.asked == [1, 2, 3]

    def test_more_matches_than_the_limit_are_refused_before_anything_is_gathered(self):
        dossiers = FakeList(501)
        with pytest.raises(ExportTooLarge) as refused:
            every_match(dossiers, {}, 500)
        assert refused.value.message.startswith("筛选结果共 501 件,超过单次导出上限 500 件")
        assert refused.value.http_status == 422 and dossiers.asked == [1]

    def test_id_numbers_are_masked_again_whatever_identity_sends(self):
        identity = FakeIdentity({"a-1": {"id_number_masked": "530102199001011234"}, "a-2": {"id_number_masked": None}})
        assert masked_id_numbers(identity, ["a-1", "a-2", "a-3"]) == {"a-1": "5301**********1234"}

    def test_the_file_neutralises_formulas_and_keeps_the_chain_head(self):
        row = {"dossier_id": "d-1", "applicant_id": "a-1", "applicant_name": "=HYPERLINK(\"x\")", "unit_name": "甲",
               "district_name": "五华区", "review_year": 2026, "series": "engineering", "specialty": "给排水",
               "level": "intermediate", "status": "submitted", "version": 9, "head_hash": "f" * 64,
               "submitted_at": "2026-03-01T01:00:00+00:00", "updated_at": "2026-03-02T01:00:00+00:00"}
        (header, line), = [list(csv.reader(io.StringIO(csv_bytes(HEADER, table([row], {"a-1": "5301**********1234"})).decode("utf-8-sig"))))]
        assert header[2] == "身份证号(脱敏)" and header[13] == "链头哈希(SHA-256)"
        assert line[1] == "'=HYPERLINK(\"x\")" and line[2] == "5301**********1234"
        assert line[6:12] == ["工程", "给排水", "中级", "待单位审核", "9", "2026-03-01 09:00:00"] and line[13] == "f" * 64


class TestWhoMayUseIt:
    def principal(self, *roles):
        return Principal(account_id="p-1", name="某人", roles=tuple((role, None) for role in roles))

    def test_the_search_is_for_auditors_and_a_dossier_s_views_also_for_the_city_office(self):
        assert audit_actor(self.principal(AUDITOR), SEARCHERS).role == AUDITOR
        assert audit_actor(self.principal(CITY_ADMIN)).role == CITY_ADMIN
        with pytest.raises(PermissionDenied, match="仅供审计/纪检人员使用"):
            audit_actor(self.principal(CITY_ADMIN), SEARCHERS)
        with pytest.raises(PermissionDenied):
            audit_actor(self.principal(APPLICANT, UNIT_ADMIN))
