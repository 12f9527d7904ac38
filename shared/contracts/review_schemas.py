"""The review service's RPC input schemas: every input checked field by field, messages in Chinese.

The gateway documents and pre-checks the same forms (gateway/openapi.py), so they are published here;
the review service loads every request with them. Where an action needs several things (a return needs
a reason and the sections), the schema checks them all in one pass, so a person reads every problem at
once (一次性告知).
"""
from marshmallow import ValidationError, validates_schema

from shared.contracts import dossier as st
from shared.contracts.dossier import ExpectedVersion
from shared.contracts.dossier_access import QUEUE_STATUSES
from shared.contracts.review import (
    ACTIONS, APPROVE, CHOICES, DISMISSED, EXPORT_FORMATS, OBJECTION_STATES, ORGANISED_BY, REJECT, RETURN, UPHELD,
)
from shared.schemas import (
    Bool, Date, Dict, Int, List, Nested, StrictSchema, Str, Text, count, in_range, length, not_blank, one_of,
)
from shared.titles import LEVELS, SERIES


def Ids(maximum=500):
    """A required list of 1..*maximum* ids (dossiers, experts)."""
    return List(Str(validate=[not_blank, length(maximum=64)]), required=True, validate=count(1, maximum))


class QueueQuerySchema(StrictSchema):
    status = List(Str(validate=one_of(QUEUE_STATUSES)), load_default=list)
    review_year = Int(allow_none=True, load_default=None, validate=in_range(2000, 2100))
    series = Str(allow_none=True, load_default=None, validate=one_of(SERIES))
    level = Str(allow_none=True, load_default=None, validate=one_of(LEVELS))
    unit_id = Str(allow_none=True, load_default=None, validate=length(maximum=64))
    district_id = Str(allow_none=True, load_default=None, validate=length(maximum=64))
    q = Str(allow_none=True, load_default=None, validate=length(maximum=50))
    awaiting = Bool(load_default=False)
    include_ids = Bool(load_default=False)
    page = Int(load_default=1, validate=in_range(1, 100000))
    per_page = Int(load_default=20, validate=in_range(1, 200))


class ExportFormatSchema(StrictSchema):
    format = Str(required=True, validate=one_of(EXPORT_FORMATS))


class ProgressQuerySchema(StrictSchema):
    review_year = Int(allow_none=True, load_default=None, validate=in_range(2000, 2100))


class ProblemSchema(StrictSchema):
    section = Str(required=True, validate=one_of(st.SECTIONS))
    issue = Text(required=True, validate=[not_blank, length(maximum=500)])


class DecisionSchema(StrictSchema):
    action = Str(required=True, validate=one_of(ACTIONS))
    opinion = Text(load_default="", validate=length(maximum=2000))
    reason = Text(load_default="", validate=length(maximum=2000))
    sections = List(Str(validate=one_of(st.SECTIONS)), load_default=list)
    problems = List(Nested(ProblemSchema), load_default=list, validate=count(0, 50))
    # The dossier version the reviewer decided on (the queue row's or dossier's ``version``): if the
    # dossier moved since, the dossier service refuses the decision with a 409 saying who moved it.
    expected_version = ExpectedVersion(required=True)

    @validates_schema(skip_on_field_errors=False)
    def complete_for_its_action(self, data, **_):
        action, errors = data.get("action"), {}
        if action == APPROVE and not (data.get("opinion") or "").strip():
            errors["opinion"] = ["审核通过须填写审核(推荐)意见"]
        if action == RETURN:
            if not (data.get("reason") or "").strip() and not data.get("problems"):
                errors["reason"] = ["请填写退回原因,或逐条列出需要修改的问题"]
            if not data.get("sections") and not data.get("problems"):
                errors["sections"] = ["请选择需要修改的栏目"]
        if action == REJECT and not (data.get("reason") or "").strip():
            errors["reason"] = ["不予通过须写明理由"]
        if errors:
            raise ValidationError(errors)


