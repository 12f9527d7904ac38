"""Every text the notification service sends, in one file: the in-app message (title and body) and
the SMS of each kind of message, and the SMS of the codes identity asks for.

Each SMS starts with the signature 【{sign}】 (``SMS.SIGN_NAME``): real SMS providers require it and
register the same wording as a template with them, so a change of wording here is a change to
register there too. Placeholders are filled from the parameters compose.py (events), reminders.py
and digest.py build; a placeholder without a value is a bug that fails loudly, never a blank.
"""
from dataclasses import dataclass

DEFAULT_SIGN_NAME = "昆明人社"


@dataclass(frozen=True)
class Template:
    title: str  # the message centre's list line
    body: str  # the message centre's full text
    sms: str  # the SMS, 【{sign}】 first


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str
    sms: str


TEMPLATES = {
    # --- to the applicant, one per step of the dossier ---------------------------------------
    "dossier_returned": Template(
        title="申报材料被{level_by}退回修改",
        body="您的{subject}被{level_by}退回修改。退回原因:{reason}。需修改的栏目:{sections}。{resubmit_by}",
        sms="【{sign}】您的职称申报材料被{level_by}退回修改,原因:{reason_short}。需修改:{sections}。{resubmit_by}",
    ),
    "dossier_rejected": Template(
        title="申报不予通过({level_by})",
        body="您的{subject}经{level_by}审核不予通过。理由:{reason}。",
        sms="【{sign}】您的职称申报经{level_by}审核不予通过,理由:{reason_short}。详情请登录职称申报系统查看。",
    ),
    "dossier_approved": Template(
        title="{level_by}审核通过",
        body="您的{subject}已通过{level_by}审核。{next_step}",
        sms="【{sign}】您的职称申报已通过{level_by}审核。{next_step}",
    ),
    "fee_due": Template(
        title="市人社局审核通过,请缴纳评审费",
        body="您的{subject}已通过市人社局审核(受理)。请登录系统在申报详情页在线缴纳评审费 {amount}。{pay_by}"
             "缴费后申报材料将送评审委员会评审。",
        sms="【{sign}】您的职称申报已通过市人社局审核,请登录职称申报系统缴纳评审费 {amount}。{pay_by}",
    ),
    "fee_paid": Template(
        title="评审费缴纳成功",
        body="您已成功缴纳{subject}的评审费 {amount}。申报材料将送评审委员会评审。",
        sms="【{sign}】您已成功缴纳职称评审费 {amount},申报材料将送评审委员会评审。",
    ),
    # The year's policy charges no review fee: no order, nothing to pay (never "缴纳 0 元").
    "fee_waived": Template(
        title="市人社局审核通过,本年度免收评审费",
        body="您的{subject}已通过市人社局审核(受理)。本年度免收评审费,无需缴费,申报材料已进入评审环节,"
             "将送评审委员会评审。",
        sms="【{sign}】您的职称申报已通过市人社局审核。本年度免收评审费,无需缴费,申报材料已进入评审环节。",
    ),
    "sent_to_review": Template(
        title="已送评审委员会",
        body="您的{subject}已送评审委员会,等待评审会议表决。",
        sms="【{sign}】您的职称申报材料已送评审委员会,等待评审。",
    ),
    "review_result": Template(
        title="评审结果:{outcome}",
        body="您的{subject}评审结果:{outcome}。{next_step}",
        sms="【{sign}】您的职称评审结果:{outcome}。{next_step}",
    ),
    "publicity_started": Template(
        title="评审结果公示开始",
        body="您的{subject}评审结果已进入公示,{publicity_until}公示期满无异议后将签发电子证书。",
        sms="【{sign}】您的职称评审结果已进入公示,{publicity_until}期满无异议后将签发电子证书。",
    ),
    "publicity_ended": Template(
        title="公示结束",
        body="您的{subject}评审结果公示期已满,无异议,{certificate_next}",
        sms="【{sign}】您的职称评审结果公示期已满,无异议,{certificate_next}",
    ),
    # The certificate fee's own order (payment's fee_order_opened / fee_order_paid events).
    "certificate_fee_due": Template(
        title="请缴纳证书工本费 {amount}",
        body="您的{subject}评审结果公示期满无异议。请在申报详情页在线缴纳证书工本费 {amount},"
             "缴费截止时间:{deadline}。缴费成功后签发电子职称证书;逾期未缴订单关闭,可在申报详情页重新生成订单。",
        sms="【{sign}】请登录职称申报系统缴纳职称证书工本费 {amount},截止时间 {deadline},缴费成功后签发电子证书。",
    ),
    "certificate_fee_paid": Template(
        title="证书工本费缴纳成功",
        body="您已成功缴纳{subject}的证书工本费 {amount}。电子职称证书将随后签发。",
        sms="【{sign}】您已成功缴纳职称证书工本费 {amount},电子证书将随后签发。",
    ),
    "certificate_issued": Template(
        title="电子证书已签发",
        body="您的{subject}电子职称证书已签发,证书编号 {number}。请在申报详情页下载:{link}",
        sms="【{sign}】您的电子职称证书已签发,证书编号 {number},请登录职称申报系统下载。",
    ),
    "title_revoked": Template(
        title="职称被撤销",
        body="您经{subject}取得的职称已被撤销。理由:{reason}。",
        sms="【{sign}】您取得的职称已被撤销,理由:{reason_short}。详情请登录职称申报系统查看。",
    ),
    "dossier_abandoned": Template(
        # Two causes share the event: not resubmitted in time, or left at a level past its deadline
        # (review's timer); the reason names which.
        title="申报逾期,视为放弃",
        body="您的{subject}已逾期,视为放弃。{reason_sentence}",
        sms="【{sign}】您的职称申报已逾期,视为放弃。详情请登录职称申报系统查看。",
    ),
    "recalled_from_committee": Template(
        title="申报材料已撤回送评",
        body="您的{subject}已由评委会办公室撤回送评,将另行安排评审会议。原因:{reason}。",
        sms="【{sign}】您的职称申报材料已撤回送评,将另行安排评审。",
    ),
    # --- reminders to the applicant -----------------------------------------------------------
    "resubmission_reminder": Template(
        title="退回修改截止提醒:{remaining}",
        body="您的{subject}已退回修改,重新提交截止时间为 {deadline},{remaining}。逾期未重新提交视为放弃。",
        sms="【{sign}】您的职称申报退回修改后尚未重新提交,截止时间 {deadline},{remaining},逾期视为放弃。",
    ),
    "payment_reminder": Template(
        title="缴费截止提醒:{remaining}",
        body="您的{subject}尚未缴纳评审费,缴费截止时间为 {deadline},{remaining}。请在申报详情页在线缴费。",
        sms="【{sign}】您的职称评审费尚未缴纳,缴费截止时间 {deadline},{remaining},请登录职称申报系统缴费。",
    ),
    "draft_reminder": Template(
        title="申报截止提醒:草稿尚未提交",
        body="您的{subject}仍是草稿,尚未提交。本年度申报截止时间为 {deadline},{remaining}。",
        sms="【{sign}】您的职称申报尚未提交,申报截止时间 {deadline},{remaining}。",
    ),
    # --- to reviewing offices and experts -------------------------------------------------------
    "membership_requested": Template(
        title="{account_name} 申请加入本单位",
        body="{account_name} 申请加入{unit_name},请在“单位人员”中确认或拒绝。",
        sms="【{sign}】{account_name} 申请加入{unit_name},请登录职称申报系统确认。",
    ),
    "submissions_digest": Template(
        title="{day} 新提交的申报 {count} 份",
        body="{day} {unit_name}新提交职称申报 {count} 份,待单位审核:{names}。",
        sms="【{sign}】{day} {unit_name}新提交职称申报 {count} 份,请登录职称申报系统审核。",
    ),
    "meeting_opened": Template(
        title="评审会议“{meeting_name}”已开始表决",
        body="{committee_name}评审会议“{meeting_name}”已开始表决,共 {dossier_count} 份申报材料。请登录系统进入评审室投票。",
        sms="【{sign}】{committee_name}评审会议“{meeting_name}”已开始表决,请登录职称申报系统参加评审。",
    ),
    "objection_raised": Template(
        title="收到公示异议:{applicant_name}",
        body="收到对{applicant_name}({unit_name},{subject})评审结果的公示异议:{summary}。请及时核实处理。",
        sms="【{sign}】收到对{applicant_name}评审结果的公示异议,请登录职称申报系统处理。",
    ),
}

