"""The dossier aggregate: given events -> command -> expected event or error (no I/O)."""
import pytest

from services.dossier import domain as d
from shared.contracts import dossier as st
from services.dossier.exceptions import (
    ActorNotAllowedError,
    IllegalTransitionError,
    IncompleteDossierError,
    InvalidCommandError,
    SelfDecisionError,
)
from services.dossier.hashchain import GENESIS, verify_chain
from shared.roles import Actor
from tests.factories import PAST_END, PAST_START, TODAY, Cast, fill_everything, material


def new_dossier(cast=None, **overrides):
    cast = cast or Cast()
    return d.Dossier.create(cast.applicant, **cast.creation_fields(**overrides)), cast


def reviewer(dossier, cast):
    level = st.DECISION_STATUSES.get(dossier.status, st.UNIT)
    return {st.UNIT: cast.unit_admin, st.DISTRICT: cast.district_admin, st.CITY: cast.city_admin}[level]


# How to reach each status from a filled draft: the steps, each a legal command.
def _submit(x, c): x.submit(c.applicant)
def _unit_approve(x, c):
    x.approve(c.unit_admin, "同意推荐")
    x.record_unit_publicity(c.unit_admin, start=PAST_START, end=PAST_END)
def _recommend(x, c): x.recommend(c.unit_admin, batch_id="batch-1", today=TODAY)
def _district_approve(x, c): x.approve(c.district_admin, "同意")
def _city_approve(x, c): x.approve(c.city_admin, "受理")
def _pay(x, c): x.record_fee_paid(c.system, order_id="order-1", amount_fen=16000)
def _send(x, c): x.send_to_committee(c.city_admin, committee_id="committee-1", meeting_id="meeting-1")
def _start_review(x, c): x.start_review(c.secretary, meeting_id="meeting-1")
def _pass(x, c): x.record_vote_result(c.secretary, agree=10, disagree=4, abstain=1, voters=15, required=10)
def _fail(x, c): x.record_vote_result(c.secretary, agree=9, disagree=5, abstain=1, voters=15, required=10)
def _publicise(x, c): x.start_publicity(c.city_admin, publicity_id="pub-1", start=PAST_START, end=PAST_END)
def _end_publicity(x, c): x.end_publicity(c.system)
def _certify(x, c): x.issue_certificate(c.system, certificate_number="2026530101200001")


PATHS = {
    st.DRAFT: [],
    st.SUBMITTED: [_submit],
    st.RETURNED: [_submit, lambda x, c: x.return_for_changes(c.unit_admin, "学历证书不清晰", ["materials"])],
    st.UNIT_APPROVED: [_submit, _unit_approve],
    st.RECOMMENDED: [_submit, _unit_approve, _recommend],
    st.DISTRICT_APPROVED: [_submit, _unit_approve, _recommend, _district_approve],
    st.ACCEPTED: [_submit, _unit_approve, _recommend, _district_approve, _city_approve],
    st.FEE_PAID: [_submit, _unit_approve, _recommend, _district_approve, _city_approve, _pay],
    st.SENT_TO_COMMITTEE: [_submit, _unit_approve, _recommend, _district_approve, _city_approve, _pay, _send],
    st.UNDER_REVIEW: [_submit, _unit_approve, _recommend, _district_approve, _city_approve, _pay, _send, _start_review],
    st.PASSED: [_submit, _unit_approve, _recommend, _district_approve, _city_approve, _pay, _send, _start_review, _pass],
    st.FAILED: [_submit, _unit_approve, _recommend, _district_approve, _city_approve, _pay, _send, _start_review, _fail],
    st.IN_PUBLICITY: [_submit, _unit_approve, _recommend, _district_approve, _city_approve, _pay, _send,
                      _start_review, _pass, _publicise],
    st.APPROVED: [_submit, _unit_approve, _recommend, _district_approve, _city_approve, _pay, _send,
                  _start_review, _pass, _publicise, _end_publicity],
    st.CERTIFIED: [_submit, _unit_approve, _recommend, _district_approve, _city_approve, _pay, _send,
                   _start_review, _pass, _publicise, _end_publicity, _certify],
    st.REJECTED: [_submit, lambda x, c: x.reject(c.unit_admin, "不符合申报条件")],
    st.WITHDRAWN: [lambda x, c: x.withdraw(c.applicant, "个人原因")],
    st.ABANDONED: [_submit, lambda x, c: x.return_for_changes(c.unit_admin, "缺材料", ["materials"]),
                   lambda x, c: x.abandon(c.system, "逾期未重新提交")],
    st.REVOKED: [_submit, _unit_approve, _recommend, _district_approve, _city_approve, _pay, _send,
                 _start_review, _pass, _publicise, _end_publicity, _certify,
                 lambda x, c: x.revoke_title(c.city_admin, reason="学历造假", fraud=True)],
}


