"""What the reviewer saw, its pure parts (gateway/pages/audit_decisions_views.py): a dossier's history
turned into its decisions — level, decider, outcome, reason, the version each was taken on and the one
before — and the materials a version held with the versions that attached and detached them, and the
file a hash names."""
from gateway.pages.audit_decisions_views import (
    decision_rows, hash_arg, material_versions, materials_seen, stored_with_hash,
)
from shared.roles import APPLICANT, CITY_ADMIN, COMMITTEE_SECRETARY, DISTRICT_ADMIN, UNIT_ADMIN


def event(version, kind, data=None, role=APPLICANT, account="applicant-1", org=None):
    return {"version": version, "type": kind, "at": f"2026-03-01T0{version % 10}:00:00+00:00", "data": data or {},
            "hash": f"{version:064d}", "prev_hash": f"{version - 1:064d}",
            "actor": {"account_id": account, "role": role, "org_id": org, "correlation_id": f"corr-{version}"}}


def material(material_id, sha, name):
    return {"material_id": material_id, "object_key": f"dossiers/d/materials/{material_id}.pdf", "sha256": sha,
            "size": 2048, "pages": 2, "category": "diploma", "filename": name}


OLD, NEW = material("m-old", "a" * 64, "旧学历证书.pdf"), material("m-new", "b" * 64, "新学历证书.pdf")
UNIT = {"role": UNIT_ADMIN, "account": "unit-admin", "org": "unit-1"}
HISTORY = [
    event(1, "created", {"review_year": 2026, "series": "engineering", "level": "intermediate"}),
    event(2, "material_attached", OLD),
    event(3, "submitted", {"resubmission": False}),
    event(4, "returned", {"level": "unit", "reason": "学历证书不清晰", "sections": ["materials", "education"]}, **UNIT),
    event(5, "material_detached", {"material_id": "m-old", **{k: OLD[k] for k in ("filename", "category", "size", "sha256")}}),
    event(6, "material_attached", NEW),
    event(7, "submitted", {"resubmission": True}),
    event(8, "unit_approved", {"opinion": "同意推荐"}, **UNIT),
    event(9, "unit_publicity_recorded", {"start": "2026-03-02", "end": "2026-03-06"}, **UNIT),
    event(10, "recommended", {"batch_id": "batch-1"}, **UNIT),
    event(11, "district_approved", {"opinion": "符合条件"}, role=DISTRICT_ADMIN, account="district-admin", org="district-1"),
    event(12, "city_approved", {"opinion": "准予受理"}, role=CITY_ADMIN, account="city-admin", org="city-1"),
    event(13, "fee_paid", {"order_id": "o-1", "amount_fen": 16000}, role="system", account="system"),
    event(14, "sent_to_committee", {"committee_id": "c-1", "meeting_id": "meeting-1"}, role=COMMITTEE_SECRETARY),
    event(15, "review_started", {"meeting_id": "meeting-1"}, role=COMMITTEE_SECRETARY),
    event(16, "passed", {"tally": {"agree": 7, "disagree": 1, "abstain": 1, "voters": 9, "required": 6}},
          role=COMMITTEE_SECRETARY, account="secretary"),
]
PEOPLE = {"unit-admin": "单位管理员甲", "district-admin": "五华区审核员", "city-admin": "市人社局审核员", "secretary": "秘书"}
ORGS = {"unit-1": "演示单位甲", "district-1": "五华区人社局", "city-1": "昆明市人社局"}


