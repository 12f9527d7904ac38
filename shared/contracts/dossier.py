"""The dossier service's published vocabulary: its statuses with labels, the commands that move it and
the statuses each command is legal in, the sections, the review levels, and the fields others reuse.

Every consumer (review, payment, certificate, the gateway's pages and OpenAPI) reads names, labels and
statuses from here; nobody types a status string by hand (tests/unit/test_architecture.py).
"""
from shared.schemas import Int, in_range

# The review levels a reviewer's opinion is recorded at (``opinions[].level``).
UNIT, DISTRICT, CITY = "unit", "district", "city"
REVIEW_LEVEL_LABELS = {UNIT: "单位", DISTRICT: "主管部门/区县人社局", CITY: "市人社局"}


def ExpectedVersion(**kwargs):
    """The dossier version a decision was made on, as every caller sends it (review, the gateway): if the
    dossier moved since, the dossier refuses the decision (409) instead of applying it to a state its
    maker never saw (services/dossier/conflicts.py)."""
    return Int(validate=in_range(1, 10**6), metadata={"description": "作出决定时看到的申报材料版本号(version)"},
               error_messages={"required": "请注明作出决定时看到的申报材料版本号(expected_version),"
                                           "以免覆盖他人刚刚作出的决定"}, **kwargs)


DRAFT = "draft"
SUBMITTED = "submitted"
RETURNED = "returned"
UNIT_APPROVED = "unit_approved"
RECOMMENDED = "recommended"
DISTRICT_APPROVED = "district_approved"
ACCEPTED = "accepted"
FEE_PAID = "fee_paid"
SENT_TO_COMMITTEE = "sent_to_committee"
UNDER_REVIEW = "under_review"
PASSED = "passed"
FAILED = "failed"
IN_PUBLICITY = "in_publicity"
APPROVED = "approved"
CERTIFIED = "certified"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
ABANDONED = "abandoned"
REVOKED = "revoked"

STATUS_LABELS = {
    DRAFT: "草稿",
    SUBMITTED: "待单位审核",
    RETURNED: "退回修改",
    UNIT_APPROVED: "单位审核通过",
    RECOMMENDED: "已报送",
    DISTRICT_APPROVED: "主管部门审核通过",
    ACCEPTED: "市人社局审核通过",
    FEE_PAID: "已缴费",
    SENT_TO_COMMITTEE: "已送评",
    UNDER_REVIEW: "评审中",
    PASSED: "评审通过",
    FAILED: "评审未通过",
    IN_PUBLICITY: "公示中",
    APPROVED: "公示无异议",
    CERTIFIED: "已发证",
    REJECTED: "不予通过",
    WITHDRAWN: "已撤销申请",
    ABANDONED: "视为放弃",
    REVOKED: "已撤销职称",
}
ALL_STATUSES = tuple(STATUS_LABELS)

# Review levels (published in shared/contracts/dossier.py): who decides at which step (DOMAIN.md §5).
LEVEL_LABELS = {**REVIEW_LEVEL_LABELS, "publicity": "公示"}
# The status in which each level's reviewer has the dossier in front of them.
DECISION_STATUSES = {SUBMITTED: UNIT, UNIT_APPROVED: UNIT, RECOMMENDED: DISTRICT, DISTRICT_APPROVED: CITY}

EDITABLE = (DRAFT, RETURNED)
# Withdrawal is possible until the dossier goes to a committee (DOMAIN.md §5).
WITHDRAWABLE = (DRAFT, SUBMITTED, RETURNED, UNIT_APPROVED, RECOMMENDED, DISTRICT_APPROVED, ACCEPTED, FEE_PAID)

# Section commands share one rule: only the applicant, only while editable.
SECTION_COMMANDS = (
    "update_basic_info",
    "record_education",
    "record_work_experience",
    "record_continuing_education",
    "add_achievement",
    "remove_achievement",
    "record_annual_assessments",
    "attach_material",
    "detach_material",
    "fill_review_form",
    "sign_commitment",
)

# command -> statuses in which it is legal.
LEGAL_IN = {
    **{command: EDITABLE for command in SECTION_COMMANDS},
    "submit": EDITABLE,
    "approve": (SUBMITTED, RECOMMENDED, DISTRICT_APPROVED),
    "return_for_changes": (SUBMITTED, UNIT_APPROVED, RECOMMENDED, DISTRICT_APPROVED),
    "reject": (SUBMITTED, UNIT_APPROVED, RECOMMENDED, DISTRICT_APPROVED),
    "record_unit_publicity": (UNIT_APPROVED,),
    "recommend": (UNIT_APPROVED,),
    "withdraw": WITHDRAWABLE,
    "abandon": (RETURNED,),
    "record_fee_paid": (ACCEPTED,),
    "send_to_committee": (FEE_PAID,),
    "start_review": (SENT_TO_COMMITTEE,),
    "record_vote_result": (UNDER_REVIEW,),
    "start_publicity": (PASSED,),
    "raise_objection": (IN_PUBLICITY,),
    "resolve_objection": (IN_PUBLICITY,),
    "end_publicity": (IN_PUBLICITY,),
    "issue_certificate": (APPROVED,),
    "revoke_title": (APPROVED, CERTIFIED),
}

