"""The meeting and ballot pages' lead reviewers (主审), dossier changes and official wording, rendered
without I/O from the review service's answer shapes."""
import pytest

from gateway.auth import Principal
from gateway.pages.base import nav_links
from gateway.pages.committees import lead_choices
from gateway.pages.renderer import PageRenderer
from shared.contracts.review import CHOICES, UNCONFIRMED_MINIMUMS

RENDERER = PageRenderer()
CITY = Principal(account_id="c-1", name="市人社局审核员", roles=(("city_admin", "city"),))
LEAD = Principal(account_id="e-1", name="评审专家01", roles=(("expert", "committee"),))
OTHER = Principal(account_id="e-2", name="评审专家02", roles=(("expert", "committee"),))
OPINION = "申报人业绩突出,主持完成的给排水工程获省级奖励,同意推荐。"


def render(template, me, **context):
    base = {"me": me, "nav": nav_links(me), "csrf_token": "tok", "csrf_field": "csrf_token", "flash": None, "path": "/"}
    return RENDERER.render(template, **{**base, **context})


def expert(number, unit="乙", attending=True):
    return {"expert_id": f"e-{number}", "name": f"评审专家{number:02d}", "unit_id": unit, "unit_name": unit,
            "title": "高级工程师", "specialty": "", "draw_order": number, "attending": attending}


def lead(number=1, opinion=OPINION):
    return {"expert_id": f"e-{number}", "name": f"评审专家{number:02d}", "unit_name": "乙", "opinion": opinion,
            "opinion_at": "2026-06-01T02:00:00+00:00" if opinion else None,
            "named_at": "2026-06-01T01:00:00+00:00", "recused": None}


def meeting(state, dossiers=None, changes=(), experts=None):
    return {"id": "m-1", "committee_id": "c-1", "committee_name": "工程中级", "state": state, "state_label": "已抽取专家",
            "title": "工程中级 2026年6月1日 第1批评审会议", "meeting_date": "2026-06-01", "expert_count": 3,
            "draw": None if state == "planned" else {"seed": "ab", "candidates": ["e-1"], "excluded": {"e-9": "出国"},
                                                     "drawn_at": "2026-06-01T01:00:00+00:00"},
            "attendance_recorded": True, "experts": experts if experts is not None else [expert(1), expert(2), expert(3, "甲")],
            "quorum": {"drawn": 3, "attending": 3, "required": 2, "met": True}, "pass_share": "2/3",
            "dossiers": [{"dossier_id": "d-1", "applicant_name": "王芳", "unit_name": "甲", "state": "assigned",
                          "tally": None, "error": None, "voters": 2, "ballots_cast": 0, "leads": [lead()],
                          "recused": [{"expert_id": "e-3", "reason": "与申报人同一单位"}]}] if dossiers is None else dossiers,
            "dossier_changes": list(changes)}


COMMITTEE = {"settings": {"quorum_share": "2/3"}, "experts": [expert(1), expert(2), expert(3, "甲")],
             "series_label": "工程", "level_labels": ["中级"]}


def meeting_page(state, **context):
    shown = context.pop("meeting", None) or meeting(state)
    return render("meeting.html", CITY, meeting=shown, committee=COMMITTEE, candidates=context.pop("candidates", []),
                  names={e["expert_id"]: e for e in COMMITTEE["experts"]}, replayed=None, can_run=True,
                  lead_choices=lead_choices(shown), known_dossiers={}, **context)


