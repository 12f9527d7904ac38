"""The editor draws the one-time notice and the 必备材料清单 as the dossier service gives them: a refused
submission's items become one list in their order, each linked to its anchor; the self-check shows the
same list; the checklist marks each slot ✓ or 缺 and flags files uploaded twice."""
from services.dossier import submission_notice
from services.dossier.domain import Dossier
from services.dossier.policy import check_eligibility
from services.dossier.required_materials import checklist
from shared.clock import beijing_today
from shared.contracts.year_policy import DEFAULT_POLICY
from gateway.pages.dossiers import notice_problems, submit_problems
from tests.factories import Cast, basic_info, material
from tests.unit.gateway.test_gateway_pages_templates import dossier_in, editor


def refusal_of_an_empty_draft():
    cast = Cast()
    dossier = Dossier.create(cast.applicant, **cast.creation_fields())
    state = dossier.to_dict()
    failures = check_eligibility(DEFAULT_POLICY, state, review_year=2026, sanctions=(), today=beijing_today())
    found = checklist(DEFAULT_POLICY, state, review_year=2026)
    return submission_notice.refusal(submission_notice.problems(dossier.missing_sections(), found, failures))


class TestTheRefusalOnThePage:
    def test_every_item_is_listed_in_its_order_with_a_link_to_its_anchor(self):
        error = refusal_of_an_empty_draft()
        problems, by_section = submit_problems(error)
        assert [p["message"] for p in problems] == [item["message"] for item in error.items]
        html = editor(dossier_in("draft"), message=error.message, submit_problems=problems)
        box = html[html.index('id="submit-problem-list"'):html.index('id="submit-dossier"')]
        assert box.count("<li>") == len(error.items)
        rows = box.split("<li>")[1:]
        assert all(item["message"] in row for item, row in zip(error.items, rows, strict=True))
        for item in error.items:
            assert f'href="#{item["anchor"]}"' in box
        assert "年度考核登记表" in " ".join(by_section["materials"])

    def test_a_missing_material_is_not_prefixed_with_its_label_twice(self):
        problems = notice_problems(refusal_of_an_empty_draft().items)
        material_rows = [p for p in problems if p["anchor"] and p["anchor"].startswith("req-")]
        assert material_rows and all(p["label"] == "" and p["message"].startswith("缺少 ") for p in material_rows)

    def test_the_self_check_shows_the_same_list(self):
        error = refusal_of_an_empty_draft()
        html = editor(dossier_in("draft"), eligibility={"eligible": False, "failures": [], "ready": False,
                                                         "problems": error.items},
                      check_problems=notice_problems(error.items))
        box = html[html.index('id="check-problems"'):]
        assert all(item["message"] in box for item in error.items)


class TestTheChecklistPanel:
    def test_slots_are_marked_and_duplicates_flagged(self):
        dossier = dossier_in("draft")
        diploma = material(category="diploma", sha256="a" * 64, filename="学历证书.pdf")
        again = material(category="diploma", sha256="a" * 64, filename="学历证书-又一份.pdf")
        form = material(category="annual_assessment", year=2025, sha256="b" * 64, filename="2025考核.pdf")
        state = {**dossier, "sections": {"basic_info": basic_info()}, "materials": [diploma, again, form],
                 "achievements": []}
        found = checklist(DEFAULT_POLICY, state, review_year=2026)
        html = editor({**dossier, "materials": [diploma, again, form]}, checklist=found)
        panel = html[html.index('id="required-materials"'):html.index('id="material-list"')]
        year_2025 = panel[panel.index('data-year="2025"'):]
        assert year_2025[:year_2025.index("</li>")].count("✓") == 1 and "2025考核.pdf" in year_2025
        year_2024 = panel[panel.index('data-year="2024"'):]
        assert "缺" in year_2024[:year_2024.index("</li>")]
        assert "重复上传" in panel and "学历证书.pdf = 学历证书-又一份.pdf" in panel
        assert f"尚缺 {len(found['missing'])} 项" in panel

    def test_without_a_checklist_the_panel_says_it_is_unavailable(self):
        html = editor(dossier_in("draft"))
        assert 'id="checklist-unavailable"' in html
