"""The applicant's next step (当前待办), and the administrators' work at a glance. Pure: no I/O.

A dossier's status says whose move it is (shared/contracts/dossier_access.py ``whose_turn``); this
module turns it, with the facts the page already fetched (the year's notice, the fee orders, the
certificate, the organisation holding the dossier), into one card: what the person must do — or
that nothing is needed and what they wait for —, by when, who holds the dossier now and how to
reach them, and the one button the status calls for. Every moment is shown in Beijing time
(shared/clock.py); the services stay the judges of every rule, the card only describes.
"""
from datetime import date, datetime

from shared.clock import as_beijing_if_naive, beijing_date, beijing_text, beijing_today, utc_now
from shared.contracts import dossier as st
from shared.contracts.certificate import VALID
from shared.contracts.dossier_access import awaiting
from shared.contracts.payment import CERTIFICATE_FEE, PAID, PENDING, ZERO_FEE_REFERENCE
from shared import roles
from shared.roles import CITY_ADMIN, COMMITTEE_SECRETARY, DISTRICT_ADMIN, UNIT_ADMIN

# Who holds a dossier in each status, as the card names them. The applicant holds drafts and
# returned dossiers; an accepted one waits at the city for the applicant's fee.
APPLICANT, UNIT, DISTRICT, CITY, COMMITTEE = roles.APPLICANT, st.UNIT, st.DISTRICT, st.CITY, "committee"
HOLDER_LABELS = {APPLICANT: "申报人本人", UNIT: "工作单位", DISTRICT: "主管部门", CITY: "市人社局",
                 COMMITTEE: "评审委员会"}
HOLDERS = {
    st.DRAFT: APPLICANT, st.RETURNED: APPLICANT, st.SUBMITTED: UNIT, st.UNIT_APPROVED: UNIT,
    st.RECOMMENDED: DISTRICT, st.DISTRICT_APPROVED: CITY, st.ACCEPTED: CITY, st.FEE_PAID: COMMITTEE,
    st.SENT_TO_COMMITTEE: COMMITTEE, st.UNDER_REVIEW: COMMITTEE, st.PASSED: CITY, st.IN_PUBLICITY: CITY,
    st.APPROVED: CITY,
}
# The review level that returned a dossier is whom the applicant asks about the return.
LEVEL_HOLDERS = {st.UNIT: UNIT, st.DISTRICT: DISTRICT, st.CITY: CITY}
CITY_NAME = "昆明市人力资源和社会保障局"
COMMITTEE_NAME = "职称评审委员会办公室"
# When no phone is on record: where to ask instead.
CONTACT_HINTS = {
    UNIT: "请联系本单位职称工作人员(单位管理员)",
    DISTRICT: "请联系主管部门职称工作人员,或经本单位转达",
    CITY: "请联系市人社局职称管理部门",
    COMMITTEE: "评审期间请勿联系评审专家;如有疑问请联系市人社局职称管理部门",
}
# A status in which the applicant's dossier is over: nothing more to do (a certificate is still a download).
ENDED = (st.WITHDRAWN, st.ABANDONED, st.REJECTED, st.FAILED, st.REVOKED)


def moment(value):
    """An ISO text or datetime as an aware instant (a notice's naive time means Beijing), or None."""
    if value in (None, ""):
        return None
    try:
        found = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return as_beijing_if_naive(found)


def deadline(label, value, now):
    """``{label, text, overdue, days_left}`` of a deadline: an instant (shown in Beijing time, to the
    minute) or a plain Beijing date (a publicity's last day, shown as it is); None without a value."""
    if value in (None, ""):
        return None
    if (isinstance(value, date) and not isinstance(value, datetime)) or (isinstance(value, str) and len(value) == 10):
        try:
            day = value if isinstance(value, date) else date.fromisoformat(value)
        except ValueError:
            return None
        today = beijing_today(lambda: now)
        return {"label": label, "text": day.isoformat(), "overdue": today > day, "days_left": (day - today).days}
    at = moment(value)
    if at is None:
        return None
    return {"label": label, "text": beijing_text(at), "overdue": now > at,
            "days_left": (beijing_date(at) - beijing_date(now)).days}


