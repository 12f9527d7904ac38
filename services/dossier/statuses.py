"""The dossier's statuses, the commands that move it and which statuses each command is legal in.

This is the single table behind the aggregate's transition checks, its error messages and the
table-driven tests: DESIGN.md's status table and DOMAIN.md §5 written down once.
"""
from shared.contracts.dossier import CITY, DISTRICT, REVIEW_LEVEL_LABELS, UNIT

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
