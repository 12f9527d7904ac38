"""The version comparison (gateway/compose/dossier_diff.py) in words: dossiers built by the real aggregate,
snapshotted at two versions, compared under the labels the dossier forms show."""
import copy

from gateway.compose.dossier_diff import ADDED, CHANGED, REMOVED, compare
from gateway.pages.audit_views import SECTION_WORDS
from services.dossier.domain import Dossier
from shared.roles import APPLICANT as APPLICANT_ROLE, UNIT_ADMIN, Actor
from tests.factories import basic_info, education, material, review_form, work_experience

APPLICANT = Actor(account_id="applicant-1", role=APPLICANT_ROLE)
UNIT = Actor(account_id="unit-admin-1", role=UNIT_ADMIN, org_id="unit-1")


def draft():
    return Dossier.create(APPLICANT, applicant_name="李明", unit_id="unit-1", unit_name="演示单位甲",
                          district_id="district-1", district_name="五华区", review_year=2026, series="engineering",
                          specialty="给排水工程", level="intermediate")


def snapshot(dossier):
    """The dossier as ``state_at`` answers it at its current version (the aggregate keeps mutating)."""
    return copy.deepcopy(dossier.to_dict())


def changes_of(diff, key):
    section = next((section for section in diff.sections if section.key == key), None)
    return [(change.kind, change.where, change.before, change.after) for change in section.changes] if section else []


def filled():
    dossier = draft()
    dossier.update_basic_info(APPLICANT, basic_info(position="工程师"))
    dossier.record_education(APPLICANT, education())
    dossier.record_work_experience(APPLICANT, work_experience())
    dossier.fill_review_form(APPLICANT, review_form())
    dossier.sign_commitment(APPLICANT, statement_version="2026-1", signed_name="李明")
    dossier.attach_material(APPLICANT, **material(material_id="m-1"))
    return dossier


class TestFields:
    def test_the_same_version_on_both_sides_has_no_changes(self):
        dossier = filled()
        diff = compare(snapshot(dossier), snapshot(dossier), SECTION_WORDS)
        assert diff.unchanged and diff.sections == () and diff.counts == {ADDED: 0, CHANGED: 0, REMOVED: 0}

    def test_basic_fields_are_named_by_their_labels_and_codes_are_written_as_words(self):
        dossier = filled()
        before = snapshot(dossier)
        dossier.update_basic_info(APPLICANT, basic_info(employer_type="private", current_title_level="intermediate",
                                                        email="liming@example.cn", position=""))
        diff = compare(before, snapshot(dossier), SECTION_WORDS)
        assert changes_of(diff, "basic_info") == [
            (ADDED, "电子邮箱", "", "liming@example.cn"),
            (CHANGED, "单位性质", "事业单位", "民营企业"),
            (REMOVED, "现任职务", "工程师", ""),
            (CHANGED, "现职称级别", "初级", "中级"),
        ]
        assert diff.sections[0].label == "基本信息" and diff.counts == {ADDED: 1, CHANGED: 2, REMOVED: 1}

    def test_the_signature_time_of_the_commitment_is_shown_in_beijing_time(self):
        dossier = draft()
        before = snapshot(dossier)
        dossier.sign_commitment(APPLICANT, statement_version="2026-1", signed_name="李明")
        after = snapshot(dossier)
        after["sections"]["commitment"]["signed_at"] = "2026-03-01T01:30:00+00:00"
        assert changes_of(compare(before, after, SECTION_WORDS), "commitment") == [
            (ADDED, "承诺书版本", "", "2026-1"), (ADDED, "签名(请输入申报人姓名)", "", "李明"),
            (ADDED, "签署时间", "", "2026-03-01 09:30:00"),
        ]