def resubmission_deadline(notice):
    """The last moment a returned dossier may be resubmitted: the later of the application window's end
    and the notice's resubmission deadline (what the dossier service itself applies)."""
    notice = notice or {}
    moments = [m for m in (moment((notice.get("window") or {}).get("end")),
                           moment((notice.get("deadlines") or {}).get("resubmission"))) if m]
    return max(moments) if moments else None


def payable_order(orders):
    """The order the applicant can pay now (newest first, as payment lists them), or None."""
    if not isinstance(orders, list):
        return None
    return next((o for o in orders if o.get("payable") and o.get("status") == PENDING), None)


def holder(status, dossier, orgs):
    """``{kind, label, name, phone, hint}`` of whoever holds the dossier now, or None once it is over."""
    kind = HOLDERS.get(status)
    if kind is None:
        return None
    return _party(kind, dossier, orgs)


def _party(kind, dossier, orgs):
    org = (orgs or {}).get(kind) or {}
    names = {APPLICANT: dossier.get("applicant_name") or "您本人", UNIT: dossier.get("unit_name"),
             DISTRICT: dossier.get("district_name"), CITY: CITY_NAME, COMMITTEE: COMMITTEE_NAME}
    phone = org.get("contact_phone") if isinstance(org, dict) else None
    return {"kind": kind, "label": HOLDER_LABELS[kind], "name": org.get("name") or names[kind] or HOLDER_LABELS[kind],
            "phone": phone or None, "hint": None if phone else CONTACT_HINTS.get(kind)}


def contact_kind(status, dossier):
    """Which organisation the card names as the contact (its phone is asked of identity): the holder,
    or for a returned dossier the level that returned it. None when nobody is to be asked."""
    if status == st.RETURNED:
        return LEVEL_HOLDERS.get((dossier.get("return_notice") or {}).get("level"), UNIT)
    kind = HOLDERS.get(status)
    return kind if kind in (UNIT, DISTRICT, CITY) else None


def button(key, label, href=None, post=None, primary=True):
    """A link (*href*) or a one-button form (*post*: its action)."""
    return {"key": key, "label": label, "href": href, "post": post, "primary": primary}


def card(dossier, facts=None):
    """The 当前待办 card of one dossier.

    *dossier*: ``id`` (or ``dossier_id``), ``status`` and what the summary has (names, year); a full
    dossier adds ``return_notice``, ``publicity``, ``unit_publicity``, ``open_objections``,
    ``final_reason``, ``sections`` and ``allowed_commands``. *facts*: ``notice`` (the year's notice
    document), ``orders`` (the fee orders, newest first; a dict when unavailable), ``certificate``,
    ``orgs`` (``{kind: org}``), ``now`` (an aware instant; default now).

    Answers ``{status, status_label, action, detail, waiting, ended, deadline, holder, contact,
    buttons}``: *waiting* when the person need do nothing (the action then says what they wait for).
    """
    facts = facts or {}
    status = dossier["status"]
    now = facts.get("now") or utc_now()
    notice = facts.get("notice") or {}
    deadlines = notice.get("deadlines") or {}
    dossier_id = dossier.get("id") or dossier.get("dossier_id")
    url = f"/dossiers/{dossier_id}"
    step = {"status": status, "status_label": st.STATUS_LABELS.get(status, status), "action": "", "detail": "",
            "waiting": True, "ended": False, "deadline": None, "buttons": [],
            "holder": holder(status, dossier, facts.get("orgs")), "contact": None}
    kind = contact_kind(status, dossier)
    if kind and kind != (step["holder"] or {}).get("kind"):
        step["contact"] = _party(kind, dossier, facts.get("orgs"))
    builder = _BUILDERS.get(status, _ended)
    builder(step, dossier, facts, {"now": now, "notice": notice, "deadlines": deadlines, "url": url,
                                   "id": dossier_id})
    return step


# -- one function per status ------------------------------------------------------------------


def _draft(step, dossier, facts, c):
    step.update(waiting=False, action="继续填写申报材料,完成后提交申报")
    step["deadline"] = deadline("申报截止", (c["notice"].get("window") or {}).get("end"), c["now"])
    if step["deadline"] and step["deadline"]["overdue"]:
        step["detail"] = "本年度申报已截止,不能再提交。"
    else:
        step["detail"] = "提交后在单位审核前可撤回;单位审核后将不能修改。"
    missing = [name for name in st.SECTIONS if name not in ("achievements", "materials")
               and not (dossier.get("sections") or {}).get(name)] if "sections" in dossier else []
    anchor = f"#sec-{missing[0]}" if missing else "#sec-basic_info"
    step["buttons"] = [button("continue", "继续填写", href=f"{c['url']}{anchor}", primary=False)]
    if not (step["deadline"] and step["deadline"]["overdue"]):
        step["buttons"].append(button("submit", "提交申报", post=f"{c['url']}/submit"))


