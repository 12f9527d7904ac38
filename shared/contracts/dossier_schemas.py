"""Schemas at the dossier service's RPC edge: every command's input, checked field by field."""
import re

from marshmallow import ValidationError, fields, validate, validates_schema

from shared.schemas import (
    Bool, Date, Dict, Int, List, Nested, Num, StrictSchema, Str, Text, contact_phone, count, email_address, in_range, length,
    not_after_today, not_blank, one_of,
)
from shared.titles import (
    ASSESSMENT_RESULTS, CONTINUING_EDUCATION_KINDS, EDUCATION_LEVELS, EMPLOYER_TYPES, LEVELS, MATERIAL_CATEGORIES, SERIES,
)
from shared.idnumbers import FEMALE, MALE

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
    # The applicant's gender and birth date as identity derived them from the verified resident ID
    # number (the gateway sends the account's, never a client's). None: an account without a number.
    applicant_gender = Str(load_default=None, allow_none=True, validate=one_of([MALE, FEMALE]))
    applicant_birth_date = Date(load_default=None, allow_none=True, validate=not_after_today)


class _FromIdNumber(fields.Field):
    """性别 and 出生日期 are the applicant's resident ID number's (GB 11643: digits 7–14 the birth date,
    the 17th odd for men), carried by the dossier from identity at creation. Declared only so that a
    client that still sends one is told why, next to the field, instead of "不允许的字段"."""

    def __init__(self, label):
        self.refusal = f"{label}由身份证号码自动生成,不能填写或修改"
        super().__init__(load_only=True, error_messages={"null": self.refusal},
                         metadata={"description": f"{label}由身份证号码自动生成,不接受填写"})

    def _deserialize(self, value, attr, data, **kwargs):
        raise ValidationError(self.refusal)


# Basic-info fields no form shows and no client sets: the dossier carries them from the ID number.
FROM_ID_NUMBER = ("gender", "birth_date")


class BasicInfoSchema(StrictSchema):
    gender = _FromIdNumber("性别")
    birth_date = _FromIdNumber("出生日期")
    ethnicity = Str(load_default="", validate=length(maximum=20))
    political_status = Str(load_default="", validate=length(maximum=20))
    phone = Str(required=True, validate=[not_blank, contact_phone])
    email = Str(load_default="", validate=email_address)
    work_start_date = Date(required=True, validate=not_after_today)
    position = Str(load_default="", validate=length(maximum=50))
    # 现聘情况: the post the employer appointed the applicant to, since when, and what kind of employer.
    current_post = Str(required=True, validate=[not_blank, length(maximum=50)])
    appointed_on = Date(required=True, validate=not_after_today)
    employer_type = Str(required=True, validate=validate.OneOf(
        list(EMPLOYER_TYPES), error="请选择单位性质:" + "、".join(EMPLOYER_TYPES.values())))
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

    @validates_schema
    def appointed_after_work_start(self, data, **_):
        start, appointed = data.get("work_start_date"), data.get("appointed_on")
        if start and appointed and appointed < start:
            raise ValidationError(f"聘任时间不能早于参加工作时间({start.isoformat()})", field_name="appointed_on")


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
    # Optional: the year the file is for (a 年度考核登记表, a 继续教育证明) and the achievement it proves;
    # the dossier checks both against itself (not after its review year, an achievement it has).
    year = Int(allow_none=True, load_default=None, validate=in_range(1990, 2100))
    achievement_id = Str(allow_none=True, load_default=None, validate=length(maximum=64))


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
