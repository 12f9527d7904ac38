"""The "given" of the dossier aggregate's tests: a dossier's past written as events, then folded.

The aggregate's tests read as given events -> when a command -> then the events it records, with their
payloads (giftcard-demo's ``GiftCardTest``). A past event is written ``past(EventClass, actor, **payload)``;
``given_events`` stamps each with its version, time and link in the hash chain, as the aggregate stamps
the events it records, so a dossier rebuilt from them behaves like one its commands built.
"""
import uuid
from typing import NamedTuple

from eventsourcing.utils import get_topic

from services.dossier import domain as d
from services.dossier.hashchain import GENESIS, event_hash
from shared.contracts import dossier as st
from shared.roles import Actor
from tests.factories import PAST_END, PAST_START, basic_info, education, material, review_form, work_experience

# The fixed ids of the achievement and the material every given dossier was filled with, so that a
# test can name them (remove them, detach them) without reading them back from the dossier.
ACHIEVEMENT_ID = "achievement-1"
MATERIAL_ID = "material-1"

# What an event carries besides its payload: where it belongs in the stream, when, who, and its chain link.
ENVELOPE = frozenset({"originator_id", "originator_version", "originator_topic", "timestamp", "actor",
                      "prev_hash", "hash"})


class Past(NamedTuple):
    """One event of a given history: its class, who acted, and its payload."""

    event_class: type
    actor: Actor
    payload: dict


def past(event_class, actor, **payload):
    return Past(event_class, actor, payload)


def payload_of(event):
    """The domain data an event carries: every field of it but the envelope."""
    return {name: value for name, value in vars(event).items() if name not in ENVELOPE}


def created(cast):
    """The event that opens the cast's applicant's draft (what ``Dossier.create`` records)."""
    return past(d.Created, cast.applicant, applicant_id=cast.applicant.account_id, **cast.creation_fields())


def filled(cast):
    """The events of a draft filled with every required section, one achievement and one material."""
    applicant = cast.applicant
    return [
        past(d.BasicInfoUpdated, applicant, data=basic_info()),
        past(d.EducationRecorded, applicant, entries=education()),
        past(d.WorkExperienceRecorded, applicant, entries=work_experience()),
        past(d.AchievementAdded, applicant, achievement_id=ACHIEVEMENT_ID,
             data={"kind": "项目", "title": "某大桥工程", "date": "2020-01-01"}),
        past(d.MaterialAttached, applicant, **material(material_id=MATERIAL_ID), year=None, achievement_id=None),
        past(d.ReviewFormFilled, applicant, data=review_form()),
        past(d.CommitmentSigned, applicant, statement_version="2026-1", signed_name="李明"),
    ]


PASSING_TALLY = {"agree": 10, "disagree": 4, "abstain": 1, "voters": 15, "required": 10}
FAILING_TALLY = {"agree": 9, "disagree": 5, "abstain": 1, "voters": 15, "required": 10}

# status -> (the status it is reached from, the events that take the dossier from there to it): the
# shortest legal way to every status, as a tree rooted at the filled draft.
_STEPS = {
    st.DRAFT: (None, lambda c: [created(c), *filled(c)]),
    st.SUBMITTED: (st.DRAFT, lambda c: [past(d.Submitted, c.applicant, resubmission=False, notice_version=None)]),
    st.RETURNED: (st.SUBMITTED, lambda c: [
        past(d.Returned, c.unit_admin, level=st.UNIT, reason="学历证书不清晰", sections=["materials"])]),
    st.UNIT_APPROVED: (st.SUBMITTED, lambda c: [
        past(d.UnitApproved, c.unit_admin, opinion="同意推荐"),
        past(d.UnitPublicityRecorded, c.unit_admin, start=PAST_START, end=PAST_END)]),
    st.RECOMMENDED: (st.UNIT_APPROVED, lambda c: [past(d.Recommended, c.unit_admin, batch_id="batch-1")]),
    st.DISTRICT_APPROVED: (st.RECOMMENDED, lambda c: [past(d.DistrictApproved, c.district_admin, opinion="同意")]),
    st.ACCEPTED: (st.DISTRICT_APPROVED, lambda c: [past(d.CityApproved, c.city_admin, opinion="受理")]),
    st.FEE_PAID: (st.ACCEPTED, lambda c: [past(d.FeePaid, c.system, order_id="order-1", amount_fen=16000)]),
    st.SENT_TO_COMMITTEE: (st.FEE_PAID, lambda c: [
        past(d.SentToCommittee, c.city_admin, committee_id="committee-1", meeting_id="meeting-1",
             committee_name="昆明市工程系列中级评审委员会")]),
    st.UNDER_REVIEW: (st.SENT_TO_COMMITTEE, lambda c: [past(d.ReviewStarted, c.secretary, meeting_id="meeting-1")]),
    st.PASSED: (st.UNDER_REVIEW, lambda c: [past(d.Passed, c.secretary, tally=dict(PASSING_TALLY))]),
    st.FAILED: (st.UNDER_REVIEW, lambda c: [past(d.Failed, c.secretary, tally=dict(FAILING_TALLY))]),
    st.IN_PUBLICITY: (st.PASSED, lambda c: [
        past(d.PublicityStarted, c.city_admin, publicity_id="pub-1", start=PAST_START, end=PAST_END)]),
    st.APPROVED: (st.IN_PUBLICITY, lambda c: [past(d.PublicityEnded, c.system)]),
    st.CERTIFIED: (st.APPROVED, lambda c: [
        past(d.CertificateIssued, c.system, certificate_number="2026530101200001")]),
    st.REJECTED: (st.SUBMITTED, lambda c: [past(d.Rejected, c.unit_admin, level=st.UNIT, reason="不符合申报条件")]),
    st.WITHDRAWN: (st.DRAFT, lambda c: [past(d.Withdrawn, c.applicant, reason="个人原因", refund_due=False)]),
    st.ABANDONED: (st.RETURNED, lambda c: [past(d.Abandoned, c.system, reason="逾期未重新提交")]),
    st.REVOKED: (st.CERTIFIED, lambda c: [past(d.TitleRevoked, c.city_admin, reason="学历造假", fraud=True)]),
}


def history_to(status, cast):
    """The past events of the cast's dossier in *status*, from its creation on."""
    previous, step = _STEPS[status]
    return (history_to(previous, cast) if previous else []) + step(cast)


def given_events(history):
    """The events of *history* (``Past`` items, the first a ``created``) as the aggregate would have
    recorded them: numbered from 1, stamped by the event clock, each hash linked to the one before."""
    dossier_id, prev_hash, events = uuid.uuid4(), GENESIS, []
    for version, (event_class, actor, payload) in enumerate(history, start=1):
        state = dict(payload, actor=actor.to_dict(), prev_hash=prev_hash, timestamp=event_class.create_timestamp())
        if version == 1:
            state["originator_topic"] = get_topic(d.Dossier)
        state["hash"] = prev_hash = event_hash(
            topic=get_topic(event_class), originator_id=dossier_id, version=version,
            class_version=getattr(event_class, "class_version", 1), state=state)
        events.append(event_class(originator_id=dossier_id, originator_version=version, **state))
    return events


def fold(events, dossier=None):
    """The dossier the events leave (each event's ``apply`` is the fold step)."""
    for event in events:
        dossier = event.mutate(dossier)
    return dossier


def given(history):
    """The dossier rebuilt from *history*: nothing pending, its version the last event's."""
    return fold(given_events(history))