def _returned(step, dossier, facts, c):
    notice_of_return = dossier.get("return_notice") or {}
    due = resubmission_deadline(c["notice"])
    step.update(waiting=False, action="按退回意见修改后重新提交")
    step["deadline"] = deadline("重新提交截止", due, c["now"])
    reason = notice_of_return.get("reason")
    sections = [st.SECTIONS.get(name, name) for name in notice_of_return.get("sections") or []]
    parts = [f"退回原因:{reason.rstrip('。')}"] if reason else []
    if sections:
        parts.append("需修改:" + "、".join(sections))
    step["detail"] = "。".join([*parts, "逾期未重新提交视为放弃"]) + "。"
    label = f"修改并重新提交(截止 {step['deadline']['text']})" if step["deadline"] else "修改并重新提交"
    step["buttons"] = [button("resubmit", label, href=f"{c['url']}#return-notice")]


def _submitted(step, dossier, facts, c):
    step.update(action="无需操作,等待单位审核")
    step["deadline"] = deadline("单位审核截止", c["deadlines"].get("unit"), c["now"])
    step["detail"] = "单位审核前您可以撤回申报,修改后再次提交;单位审核后将不能修改。"
    allowed = dossier.get("allowed_commands")
    if allowed is None or "take_back" in allowed:
        # The dossier page's own 撤回 step (a reason, then the final button) is where this leads.
        step["buttons"] = [button("take_back", "撤回申报", href=f"{c['url']}#sec-take-back", primary=False)]


def _unit_approved(step, dossier, facts, c):
    step.update(action="无需操作,等待单位公示期满后报送主管部门")
    shown = dossier.get("unit_publicity") or {}
    if shown.get("end"):
        step["deadline"] = deadline("单位公示截止", shown["end"], c["now"])
        step["detail"] = f"单位内部公示 {shown.get('start')} 至 {shown['end']}。"
    else:
        step["detail"] = "单位审核已通过,单位将进行不少于 5 个工作日的内部公示。"


def _recommended(step, dossier, facts, c):
    step.update(action="无需操作,等待主管部门审核")
    step["deadline"] = deadline("主管部门审核截止", c["deadlines"].get("district"), c["now"])


def _district_approved(step, dossier, facts, c):
    step.update(action="无需操作,等待市人社局审核")
    step["deadline"] = deadline("市人社局审核截止", c["deadlines"].get("city"), c["now"])


def _to_pay(step, orders, c, *, fee, after, notice_deadline=None):
    """The step of a fee to pay (*fee*: its name, 评审费 or 证书工本费; *after*: what its payment
    leads to): the payable order's amount, its deadline and the pay button, or the way to a new order."""
    order = payable_order(orders)
    step.update(waiting=False, action=f"请在线缴纳{fee}")
    step["deadline"] = deadline("缴费截止", (order or {}).get("expires_at") or notice_deadline, c["now"])
    if isinstance(orders, dict) and orders.get("unavailable"):
        step["detail"] = "缴费信息暂时无法获取,请稍后刷新。"
        step["buttons"] = [button("payment", "查看缴费", href=f"{c['url']}#sec-payment")]
    elif order:
        step["detail"] = f"{fee} {order.get('amount_yuan')} 元;{after}"
        step["buttons"] = [button("pay", "在线缴费", post=f"{c['url']}/orders/{order['order_id']}/pay")]
    elif orders:
        step["detail"] = "缴费订单已过期,请重新生成订单后缴费。"
        step["buttons"] = [button("reopen", "重新生成缴费订单", post=f"{c['url']}/orders/reopen")]
    else:
        step["detail"] = "缴费订单正在生成,请稍后刷新。"


def _accepted(step, dossier, facts, c):
    # Only review-fee orders exist before the committee, so every order listed is one.
    _to_pay(step, facts.get("orders"), c, fee="评审费", after="缴费成功后材料将送评审委员会评审。",
            notice_deadline=c["deadlines"].get("payment"))


