"""The materials checklist (必备材料清单, R5.11): which requirement items apply to a series and level, one
slot per counted year or claimed achievement (the eligibility rules' own years), the files against each
slot, what is missing in words, and files uploaded twice flagged."""
import copy

from services.dossier.policy import required_years
from services.dossier.required_materials import checklist
from shared.contracts.year_policy import DEFAULT_POLICY, effective_policy, requirements_for
from tests.factories import basic_info, material

YEAR = 2026


def state(level="intermediate", series="engineering", info=None, materials=(), achievements=()):
    sections = {} if info is None else {"basic_info": info}
    return {"review_year": YEAR, "series": series, "level": level, "sections": sections,
            "materials": list(materials), "achievements": list(achievements)}


def item(found, key):
    return next(entry for entry in found["items"] if entry["key"] == key)


def check(dossier, policy=DEFAULT_POLICY):
    return checklist(policy, dossier, review_year=YEAR)


class TestWhichItemsApply:
    def test_every_default_item_applies_to_intermediate_in_policy_order(self):
        found = check(state(info=basic_info()))
        assert [entry["key"] for entry in found["items"]] == [
            entry["key"] for entry in requirements_for(DEFAULT_POLICY, "engineering", "intermediate")]
        assert "current_title_certificate" in [entry["key"] for entry in found["items"]]

    def test_the_current_title_certificate_is_not_asked_of_primary(self):
        found = check(state(level="primary", info=basic_info(current_title_level=None, current_title_series=None,
                                                              current_title_obtained_on=None)))
        assert "current_title_certificate" not in [entry["key"] for entry in found["items"]]
        assert "education_certificate" in [entry["key"] for entry in found["items"]]

    def test_a_years_policy_replaces_the_list_and_limits_items_to_its_series(self):
        policy = effective_policy({"required_materials": [
            {"key": "health_licence", "label": "执业证书", "categories": ["other"], "per": "dossier", "count": 2,
             "series": ["health"], "levels": None}]})
        assert check(state(info=basic_info()), policy)["items"] == []
        health = check(state(series="health", level="senior", info=basic_info()), policy)
        assert [entry["key"] for entry in health["items"]] == ["health_licence"]
        assert health["missing"][0]["message"] == "缺少 执业证书(须 2 份,已上传 0 份)"


class TestSlots:
    def test_one_assessment_form_per_counted_year_and_one_proof_per_education_year(self):
        dossier = state(info=basic_info())
        record_years, education_years = required_years(DEFAULT_POLICY, dossier, review_year=YEAR)
        found = check(dossier)
        assert [slot["year"] for slot in item(found, "annual_assessment_forms")["slots"]] == record_years
        assert [slot["year"] for slot in item(found, "continuing_education_proofs")["slots"]] == education_years
        assert record_years[0] == 2017 and record_years[-1] == YEAR - 1  # title obtained 2016-12-01

    def test_a_form_counts_only_for_its_own_year(self):
        dossier = state(info=basic_info(current_title_obtained_on="2022-06-01"), materials=[
            material(category="annual_assessment", year=2023, sha256="1" * 64),
            material(category="annual_assessment", sha256="2" * 64, filename="无年度.pdf")])
        forms = item(check(dossier), "annual_assessment_forms")
        assert {slot["year"]: slot["done"] for slot in forms["slots"]} == {2023: True, 2024: False, 2025: False}
        assert [entry["filename"] for entry in forms["unassigned"]] == ["无年度.pdf"]
        assert [entry["message"] for entry in forms["missing"]] == ["缺少 2024年 年度考核登记表", "缺少 2025年 年度考核登记表"]

    def test_before_the_title_date_is_known_the_education_years_stand_in(self):
        dossier = state(info=None)
        record_years, education_years = required_years(DEFAULT_POLICY, dossier, review_year=YEAR)
        assert record_years == education_years == [YEAR - 3, YEAR - 2, YEAR - 1]
        assert [slot["year"] for slot in item(check(dossier), "annual_assessment_forms")["slots"]] == record_years

    def test_each_achievement_needs_a_linked_proof(self):
        achievements = [{"achievement_id": "a1", "title": "某大桥工程"}, {"achievement_id": "a2", "title": "论文"}]
        dossier = state(info=basic_info(), achievements=achievements, materials=[
            material(category="achievement", achievement_id="a1", sha256="3" * 64),
            material(category="achievement", sha256="4" * 64)])  # linked to nothing: counts for nothing
        proofs = item(check(dossier), "achievement_proofs")
        assert [(slot["achievement_id"], slot["done"]) for slot in proofs["slots"]] == [("a1", True), ("a2", False)]
        assert [entry["message"] for entry in proofs["missing"]] == ["缺少 业绩成果「论文」的业绩成果证明"]

    def test_without_achievements_the_achievement_item_has_no_slot_and_is_complete(self):
        proofs = item(check(state(info=basic_info())), "achievement_proofs")
        assert proofs["slots"] == [] and proofs["complete"] is True

    def test_a_diploma_or_a_degree_certificate_fills_the_education_item(self):
        for category in ("diploma", "degree"):
            education = item(check(state(info=basic_info(), materials=[material(category=category)])),
                             "education_certificate")
            assert education["complete"] is True and len(education["slots"][0]["materials"]) == 1

    def test_a_count_above_one_says_how_many_are_missing(self):
        policy = copy.deepcopy(DEFAULT_POLICY)
        policy["required_materials"][0]["count"] = 2
        education = item(check(state(info=basic_info(), materials=[material()]), policy), "education_certificate")
        assert education["slots"][0]["missing"] == 1
        assert education["missing"][0]["message"] == "缺少 学历/学位证书(须 2 份,已上传 1 份)"