class TestTheMeetingPage:
    def test_a_planned_meeting_without_dossiers_asks_for_them_before_the_draw(self):
        html = meeting_page("planned", meeting=meeting("planned", dossiers=[]))
        assert 'id="draw-form"' not in html and "请先分配申报材料,再抽取专家" in html

    def test_the_draw_record_names_an_expert_who_left_the_pool_without_their_id(self):
        html = meeting_page("drawn")
        assert "已移出专家库的专家(出国)" in html and "e-9" not in html

    def test_leads_are_shown_with_their_opinion_and_the_form_offers_only_experts_who_need_not_recuse(self):
        html = meeting_page("drawn")
        assert "主审专家 评审专家01" in html and OPINION in html
        form = html[html.index('id="lead-form-d-1"'):]
        form = form[:form.index("</form>")]
        assert 'value="e-1" checked' in form and 'value="e-2"' in form and 'value="e-3"' not in form

    def test_the_lead_choices_leave_out_the_recused_and_the_absent(self):
        shown = meeting("drawn", experts=[expert(1), expert(2, attending=False), expert(3, "甲")])
        assert [e["expert_id"] for e in lead_choices(shown)["d-1"]] == ["e-1"]

    def test_a_drawn_meeting_offers_the_reasoned_change_and_lists_the_recorded_ones(self):
        change = {"dossier_id": "d-9", "applicant_name": "李雷", "change": "removed", "change_label": "撤出",
                  "reason": "申报人申请调整到下一批次", "decided_by": "s-1", "decided_role_label": "评委会办公室",
                  "decided_at": "2026-06-01T03:00:00+00:00"}
        html = meeting_page("drawn", meeting=meeting("drawn", changes=[change]),
                            candidates=[{"dossier_id": "d-5", "applicant_name": "韩梅", "unit_name": "丙",
                                         "specialty": "土木"}])
        assert 'id="change-form"' in html and 'name="remove" value="d-1"' in html and 'name="add" value="d-5"' in html
        assert 'id="assign-form"' not in html
        assert "撤出" in html and "申报人申请调整到下一批次" in html and "评委会办公室" in html and "s-1" not in html

    def test_a_refused_change_keeps_what_was_typed_beside_its_error(self):
        html = meeting_page("drawn", form="changes", errors={"reason": ["长度应在 5 到 500 个字符之间"]},
                            change_values={"add": [], "remove": ["d-1"], "reason": "太短"})
        assert 'id="err-change-reason"' in html and ">太短</textarea>" in html
        assert 'name="remove" value="d-1" checked' in html and "<details class=\"change-form\" open>" in html

    @pytest.mark.parametrize("state", ["planned", "drawn", "open", "closed"])
    def test_no_settings_note_and_no_state_code_on_the_working_page(self, state):
        html = meeting_page(state)
        assert "未确认" not in html and UNCONFIRMED_MINIMUMS not in html
        assert ">assigned<" not in html and "None" not in html


def ballot_page(me, dossier, state="open", **context):
    shown = {"meeting_id": "m-1", "title": "评审会议", "meeting_date": "2026-06-01", "state": state,
             "state_label": "评审中", "attending": True, "dossiers": [dossier]}
    return render("expert_vote.html", me, meeting=shown, choices=CHOICES, **context)


def ballot_dossier(**overrides):
    return {"dossier_id": "d-1", "applicant_name": "王芳", "unit_name": "甲", "recused": None, "voted": False,
            "is_lead": False, "leads": [lead()], **overrides}


class TestTheBallotPage:
    def test_another_expert_reads_the_lead_opinion_above_the_ballot_and_has_no_opinion_form(self):
        html = ballot_page(OTHER, ballot_dossier())
        assert OPINION in html and 'id="lead-opinion-d-1"' not in html
        assert html.index('id="lead-opinions-d-1"') < html.index('id="ballot-d-1"')

    def test_the_lead_edits_their_opinion_until_they_vote(self):
        html = ballot_page(LEAD, ballot_dossier(is_lead=True))
        assert 'id="lead-opinion-d-1"' in html and "(本人)" in html and f">{OPINION}</textarea>" in html
        assert "修改主审意见" in html
        voted = ballot_page(LEAD, ballot_dossier(is_lead=True, voted=True))
        assert 'id="lead-opinion-d-1"' not in voted and OPINION in voted

    def test_a_refused_opinion_is_shown_again_with_its_reason(self):
        html = ballot_page(LEAD, ballot_dossier(is_lead=True, leads=[lead(opinion=None)]), lead_failed="d-1",
                           lead_errors=["长度应在 10 到 4000 个字符之间(不计首尾空白)"], opinion_typed="太短")
        assert 'id="err-lead-d-1-opinion"' in html and ">太短</textarea>" in html and "提交主审意见" in html

    def test_a_dossier_without_leads_shows_no_lead_block(self):
        assert 'id="lead-opinions-d-1"' not in ballot_page(OTHER, ballot_dossier(leads=[]))


def test_the_members_page_shows_a_missing_id_number_as_not_registered():
    unit_admin = Principal(account_id="u-1", name="单位管理员", roles=(("unit_admin", "unit-a"),))
    person = {"membership_id": "ms-1", "name": "评审专家01", "id_number_masked": None, "phone_masked": None,
              "requested_at": "2026-06-01T01:00:00+00:00"}
    html = render("members.html", unit_admin, unit={"name": "演示单位甲"}, pending=[person], confirmed=[person])
    assert "None" not in html and "未登记" in html and "<li>评审专家01</li>" in html
