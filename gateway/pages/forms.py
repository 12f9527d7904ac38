"""The dossier's section forms: what each form shows, and how a posted form becomes section data.

Field names are the dossier schemas' own (shared/contracts/dossier_schemas.py), so the service's field
errors land next to the right input; list sections name their inputs ``entries-<row>-<field>``.
Which fields are required, and every check, comes from those schemas: nothing is re-decided here.
"""
import re
from dataclasses import dataclass
from functools import cached_property

from marshmallow import fields as ma_fields
from marshmallow import validate

from shared.contracts import dossier_schemas as ds
from shared.idnumbers import GENDER_LABELS
from shared.titles import (
    ASSESSMENT_RESULTS, CONTINUING_EDUCATION_KINDS, EDUCATION_LEVELS, EMPLOYER_TYPES, LEVELS, SERIES,
)

# The commitment (承诺书) the applicant signs; its version is recorded with the signature.
COMMITMENT_VERSION = "2026-1"
COMMITMENT_TEXT = (
    "本人郑重承诺:所填报的个人信息、学历学位、工作经历、继续教育、业绩成果、年度考核等内容及上传的证明材料"
    "均真实、准确、完整,不存在伪造、变造或冒用他人材料的情形。如有弄虚作假,本人自愿承担取消申报资格、"
    "撤销所取得职称的后果,并接受三年内不得申报职称评审的处理。"
)


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"  # text, date, number, select, checkbox, textarea, tel, email, hidden
    options: tuple = ()  # ((value, label), ...)
    blank: str = ""  # label of the empty choice of an optional select
    hint: str = ""
    step: str = ""


@dataclass(frozen=True)
class SectionForm:
    section: str
    schema: type  # the schema of the data, or of one entry for list sections
    fields: tuple
    is_list: bool = False

    @cached_property
    def required(self):
        return {name for name, field in self.schema().fields.items() if field.required}


def _pairs(labels):
    return tuple(labels.items())


def choices_of(schema, name):
    """The allowed values of a schema field with a OneOf validator, as ``((value, value), ...)``."""
    for validator in schema().fields[name].validators:
        if isinstance(validator, validate.OneOf):
            return tuple((choice, choice) for choice in validator.choices)
    return ()


SECTION_FORMS = {
    "basic_info": SectionForm("basic_info", ds.BasicInfoSchema, (
        # 性别 and 出生日期 are not typed: the editor shows the dossier's, from the ID number (IDENTITY_FIELDS).
        Field("ethnicity", "民族"),
        Field("political_status", "政治面貌"),
        Field("phone", "联系电话", "tel", hint="手机号码,或带区号的固定电话如 0871-63123456"),
        Field("email", "电子邮箱", "email"),
        Field("work_start_date", "参加工作时间", "date"),
        Field("employer_type", "单位性质", "select", _pairs(EMPLOYER_TYPES), blank="请选择"),
        Field("current_post", "现聘岗位", hint="如:专业技术岗位十级、工程师岗"),
        Field("appointed_on", "聘任时间", "date"),
        Field("position", "现任职务", hint="行政职务,如:项目部副经理;无可不填"),
        Field("current_title", "现职称名称", hint="如:助理工程师;无职称可不填"),
        Field("current_title_series", "现职称系列", "select", _pairs(SERIES), blank="无"),
        Field("current_title_level", "现职称级别", "select", _pairs(LEVELS), blank="无"),
        Field("current_title_obtained_on", "现职称取得时间", "date"),
        Field("exceptional", "破格申报", "checkbox", hint="破格申报须上传 2 份专家推荐信(证明材料类别选“推荐信”)"),
        Field("retired", "已退休", "checkbox"),
    )),
    "education": SectionForm("education", ds.EducationEntrySchema, (
        Field("education_level", "学历", "select", _pairs(EDUCATION_LEVELS), blank="请选择"),
        Field("school", "毕业院校"),
        Field("major", "所学专业"),
        Field("start", "入学时间", "date"),
        Field("end", "毕业时间", "date"),
        Field("degree", "学位", hint="如:学士"),
        Field("certificate_number", "证书编号"),
        Field("highest", "最高学历", "checkbox"),
    ), is_list=True),
    "work_experience": SectionForm("work_experience", ds.WorkEntrySchema, (
        Field("employer", "工作单位"),
        Field("position", "岗位/职务"),
        Field("start", "开始时间", "date"),
        Field("end", "结束时间", "date", hint="至今可不填"),
        Field("duties", "主要工作内容", "textarea"),
    ), is_list=True),
    "continuing_education": SectionForm("continuing_education", ds.ContinuingEducationEntrySchema, (
        Field("year", "年度", "number", step="1"),
        Field("kind", "科目类别", "select", _pairs(CONTINUING_EDUCATION_KINDS), blank="请选择"),
        Field("hours", "学时", "number", step="0.5"),
        Field("course", "课程名称"),
        Field("provider", "培训机构"),
    ), is_list=True),
    "annual_assessments": SectionForm("annual_assessments", ds.AssessmentEntrySchema, (
        Field("year", "年度", "number", step="1"),
        Field("result", "考核结果", "select", _pairs(ASSESSMENT_RESULTS), blank="请选择"),
    ), is_list=True),
    "review_form": SectionForm("review_form", ds.ReviewFormSchema, (
        Field("work_summary", "任现职以来的专业技术工作总结", "textarea"),
        Field("main_achievements", "主要业绩和成果", "textarea"),
        Field("self_assessment", "自我评价", "textarea"),
    )),
    "commitment": SectionForm("commitment", ds.CommitmentSchema, (
        Field("statement_version", "承诺书版本", "hidden"),
        Field("signed_name", "签名(请输入申报人姓名)"),
    )),
}