COMMAND_LABELS = {
    "update_basic_info": "填写基本信息",
    "record_education": "填写学历学位",
    "record_work_experience": "填写工作经历",
    "record_continuing_education": "填写继续教育",
    "add_achievement": "添加业绩成果",
    "remove_achievement": "删除业绩成果",
    "record_annual_assessments": "填写年度考核",
    "attach_material": "上传证明材料",
    "detach_material": "删除证明材料",
    "fill_review_form": "填写评审表",
    "sign_commitment": "签署承诺书",
    "submit": "提交申报",
    "approve": "审核通过",
    "return_for_changes": "退回修改",
    "reject": "不予通过",
    "record_unit_publicity": "登记单位公示",
    "recommend": "报送上级",
    "withdraw": "撤销申请",
    "abandon": "视为放弃",
    "record_fee_paid": "登记缴费",
    "send_to_committee": "送评",
    "start_review": "开始评审",
    "record_vote_result": "登记表决结果",
    "start_publicity": "开始公示",
    "raise_objection": "登记异议",
    "resolve_objection": "处理异议",
    "end_publicity": "结束公示",
    "issue_certificate": "发放证书",
    "revoke_title": "撤销职称",
}

# Dossier sections a reviewer can ask the applicant to fix (退回修改).
SECTIONS = {
    "basic_info": "基本信息",
    "education": "学历学位",
    "work_experience": "工作经历",
    "continuing_education": "继续教育",
    "achievements": "业绩成果",
    "annual_assessments": "年度考核",
    "materials": "证明材料",
    "review_form": "评审表",
    "commitment": "承诺书",
}


def commands_allowed_in(status):
    """The commands legal in *status*, in the order of the table above."""
    return [command for command, statuses in LEGAL_IN.items() if status in statuses]


# Every event the dossier records, by its published type name (the bus routing key's last part and the
# ``type`` of a history row): a label a person reads, and the status the event leaves the dossier in
# (None: the status does not change). ``objection_resolved`` rejects the dossier only when the objection
# is upheld; the aggregate says so in that event's ``apply_to`` (tests/unit/dossier checks both tables agree).
EVENTS = {
    "created": ("创建申报", DRAFT),
    "basic_info_updated": ("填写基本信息", None),
    "education_recorded": ("填写学历学位", None),
    "work_experience_recorded": ("填写工作经历", None),
    "continuing_education_recorded": ("填写继续教育", None),
    "achievement_added": ("添加业绩成果", None),
    "achievement_removed": ("删除业绩成果", None),
    "annual_assessment_recorded": ("填写年度考核", None),
    "material_attached": ("上传证明材料", None),
    "material_detached": ("删除证明材料", None),
    "review_form_filled": ("填写评审表", None),
    "commitment_signed": ("签署承诺书", None),
    "submitted": ("提交申报", SUBMITTED),
    "returned": ("退回修改", RETURNED),
    "rejected": ("不予通过", REJECTED),
    "unit_approved": ("单位审核通过", UNIT_APPROVED),
    "unit_publicity_recorded": ("登记单位公示", None),
    "recommended": ("报送上级", RECOMMENDED),
    "district_approved": ("主管部门审核通过", DISTRICT_APPROVED),
    "city_approved": ("市人社局审核通过", ACCEPTED),
    "withdrawn": ("撤销申请", WITHDRAWN),
    "abandoned": ("视为放弃", ABANDONED),
    "fee_paid": ("已缴费", FEE_PAID),
    "sent_to_committee": ("送评", SENT_TO_COMMITTEE),
    "review_started": ("开始评审", UNDER_REVIEW),
    "passed": ("评审通过", PASSED),
    "failed": ("评审未通过", FAILED),
    "publicity_started": ("开始公示", IN_PUBLICITY),
    "objection_raised": ("收到异议", None),
    "objection_resolved": ("异议处理完毕", None),
    "publicity_ended": ("公示结束", APPROVED),
    "certificate_issued": ("发放证书", CERTIFIED),
    "title_revoked": ("撤销职称", REVOKED),
}
EVENT_LABELS = {name: label for name, (label, _) in EVENTS.items()}
# The status each status-changing event leaves behind.
EVENT_STATUS = {name: status for name, (_, status) in EVENTS.items() if status is not None}

