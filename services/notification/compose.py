"""What each event says and to whom: a dossier event, a join request, a meeting opening becomes a list
of ``Message`` (kind, person, parameters of its template, link). The texts are in templates.py;
the facts come from the event's own data (reason, sections, publicity end, certificate number) and,
where the event does not carry them, from the year's notice and fee schedule (ports.YearFacts).

A review fee of 0 (the year's policy) has no order and nothing to pay: the acceptance says nothing of a
fee, and the dossier's fee_paid with payment's ZERO_FEE_REFERENCE says 免收评审费 (kind ``fee_waived``),
never "缴纳 0 元". The certificate fee has its own order, told by payment's fee-order events."""
from dataclasses import dataclass
from datetime import datetime

from shared.clock import beijing_text
from shared.contracts import dossier as st
from shared.contracts.dossier import REVIEW_LEVEL_LABELS, SECTIONS
from shared.contracts.notification import FEE_ORDER_OPENED, FEE_ORDER_PAID
from shared.contracts.payment import CERTIFICATE_FEE, ZERO_FEE_REFERENCE
from shared.titles import LEVELS, SERIES

from . import templates as t
from .recipients import Person

SHORT_REASON = 40  # characters of a reason an SMS repeats; the message centre has all of it
SHORT_SUMMARY = 200


@dataclass(frozen=True)
class Message:
    """One message to one person: in-app always, SMS where allowed (application.py decides)."""

    kind: str
    person: Person
    params: dict
    link: str | None = None
    dossier_id: str | None = None


def subject(snapshot):
    """``2026年度工程系列中级职称申报``: how a message names the dossier."""
    return t.SUBJECT.format(year=snapshot["review_year"], series=SERIES.get(snapshot["series"], snapshot["series"]),
                            level=LEVELS.get(snapshot["level"], snapshot["level"]))


def dossier_link(dossier_id):
    return f"/dossiers/{dossier_id}"


def deadline_text(moment):
    return beijing_text(moment) if moment else None


def yuan(fen):
    return f"{fen // 100} 元" if fen % 100 == 0 else f"{fen / 100:.2f} 元"


def _short(text, limit=SHORT_REASON):
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _reason(data):
    reason = str(data.get("reason") or "").strip() or "未说明"
    return {"reason": reason, "reason_short": _short(reason)}


# --- the applicant's messages, one builder per dossier event ----------------------------------------
# Each builder gives the template's parameters beyond ``subject`` from (event data, snapshot, facts);
# None when the event asks no message after all, Instead when the facts call for another kind.

@dataclass(frozen=True)
class Instead:
    kind: str
    params: dict


def _returned(data, snapshot, facts):
    sections = "、".join(SECTIONS.get(name, name) for name in data.get("sections") or []) or t.NO_SECTIONS
    deadline = facts.deadline(snapshot["review_year"], "resubmission")
    resubmit_by = t.RESUBMIT_BY.format(deadline=deadline_text(deadline)) if deadline else t.RESUBMIT_SOON
    return {"level_by": REVIEW_LEVEL_LABELS.get(data.get("level"), "审核部门"), "sections": sections,
            "resubmit_by": resubmit_by, **_reason(data)}


def _rejected(data, snapshot, facts):
    return {"level_by": REVIEW_LEVEL_LABELS.get(data.get("level"), "审核部门"), **_reason(data)}


def _approved_at(level, next_step):
    return lambda data, snapshot, facts: {"level_by": REVIEW_LEVEL_LABELS[level], "next_step": next_step}


def _fee_due(data, snapshot, facts):
    fee = facts.review_fee_fen(snapshot["review_year"], snapshot["level"])
    if fee == 0:
        # Nothing to pay: payment records the waived fee at once, and that fee_paid event tells the
        # applicant of the acceptance and the waiver in one message (kind fee_waived).
        return None
    deadline = facts.deadline(snapshot["review_year"], "payment")
    return {"amount": yuan(fee) if fee is not None else "(金额以缴费页面为准)",
            "pay_by": t.PAY_BY.format(deadline=deadline_text(deadline)) if deadline else t.PAY_NO_DEADLINE}


def _fee_paid(data, snapshot, facts):
    if data.get("order_id") == ZERO_FEE_REFERENCE:
        return Instead("fee_waived", {})
    amount = data.get("amount_fen")
    return {"amount": yuan(int(amount)) if isinstance(amount, int) else "(金额见缴费凭证)"}


def _result(outcome, next_step):
    return lambda data, snapshot, facts: {"outcome": outcome, "next_step": next_step}


def _publicity_started(data, snapshot, facts):
    end = data.get("end")
    return {"publicity_until": t.PUBLICITY_UNTIL.format(end=end) if end else t.PUBLICITY_UNTIL_UNKNOWN}


def _publicity_ended(data, snapshot, facts):
    fee = facts.certificate_fee_fen(snapshot["review_year"])
    return {"certificate_next": t.CERTIFICATE_AFTER_FEE.format(amount=yuan(fee)) if fee else t.CERTIFICATE_SOON}


def _certificate_issued(data, snapshot, facts):
    return {"number": str(data.get("certificate_number") or "")}


def _abandoned(data, snapshot, facts):
    reason = str(data.get("reason") or "").strip()
    return {"reason_sentence": f"说明:{reason}。" if reason else ""}