class TestListSections:
    schools = ["昆明理工大学", "云南大学", "云南师范大学"]

    def with_schools(self, dossier, schools):
        dossier.record_education(APPLICANT, [dict(education()[0], school=school, highest=False) for school in schools])

    def test_taking_out_a_middle_entry_reads_as_that_one_entry_removed(self):
        dossier = draft()
        self.with_schools(dossier, self.schools)
        before = snapshot(dossier)
        self.with_schools(dossier, [self.schools[0], self.schools[2]])
        ((kind, where, removed, added),) = changes_of(compare(before, snapshot(dossier), SECTION_WORDS), "education")
        assert (kind, where, added) == (REMOVED, "第 2 条", "")
        assert removed.startswith("学历:本科;毕业院校:云南大学;所学专业:土木工程") and "最高学历:否" in removed

    def test_an_entry_changed_in_place_names_its_number_and_field(self):
        dossier = draft()
        self.with_schools(dossier, self.schools)
        before = snapshot(dossier)
        self.with_schools(dossier, [self.schools[0], "北京大学", self.schools[2]])
        assert changes_of(compare(before, snapshot(dossier), SECTION_WORDS), "education") == [
            (CHANGED, "第 2 条 · 毕业院校", "云南大学", "北京大学")]

    def test_an_entry_added_at_the_end_is_one_addition(self):
        dossier = draft()
        before = snapshot(dossier)
        dossier.record_work_experience(APPLICANT, work_experience())
        assert changes_of(compare(before, snapshot(dossier), SECTION_WORDS), "work_experience") == [
            (ADDED, "第 1 条", "", "工作单位:演示单位甲;岗位/职务:技术员;开始时间:2010-07-01;主要工作内容:施工管理")]

    def test_achievements_added_and_removed_are_named_by_their_titles(self):
        dossier = draft()
        dossier.add_achievement(APPLICANT, {"kind": "论文", "title": "给水管网漏损控制", "date": "2022-05-01"},
                                achievement_id="a-1")
        before = snapshot(dossier)
        dossier.remove_achievement(APPLICANT, "a-1")
        dossier.add_achievement(APPLICANT, {"kind": "专利", "title": "一种节水阀门", "date": "2023-01-09"},
                                achievement_id="a-2")
        assert changes_of(compare(before, snapshot(dossier), SECTION_WORDS), "achievements") == [
            (REMOVED, "「给水管网漏损控制」", "成果类别:论文;名称:给水管网漏损控制;取得/完成时间:2022-05-01", ""),
            (ADDED, "「一种节水阀门」", "", "成果类别:专利;名称:一种节水阀门;取得/完成时间:2023-01-09"),
        ]


class TestMaterialsAndReview:
    def test_materials_attached_and_detached_are_listed_whole_with_their_hashes(self):
        dossier = filled()
        before = snapshot(dossier)
        dossier.detach_material(APPLICANT, "m-1")
        dossier.attach_material(APPLICANT, **material(material_id="m-2", filename="推荐信.pdf", category="other",
                                                      sha256="b" * 64, size=2048))
        diff = compare(before, snapshot(dossier), SECTION_WORDS)
        (attached,), (detached,) = diff.attached, diff.detached
        assert (attached["filename"], attached["category_label"], attached["size"], attached["sha256"]) == \
            ("推荐信.pdf", "其他", 2048, "b" * 64)
        assert (detached["filename"], detached["category_label"], detached["sha256"]) == ("学历证书.pdf", "学历证书", "a" * 64)
        assert diff.sections == () and diff.counts == {ADDED: 1, CHANGED: 0, REMOVED: 1}

    def test_the_review_steps_are_told_in_words(self):
        dossier = filled()
        before = snapshot(dossier)
        dossier.submit(APPLICANT)
        dossier.approve(UNIT, "同意推荐")
        after = snapshot(dossier)
        after["opinions"][0]["at"] = "2026-04-01T02:00:00+00:00"
        after["fee"] = {"order_id": "order-9", "amount_fen": 16000}
        after["tally"] = {"agree": 9, "disagree": 2, "abstain": 1, "voters": 12, "required": 8}
        assert changes_of(compare(before, after, SECTION_WORDS), "process") == [
            (CHANGED, "状态", "草稿", "单位审核通过"),
            (ADDED, "审核意见", "", "单位审核:同意推荐(2026-04-01 10:00:00)"),
            (ADDED, "评审费", "", "已缴 160.00 元(订单 order-9)"),
            (ADDED, "表决结果", "", "同意 9、不同意 2、弃权 1;参加表决 12 人,须 8 票同意"),
        ]

    def test_a_return_names_its_level_reason_and_sections(self):
        dossier = filled()
        dossier.submit(APPLICANT)
        before = snapshot(dossier)
        dossier.return_for_changes(UNIT, "学历证书不清晰", ["education", "materials"])
        changes = changes_of(compare(before, snapshot(dossier), SECTION_WORDS), "process")
        assert (ADDED, "退回修改通知", "", "单位审核退回:学历证书不清晰;需修改:学历学位、证明材料") in changes

    def test_actors_other_than_the_applicant_do_not_change_the_overview(self):
        dossier = filled()
        dossier.submit(APPLICANT)
        before = snapshot(dossier)
        dossier.reject(UNIT, "不符合条件")
        diff = compare(before, snapshot(dossier), SECTION_WORDS)
        assert [section.key for section in diff.sections] == ["process"]
        assert (ADDED, "结论理由", "", "不符合条件") in changes_of(diff, "process")
