"""Schemas of the annual notice, its policy overrides and the sanctions passed to the eligibility check."""
from fractions import Fraction

from marshmallow import EXCLUDE, ValidationError, post_load, validates_schema

from shared.schemas import (
    Bool, Date, DateTime, Dict, Int, List, Nested, Num, StrictSchema, Str, count, in_range, length, not_blank, one_of,
)
from shared.contracts.year_policy import AFTER_LEVEL_DEADLINE, REQUIREMENT_KINDS
from shared.titles import ASSESSMENT_RESULTS, EDUCATION_LEVELS, LEVELS, MATERIAL_CATEGORIES, SERIES

DEADLINES = {"unit": "单位审核截止时间", "district": "主管部门审核截止时间", "city": "市人社局审核截止时间",
             "resubmission": "退回后重新提交截止时间", "payment": "缴费截止时间"}


def _share(value):
    try:
        share = Fraction(value)
    except (ValueError, ZeroDivisionError):
        raise ValidationError("应为分数或小数,例如 2/3") from None
    if not 0 <= share <= 1:
        raise ValidationError("应在 0 到 1 之间")


def _distinct(values):
    if len(set(values)) != len(values):
        raise ValidationError("不能重复")


def _not_empty(mapping):
    if not mapping:
        raise ValidationError("至少开放一个系列")


class WindowSchema(StrictSchema):
    start = DateTime(required=True)
    end = DateTime(required=True)

    @validates_schema
    def end_after_start(self, data, **_):
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            raise ValidationError("申报截止时间须晚于开始时间", field_name="end")


class DeadlinesSchema(StrictSchema):
    unit = DateTime(allow_none=True, load_default=None)
    district = DateTime(allow_none=True, load_default=None)
    city = DateTime(allow_none=True, load_default=None)
    resubmission = DateTime(allow_none=True, load_default=None)
    # Optional: the last moment to pay the review fee after city acceptance (the notification service
    # reminds unpaid applicants before it; without it they are told the fee is due, with no date).
    payment = DateTime(allow_none=True, load_default=None)

    @validates_schema
    def review_steps_in_order(self, data, **_):
        steps = [name for name in ("unit", "district", "city") if data.get(name)]
        for earlier, later in zip(steps, steps[1:], strict=False):
            if data[later] < data[earlier]:
                raise ValidationError(f"不能早于{DEADLINES[earlier]}", field_name=later)


class ContinuingEducationRequirementSchema(StrictSchema):
    """The year's continuing-education requirement; a field left out keeps the default."""

    hours_per_year = Num(validate=in_range(1, 1000))
    professional_share = Str(validate=_share)
    years = Int(validate=in_range(1, 10))


class ExceptionalSchema(StrictSchema):
    recommendation_letters = Int(validate=in_range(0, 10))
    letter_categories = List(Str(validate=one_of(MATERIAL_CATEGORIES)), validate=[count(1, 10), _distinct])


class RequiredMaterialSchema(StrictSchema):
    """One item of the materials checklist (shared/contracts/year_policy.py REQUIREMENT_KINDS)."""

    key = Str(required=True, validate=[not_blank, length(maximum=40)])
    label = Str(required=True, validate=[not_blank, length(maximum=40)])
    categories = List(Str(validate=one_of(MATERIAL_CATEGORIES)), required=True, validate=[count(1, 10), _distinct])
    per = Str(required=True, validate=one_of(REQUIREMENT_KINDS))
    series = List(Str(validate=one_of(SERIES)), allow_none=True, load_default=None,
                  validate=[count(1, len(SERIES)), _distinct])
    levels = List(Str(validate=one_of(LEVELS)), allow_none=True, load_default=None,
                  validate=[count(1, len(LEVELS)), _distinct])
    # Declared last: inside this class body the field's name hides the ``count`` validator.
    count = Int(required=True, validate=in_range(1, 20))


def _distinct_keys(items):
    keys = [item["key"] for item in items]
    if len(set(keys)) != len(keys):
        raise ValidationError("材料项目的编码不能重复")


class PublicitySettingsSchema(StrictSchema):
    unit_working_days = Int(validate=in_range(1, 30))
    city_working_days = Int(validate=in_range(1, 30))


class VoteSettingsSchema(StrictSchema):
    quorum_share = Str(validate=_share)
    pass_share = Str(validate=_share)


class CommitteeMinimumSchema(StrictSchema):
    series = Int(validate=in_range(1, 301))
    specialty = Int(validate=in_range(1, 301))