class UnitPublicitySchema(StrictSchema):
    dossier_ids = Ids()
    start = Date(required=True)
    end = Date(allow_none=True, load_default=None)


class BatchSchema(StrictSchema):
    dossier_ids = Ids()
    # Optional: the version of each dossier the unit admin saw (the queue's ``version``); a dossier that
    # moved since is named and the batch is refused whole. Sending upward is never retried either way.
    expected_versions = Dict(keys=Str(validate=[not_blank, length(maximum=64)]), values=ExpectedVersion(),
                             load_default=dict, validate=count(0, 500))


class PageSchema(StrictSchema):
    page = Int(load_default=1, validate=in_range(1, 100000))
    per_page = Int(load_default=20, validate=in_range(1, 200))


class CalendarYearSchema(StrictSchema):
    year = Int(required=True, validate=in_range(2000, 2100))
    days_off = List(Str(validate=length(maximum=30)), required=True, validate=count(0, 400))
    workdays = List(Str(validate=length(maximum=30)), load_default=list, validate=count(0, 100))
    source = Str(load_default="", validate=length(maximum=200))


class WorkingDaysQuerySchema(StrictSchema):
    start = Date(required=True)
    working_days = Int(allow_none=True, load_default=None, validate=in_range(1, 200))
    end = Date(allow_none=True, load_default=None)

    @validates_schema
    def one_of_count_or_end(self, data, **_):
        if (data.get("working_days") is None) == (data.get("end") is None):
            raise ValidationError("请给出工作日天数或结束日期之一", field_name="working_days")


class CommitteeSchema(StrictSchema):
    name = Str(required=True, validate=[not_blank, length(maximum=100)])
    series = Str(required=True, validate=one_of(SERIES))
    levels = List(Str(validate=one_of(LEVELS)), required=True, validate=count(1, 4))
    organised_by = Str(required=True, validate=one_of(ORGANISED_BY))
    specialties = List(Str(validate=[not_blank, length(maximum=50)]), load_default=list, validate=count(0, 100))
    organising_body = Str(required=True, validate=[not_blank, length(maximum=100)])
    office_org_id = Str(allow_none=True, load_default=None, validate=length(maximum=64))
    valid_from = Date(allow_none=True, load_default=None)
    valid_until = Date(required=True)
    member_count = Int(required=True, validate=in_range(1, 1000))
    # No quorum or pass share of its own: a meeting applies the year's policy (shared/contracts/year_policy.py).


class ExpertSchema(StrictSchema):
    expert_id = Str(required=True, validate=[not_blank, length(maximum=64)])
    name = Str(allow_none=True, load_default=None, validate=length(maximum=50))
    # No unit here: an expert's unit (same-unit recusal) is their organisation membership in identity,
    # changed only by ExpertUnitChangeSchema's recorded, reasoned act.
    title = Str(required=True, validate=[not_blank, length(maximum=50)])
    specialty = Str(required=True, validate=[not_blank, length(maximum=50)])


class ExpertsSchema(StrictSchema):
    experts = List(Nested(ExpertSchema), required=True, validate=count(1, 200))


class ExpertUnitChangeSchema(StrictSchema):
    """The city admin changes the unit a pool expert recuses by: a unit identity knows, and why."""

    unit_id = Str(required=True, validate=[not_blank, length(maximum=64)],
                  error_messages={"required": "请选择回避单位"})
    reason = Str(required=True, validate=[not_blank, length(minimum=4, maximum=500)],
                 error_messages={"required": "请写明更改回避单位的理由"})


class MeetingSchema(StrictSchema):
    committee_id = Str(required=True, validate=not_blank)
    title = Str(load_default="", validate=length(maximum=100))
    meeting_date = Date(required=True)
    expert_count = Int(required=True, validate=in_range(1, 500))


class MeetingQuerySchema(StrictSchema):
    committee_id = Str(allow_none=True, load_default=None)
    state = Str(allow_none=True, load_default=None, validate=length(maximum=16))


class DossierIdsSchema(StrictSchema):
    dossier_ids = Ids()