def fee_waived(dossier):
    """Whether the dossier's review fee was 0 under the year's policy (payment recorded no order)."""
    return (dossier.get("fee") or {}).get("order_id") == ZERO_FEE_REFERENCE


def _fee_paid(step, dossier, facts, c):
    step.update(action="无需操作,等待送评审委员会评审",
                detail="本年度免收评审费,无需缴费。" if fee_waived(dossier) else "评审费已缴纳。")


def _with_committee(step, dossier, facts, c):
    step.update(action="无需操作,等待评审委员会评审",
                detail="评审委员会按规定组织专家评议并表决,结果公示后发证。")


def _passed(step, dossier, facts, c):
    step.update(action="无需操作,等待市人社局发布评审结果公示", detail="评审已通过。")


def _in_publicity(step, dossier, facts, c):
    shown = dossier.get("publicity") or {}
    end = shown.get("end")
    step.update(action=f"无需操作,公示期至 {end} 结束" if end else "无需操作,评审结果公示中")
    step["deadline"] = deadline("公示截止", end, c["now"])
    step["detail"] = ("公示期满无异议后,市人社局发放电子职称证书。" if not dossier.get("open_objections")
                      else "公示期间收到异议,市人社局正在核查,核查后通知您。")
    if shown.get("publicity_id"):
        label = f"查看公示(至 {end})" if end else "查看公示"
        step["buttons"] = [button("publicity", label, href=f"/publicity/{shown['publicity_id']}", primary=False)]


def certificate_fee_orders(orders):
    """The certificate-fee orders among the dossier's (as listed, newest first); *orders* itself when
    it is not a list (None, or payment unavailable)."""
    if not isinstance(orders, list):
        return orders
    return [order for order in orders if order.get("kind") == CERTIFICATE_FEE]


def _approved(step, dossier, facts, c):
    """Publicity is over. A certificate fee charged by the year's policy has its own order, and the
    certificate is issued only once it is paid (docs/domain-rules.md R8.3); no such order: nothing
    is owed (or payment has not yet decided), and the certificate comes."""
    orders = certificate_fee_orders(facts.get("orders"))
    if isinstance(orders, list) and any(order.get("status") == PAID for order in orders):
        step.update(action="证书待发放(工本费已缴)", detail="证书工本费已缴纳,电子职称证书生成后即可下载。")
    elif orders:
        _to_pay(step, orders, c, fee="证书工本费", after="缴费成功后签发电子职称证书。")
    else:
        step.update(action="无需操作,等待发放电子证书", detail="公示期满无异议,电子职称证书生成后即可下载。")


def _certified(step, dossier, facts, c):
    step["holder"] = None
    certificate = facts.get("certificate")
    step.update(waiting=False, ended=True, action="下载电子职称证书")
    if isinstance(certificate, dict) and certificate.get("status") not in (None, VALID):
        step.update(waiting=True, action="证书已撤销", detail="该证书已被撤销,详见证书信息。")
    elif isinstance(certificate, dict) and (certificate.get("unavailable") or certificate.get("pdf_ready") is False):
        step["detail"] = "证书文件正在生成,请稍后刷新。"
    else:
        number = (certificate or {}).get("number")
        step["detail"] = f"证书编号 {number}。" if number else "职称评审已完成。"
        step["buttons"] = [button("certificate", "下载电子证书", href=f"{c['url']}/certificate")]


def _ended(step, dossier, facts, c):
    step["holder"] = None
    step["contact"] = None
    step.update(ended=True, action=f"本次申报已结束:{step['status_label']}")
    reason = dossier.get("final_reason")
    step["detail"] = (f"原因:{reason}" if reason else "") or {
        st.FAILED: "评审未通过,可在以后年度符合条件时重新申报。",
        st.WITHDRAWN: "您已撤销本次申请。",
        st.ABANDONED: "退回修改后未在截止时间前重新提交,视为放弃。",
    }.get(dossier["status"], "")