class CommitteeSettingsSchema(StrictSchema):
    minimums = Dict(keys=Str(validate=one_of(["senior", "intermediate", "primary"])),
                    values=Nested(CommitteeMinimumSchema))
    max_valid_years = Int(validate=in_range(1, 10))


class FeeSettingsSchema(StrictSchema):
    review_fen = Dict(keys=Str(validate=one_of(LEVELS)), values=Int(validate=in_range(0, 10_000_000)))
    certificate_fen = Int(validate=in_range(0, 10_000_000))


class PolicyOverridesSchema(StrictSchema):
    """Overrides of year_policy.DEFAULT_POLICY for one review year; a field left out keeps the default."""

    max_active_dossiers = Int(validate=in_range(1, 10))
    eligibility_tables = Dict(
        keys=Str(validate=one_of(SERIES)),
        values=Dict(keys=Str(validate=one_of(LEVELS)),
                    values=Dict(keys=Str(validate=one_of(EDUCATION_LEVELS)), values=Int(validate=in_range(0, 30)))),
    )
    assessment_extra_years = Dict(keys=Str(validate=one_of(ASSESSMENT_RESULTS)), values=Int(validate=in_range(0, 10)))
    sanction_bar_years = Dict(keys=Str(validate=[not_blank, length(maximum=32)]), values=Int(validate=in_range(0, 20)))
    exceptional = Nested(ExceptionalSchema)
    records_through_application_year = Bool()
    require_same_series = Bool()
    required_materials = List(Nested(RequiredMaterialSchema), validate=[count(0, 30), _distinct_keys])
    publicity = Nested(PublicitySettingsSchema)
    vote = Nested(VoteSettingsSchema)
    committees = Nested(CommitteeSettingsSchema)
    fees = Nested(FeeSettingsSchema)
    after_level_deadline = Str(validate=one_of(AFTER_LEVEL_DEADLINE))


class NoticeSchema(StrictSchema):
    """A year's notice as the city admin publishes it."""

    review_year = Int(required=True, validate=in_range(2000, 2100))
    title = Str(required=True, validate=[not_blank, length(maximum=200)])
    open_series = Dict(
        keys=Str(validate=one_of(SERIES)),
        values=List(Str(validate=one_of(LEVELS)), validate=[count(1, len(LEVELS)), _distinct]),
        required=True,
        validate=_not_empty,
    )
    window = Nested(WindowSchema, required=True)
    deadlines = Nested(DeadlinesSchema, load_default=lambda: DeadlinesSchema().load({}))
    continuing_education = Nested(ContinuingEducationRequirementSchema, load_default=dict)
    policy = Nested(PolicyOverridesSchema, load_default=dict)

    @validates_schema
    def deadlines_after_opening(self, data, **_):
        start = (data.get("window") or {}).get("start")
        late = {name: [f"{DEADLINES[name]}不能早于申报开始时间"]
                for name, moment in (data.get("deadlines") or {}).items() if start and moment and moment < start}
        if late:
            raise ValidationError({"deadlines": late})


class ReviewYearSchema(StrictSchema):
    review_year = Int(required=True, validate=in_range(2000, 2100))


class NoticeVersionSchema(ReviewYearSchema):
    """One published version of a year's notice (``dossier.get_notice_version``)."""

    version = Int(required=True, validate=in_range(1, 100_000))


class SanctionSchema(StrictSchema):
    """A sanction as the identity service reports it; fields other than these are ignored."""

    class Meta:
        unknown = EXCLUDE

    kind = Str(required=True, validate=not_blank)
    decided_on = Date(allow_none=True, load_default=None)
    sanctioned_on = Date(allow_none=True, load_default=None)  # the identity service's name for decided_on
    # The end of the bar, fixed by identity when the sanction was recorded (the one source of its length).
    bars_until = Date(allow_none=True, load_default=None)

    @validates_schema
    def has_a_date(self, data, **_):
        if not data.get("decided_on") and not data.get("sanctioned_on"):
            raise ValidationError("须填写处理日期", field_name="decided_on")

    @post_load
    def one_date(self, data, **_):
        return {"kind": data["kind"], "decided_on": data["decided_on"] or data["sanctioned_on"],
                "bars_until": data["bars_until"]}


class SanctionsSchema(StrictSchema):
    sanctions = List(Nested(SanctionSchema), load_default=list, validate=count(0, 100))
