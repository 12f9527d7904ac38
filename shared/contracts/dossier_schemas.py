"""Schemas at the dossier service's RPC edge: every command's input, checked field by field."""
import re

from marshmallow import ValidationError, validates_schema

from shared.schemas import (
    Bool, Date, Dict, Int, List, Nested, Num, StrictSchema, Str, Text, count, in_range, length, not_after_today, not_blank,
    one_of,
)
from shared.titles import (
    ASSESSMENT_RESULTS, CONTINUING_EDUCATION_KINDS, EDUCATION_LEVELS, LEVELS, MATERIAL_CATEGORIES, SERIES,
)

from shared.contracts.dossier import ExpectedVersion

from shared.contracts import dossier as st


def _sha256(value):
    if not re.fullmatch(r"[0-9a-f]{64}", value or ""):
        raise ValidationError("应为 64 位十六进制 SHA-256 摘要")


class _Period(StrictSchema):
    @validates_schema
    def end_not_before_start(self, data, **_):
        if data.get("end") and data.get("start") and data["end"] < data["start"]:
            raise ValidationError("结束日期不能早于开始日期", field_name="end")


class CreateDossierSchema(StrictSchema):
    applicant_name = Str(required=True, validate=[not_blank, length(maximum=50)])
    unit_id = Str(required=True, validate=not_blank)
    unit_name = Str(required=True, validate=not_blank)
    district_id = Str(required=True, validate=not_blank)
    district_name = Str(required=True, validate=not_blank)
    review_year = Int(required=True, validate=in_range(2000, 2100))
    series = Str(required=True, validate=one_of(SERIES))
    specialty = Str(required=True, validate=[not_blank, length(maximum=50)])
    level = Str(required=True, validate=one_of(LEVELS))


class BasicInfoSchema(StrictSchema):
    gender = Str(required=True, validate=one_of(["男", "女"]))
    birth_date = Date(required=True, validate=not_after_today)
    ethnicity = Str(load_default="", validate=length(maximum=20))
    political_status = Str(load_default="", validate=length(maximum=20))
    phone = Str(required=True, validate=[not_blank, length(maximum=20)])
    email = Str(load_default="", validate=length(maximum=100))
    work_start_date = Date(required=True, validate=not_after_today)
    position = Str(load_default="", validate=length(maximum=50))
    current_title = Str(load_default="", validate=length(maximum=50))
    current_title_level = Str(allow_none=True, load_default=None, validate=one_of(LEVELS))
    current_title_series = Str(allow_none=True, load_default=None, validate=one_of(SERIES))
    current_title_obtained_on = Date(allow_none=True, load_default=None, validate=not_after_today)
    exceptional = Bool(load_default=False)  # 破格申报
    retired = Bool(load_default=False)

    @validates_schema
    def title_fields_together(self, data, **_):
        if data.get("current_title_level") and not data.get("current_title_obtained_on"):
            raise ValidationError("填写现职称级别时须填写取得时间", field_name="current_title_obtained_on")


class EducationEntrySchema(_Period):
    education_level = Str(required=True, validate=one_of(EDUCATION_LEVELS))
    school = Str(required=True, validate=[not_blank, length(maximum=100)])
    major = Str(required=True, validate=[not_blank, length(maximum=100)])
    start = Date(required=True)
    end = Date(required=True)
    degree = Str(load_default="", validate=length(maximum=20))
    certificate_number = Str(load_default="", validate=length(maximum=50))
    highest = Bool(load_default=False)


class WorkEntrySchema(_Period):
    employer = Str(required=True, validate=[not_blank, length(maximum=100)])
    position = Str(required=True, validate=[not_blank, length(maximum=50)])
    start = Date(required=True)
    end = Date(allow_none=True, load_default=None)  # None: 至今
    duties = Text(load_default="", validate=length(maximum=2000))


class ContinuingEducationEntrySchema(StrictSchema):
    year = Int(required=True, validate=in_range(1990, 2100))
    kind = Str(required=True, validate=one_of(CONTINUING_EDUCATION_KINDS))
    hours = Num(required=True, validate=in_range(0.5, 1000))
    course = Str(required=True, validate=[not_blank, length(maximum=100)])
    provider = Str(load_default="", validate=length(maximum=100))


class AchievementSchema(StrictSchema):
    kind = Str(required=True, validate=one_of(["论文", "著作", "专利", "项目", "获奖", "标准", "其他"]))
    title = Str(required=True, validate=[not_blank, length(maximum=200)])
    date = Date(required=True)
    role = Str(load_default="", validate=length(maximum=50))
    description = Text(load_default="", validate=length(maximum=2000))


class AssessmentEntrySchema(StrictSchema):
    year = Int(required=True, validate=in_range(1990, 2100))
    result = Str(required=True, validate=one_of(ASSESSMENT_RESULTS))


class ReviewFormSchema(StrictSchema):
    work_summary = Text(required=True, validate=[not_blank, length(maximum=5000)])
    main_achievements = Text(required=True, validate=[not_blank, length(maximum=5000)])
    self_assessment = Text(load_default="", validate=length(maximum=2000))


