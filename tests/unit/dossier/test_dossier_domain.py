"""The dossier aggregate: given events -> command -> expected event or error (no I/O)."""
from collections.abc import Callable
from typing import NamedTuple

import pytest

from services.dossier import domain as d
from services.dossier.exceptions import (
    ActorNotAllowedError,
    IllegalTransitionError,
    IncompleteDossierError,
    InvalidCommandError,
    SelfDecisionError,
)
from services.dossier.hashchain import GENESIS, verify_chain
from shared.contracts import dossier as st
from shared.roles import Actor
from tests.factories import (
    PAST_END,
    PAST_START,
    TODAY,
    Cast,
    annual_assessments,
    continuing_education,
    education,
    fill_everything,
    material,
    work_experience,
)
from tests.unit.dossier.dossier_givens import (
    ACHIEVEMENT_ID,
    MATERIAL_ID,
    fold,
    given,
    given_events,
    history_to,
    past,
    payload_of,
)


def new_dossier(cast=None, **overrides):
    cast = cast or Cast()
    return d.Dossier.create(cast.applicant, **cast.creation_fields(**overrides)), cast


def reviewer(dossier, cast):
    level = st.DECISION_STATUSES.get(dossier.status, st.UNIT)
    return {st.UNIT: cast.unit_admin, st.DISTRICT: cast.district_admin, st.CITY: cast.city_admin}[level]


# How to reach each status from a filled draft by commands, each step legal. The tests' givens are the
# events in dossier_givens.py; TestTheGivens checks they are what these commands record.
def _submit(x, c): x.submit(c.applicant)
def _unit_approve(x, c):
    x.approve(c.unit_admin, "同意推荐")
    x.record_unit_publicity(c.unit_admin, start=PAST_START, end=PAST_END)
def _recommend(x, c): x.recommend(c.unit_admin, batch_id="batch-1", today=TODAY)
def _district_approve(x, c): x.approve(c.district_admin, "同意")
def _city_approve(x, c): x.approve(c.city_admin, "受理")
def _pay(x, c): x.record_fee_paid(c.system, order_id="order-1", amount_fen=16000)
def _send(x, c): x.send_to_committee(c.city_admin, committee_id="committee-1", meeting_id="meeting-1",
                                     committee_name="昆明市工程系列中级评审委员会")
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
    st.ABANDONED: [_submit, lambda x, c: x.return_for_changes(c.unit_admin, "学历证书不清晰", ["materials"]),
                   lambda x, c: x.abandon(c.system, "逾期未重新提交")],
    st.REVOKED: [_submit, _unit_approve, _recommend, _district_approve, _city_approve, _pay, _send,
                 _start_review, _pass, _publicise, _end_publicity, _certify,
                 lambda x, c: x.revoke_title(c.city_admin, reason="学历造假", fraud=True)],
}


def dossier_in(status, also_given=None):
    """The given: the cast's dossier rebuilt from the events that lead to *status*, then *also_given*'s."""
    cast = Cast()
    dossier = given([*history_to(status, cast), *(also_given(cast) if also_given else [])])
    assert dossier.status == status
    assert dossier.collect_events() == []  # the given is history; only the command's own events count below
    return dossier, cast


class Case(NamedTuple):
    """One command of the matrix: who performs it and how, the event it must record and that event's
    payload (each either written out or, where the status decides it, a function of the dossier before the
    command), and the events it needs in its given besides its status's history."""

    who: str
    perform: Callable
    event: type | Callable
    payload: dict | Callable
    also_given: Callable | None = None


def performer(who, dossier, cast):
    """The cast member called *who*; ``"reviewer"`` is the one whose turn the dossier's status makes it."""
    return reviewer(dossier, cast) if who == "reviewer" else getattr(cast, who)


APPROVAL_BY_LEVEL = {st.SUBMITTED: d.UnitApproved, st.RECOMMENDED: d.DistrictApproved,
                     st.DISTRICT_APPROVED: d.CityApproved}
NEW_MATERIAL = material(material_id="material-new")
VOTE = {"agree": 2, "disagree": 1, "abstain": 0, "voters": 3, "required": 2}