# Identity's codes and account-security messages, SMS only (wording as identity had it).
CODE_TEMPLATES = {
    "password_reset_code": "【{sign}】您正在重置职称申报系统登录密码，验证码 {code}，{minutes} 分钟内有效。"
    "如非本人操作请忽略。",
    "password_changed": "【{sign}】您的职称申报系统登录密码已于 {time} 修改。如非本人操作请立即联系单位管理员。",
}
CODE_LABELS = {"password_reset_code": "密码重置验证码", "password_changed": "密码修改提醒"}

# Sentences some templates take as one placeholder, so each template reads naturally either way.
RESUBMIT_BY = "请于 {deadline} 前修改后重新提交,逾期视为放弃。"
RESUBMIT_SOON = "请尽快修改后重新提交。"
PAY_BY = "缴费截止时间:{deadline}。"
PAY_NO_DEADLINE = "本年度通知未规定缴费截止时间,请尽快缴费。"
PUBLICITY_UNTIL = "公示期至 {end},"
PUBLICITY_UNTIL_UNKNOWN = "公示期以公示页面为准,"
CERTIFICATE_SOON = "电子证书将随后签发。"
CERTIFICATE_AFTER_FEE = "缴纳证书工本费 {amount}后签发电子证书,请留意缴费通知或在申报详情页缴费。"
NEXT_AFTER_UNIT = "下一步由单位公示后报送主管部门审核。"
NEXT_AFTER_DISTRICT = "下一步由市人社局审核。"
NEXT_AFTER_PASS = "评审结果将进行公示。"
NEXT_AFTER_FAIL = "详情请登录职称申报系统查看。"
OUTCOME_PASSED, OUTCOME_FAILED = "通过", "未通过"
SUBJECT = "{year}年度{series}系列{level}职称申报"
NO_SECTIONS = "见退回说明"
DAYS_LEFT = "还剩 {days} 天"
ENDS_TODAY = "今天截止"


def render(kind, params, sign=DEFAULT_SIGN_NAME):
    """The in-app title and body and the SMS of *kind* with *params* (KeyError: a placeholder unfilled)."""
    template = TEMPLATES[kind]
    values = {**params, "sign": sign}
    return Rendered(template.title.format(**values), template.body.format(**values), template.sms.format(**values))


def render_code(template, params, sign=DEFAULT_SIGN_NAME):
    """The SMS of one of identity's code templates."""
    return CODE_TEMPLATES[template].format(sign=sign, **params)