# Shown read-only with basic info: the dossier carries them from the applicant's resident ID number.
IDENTITY_NOTE = "由身份证号码自动生成"


def identity_fields(dossier):
    """``[(label, text)]`` of 性别 and 出生日期 as the dossier carries them. A dossier created before they
    were taken from the ID number shows what its applicant typed into basic info, marked as typed."""
    typed = (dossier.get("sections") or {}).get("basic_info") or {}

    def shown(carried, old, words=lambda value: value):
        if carried:
            return words(carried)
        return f"{words(old)}(申报人填写)" if old else "未记录"

    return [("性别", shown(dossier.get("applicant_gender"), typed.get("gender"), lambda g: GENDER_LABELS.get(g, g))),
            ("出生日期", shown(dossier.get("applicant_birth_date"), typed.get("birth_date")))]


ACHIEVEMENT_FORM = SectionForm("achievements", ds.AchievementSchema, (
    Field("kind", "成果类别", "select", choices_of(ds.AchievementSchema, "kind"), blank="请选择"),
    Field("title", "名称"),
    Field("date", "取得/完成时间", "date"),
    Field("role", "本人角色/排名"),
    Field("description", "简要说明", "textarea"),
))

_ROW_FIELD = re.compile(r"^entries-(\d+)-([a-z_]+)$")


def to_data(schema, get):
    """Form text → the schema's input: blank optional values left out (or None where the schema allows
    None), a checkbox → True/False. The schema itself, in the service, judges the rest."""
    data = {}
    for name, field in schema().fields.items():
        raw = get(name)
        if isinstance(field, ma_fields.Boolean):
            data[name] = raw not in (None, "", "off", "false", "0")
            continue
        if raw is None:
            continue
        value = raw.strip()
        if value:
            data[name] = value
        elif field.allow_none:
            data[name] = None
    return data


def rows_of(form):
    """The posted rows of a list section, in row order, blank rows dropped: ``[{field: text}]``."""
    rows = {}
    for key in form.keys():
        match = _ROW_FIELD.match(key)
        if match:
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = form.get(key, "")
    return [row for _, row in sorted(rows.items()) if any(value.strip() for name, value in row.items()
                                                           if value not in ("on",))]


def section_data(section, form):
    """``(data for dossier.update_section, the values to show again if it is refused)``."""
    spec = SECTION_FORMS[section]
    if spec.is_list:
        rows = rows_of(form)
        return {"entries": [to_data(spec.schema, row.get) for row in rows]}, rows
    values = {field.name: form.get(field.name, "") for field in spec.fields}
    return to_data(spec.schema, form.get), values


def achievement_data(form):
    values = {field.name: form.get(field.name, "") for field in ACHIEVEMENT_FORM.fields}
    return to_data(ACHIEVEMENT_FORM.schema, form.get), values


def input_value(value):
    """A stored value as an input's text: no "None", 60.0 shown as 60."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def is_checked(value):
    return value is True or value in ("on", "true", "1")