def _nothing(data, snapshot, facts):
    return {}


# kind of the applicant's message -> {dossier event -> its parameters}: one table, read both ways.
_BUILDERS = {
    "dossier_returned": {"returned": _returned},
    "dossier_rejected": {"rejected": _rejected},
    "dossier_approved": {"unit_approved": _approved_at(st.UNIT, t.NEXT_AFTER_UNIT),
                         "district_approved": _approved_at(st.DISTRICT, t.NEXT_AFTER_DISTRICT)},
    "fee_due": {"city_approved": _fee_due},
    "fee_paid": {"fee_paid": _fee_paid},
    "sent_to_review": {"sent_to_committee": _nothing},
    "review_result": {"passed": _result(t.OUTCOME_PASSED, t.NEXT_AFTER_PASS),
                      "failed": _result(t.OUTCOME_FAILED, t.NEXT_AFTER_FAIL)},
    "publicity_started": {"publicity_started": _publicity_started},
    "publicity_ended": {"publicity_ended": _publicity_ended},
    "certificate_issued": {"certificate_issued": _certificate_issued},
    "title_revoked": {"title_revoked": lambda data, snapshot, facts: _reason(data)},
    "dossier_abandoned": {"abandoned": _abandoned},
    "recalled_from_committee": {"recalled_from_committee": lambda data, snapshot, facts: _reason(data)},
}
# dossier event -> (kind of the applicant's message, its parameters)
APPLICANT_MESSAGES = {event_name: (kind, build) for kind, builders in _BUILDERS.items()
                      for event_name, build in builders.items()}
UPHELD = "upheld"  # an objection_resolved outcome: the result is cancelled (DOMAIN.md §7)


def applicant_messages(event_name, event, directory, facts):
    """The applicant's message for a dossier event (none for events that ask nothing of them)."""
    data, snapshot = event["data"], event["dossier"]
    if event_name in APPLICANT_MESSAGES:
        kind, build = APPLICANT_MESSAGES[event_name]
        params = build(data, snapshot, facts)
        if params is None:
            return []
        if isinstance(params, Instead):
            kind, params = params.kind, params.params
    elif event_name == "objection_resolved" and data.get("outcome") == UPHELD:
        kind, params = "dossier_rejected", {"level_by": "市人社局(公示异议成立)", **_reason(data)}
    else:
        return []
    applicant = directory.person(snapshot["applicant_id"], snapshot["applicant_name"])
    link = dossier_link(event["dossier_id"])
    return [Message(kind, applicant, {"subject": subject(snapshot), "link": link, **params}, link, event["dossier_id"])]


# The certificate fee's messages: payment's fee-order event -> kind. The review fee's are told by the
# dossier's own events (city_approved, fee_paid), which also cover an offline payment and a fee of 0.
CERTIFICATE_FEE_MESSAGES = {FEE_ORDER_OPENED: "certificate_fee_due", FEE_ORDER_PAID: "certificate_fee_paid"}


def fee_order_messages(event_type):
    """The builder of payment's fee-order event *event_type* (FEE_ORDER_OPENED or FEE_ORDER_PAID): the
    applicant is told of a certificate-fee order's amount and deadline, then that it is paid."""
    def build(event, directory):
        if event["kind"] != CERTIFICATE_FEE:
            return []
        person = directory.person(event["applicant_id"], event["applicant_name"])
        link = dossier_link(event["dossier_id"])
        params = {"subject": subject(event), "amount": yuan(int(event["amount_fen"])),
                  "deadline": deadline_text(_instant(event["expires_at"])) or "见申报详情页", "link": link}
        return [Message(CERTIFICATE_FEE_MESSAGES[event_type], person, params, link, event["dossier_id"])]

    return build


def _instant(text):
    """An ISO instant of the event as an aware datetime; None for anything else (never a guessed zone)."""
    try:
        found = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return found if found.tzinfo else None


def objection_messages(event, directory):
    """Each city admin hears of an objection (to handle it during the publicity window)."""
    snapshot = event["dossier"]
    params = {"applicant_name": snapshot["applicant_name"], "unit_name": snapshot["unit_name"],
              "subject": subject(snapshot), "summary": _short(event["data"].get("summary") or "未填写", SHORT_SUMMARY)}
    return [Message("objection_raised", admin, params, "/admin/publicity", event["dossier_id"])
            for admin in directory.city_admins()]


def membership_messages(event, directory):
    """The unit's admins hear that someone asks to join it."""
    params = {"account_name": event["account_name"], "unit_name": event["unit_name"]}
    return [Message("membership_requested", admin, params, "/review/members")
            for admin in directory.unit_admins(event["unit_id"])]


def meeting_messages(event, directory):
    """The meeting's drawn, attending experts hear that its vote has opened."""
    params = {"meeting_name": event["meeting_name"], "committee_name": event["committee_name"],
              "dossier_count": event["dossier_count"]}
    listed = list(dict.fromkeys(event["expert_account_ids"]))
    people = directory.people(listed)
    return [Message("meeting_opened", people.get(account_id) or Person(account_id, "", None), params,
                    f"/meetings/{event['meeting_id']}") for account_id in listed]