def dossier_in(status):
    dossier, cast = new_dossier()
    fill_everything(dossier, cast)
    for step in PATHS[status]:
        step(dossier, cast)
    assert dossier.status == status
    dossier.collect_events()  # the "given" events are history; only the command's own count below
    return dossier, cast


def _approve_event(x):
    return d.APPROVED_EVENT[st.DECISION_STATUSES.get(x.status, st.UNIT)]


# command -> (prepare a legal precondition, perform with the right actor, expected event class)
COMMANDS = {
    "update_basic_info": (None, lambda x, c: x.update_basic_info(c.applicant, {"gender": "女"}), d.BasicInfoUpdated),
    "record_education": (None, lambda x, c: x.record_education(c.applicant, []), d.EducationRecorded),
    "record_work_experience": (None, lambda x, c: x.record_work_experience(c.applicant, []), d.WorkExperienceRecorded),
    "record_continuing_education": (None, lambda x, c: x.record_continuing_education(c.applicant, []),
                                    d.ContinuingEducationRecorded),
    "add_achievement": (None, lambda x, c: x.add_achievement(c.applicant, {"title": "论文"}), d.AchievementAdded),
    "remove_achievement": (None, lambda x, c: x.remove_achievement(c.applicant, next(iter(x.achievements), "none")),
                           d.AchievementRemoved),
    "record_annual_assessments": (None, lambda x, c: x.record_annual_assessments(c.applicant, []),
                                  d.AnnualAssessmentRecorded),
    "attach_material": (None, lambda x, c: x.attach_material(c.applicant, **material()), d.MaterialAttached),
    "detach_material": (None, lambda x, c: x.detach_material(c.applicant, next(iter(x.materials), "none")),
                        d.MaterialDetached),
    "fill_review_form": (None, lambda x, c: x.fill_review_form(c.applicant, {"work_summary": "x"}), d.ReviewFormFilled),
    "sign_commitment": (None, lambda x, c: x.sign_commitment(c.applicant, statement_version="v2",
                                                              signed_name=x.applicant_name), d.CommitmentSigned),
    "submit": (None, lambda x, c: x.submit(c.applicant), d.Submitted),
    "approve": (None, lambda x, c: x.approve(reviewer(x, c), "同意"), _approve_event),
    "return_for_changes": (None, lambda x, c: x.return_for_changes(reviewer(x, c), "请补正", ["education"]),
                           d.Returned),
    "reject": (None, lambda x, c: x.reject(reviewer(x, c), "不符合条件"), d.Rejected),
    "record_unit_publicity": (None, lambda x, c: x.record_unit_publicity(c.unit_admin, start=PAST_START, end=PAST_END),
                              d.UnitPublicityRecorded),
    "recommend": (None, lambda x, c: x.recommend(c.unit_admin, batch_id="b-2", today=TODAY), d.Recommended),
    "withdraw": (None, lambda x, c: x.withdraw(c.applicant), d.Withdrawn),
    "abandon": (None, lambda x, c: x.abandon(c.system, "逾期"), d.Abandoned),
    "record_fee_paid": (None, lambda x, c: x.record_fee_paid(c.system, order_id="o", amount_fen=1), d.FeePaid),
    "send_to_committee": (None, lambda x, c: x.send_to_committee(c.city_admin, committee_id="c", meeting_id="m"),
                          d.SentToCommittee),
    "start_review": (None, lambda x, c: x.start_review(c.secretary, meeting_id="meeting-1"), d.ReviewStarted),
    "record_vote_result": (None, lambda x, c: x.record_vote_result(c.secretary, agree=2, disagree=1, abstain=0,
                                                                    voters=3, required=2), d.Passed),
    "start_publicity": (None, lambda x, c: x.start_publicity(c.city_admin, publicity_id="p", start=PAST_START,
                                                              end=PAST_END), d.PublicityStarted),
    "raise_objection": (None, lambda x, c: x.raise_objection(c.system, objection_id="obj-9", summary="举报"),
                        d.ObjectionRaised),
    "resolve_objection": (lambda x, c: x.raise_objection(c.system, objection_id="obj-1", summary="举报"),
                          lambda x, c: x.resolve_objection(c.city_admin, objection_id="obj-1", outcome="dismissed",
                                                           reason="经核实不属实"), d.ObjectionResolved),
    "end_publicity": (None, lambda x, c: x.end_publicity(c.system), d.PublicityEnded),
    "issue_certificate": (None, lambda x, c: x.issue_certificate(c.system, certificate_number="N-1"),
                          d.CertificateIssued),
    "revoke_title": (None, lambda x, c: x.revoke_title(c.city_admin, reason="造假"), d.TitleRevoked),
}