class TestCompleteAndDuplicates:
    def complete_state(self):
        dossier = state(info=basic_info(current_title_obtained_on="2022-06-01"),
                        achievements=[{"achievement_id": "a1", "title": "工程"}])
        record_years, education_years = required_years(DEFAULT_POLICY, dossier, review_year=YEAR)
        files = [material(category="diploma", sha256="a" * 64), material(category="title_certificate", sha256="b" * 64),
                 material(category="achievement", achievement_id="a1", sha256="c" * 64)]
        files += [material(category="annual_assessment", year=year, sha256=f"{year}".ljust(64, "d"))
                  for year in record_years]
        files += [material(category="continuing_education", year=year, sha256=f"{year}".ljust(64, "e"))
                  for year in education_years]
        dossier["materials"] = files
        return dossier

    def test_a_complete_dossier_misses_nothing_and_flags_nothing(self):
        found = check(self.complete_state())
        assert found["complete"] is True and found["missing"] == [] and found["duplicates"] == []
        assert all(slot["done"] for entry in found["items"] for slot in entry["slots"])

    def test_the_same_file_uploaded_twice_is_flagged_but_still_counts(self):
        dossier = self.complete_state()
        copy_of_diploma = material(category="annual_assessment", year=2023, sha256="a" * 64, filename="又一份.pdf")
        dossier["materials"].append(copy_of_diploma)
        found = check(dossier)
        assert [group["sha256"] for group in found["duplicates"]] == ["a" * 64]
        assert copy_of_diploma["material_id"] in found["duplicates"][0]["material_ids"]
        flagged = [view for entry in found["items"] for slot in entry["slots"] for view in slot["materials"]
                   if view["duplicate"]]
        assert {view["material_id"] for view in flagged} == set(found["duplicates"][0]["material_ids"])
        assert found["complete"] is True

    def test_exceptional_adds_the_recommendation_letters_as_their_own_item(self):
        dossier = self.complete_state()
        dossier["sections"]["basic_info"]["exceptional"] = True
        dossier["materials"].append(material(category="recommendation_letter", sha256="f" * 64))
        letters = item(check(dossier), "recommendation_letters")
        needed = DEFAULT_POLICY["exceptional"]["recommendation_letters"]
        assert letters["count"] == needed and letters["source"] == "exceptional"
        assert letters["slots"][0]["missing"] == needed - 1
