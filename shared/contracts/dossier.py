"""The dossier service's published vocabulary: its statuses with labels, the state machine (each
command's source statuses, the event it records and the status that leaves), the sections, the review
levels, and the fields others reuse.

Every consumer (review, payment, certificate, the gateway's pages and OpenAPI) reads names, labels and
statuses from here; nobody types a status string by hand (tests/unit/test_architecture.py).
"""
from typing import NamedTuple

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

# Review levels: who decides at which step (docs/domain-rules.md R5.1, R5.4).
LEVEL_LABELS = {**REVIEW_LEVEL_LABELS, "publicity": "公示"}
# The status in which each level's reviewer has the dossier in front of them.
DECISION_STATUSES = {SUBMITTED: UNIT, UNIT_APPROVED: UNIT, RECOMMENDED: DISTRICT, DISTRICT_APPROVED: CITY}

EDITABLE = (DRAFT, RETURNED)
# Withdrawal is possible until the dossier goes to a committee (docs/domain-rules.md R5.8).
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

class Transition(NamedTuple):
    """One row of the dossier's state machine: *command*, legal in *sources*, records *event*, which
    leaves the dossier in *target* (None: the status does not change)."""

    command: str
    sources: tuple
    event: str
    target: str | None


_SECTION_EVENTS = {
    "update_basic_info": "basic_info_updated",
    "record_education": "education_recorded",
    "record_work_experience": "work_experience_recorded",
    "record_continuing_education": "continuing_education_recorded",
    "add_achievement": "achievement_added",
    "remove_achievement": "achievement_removed",
    "record_annual_assessments": "annual_assessment_recorded",
    "attach_material": "material_attached",
    "detach_material": "material_detached",
    "fill_review_form": "review_form_filled",
    "sign_commitment": "commitment_signed",
}
_REVIEW_STEPS = (SUBMITTED, UNIT_APPROVED, RECOMMENDED, DISTRICT_APPROVED)

# The state machine, one row per (command, event): docs/domain-rules.md R5.1. A command with several
# rows records the event of the row whose sources hold the current status (approve, by review level),
# or, where rows share a source, the one its arguments choose (the tally passes or fails).
# ``objection_resolved`` changes no status here: an upheld objection rejects the dossier (R7.6), which
# the aggregate says in that event's ``apply_to``.
TRANSITIONS = (
    *(Transition(command, EDITABLE, _SECTION_EVENTS[command], None) for command in SECTION_COMMANDS),
    Transition("submit", EDITABLE, "submitted", SUBMITTED),
    # The applicant takes a submission back to change it while the unit has not acted (撤回): a draft
    # again, submitted afresh later. Once the unit decides, only the unit can return it.
    Transition("take_back", (SUBMITTED,), "submission_taken_back", DRAFT),
    Transition("approve", (SUBMITTED,), "unit_approved", UNIT_APPROVED),
    Transition("approve", (RECOMMENDED,), "district_approved", DISTRICT_APPROVED),
    Transition("approve", (DISTRICT_APPROVED,), "city_approved", ACCEPTED),
    Transition("return_for_changes", _REVIEW_STEPS, "returned", RETURNED),
    Transition("reject", _REVIEW_STEPS, "rejected", REJECTED),
    Transition("record_unit_publicity", (UNIT_APPROVED,), "unit_publicity_recorded", None),
    Transition("recommend", (UNIT_APPROVED,), "recommended", RECOMMENDED),
    Transition("withdraw", WITHDRAWABLE, "withdrawn", WITHDRAWN),
    # 视为放弃: a returned dossier not resubmitted in time (R5.9), or, where the year's policy says so
    # (``after_level_deadline``: abandon), one still at a review level after that level's deadline (R5.12).
    Transition("abandon", (RETURNED, *_REVIEW_STEPS), "abandoned", ABANDONED),
    Transition("record_fee_paid", (ACCEPTED,), "fee_paid", FEE_PAID),
    Transition("send_to_committee", (FEE_PAID,), "sent_to_committee", SENT_TO_COMMITTEE),
    # The committee office takes a dossier back from a meeting whose experts are drawn (a recorded,
    # reasoned decision): fee-paid again, it may go to another meeting.
    Transition("recall_from_committee", (SENT_TO_COMMITTEE,), "recalled_from_committee", FEE_PAID),
    Transition("start_review", (SENT_TO_COMMITTEE,), "review_started", UNDER_REVIEW),
    Transition("record_vote_result", (UNDER_REVIEW,), "passed", PASSED),
    Transition("record_vote_result", (UNDER_REVIEW,), "failed", FAILED),
    Transition("start_publicity", (PASSED,), "publicity_started", IN_PUBLICITY),
    Transition("raise_objection", (IN_PUBLICITY,), "objection_raised", None),
    Transition("resolve_objection", (IN_PUBLICITY,), "objection_resolved", None),
    Transition("end_publicity", (IN_PUBLICITY,), "publicity_ended", APPROVED),
    Transition("issue_certificate", (APPROVED,), "certificate_issued", CERTIFIED),
    Transition("revoke_title", (APPROVED, CERTIFIED), "title_revoked", REVOKED),
)


