"""A dossier taken back from its meeting (撤回送评): only by the committee office or the city admin, only
from the meeting it was sent to, only with a reason; fee-paid again, it may go to another meeting."""
import pytest

from services.dossier.exceptions import (
    ActorNotAllowedError, IllegalTransitionError, InvalidCommandError, RuleViolationError, SelfDecisionError,
)
from shared.contracts import dossier as st
from tests.factories import Cast
from tests.unit.dossier.dossier_givens import given, history_to, payload_of


def dossier_in(status):
    cast = Cast()
    return given(history_to(status, cast)), cast


def test_the_recall_leaves_the_dossier_fee_paid_without_a_committee_and_it_may_be_sent_again():
    dossier, cast = dossier_in(st.SENT_TO_COMMITTEE)
    assert dossier.committee == {"committee_id": "committee-1", "meeting_id": "meeting-1",
                                 "committee_name": "昆明市工程系列中级评审委员会"}
    dossier.recall_from_committee(cast.secretary, meeting_id="meeting-1", reason="申报人为本次会议抽取的专家")
    assert dossier.status == st.FEE_PAID and dossier.committee is None
    dossier.send_to_committee(cast.secretary, committee_id="committee-1", meeting_id="meeting-2")
    recalled, sent = dossier.collect_events()
    assert payload_of(recalled) == {"meeting_id": "meeting-1", "reason": "申报人为本次会议抽取的专家"}
    assert payload_of(sent) == {"committee_id": "committee-1", "meeting_id": "meeting-2", "committee_name": ""}
    assert dossier.status == st.SENT_TO_COMMITTEE


def test_a_fee_paid_dossier_after_a_recall_is_withdrawn_with_its_fee_refunded():
    dossier, cast = dossier_in(st.SENT_TO_COMMITTEE)
    dossier.recall_from_committee(cast.city_admin, meeting_id="meeting-1", reason="调整到下一次评审会议")
    dossier.withdraw(cast.applicant)
    assert payload_of(dossier.collect_events()[-1]) == {"reason": "", "refund_due": True}


def test_only_the_meeting_it_was_sent_to_recalls_it():
    dossier, cast = dossier_in(st.SENT_TO_COMMITTEE)
    with pytest.raises(RuleViolationError, match="未分配到此评审会议"):
        dossier.recall_from_committee(cast.secretary, meeting_id="meeting-9", reason="调整到下一次评审会议")
    assert dossier.collect_events() == [] and dossier.status == st.SENT_TO_COMMITTEE


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_recall_names_its_reason(reason):
    dossier, cast = dossier_in(st.SENT_TO_COMMITTEE)
    with pytest.raises(InvalidCommandError) as raised:
        dossier.recall_from_committee(cast.secretary, meeting_id="meeting-1", reason=reason)
    assert raised.value.fields == {"reason": ["请填写撤回送评的理由"]}
    assert dossier.collect_events() == []


@pytest.mark.parametrize(("who", "refusal"), [("applicant", SelfDecisionError), ("unit_admin", ActorNotAllowedError),
                                               ("district_admin", ActorNotAllowedError), ("system", ActorNotAllowedError)])
def test_nobody_but_the_office_and_the_city_admin_recalls(who, refusal):
    dossier, cast = dossier_in(st.SENT_TO_COMMITTEE)
    with pytest.raises(refusal):
        dossier.recall_from_committee(getattr(cast, who), meeting_id="meeting-1", reason="调整到下一次评审会议")
    assert dossier.collect_events() == []


def test_once_the_vote_opened_the_dossier_is_not_recalled():
    dossier, cast = dossier_in(st.UNDER_REVIEW)
    with pytest.raises(IllegalTransitionError, match="撤回送评"):
        dossier.recall_from_committee(cast.secretary, meeting_id="meeting-1", reason="调整到下一次评审会议")
    assert dossier.status == st.UNDER_REVIEW