# command -> Case: performed in every status; where legal it records exactly this event with this payload.
# Where the payload is not the arguments verbatim, the command's rule made it so: the opinion is stored
# trimmed, the sections to fix once each, and fraud only with an upheld objection.
COMMANDS = {
    "update_basic_info": Case("applicant", lambda x, a: x.update_basic_info(a, {"gender": "女"}),
                              d.BasicInfoUpdated, {"data": {"gender": "女"}}),
    "record_education": Case("applicant", lambda x, a: x.record_education(a, education()),
                             d.EducationRecorded, {"entries": education()}),
    "record_work_experience": Case("applicant", lambda x, a: x.record_work_experience(a, work_experience()),
                                   d.WorkExperienceRecorded, {"entries": work_experience()}),
    "record_continuing_education": Case(
        "applicant", lambda x, a: x.record_continuing_education(a, continuing_education()),
        d.ContinuingEducationRecorded, {"entries": continuing_education()}),
    "add_achievement": Case("applicant", lambda x, a: x.add_achievement(a, {"title": "论文"}, achievement_id="ach-new"),
                            d.AchievementAdded, {"achievement_id": "ach-new", "data": {"title": "论文"}}),
    "remove_achievement": Case("applicant", lambda x, a: x.remove_achievement(a, ACHIEVEMENT_ID),
                               d.AchievementRemoved, {"achievement_id": ACHIEVEMENT_ID}),
    "record_annual_assessments": Case("applicant", lambda x, a: x.record_annual_assessments(a, annual_assessments()),
                                      d.AnnualAssessmentRecorded, {"entries": annual_assessments()}),
    "attach_material": Case("applicant", lambda x, a: x.attach_material(a, **NEW_MATERIAL),
                            d.MaterialAttached, dict(NEW_MATERIAL, year=None, achievement_id=None)),
    "detach_material": Case("applicant", lambda x, a: x.detach_material(a, MATERIAL_ID),
                            d.MaterialDetached, {"material_id": MATERIAL_ID, "filename": "学历证书.pdf",
                                                 "category": "diploma", "size": 1024, "sha256": "a" * 64}),
    "fill_review_form": Case("applicant", lambda x, a: x.fill_review_form(a, {"work_summary": "x"}),
                             d.ReviewFormFilled, {"data": {"work_summary": "x"}}),
    "sign_commitment": Case("applicant", lambda x, a: x.sign_commitment(a, statement_version="v2",
                                                                         signed_name=x.applicant_name),
                            d.CommitmentSigned, {"statement_version": "v2", "signed_name": "李明"}),
    "submit": Case("applicant", lambda x, a: x.submit(a),
                   d.Submitted, lambda x: {"resubmission": x.status == st.RETURNED, "notice_version": None}),
    "take_back": Case("applicant", lambda x, a: x.take_back(a, "  补充一项业绩  "),
                      d.SubmissionTakenBack, {"reason": "补充一项业绩"}),
    "approve": Case("reviewer", lambda x, a: x.approve(a, "  同意 "),
                    lambda x: APPROVAL_BY_LEVEL[x.status], {"opinion": "同意"}),
    "return_for_changes": Case(
        "reviewer", lambda x, a: x.return_for_changes(a, "请补正", ["education", "materials", "education"]),
        d.Returned,
        lambda x: {"level": st.DECISION_STATUSES[x.status], "reason": "请补正", "sections": ["education", "materials"]}),
    "reject": Case("reviewer", lambda x, a: x.reject(a, "不符合条件"),
                   d.Rejected, lambda x: {"level": st.DECISION_STATUSES[x.status], "reason": "不符合条件"}),
    "record_unit_publicity": Case("unit_admin", lambda x, a: x.record_unit_publicity(a, start=PAST_START, end=PAST_END),
                                  d.UnitPublicityRecorded, {"start": PAST_START, "end": PAST_END}),
    "recommend": Case("unit_admin", lambda x, a: x.recommend(a, batch_id="b-2", today=TODAY),
                      d.Recommended, {"batch_id": "b-2"}),
    "withdraw": Case("applicant", lambda x, a: x.withdraw(a),
                     d.Withdrawn, lambda x: {"reason": "", "refund_due": x.status == st.FEE_PAID}),
    "abandon": Case("system", lambda x, a: x.abandon(a, "逾期"), d.Abandoned, {"reason": "逾期"}),
    "record_fee_paid": Case("system", lambda x, a: x.record_fee_paid(a, order_id="order-2", amount_fen=16000),
                            d.FeePaid, {"order_id": "order-2", "amount_fen": 16000}),
    "send_to_committee": Case("city_admin", lambda x, a: x.send_to_committee(a, committee_id="c", meeting_id="m",
                                                                              committee_name=" 工程中级评委会 "),
                              d.SentToCommittee, {"committee_id": "c", "meeting_id": "m", "committee_name": "工程中级评委会"}),
    "recall_from_committee": Case("secretary", lambda x, a: x.recall_from_committee(a, meeting_id="meeting-1",
                                                                                     reason="  申报人回避  "),
                                  d.RecalledFromCommittee, {"meeting_id": "meeting-1", "reason": "申报人回避"}),
    "start_review": Case("secretary", lambda x, a: x.start_review(a, meeting_id="meeting-1"),
                         d.ReviewStarted, {"meeting_id": "meeting-1"}),
    "record_vote_result": Case("secretary", lambda x, a: x.record_vote_result(a, **VOTE),
                               d.Passed, {"tally": VOTE}),
    "start_publicity": Case("city_admin", lambda x, a: x.start_publicity(a, publicity_id="p", start=PAST_START,
                                                                          end=PAST_END),
                            d.PublicityStarted, {"publicity_id": "p", "start": PAST_START, "end": PAST_END}),
    "raise_objection": Case("system", lambda x, a: x.raise_objection(a, objection_id="obj-9", summary="举报"),
                            d.ObjectionRaised, {"objection_id": "obj-9", "summary": "举报"}),
    "resolve_objection": Case(
        "city_admin", lambda x, a: x.resolve_objection(a, objection_id="obj-1", outcome="dismissed",
                                                       reason="经核实不属实", fraud=True),
        d.ObjectionResolved, {"objection_id": "obj-1", "outcome": "dismissed", "reason": "经核实不属实", "fraud": False},
        also_given=lambda c: [past(d.ObjectionRaised, c.system, objection_id="obj-1", summary="举报")]),
    "end_publicity": Case("system", lambda x, a: x.end_publicity(a), d.PublicityEnded, {}),
    "issue_certificate": Case("system", lambda x, a: x.issue_certificate(a, certificate_number="N-1"),
                              d.CertificateIssued, {"certificate_number": "N-1"}),
    "revoke_title": Case("city_admin", lambda x, a: x.revoke_title(a, reason="造假"),
                         d.TitleRevoked, {"reason": "造假", "fraud": False}),
}
# The tally's other row (failed): the same command, with fewer 同意 than required.
FAILING_VOTE = Case("secretary", lambda x, a: x.record_vote_result(a, **dict(VOTE, agree=1, disagree=2)),
                    d.Failed, {"tally": dict(VOTE, agree=1, disagree=2)})