def test_the_table_covers_every_command_of_the_transition_table():
    assert set(COMMANDS) == set(st.LEGAL_IN)


@pytest.mark.parametrize("status", st.ALL_STATUSES)
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_in_every_status_records_its_event_or_nothing(status, command):
    dossier, cast = dossier_in(status)
    prepare, perform, expected = COMMANDS[command]
    if status in st.LEGAL_IN[command]:
        if prepare:
            prepare(dossier, cast)
            dossier.collect_events()
        expected_class = expected if isinstance(expected, type) else expected(dossier)
        version = dossier.version
        perform(dossier, cast)
        events = dossier.collect_events()
        assert [type(event) for event in events] == [expected_class]
        assert dossier.version == version + 1
    else:
        version, before = dossier.version, dossier.to_dict()
        with pytest.raises(IllegalTransitionError) as raised:
            perform(dossier, cast)
        assert dossier.collect_events() == []
        assert dossier.version == version and dossier.to_dict() == before
        assert st.STATUS_LABELS[status] in raised.value.message
        assert st.COMMAND_LABELS[command] in raised.value.message


class TestStatusIsTheFoldOfEvents:
    @pytest.mark.parametrize("status", st.ALL_STATUSES)
    def test_replaying_the_events_gives_the_same_dossier(self, status):
        dossier, cast = new_dossier()
        fill_everything(dossier, cast)
        for step in PATHS[status]:
            step(dossier, cast)
        events = dossier.collect_events()
        replayed = None
        for event in events:
            replayed = event.mutate(replayed)
        assert replayed.to_dict() == dossier.to_dict()
        assert replayed.status == status

    def test_illegal_command_message_names_what_is_allowed(self):
        dossier, cast = dossier_in(st.SUBMITTED)
        with pytest.raises(IllegalTransitionError) as raised:
            dossier.update_basic_info(cast.applicant, {})
        assert "待单位审核" in raised.value.message
        assert "审核通过" in raised.value.message and "退回修改" in raised.value.message