_BUILDERS = {
    st.DRAFT: _draft, st.RETURNED: _returned, st.SUBMITTED: _submitted, st.UNIT_APPROVED: _unit_approved,
    st.RECOMMENDED: _recommended, st.DISTRICT_APPROVED: _district_approved, st.ACCEPTED: _accepted,
    st.FEE_PAID: _fee_paid, st.SENT_TO_COMMITTEE: _with_committee, st.UNDER_REVIEW: _with_committee,
    st.PASSED: _passed, st.IN_PUBLICITY: _in_publicity, st.APPROVED: _approved, st.CERTIFIED: _certified,
}


# The events a list row's card reads (by their names in the state machine).
RETURNED_EVENT = st.recorded_event("return_for_changes", st.SUBMITTED)
PUBLICITY_EVENT = st.recorded_event("start_publicity", st.PASSED)
UNIT_PUBLICITY_EVENT = st.recorded_event("record_unit_publicity", st.UNIT_APPROVED)


def from_history(summary, events):
    """What a list row lacks for its card, read from the dossier's events (oldest first): the last
    return's notice, the publicity's id and dates, the unit publicity's dates."""
    found = dict(summary)
    for event in events or ():
        data = event.get("data") or {}
        kind = event.get("type")
        if kind == RETURNED_EVENT:
            found["return_notice"] = {"level": data.get("level"), "reason": data.get("reason"),
                                      "sections": data.get("sections") or [], "at": event.get("at")}
        elif kind == PUBLICITY_EVENT:
            found["publicity"] = {k: data.get(k) for k in ("publicity_id", "start", "end")}
        elif kind == UNIT_PUBLICITY_EVENT:
            found["unit_publicity"] = {"start": data.get("start"), "end": data.get("end")}
    return found


def shows_card(status):
    """Whether 我的申报 puts a dossier in its 当前待办: every live one, and a certificate to download."""
    return status not in ENDED and status in _BUILDERS


# -- the administrators' queue ------------------------------------------------------------------

# What each awaiting status asks of its reviewer, and where they do it (None: the queue, filtered).
ADMIN_TASKS = {
    st.SUBMITTED: ("待单位审核", None),
    st.UNIT_APPROVED: ("待单位公示或报送", None),
    st.RECOMMENDED: ("待主管部门审核", None),
    st.DISTRICT_APPROVED: ("待市人社局审核", None),
    st.PASSED: ("待发布评审结果公示", "/admin/publicity"),
    st.IN_PUBLICITY: ("公示中(处理异议、期满结束)", "/admin/publicity"),
    st.FEE_PAID: ("待送评审委员会", "/meetings"),
    st.SENT_TO_COMMITTEE: ("已送评,待开始表决", "/meetings"),
    st.UNDER_REVIEW: ("表决中,待计票", "/meetings"),
}
ADMIN_ROLES = (UNIT_ADMIN, DISTRICT_ADMIN, CITY_ADMIN, COMMITTEE_SECRETARY)


def admin_card(role, counts, role_query="", members_pending=None):
    """The 当前待办 card of a reviewer's queue: per status awaiting *role*, how many and where to act.

    *counts*: review's ``queue_counts`` answer (``{counts: {status: n}, total}``) for the role's whole
    scope; *role_query*: ``role=…`` to keep in links when the person holds several queue roles;
    *members_pending*: join requests waiting for a unit admin (None: not asked). None for a role
    that awaits nothing (the auditor).
    """
    if role not in ADMIN_ROLES:
        return None
    by_status = (counts or {}).get("counts") or {}
    keep = f"&{role_query}" if role_query else ""
    items = []
    for status in awaiting(role):
        if status not in ADMIN_TASKS:
            continue
        label, elsewhere = ADMIN_TASKS[status]
        items.append({"status": status, "label": label, "count": int(by_status.get(status, 0)),
                      "href": f"/review?status={status}&awaiting=1{keep}", "elsewhere": elsewhere,
                      "unit": "件"})
    if members_pending is not None:
        items.append({"status": "members", "label": "待确认加入单位的成员", "count": int(members_pending),
                      "href": "/review/members", "elsewhere": None, "unit": "人"})
    total = sum(item["count"] for item in items if item["status"] != "members")
    waiting = total or sum(item["count"] for item in items)
    return {"role": role, "items": items, "total": total,
            "summary": f"共 {total} 件申报材料待您处理" if total else
                       ("暂无待您处理的申报材料" if not waiting else "暂无待您处理的申报材料,有成员待确认")}