class CommitmentSchema(StrictSchema):
    statement_version = Str(required=True, validate=not_blank)
    signed_name = Str(required=True, validate=not_blank)


class MaterialSchema(StrictSchema):
    material_id = Str(required=True, validate=[not_blank, length(maximum=64)])
    object_key = Str(required=True, validate=[not_blank, length(maximum=300)])
    sha256 = Str(required=True, validate=_sha256)
    size = Int(required=True, validate=in_range(1, 10**9))
    pages = Int(required=True, validate=in_range(1, 100000))
    category = Str(required=True, validate=one_of(MATERIAL_CATEGORIES))
    filename = Str(load_default="", validate=length(maximum=255))


def _entries(entry_schema):
    """A schema for a section that is a list of entries of *entry_schema*."""
    entries = List(Nested(entry_schema), required=True, validate=count(0, 100))
    return type(f"{entry_schema.__name__}List", (StrictSchema,), {"entries": entries})


# section -> (aggregate command, schema of the section's data, how the data is passed)
SECTION_COMMANDS = {
    "basic_info": ("update_basic_info", BasicInfoSchema, "data"),
    "education": ("record_education", _entries(EducationEntrySchema), "entries"),
    "work_experience": ("record_work_experience", _entries(WorkEntrySchema), "entries"),
    "continuing_education": ("record_continuing_education", _entries(ContinuingEducationEntrySchema), "entries"),
    "annual_assessments": ("record_annual_assessments", _entries(AssessmentEntrySchema), "entries"),
    "review_form": ("fill_review_form", ReviewFormSchema, "data"),
    "commitment": ("sign_commitment", CommitmentSchema, "kwargs"),
}


class WithdrawSchema(StrictSchema):
    reason = Text(load_default="", allow_none=True, validate=length(maximum=2000))


class TakeBackSchema(StrictSchema):
    """撤回申报: an optional reason, and the version the applicant's page showed (checked when given)."""

    reason = Text(load_default="", allow_none=True, validate=length(maximum=500))
    expected_version = ExpectedVersion(load_default=None, allow_none=True)


class DecisionSchema(StrictSchema):
    action = Str(required=True, validate=one_of(["approve", "return", "reject"]))
    opinion = Text(load_default="", validate=length(maximum=2000))
    reason = Text(load_default="", validate=length(maximum=2000))
    sections = List(Str(validate=one_of(st.SECTIONS)), load_default=list)
    expected_version = ExpectedVersion(required=True)


class UnitPublicitySchema(_Period):
    start = Date(required=True)
    end = Date(required=True)


class RecommendBatchSchema(StrictSchema):
    dossier_ids = List(Str(validate=not_blank), required=True, validate=count(1, 500))
    batch_id = Str(allow_none=True, load_default=None)
    today = Date(allow_none=True, load_default=None)
    # The version of each dossier the sender saw (the queue's ``version``); those given are checked.
    expected_versions = Dict(keys=Str(validate=not_blank), values=ExpectedVersion(), load_default=dict)


class TallySchema(StrictSchema):
    agree = Int(required=True, validate=in_range(0, 1000))
    disagree = Int(required=True, validate=in_range(0, 1000))
    abstain = Int(required=True, validate=in_range(0, 1000))
    voters = Int(required=True, validate=in_range(1, 1000))
    required = Int(required=True, validate=in_range(1, 1000))


class ListQuerySchema(StrictSchema):
    status = List(Str(validate=one_of(st.ALL_STATUSES)), load_default=list)
    review_year = Int(allow_none=True, load_default=None)
    series = Str(allow_none=True, load_default=None)
    level = Str(allow_none=True, load_default=None)
    unit_id = Str(allow_none=True, load_default=None)
    district_id = Str(allow_none=True, load_default=None)
    applicant_id = Str(allow_none=True, load_default=None)
    q = Str(allow_none=True, load_default=None, validate=length(maximum=50))
    # The auditor's search (gateway/pages/audit.py): part of the applicant's or of the unit's name, and
    # the Beijing days the submission falls in (inclusive).
    applicant_name = Str(allow_none=True, load_default=None, validate=length(maximum=50))
    unit_name = Str(allow_none=True, load_default=None, validate=length(maximum=100))
    submitted_from = Date(allow_none=True, load_default=None)
    submitted_to = Date(allow_none=True, load_default=None)
    page = Int(load_default=1, validate=in_range(1, 100000))
    per_page = Int(load_default=20, validate=in_range(1, 200))

    @validates_schema
    def submitted_range_in_order(self, data, **_):
        if data.get("submitted_from") and data.get("submitted_to") and data["submitted_to"] < data["submitted_from"]:
            raise ValidationError("提交日期的结束日不能早于开始日", field_name="submitted_to")


class StateAtSchema(StrictSchema):
    version = Int(allow_none=True, load_default=None, validate=in_range(1, 10**6))
    at = Str(allow_none=True, load_default=None)