class TestActors:
    def test_only_an_applicant_can_open_a_dossier(self):
        cast = Cast()
        with pytest.raises(ActorNotAllowedError):
            d.Dossier.create(cast.unit_admin, **cast.creation_fields())

    def test_another_applicant_cannot_edit_or_submit_the_dossier(self):
        dossier, cast = dossier_in(st.DRAFT)
        stranger = Actor(account_id="someone-else", role="applicant")
        with pytest.raises(ActorNotAllowedError):
            dossier.update_basic_info(stranger, {})
        with pytest.raises(ActorNotAllowedError):
            dossier.submit(stranger)
        assert dossier.collect_events() == []

    def test_admin_of_another_unit_cannot_decide_at_the_unit_step(self):
        dossier, cast = dossier_in(st.SUBMITTED)
        other_unit_admin = Actor(account_id="ua-other", role="unit_admin", org_id="another-unit")
        with pytest.raises(ActorNotAllowedError) as raised:
            dossier.approve(other_unit_admin, "同意")
        assert "演示单位甲" in raised.value.message
        assert dossier.collect_events() == []

    def test_district_admin_cannot_act_at_the_unit_step_nor_another_district_at_theirs(self):
        dossier, cast = dossier_in(st.SUBMITTED)
        with pytest.raises(ActorNotAllowedError):
            dossier.approve(cast.district_admin, "同意")
        dossier, cast = dossier_in(st.RECOMMENDED)
        with pytest.raises(ActorNotAllowedError):
            dossier.approve(Actor(account_id="x", role="district_admin", org_id="other-district"), "同意")
        with pytest.raises(ActorNotAllowedError):
            dossier.approve(cast.unit_admin, "同意")

    def test_only_a_city_admin_accepts_at_the_city_step(self):
        dossier, cast = dossier_in(st.DISTRICT_APPROVED)
        for actor in (cast.unit_admin, cast.district_admin, cast.secretary, Actor(account_id="au", role="auditor")):
            with pytest.raises(ActorNotAllowedError):
                dossier.approve(actor, "同意")
        dossier.approve(cast.city_admin, "受理")
        assert dossier.status == st.ACCEPTED

    def test_nobody_decides_on_their_own_dossier(self):
        dossier, cast = dossier_in(st.SUBMITTED)
        same_person_as_admin = Actor(account_id=cast.applicant.account_id, role="unit_admin", org_id=cast.unit_id)
        with pytest.raises(SelfDecisionError):
            dossier.approve(same_person_as_admin, "同意")
        dossier, cast = dossier_in(st.UNDER_REVIEW)
        with pytest.raises(SelfDecisionError):
            dossier.record_vote_result(Actor(account_id=cast.applicant.account_id, role="committee_secretary"),
                                       agree=3, disagree=0, abstain=0, voters=3, required=2)

    def test_events_record_the_actor(self):
        dossier, cast = dossier_in(st.SUBMITTED)
        dossier.approve(cast.unit_admin, "同意推荐")
        (event,) = dossier.collect_events()
        assert event.actor == cast.unit_admin.to_dict()


class TestEditing:
    def test_submission_lists_every_missing_section_at_once(self):
        dossier, cast = new_dossier()
        dossier.update_basic_info(cast.applicant, {"gender": "男"})
        with pytest.raises(IncompleteDossierError) as raised:
            dossier.submit(cast.applicant)
        assert set(raised.value.fields) == {"education", "work_experience", "review_form", "commitment", "materials"}
        assert dossier.status == st.DRAFT

    def test_dossier_is_locked_after_submission_and_reopened_only_by_a_return(self):
        dossier, cast = dossier_in(st.UNIT_APPROVED)
        with pytest.raises(IllegalTransitionError):
            dossier.attach_material(cast.applicant, **material())
        dossier.return_for_changes(cast.unit_admin, "承诺书未签字", ["commitment"])
        dossier.sign_commitment(cast.applicant, statement_version="2026-1", signed_name=dossier.applicant_name)
        assert dossier.return_notice["sections"] == ["commitment"]
        dossier.submit(cast.applicant)
        assert dossier.status == st.SUBMITTED and dossier.return_notice is None
        assert dossier.unit_publicity is None  # publicity must be recorded again after a return

    def test_a_return_needs_a_reason_and_known_sections(self):
        dossier, cast = dossier_in(st.SUBMITTED)
        with pytest.raises(InvalidCommandError) as raised:
            dossier.return_for_changes(cast.unit_admin, " ", ["nonsense"])
        assert set(raised.value.fields) == {"reason", "sections"}
        assert dossier.collect_events() == []

    def test_commitment_must_be_signed_with_the_applicants_name(self):
        dossier, cast = new_dossier()
        with pytest.raises(InvalidCommandError):
            dossier.sign_commitment(cast.applicant, statement_version="v1", signed_name="别人")

    def test_detaching_an_unknown_material_is_refused(self):
        dossier, cast = dossier_in(st.DRAFT)
        with pytest.raises(InvalidCommandError):
            dossier.detach_material(cast.applicant, "guessed-id")