def _sources_by_command(transitions):
    legal = {}
    for row in transitions:
        known = legal.setdefault(row.command, ())
        legal[row.command] = known + tuple(status for status in row.sources if status not in known)
    return legal


# command -> statuses in which it is legal (the union of its rows' sources, in the table's order).
LEGAL_IN = _sources_by_command(TRANSITIONS)


def recorded_event(command, status):
    """The event *command* records in *status*, when the table names exactly one (approve names the
    level's event); raises LookupError when it names none, or several (the tally's passed or failed)."""
    events = [row.event for row in TRANSITIONS if row.command == command and status in row.sources]
    if len(events) != 1:
        raise LookupError(f"{command} in {status}: {events or 'no event'}")
    return events[0]


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
    "take_back": "撤回申报",
    "approve": "审核通过",
    "return_for_changes": "退回修改",
    "reject": "不予通过",
    "record_unit_publicity": "登记单位公示",
    "recommend": "报送上级",
    "withdraw": "撤销申请",
    "abandon": "视为放弃",
    "record_fee_paid": "登记缴费",
    "send_to_committee": "送评",
    "recall_from_committee": "撤回送评",
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
# (None: the status does not change) — ``created`` opens a draft, every other status comes from its
# row in TRANSITIONS.
EVENT_LABELS = {
    "created": "创建申报",
    "basic_info_updated": "填写基本信息",
    "education_recorded": "填写学历学位",
    "work_experience_recorded": "填写工作经历",
    "continuing_education_recorded": "填写继续教育",
    "achievement_added": "添加业绩成果",
    "achievement_removed": "删除业绩成果",
    "annual_assessment_recorded": "填写年度考核",
    "material_attached": "上传证明材料",
    "material_detached": "删除证明材料",
    "review_form_filled": "填写评审表",
    "commitment_signed": "签署承诺书",
    "submitted": "提交申报",
    "submission_taken_back": "撤回申报",
    "returned": "退回修改",
    "rejected": "不予通过",
    "unit_approved": "单位审核通过",
    "unit_publicity_recorded": "登记单位公示",
    "recommended": "报送上级",
    "district_approved": "主管部门审核通过",
    "city_approved": "市人社局审核通过",
    "withdrawn": "撤销申请",
    "abandoned": "视为放弃",
    "fee_paid": "已缴费",
    "sent_to_committee": "送评",
    "recalled_from_committee": "撤回送评",
    "review_started": "开始评审",
    "passed": "评审通过",
    "failed": "评审未通过",
    "publicity_started": "开始公示",
    "objection_raised": "收到异议",
    "objection_resolved": "异议处理完毕",
    "publicity_ended": "公示结束",
    "certificate_issued": "发放证书",
    "title_revoked": "撤销职称",
}
# The status each status-changing event leaves behind.
EVENT_STATUS = {"created": DRAFT, **{row.event: row.target for row in TRANSITIONS if row.target is not None}}
EVENTS = {name: (label, EVENT_STATUS.get(name)) for name, label in EVENT_LABELS.items()}
# Events that send a dossier back to a status it had reached before (a recall from a meeting leaves it
# fee-paid again, a submission taken back leaves it a draft again): not what a consumer of "the dossier
# became fee-paid" (or "was created") waits for (shared/event_handlers.py:event_entering).
STEPS_BACK = ("recalled_from_committee", "submission_taken_back")


# The eligibility rules a submission is checked against (docs/domain-rules.md R4), by the code an
# ``IneligibleError``'s problems carry in their ``rule`` field, with the label a page shows for it.
ELIGIBILITY_RULES = {
    "retired": "退休人员",
    "sanction": "弄虚作假处理期",
    "eligibility_table": "申报条件配置",
    "exceptional": "破格申报",
    "level_step": "逐级申报",
    "education": "学历要求",
    "years_in_level": "任职年限",
    "annual_assessment": "年度考核",
    "continuing_education": "继续教育",
}


# A reviewer's decisions at a review level, and the events they record: the opinions of the earlier levels
# a reviewer reads on the review page (approve records the level's approval event).
REVIEW_DECISIONS = ("approve", "return_for_changes", "reject")
OPINION_EVENTS = tuple(row.event for row in TRANSITIONS if row.command in REVIEW_DECISIONS)

