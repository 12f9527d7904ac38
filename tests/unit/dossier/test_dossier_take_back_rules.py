"""撤回申报 (take back): the applicant returns a submitted dossier to draft while the unit has not acted.

The command matrix (test_dossier_domain.py) already performs ``take_back`` in every status; these say
what the refusals tell the applicant, who may take back, and that the draft is a draft again.
"""
import pytest

from services.dossier import domain as d
from services.dossier.exceptions import ActorNotAllowedError, IllegalTransitionError, InvalidCommandError
from shared.contracts import dossier as st
from shared.event_handlers import event_entering
from shared.roles import Actor
from tests.factories import Cast
from tests.unit.dossier.dossier_givens import fold, given_events, history_to, payload_of
from tests.unit.dossier.test_dossier_domain import dossier_in


class TestTakingBack:
    def test_a_submitted_dossier_taken_back_is_a_draft_again_with_the_applicant_as_actor(self):
        dossier, cast = dossier_in(st.SUBMITTED)
        assert dossier.submitted_at is not None and "take_back" in dossier.to_dict()["allowed_commands"]
        dossier.take_back(cast.applicant, "  补充一篇论文 ")
        (event,) = dossier.collect_events()
        assert type(event) is d.SubmissionTakenBack and d.event_name(event) == "submission_taken_back"
        assert payload_of(event) == {"reason": "补充一篇论文"}
        assert event.actor == cast.applicant.to_dict()
        summary = dossier.to_dict()
        assert summary["status"] == st.DRAFT and summary["submitted_at"] is None
        assert summary["last_event"] == "submission_taken_back"
        assert "submit" in summary["allowed_commands"] and "take_back" not in summary["allowed_commands"]

    def test_the_reason_is_optional(self):
        dossier, cast = dossier_in(st.SUBMITTED)
        dossier.take_back(cast.applicant)
        (event,) = dossier.collect_events()
        assert event.reason == ""

    def test_a_reason_longer_than_500_characters_is_refused(self):
        dossier, cast = dossier_in(st.SUBMITTED)
        with pytest.raises(InvalidCommandError) as raised:
            dossier.take_back(cast.applicant, "长" * 501)
        assert "500" in raised.value.message and "reason" in raised.value.fields
        assert dossier.collect_events() == [] and dossier.status == st.SUBMITTED

    def test_after_taking_back_the_applicant_edits_and_submits_again(self):
        dossier, cast = dossier_in(st.SUBMITTED)
        dossier.take_back(cast.applicant)
        dossier.update_basic_info(cast.applicant, {"gender": "女"})
        dossier.submit(cast.applicant)
        events = dossier.collect_events()
        assert [d.event_name(event) for event in events] == [
            "submission_taken_back", "basic_info_updated", "submitted"]
        assert events[-1].resubmission is False  # a first submission taken back is submitted afresh
        assert dossier.status == st.SUBMITTED and dossier.sections["basic_info"] == {"gender": "女"}
        # The unit sees it again and decides on it as on any submission.
        dossier.approve(cast.unit_admin, "同意推荐")
        assert dossier.status == st.UNIT_APPROVED

    def test_a_resubmission_taken_back_is_still_a_resubmission_when_submitted_again(self):
        dossier, cast = dossier_in(st.RETURNED)
        dossier.submit(cast.applicant)
        dossier.take_back(cast.applicant)
        assert dossier.status == st.DRAFT and dossier.resubmitting
        dossier.submit(cast.applicant)
        assert dossier.collect_events()[-1].resubmission is True

    def test_nobody_but_the_applicant_takes_the_submission_back(self):
        dossier, cast = dossier_in(st.SUBMITTED)
        strangers = (
            Actor(account_id="someone-else", role="applicant"),
            cast.unit_admin,
            Actor(account_id=cast.applicant.account_id, role="unit_admin", org_id=cast.unit_id),
            cast.city_admin,
        )
        for stranger in strangers:
            with pytest.raises(ActorNotAllowedError) as raised:
                dossier.take_back(stranger)
            assert raised.value.message == "只有申报人本人可以执行此操作"
        assert dossier.collect_events() == [] and dossier.status == st.SUBMITTED

    @pytest.mark.parametrize("status", [status for status in st.ALL_STATUSES if status != st.SUBMITTED])
    def test_refused_in_every_other_status_saying_why(self, status):
        dossier, cast = dossier_in(status)
        before = dossier.to_dict()
        with pytest.raises(IllegalTransitionError) as raised:
            dossier.take_back(cast.applicant)
        assert dossier.collect_events() == [] and dossier.to_dict() == before
        message = raised.value.message
        assert "撤回申报" in message and st.STATUS_LABELS[status] in message
        if status == st.UNIT_APPROVED:
            assert message.startswith("单位已审核,不能撤回")
            assert "如需修改请联系单位管理员退回" in message
        elif status not in (st.DRAFT, st.RETURNED, st.WITHDRAWN, st.ABANDONED, st.REJECTED):
            assert message.startswith("单位已审核,不能撤回")
        elif status in st.EDITABLE:
            assert "无需撤回申报" in message and "可直接修改" in message

    def test_the_unit_decision_first_then_the_take_back_is_refused(self):
        dossier, cast = dossier_in(st.SUBMITTED)
        dossier.return_for_changes(cast.unit_admin, "请补充业绩", ["achievements"])
        with pytest.raises(IllegalTransitionError, match="无需撤回申报"):
            dossier.take_back(cast.applicant)

    def test_folding_the_history_with_a_take_back_rebuilds_the_draft(self):
        cast = Cast()
        history = given_events(history_to(st.SUBMITTED, cast))
        dossier = fold(history)
        dossier.take_back(cast.applicant, "改一下")
        replayed = fold([*history, *dossier.collect_events()])
        assert replayed.to_dict() == dossier.to_dict()
        assert replayed.status == st.DRAFT and replayed.submitted_at is None


class TestTheContract:
    def test_take_back_is_a_step_back_into_draft_not_a_creation(self):
        assert st.EVENT_STATUS["submission_taken_back"] == st.DRAFT
        assert "submission_taken_back" in st.STEPS_BACK
        assert event_entering(st.DRAFT) == "created"
        assert st.LEGAL_IN["take_back"] == (st.SUBMITTED,)
        assert st.COMMAND_LABELS["take_back"] == st.EVENT_LABELS["submission_taken_back"] == "撤回申报"
