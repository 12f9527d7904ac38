"""The page templates render every dossier state, escape what people typed and link only local files."""
import re

import pytest

from gateway.auth import Principal
from gateway.pages.base import nav_links
from gateway.pages.dossiers import LIST_SECTIONS, saved_values
from gateway.pages.renderer import PageRenderer
from gateway.pages.views import continuing_education_summary, history_rows, progress_steps
from services.dossier import domain as d
from shared.contracts.dossier import ELIGIBILITY_RULES as RULES
from tests.factories import Cast, continuing_education, fill_eligible

RENDERER = PageRenderer()
ME = Principal(account_id="p-1", name="王芳", roles=(("applicant", None),))


def dossier_in(status, applicant_name="王芳"):
    cast = Cast()
    dossier = d.Dossier.create(cast.applicant, **cast.creation_fields(applicant_name=applicant_name))
    fill_eligible(dossier, cast)
    if status in ("submitted", "returned"):
        dossier.submit(cast.applicant)
    if status == "returned":
        dossier.return_for_changes(cast.unit_admin, "请补充继续教育证明", ["continuing_education", "materials"])
    return dossier.to_dict()


def render(template, **context):
    base = {"me": ME, "nav": nav_links(ME), "csrf_token": "tok", "csrf_field": "csrf_token", "flash": None, "path": "/"}
    return RENDERER.render(template, **{**base, **context})


def editor(dossier, **extra):
    flagged = set((dossier.get("return_notice") or {}).get("sections") or []) if dossier["status"] == "returned" else set()
    context = dict(
        dossier=dossier, steps=progress_steps(dossier["status"]), events=[], values=saved_values(dossier), errors={},
        ce=continuing_education_summary(dossier["sections"].get("continuing_education"), {"hours_per_year": 90}),
        editable="update_basic_info" in dossier["allowed_commands"], can_submit="submit" in dossier["allowed_commands"],
        can_withdraw=True, return_notice=dossier["return_notice"] if flagged else None, flagged=flagged,
        list_sections=LIST_SECTIONS, rules=RULES)
    context.update(extra)
    return render("editor.html", **context)


class TestEditor:
    def test_a_draft_shows_a_form_for_every_section_with_the_csrf_token(self):
        html = editor(dossier_in("draft"))
        for section in ("basic_info", "education", "work_experience", "continuing_education", "achievements",
                        "annual_assessments", "review_form", "commitment"):
            assert f'id="form-{section}"' in html
        assert html.count('name="csrf_token" value="tok"') >= 10
        assert 'data-api="/api/v1/dossiers/' in html and 'id="upload-progress"' in html

    def test_a_submitted_dossier_is_shown_read_only(self):
        html = editor(dossier_in("submitted"))
        assert 'id="form-basic_info"' not in html and 'id="view-basic_info"' in html

    def test_a_returned_dossier_names_the_reason_and_flags_its_sections(self):
        html = editor(dossier_in("returned"))
        assert "请补充继续教育证明" in html
        assert re.search(r'class="card section flagged[^"]*" id="sec-continuing_education"', html)
        assert not re.search(r'class="card section flagged[^"]*" id="sec-basic_info"', html)

    def test_field_errors_appear_under_their_inputs(self):
        dossier = dossier_in("draft")
        rows = [{"year": "2025", "kind": "professional", "hours": "0", "course": "课"}]
        html = editor(dossier, values={**saved_values(dossier), "continuing_education": rows},
                      errors={"continuing_education": {"entries-0-hours": ["应在 0.5 到 1000 之间"]}})
        assert re.search(r'id="f-continuing_education-entries-0-hours"[^>]*aria-invalid="true"', html)
        assert '<p class="field-error" id="err-continuing_education-entries-0-hours" role="alert">应在 0.5 到 1000 之间</p>' in html

    def test_continuing_education_shortfalls_are_warned_per_year(self):
        dossier = dossier_in("draft")
        dossier["sections"]["continuing_education"] = continuing_education(years=(2025,), professional=40, public=30)
        html = editor(dossier)
        assert re.search(r'<tr class="short" id="ce-year-2025">', html) and "专业科目差 20 学时" in html

    def test_what_people_typed_is_escaped(self):
        html = editor(dossier_in("draft", applicant_name="<script>alert(1)</script>"))
        assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


class TestOtherPages:
    def test_history_shows_times_in_beijing_time_and_roles(self):
        dossier = dossier_in("returned")
        rows = history_rows([{"version": 1, "type": "returned", "at": "2026-03-01T16:30:00+00:00",
                              "actor": {"role": "unit_admin"}, "data": {"level": "unit", "reason": "补材料",
                                                                        "sections": ["materials"]}, "hash": "a" * 64}])
        html = render("history.html", dossier=dossier, rows=rows, steps=progress_steps("returned"),
                      verified={"ok": True, "events": 12, "first_bad_version": None})
        assert "2026-03-02 00:30" in html and "单位管理员" in html and "需修改:证明材料" in html

    @pytest.mark.parametrize("status", ["draft", "submitted", "returned"])
    def test_the_review_page_renders_in_each_state(self, status):
        dossier = dossier_in(status)
        html = render("review_dossier.html", dossier=dossier, steps=progress_steps(status), events=[],
                      decisions=["approve", "return", "reject"] if status == "submitted" else [],
                      form_values={}, form_errors={"return": {"sections": ["请选择需要修改的栏目"]}}, message=None)
        assert ('id="return-form"' in html) == (status == "submitted")
        assert "/dossiers/" + dossier["id"] + "/materials/" in html
        hidden = f'name="expected_version" value="{dossier["version"]}"'
        assert html.count(hidden) == (3 if status == "submitted" else 0)  # each decision names its version

    def test_the_base_layout_names_a_cjk_font_stack_served_locally(self):
        html = render("home.html", notices=[])
        assert re.search(r'<link rel="stylesheet" href="/static/site.css\?v=[0-9a-f]{10}">', html)
        assert "http://" not in html and "https://" not in html