class TestReviewChainRules:
    def test_recommending_waits_for_the_unit_publicity_to_end(self):
        dossier, cast = dossier_in(st.SUBMITTED)
        dossier.approve(cast.unit_admin, "同意")
        with pytest.raises(d.RuleViolationError, match="尚未登记单位内部公示"):
            dossier.recommend(cast.unit_admin, batch_id="b", today=TODAY)
        dossier.record_unit_publicity(cast.unit_admin, start=TODAY, end="2999-01-01")
        with pytest.raises(d.RuleViolationError, match="公示期满后方可报送"):
            dossier.recommend(cast.unit_admin, batch_id="b", today=TODAY)
        assert dossier.status == st.UNIT_APPROVED

    def test_withdrawal_after_payment_records_a_refund_due(self):
        paid, cast = dossier_in(st.FEE_PAID)
        paid.withdraw(cast.applicant, "个人原因")
        unpaid, cast2 = dossier_in(st.ACCEPTED)
        unpaid.withdraw(cast2.applicant)
        assert paid.refund_due is True and unpaid.refund_due is False

    @pytest.mark.parametrize(("agree", "expected"), [(10, st.PASSED), (9, st.FAILED)])
    def test_vote_passes_only_when_agree_reaches_the_required_count(self, agree, expected):
        dossier, cast = dossier_in(st.UNDER_REVIEW)
        dossier.record_vote_result(cast.secretary, agree=agree, disagree=15 - agree, abstain=0, voters=15, required=10)
        assert dossier.status == expected
        assert dossier.tally["agree"] == agree

    def test_a_tally_with_more_ballots_than_voters_is_refused(self):
        dossier, cast = dossier_in(st.UNDER_REVIEW)
        with pytest.raises(InvalidCommandError):
            dossier.record_vote_result(cast.secretary, agree=10, disagree=10, abstain=0, voters=15, required=10)

    def test_an_open_objection_holds_the_end_of_publicity(self):
        dossier, cast = dossier_in(st.IN_PUBLICITY)
        dossier.raise_objection(cast.system, objection_id="o-1", summary="学历存疑")
        with pytest.raises(d.RuleViolationError):
            dossier.end_publicity(cast.system)
        dossier.resolve_objection(cast.city_admin, objection_id="o-1", outcome="dismissed", reason="经核实无误")
        dossier.end_publicity(cast.system)
        assert dossier.status == st.APPROVED

    def test_an_upheld_objection_cancels_the_result(self):
        dossier, cast = dossier_in(st.IN_PUBLICITY)
        dossier.raise_objection(cast.system, objection_id="o-2", summary="论文抄袭")
        dossier.resolve_objection(cast.city_admin, objection_id="o-2", outcome="upheld", reason="查实抄袭", fraud=True)
        assert dossier.status == st.REJECTED
        (_, resolved) = dossier.collect_events()
        assert resolved.fraud is True


class TestHashChain:
    @staticmethod
    def records(events):
        from eventsourcing.utils import get_topic

        rows = []
        for event in events:
            state = dict(vars(event))
            originator_id, version = state.pop("originator_id"), state.pop("originator_version")
            rows.append((version, get_topic(type(event)), originator_id, 1, state))
        return rows

    def chain(self):
        dossier, cast = new_dossier()
        fill_everything(dossier, cast)
        dossier.submit(cast.applicant)
        return self.records(dossier.collect_events())

    def test_each_event_links_to_the_previous_hash(self):
        rows = self.chain()
        assert rows[0][4]["prev_hash"] == GENESIS
        for before, after in zip(rows, rows[1:], strict=False):
            assert after[4]["prev_hash"] == before[4]["hash"]
        assert verify_chain(rows) == (True, len(rows), None)

    def test_a_changed_payload_is_detected_at_its_version(self):
        rows = self.chain()
        rows[2][4]["entries"] = [{"school": "伪造大学"}]
        assert verify_chain(rows)[0] is False and verify_chain(rows)[2] == 3

    def test_a_removed_event_is_detected(self):
        rows = self.chain()
        del rows[3]
        assert verify_chain(rows)[2] == 4  # the missing version is the first bad one

    def test_swapped_events_are_detected(self):
        rows = self.chain()
        rows[1], rows[2] = rows[2], rows[1]
        assert verify_chain(rows)[0] is False