def trimmed_length(minimum, maximum):
    """Between *minimum* and *maximum* characters once the surrounding blanks are cut off (what is kept)."""

    def check(value):
        if not minimum <= len(str(value).strip()) <= maximum:
            raise ValidationError(f"长度应在 {minimum} 到 {maximum} 个字符之间(不计首尾空白)")

    return check


class DossierChangeSchema(StrictSchema):
    """The office's decision on a drawn meeting's dossiers: some added, some taken out, and why."""

    add = List(Str(validate=[not_blank, length(maximum=64)]), load_default=list, validate=count(0, 200))
    remove = List(Str(validate=[not_blank, length(maximum=64)]), load_default=list, validate=count(0, 200))
    reason = Text(required=True, validate=trimmed_length(5, 500))

    @validates_schema(skip_on_field_errors=False)
    def something_and_once(self, data, **_):
        if not data.get("add") and not data.get("remove"):
            raise ValidationError("请选择要调入或撤出的申报材料", field_name="add")
        both = set(data.get("add") or []) & set(data.get("remove") or [])
        if both:
            raise ValidationError("同一件申报材料不能既调入又撤出", field_name="remove")


class LeadsSchema(StrictSchema):
    """The lead reviewers (主审) of one dossier of the meeting: one or two of its drawn experts."""

    dossier_id = Str(required=True, validate=[not_blank, length(maximum=64)])
    expert_ids = List(Str(validate=[not_blank, length(maximum=64)]), required=True, validate=count(1, 2))


class LeadOpinionSchema(StrictSchema):
    dossier_id = Str(required=True, validate=[not_blank, length(maximum=64)])
    opinion = Text(required=True, validate=trimmed_length(10, 4000))


class ExclusionSchema(StrictSchema):
    expert_id = Str(required=True, validate=not_blank)
    reason = Str(required=True, validate=[not_blank, length(maximum=200)])


class DrawSchema(StrictSchema):
    exclusions = List(Nested(ExclusionSchema), load_default=list, validate=count(0, 500))


class ConflictSchema(StrictSchema):
    expert_id = Str(allow_none=True, load_default=None)  # the expert themselves when omitted
    dossier_id = Str(allow_none=True, load_default=None)  # the whole meeting when omitted
    reason = Str(required=True, validate=[not_blank, length(maximum=200)])


class AttendanceSchema(StrictSchema):
    expert_ids = List(Str(validate=not_blank), required=True, validate=count(0, 500))


class BallotSchema(StrictSchema):
    """What an expert sends the gateway: the gateway encrypts the choice before anything leaves it."""

    dossier_id = Str(required=True, validate=not_blank)
    choice = Str(required=True, validate=one_of(CHOICES))


class SealedBallotSchema(StrictSchema):
    """What the gateway sends review: the choice only as ciphertexts with their proofs
    (shared/ballot_crypto.encrypt_choice); review checks the proofs before anything is stored."""

    dossier_id = Str(required=True, validate=not_blank)
    ballot = Dict(required=True)


class PublishSchema(StrictSchema):
    dossier_ids = Ids()
    start = Date(allow_none=True, load_default=None)
    working_days = Int(allow_none=True, load_default=None, validate=in_range(1, 60))
    title = Str(load_default="", validate=length(maximum=100))


class ObjectionSchema(StrictSchema):
    dossier_id = Str(required=True, validate=not_blank)
    contact = Str(required=True, validate=[not_blank, length(5, 100)])
    facts = Text(required=True, validate=[not_blank, length(10, 2000)])
    name = Str(load_default="", validate=length(maximum=50))


class ResolutionSchema(StrictSchema):
    outcome = Str(required=True, validate=one_of([DISMISSED, UPHELD]))
    reason = Text(required=True, validate=[not_blank, length(maximum=2000)])
    fraud = Bool(load_default=False)


class ObjectionQuerySchema(StrictSchema):
    state = Str(allow_none=True, load_default=None, validate=one_of(OBJECTION_STATES))
    publicity_id = Str(allow_none=True, load_default=None)