def records_its_event(dossier, cast, case):
    """When *case*'s command is performed, then it records exactly its event, with its payload, naming the
    actor who performed it and linked to the dossier's head; returns the event."""
    actor = performer(case.who, dossier, cast)
    expected_class = case.event if isinstance(case.event, type) else case.event(dossier)
    expected_payload = case.payload(dossier) if callable(case.payload) else case.payload
    version, head = dossier.version, dossier.head_hash
    case.perform(dossier, actor)
    events = dossier.collect_events()
    assert [type(event) for event in events] == [expected_class]
    (event,) = events
    assert payload_of(event) == expected_payload
    assert event.actor == actor.to_dict()
    assert event.prev_hash == head and dossier.head_hash == event.hash
    assert dossier.version == event.originator_version == version + 1
    return event


def test_the_table_covers_every_command_of_the_transition_table():
    assert set(COMMANDS) == set(st.LEGAL_IN)


@pytest.mark.parametrize("status", st.ALL_STATUSES)
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_in_every_status_records_its_event_or_nothing(status, command):
    case = COMMANDS[command]
    if status in st.LEGAL_IN[command]:
        dossier, cast = dossier_in(status, case.also_given)
        event = records_its_event(dossier, cast, case)
        assert dossier.status == (st.EVENT_STATUS.get(d.event_name(event)) or status)
    else:
        dossier, cast = dossier_in(status)
        version, before = dossier.version, dossier.to_dict()
        with pytest.raises(IllegalTransitionError) as raised:
            case.perform(dossier, performer(case.who, dossier, cast))
        assert dossier.collect_events() == []
        assert dossier.version == version and dossier.to_dict() == before
        assert st.STATUS_LABELS[status] in raised.value.message
        assert st.COMMAND_LABELS[command] in raised.value.message


# Fields whose values the factories draw at random, so a given cannot spell them out.
RANDOM_FIELDS = {"achievement_id", "material_id", "object_key"}


def told(event):
    """An event as a given tells it: its class, its actor and its payload (random ids aside)."""
    payload = {name: value for name, value in payload_of(event).items() if name not in RANDOM_FIELDS}
    return type(event), event.actor, payload


