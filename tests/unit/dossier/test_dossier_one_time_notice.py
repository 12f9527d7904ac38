"""The one-time notice (一次性告知, R5.10): a refused submission lists every missing section, every missing
required material (by year) and every eligibility failure in ONE answer, in the order of the editor's
form, each pointing to the section that fixes it; the aggregate records nothing when refused."""
import re
from pathlib import Path

import pytest

from services.dossier import submission_notice
from services.dossier.domain import Dossier
from services.dossier.exceptions import IncompleteDossierError, IneligibleError
from services.dossier.policy import check_eligibility, required_years
from services.dossier.required_materials import checklist
from shared.clock import beijing_today
from shared.contracts import dossier as st
from shared.contracts.year_policy import DEFAULT_POLICY
from tests.factories import Cast, attach_required_materials, fill_eligible

EDITOR = Path(__file__).resolve().parents[3] / "gateway" / "templates" / "editor.html"


def empty_draft():
    cast = Cast()
    return Dossier.create(cast.applicant, **cast.creation_fields()), cast


def notice_of(dossier, sanctions=()):
    state = dossier.to_dict()
    failures = check_eligibility(DEFAULT_POLICY, state, review_year=dossier.review_year, sanctions=sanctions,
                                 today=beijing_today())
    found = checklist(DEFAULT_POLICY, state, review_year=dossier.review_year)
    return submission_notice.problems(dossier.missing_sections(), found, failures), failures, found


class TestTheOrder:
    def test_the_order_is_the_editors_section_order(self):
        # The editor draws its sections in loops over section names and one by one (section_open);
        # the notice lists problems in that same order.
        drawn = []
        for match in re.finditer(r'\{% for name in \[([^\]]+)\] %\}|section_open\("([a-z_]+)"\)', EDITOR.read_text()):
            if match.group(1):
                drawn += [name.strip().strip('"') for name in match.group(1).split(",")]
            else:
                drawn.append(match.group(2))
        assert [name for name in drawn if name in st.SECTIONS] == list(submission_notice.FORM_ORDER)
        assert set(submission_notice.FORM_ORDER) == set(st.SECTIONS)

    def test_an_empty_draft_gets_every_kind_of_problem_sorted_by_section(self):
        dossier, _ = empty_draft()
        problems, failures, found = notice_of(dossier)
        positions = [submission_notice.FORM_ORDER.index(p["section"]) for p in problems if p["section"]]
        assert positions == sorted(positions)
        assert {p["kind"] for p in problems} == {"section", "material", "eligibility"}
        # every missing section, every rule failed and every missing file: none left for a second answer
        assert {p["key"] for p in problems if p["kind"] == "section"} == set(dossier.missing_sections()) - {"materials"}
        assert [p["message"] for p in problems if p["kind"] == "eligibility"] == [
            f.message for f in sorted(failures, key=lambda f: submission_notice.FORM_ORDER.index(
                submission_notice.RULE_SECTIONS[f.rule]))]
        assert [p["message"] for p in problems if p["kind"] == "material"] == [m["message"] for m in found["missing"]]

    def test_within_a_section_the_missing_section_comes_before_its_rules(self):
        dossier, _ = empty_draft()
        problems, _, _ = notice_of(dossier)
        basic = [p["kind"] for p in problems if p["section"] == "basic_info"]
        assert basic[0] == "section" and "eligibility" in basic

    def test_a_sanction_no_section_fixes_comes_first(self):
        dossier, _ = empty_draft()
        problems, _, _ = notice_of(dossier, sanctions=[{"kind": "fraud", "decided_on": beijing_today().isoformat()}])
        assert (problems[0]["key"], problems[0]["section"], problems[0]["anchor"]) == ("sanction", None, None)

    def test_each_missing_yearly_form_is_named_with_its_year_and_points_at_its_checklist_row(self):
        dossier, _ = empty_draft()
        problems, _, _ = notice_of(dossier)
        record_years, _ = required_years(DEFAULT_POLICY, dossier.to_dict(), review_year=dossier.review_year)
        forms = [p for p in problems if p["key"] == "annual_assessment_forms"]
        assert [p["message"] for p in forms] == [f"缺少 {year}年 年度考核登记表" for year in record_years]
        assert {(p["section"], p["anchor"]) for p in forms} == {("materials", "req-annual_assessment_forms")}
        assert [p["year"] for p in forms] == record_years

    def test_the_generic_no_material_line_gives_way_to_the_checklist(self):
        dossier, _ = empty_draft()
        problems, _, _ = notice_of(dossier)
        assert not [p for p in problems if p["kind"] == "section" and p["key"] == "materials"]
        alone = submission_notice.problems(dossier.missing_sections())
        assert [p["key"] for p in alone if p["kind"] == "section"][-1] == "materials"


class TestTheRefusal:
    def test_an_incomplete_dossier_is_refused_once_with_everything_and_records_nothing(self):
        dossier, cast = empty_draft()
        problems, _, _ = notice_of(dossier)
        version = dossier.version
        with pytest.raises(IncompleteDossierError) as raised:
            dossier.submit(cast.applicant, problems=problems, notice_version=3)
        error = raised.value
        assert error.items == problems and error.to_dict()["items"] == problems
        assert error.message.startswith(f"申报材料不完整,共 {len(problems)} 项问题")
        assert all(f"{number}. {p['text']}" in error.message for number, p in enumerate(problems, 1))
        assert set(error.fields) >= {"basic_info", "level_step", "materials", "continuing_education"}
        assert dossier.version == version

    def test_a_complete_dossier_failing_only_rules_keeps_the_ineligible_error(self):
        dossier, cast = empty_draft()
        fill_eligible(dossier, cast)
        dossier.update_basic_info(cast.applicant, dict(dossier.sections["basic_info"], retired=True))
        problems, _, _ = notice_of(dossier)
        with pytest.raises(IneligibleError) as raised:
            dossier.submit(cast.applicant, problems=problems)
        assert [item["key"] for item in raised.value.items] == ["retired"]
        assert raised.value.message.startswith("不符合申报条件,共 1 项:1. 已退休人员不能申报职称评审")

    def test_the_error_crosses_rpc_with_its_items(self):
        from nameko.exceptions import deserialize, serialize

        from shared.rpc import register_platform_errors

        register_platform_errors()
        dossier, _ = empty_draft()
        problems, _, _ = notice_of(dossier)
        back = deserialize(serialize(submission_notice.refusal(problems)))
        assert isinstance(back, IncompleteDossierError) and back.items == problems

    def test_a_dossier_with_nothing_missing_is_submitted_with_the_notice_version(self):
        dossier, cast = empty_draft()
        fill_eligible(dossier, cast)
        attach_required_materials(dossier, cast)
        problems, _, _ = notice_of(dossier)
        assert problems == []
        dossier.submit(cast.applicant, problems=problems, notice_version=4)
        submitted = dossier.collect_events()[-1]
        assert (type(submitted).__name__, submitted.notice_version) == ("Submitted", 4)
        assert dossier.status == st.SUBMITTED