class TestDecisionRows:
    def test_every_decision_is_a_row_in_order_with_its_level_and_outcome_in_words(self):
        rows = decision_rows(HISTORY, PEOPLE, ORGS)
        assert [(row["version"], row["level_words"], row["outcome"]) for row in rows] == [
            (4, "单位审核", "退回修改"), (8, "单位审核", "审核通过"), (10, "单位审核", "报送上级"),
            (11, "主管部门/区县人社局审核", "审核通过"), (12, "市人社局审核", "审核通过"), (16, "评审委员会评审", "评审通过")]

    def test_each_decision_was_taken_on_the_version_before_its_event_and_links_to_the_one_before(self):
        rows = decision_rows(HISTORY, PEOPLE, ORGS)
        assert [row["seen_version"] for row in rows] == [3, 7, 9, 10, 11, 15]
        assert [row["previous_seen"] for row in rows] == [None, 3, 7, 9, 10, 11]

    def test_the_decider_is_named_with_role_and_organisation_and_the_reason_and_sections_kept(self):
        returned, approved, recommended, district, *_ = decision_rows(HISTORY, PEOPLE, ORGS)
        assert (returned["actor_name"], returned["role"], returned["organisation"]) == ("单位管理员甲", "单位管理员", "演示单位甲")
        assert returned["reason"] == "学历证书不清晰" and returned["sections"] == ["证明材料", "学历学位"]
        assert returned["outcome_kind"] == "return" and approved["outcome_kind"] == "approve"
        assert approved["reason"] == "同意推荐" and recommended["batch_id"] == "batch-1"
        assert (district["actor_name"], district["organisation"]) == ("五华区审核员", "五华区人社局")

    def test_the_committee_decision_names_its_meeting_and_tally_only(self):
        committee = decision_rows(HISTORY, PEOPLE, ORGS)[-1]
        assert committee["committee"] and committee["meeting_id"] == "meeting-1"
        assert committee["detail"] == "同意 7、不同意 1、弃权 1(须 6 票)"
        assert not any(row["meeting_id"] for row in decision_rows(HISTORY, PEOPLE, ORGS)[:-1])

    def test_a_rejection_at_the_city_is_told_at_the_level_it_names(self):
        history = HISTORY[:11] + [event(12, "rejected", {"level": "city", "reason": "业绩不符"}, role=CITY_ADMIN)]
        last = decision_rows(history, PEOPLE, ORGS)[-1]
        assert (last["level_words"], last["outcome"], last["outcome_kind"], last["reason"]) == \
            ("市人社局审核", "不予通过", "reject", "业绩不符")

    def test_a_dossier_nobody_decided_on_has_no_rows(self):
        assert decision_rows(HISTORY[:3], PEOPLE, ORGS) == []


class TestMaterialsSeen:
    def test_each_material_carries_the_version_that_attached_it_and_any_that_detached_it_later(self):
        assert material_versions(HISTORY) == {"m-old": (2, 5), "m-new": (6, None)}
        seen_by_the_return = materials_seen({"materials": [OLD]}, HISTORY)
        assert seen_by_the_return == [{**OLD, "attached_version": 2, "detached_version": 5}]
        assert materials_seen({"materials": [NEW]}, HISTORY)[0]["detached_version"] is None
        assert materials_seen({"materials": []}, HISTORY) == []


class TestFilesByHash:
    def test_a_hash_is_64_hex_digits_in_either_case(self):
        assert hash_arg("AB" * 32) == ("ab" * 32, None)
        for bad in ("", "a" * 63, "g" * 64, "../" + "a" * 61, "a" * 65):
            assert hash_arg(bad) == (None, "文件的 SHA-256 应为 64 位十六进制数字")

    def test_the_file_is_found_in_any_version_even_one_detached_since(self):
        assert stored_with_hash(HISTORY, "a" * 64) == [{"object_key": OLD["object_key"], "filename": "旧学历证书.pdf",
                                                         "material_id": "m-old"}]
        assert stored_with_hash(HISTORY, "c" * 64) == []

    def test_the_same_file_attached_twice_is_one_candidate_per_stored_object(self):
        again = {**OLD, "material_id": "m-again", "object_key": "dossiers/d/materials/m-again.pdf"}
        history = HISTORY + [event(17, "material_attached", again), event(18, "material_attached", again)]
        assert [found["material_id"] for found in stored_with_hash(history, "a" * 64)] == ["m-old", "m-again"]