class TestTheGivens:
    """The given histories are what the commands record, so a test given one starts from a real dossier."""

    @pytest.mark.parametrize("status", st.ALL_STATUSES)
    def test_each_given_history_is_what_the_commands_on_the_way_record(self, status):
        by_commands, cast = new_dossier()
        fill_everything(by_commands, cast)
        for step in PATHS[status]:
            step(by_commands, cast)
        recorded = by_commands.collect_events()
        assert [told(event) for event in given_events(history_to(status, cast))] == [told(e) for e in recorded]

    @pytest.mark.parametrize("status", st.ALL_STATUSES)
    def test_a_given_history_folds_into_its_status_along_an_unbroken_chain(self, status):
        history = given_events(history_to(status, Cast()))
        dossier = fold(history)
        assert dossier.status == status and dossier.version == len(history)
        assert dossier.head_hash == history[-1].hash
        assert verify_chain(TestHashChain.records(history)) == (True, len(history), None)


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
        assert type(event) is d.UnitApproved and payload_of(event) == {"opinion": "同意推荐"}


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
        dossier, cast = dossier_in(st.IN_PUBLICITY, also_given=lambda c: [
            past(d.ObjectionRaised, c.system, objection_id="o-2", summary="论文抄袭")])
        dossier.resolve_objection(cast.city_admin, objection_id="o-2", outcome="upheld", reason=" 查实抄袭 ", fraud=True)
        assert dossier.status == st.REJECTED
        assert dossier.final_reason == "查实抄袭" and dossier.open_objections == []
        (resolved,) = dossier.collect_events()
        assert type(resolved) is d.ObjectionResolved
        assert payload_of(resolved) == {"objection_id": "o-2", "outcome": "upheld", "reason": "查实抄袭", "fraud": True}
        assert resolved.fraud is True


class TestHashChain:
    @staticmethod
    def records(events):
        from eventsourcing.utils import get_topic

        rows = []
        for event in events:
            state = dict(vars(event))
            originator_id, version = state.pop("originator_id"), state.pop("originator_version")
            rows.append((version, get_topic(type(event)), originator_id, getattr(type(event), "class_version", 1), state))
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


class TestTheTransitionTable:
    """shared/contracts/dossier.py TRANSITIONS is the state machine; the aggregate follows it."""

    # The rows the review chain is made of, written out (docs/domain-rules.md R5.1).
    APPROVALS = [
        (st.SUBMITTED, "unit_approved", st.UNIT_APPROVED),
        (st.RECOMMENDED, "district_approved", st.DISTRICT_APPROVED),
        (st.DISTRICT_APPROVED, "city_approved", st.ACCEPTED),
    ]

    def test_approve_has_one_row_per_review_level(self):
        rows = [(row.sources, row.event, row.target) for row in st.TRANSITIONS if row.command == "approve"]
        assert rows == [((source,), event, target) for source, event, target in self.APPROVALS]

    def test_legal_in_is_the_union_of_each_commands_sources(self):
        union = {}
        for row in st.TRANSITIONS:
            union.setdefault(row.command, set()).update(row.sources)
        assert {command: set(sources) for command, sources in st.LEGAL_IN.items()} == union
        assert list(st.LEGAL_IN) == list(dict.fromkeys(row.command for row in st.TRANSITIONS))

    def test_every_command_has_a_method_and_every_event_a_class(self):
        for row in st.TRANSITIONS:
            assert callable(getattr(d.Dossier, row.command)), row.command
            assert row.event in d.EVENT_CLASSES, row.event

    def test_every_event_class_is_published_and_every_published_event_has_a_class(self):
        assert set(d.EVENT_CLASSES) == set(st.EVENTS)
        assert set(st.EVENTS) == {"created"} | {row.event for row in st.TRANSITIONS}

    def test_an_event_leaves_one_status_whichever_row_records_it(self):
        targets = {}
        for row in st.TRANSITIONS:
            targets.setdefault(row.event, set()).add(row.target)
        assert all(len(found) == 1 for found in targets.values()), targets
        assert {event: found.pop() for event, found in targets.items()} == {
            event: status for event, (_, status) in st.EVENTS.items() if event != "created"}

    @pytest.mark.parametrize(("command", "source", "event", "target"), [
        (row.command, source, row.event, row.target) for row in st.TRANSITIONS for source in row.sources
    ])
    def test_folding_each_rows_event_leaves_the_rows_status(self, command, source, event, target):
        case = FAILING_VOTE if event == "failed" else COMMANDS[command]
        cast = Cast()
        history = given_events([*history_to(source, cast), *(case.also_given(cast) if case.also_given else [])])
        dossier = fold(history)
        recorded = records_its_event(dossier, cast, case)
        assert d.event_name(recorded) == event
        replayed = fold([*history, recorded])
        assert replayed.status == dossier.status == (target or source)
