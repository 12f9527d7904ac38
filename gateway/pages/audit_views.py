"""Pure helpers of the audit workspace's pages: the search form read and checked, a dossier's events as
timeline rows in words, the timeline's filters, and the words the version comparison uses for each
section and field (taken from the dossier forms, so the comparison names fields as the editor does).
No I/O; the dossier service judges every query again."""
from datetime import datetime

from shared.clock import BEIJING
from shared.contracts import dossier as st
from shared.contracts.payment import ZERO_FEE_REFERENCE
from shared.idnumbers import InvalidResidentId, parse_resident_id
from shared.roles import ROLE_LABELS, SYSTEM
from shared.titles import LEVELS, MATERIAL_CATEGORIES, SERIES

from ..compose.dossier_diff import FEE_WAIVED_WORDS, FieldWords, SectionWords
from ..compose.typed_days import typed_day_range
from .forms import ACHIEVEMENT_FORM, SECTION_FORMS
from .views import shanghai_time

PER_PAGE = 20
SECONDS = "%Y-%m-%d %H:%M:%S"
TEXT_LIMITS = {"applicant_name": 50, "unit_name": 100, "district_id": 64}
SEARCH_FIELDS = ("applicant_name", "id_number", "unit_name", "district_id", "review_year", "series", "level",
                 "status", "submitted_from", "submitted_to")
# The sections in the order the read-only view shows them (_dossier_view.html).
VIEW_ORDER = ("basic_info", "education", "work_experience", "continuing_education", "achievements",
              "annual_assessments", "review_form", "commitment")


# -- the search form ----------------------------------------------------------------------------------

def search_query(args):
    """``(query for dossiers.list, {field: [Chinese message]}, the form's values)`` of the search form's
    query parameters; a field in error is left out of the query (the page then asks nothing)."""
    values = {name: args[name] for name in SEARCH_FIELDS if name in args}
    query, errors = {}, {}
    for name, limit in TEXT_LIMITS.items():
        text = str(values.get(name, "")).strip()
        if len(text) > limit:
            errors[name] = [f"不能超过 {limit} 个字符"]
        elif text:
            query[name] = text
    id_number = str(values.get("id_number", "")).strip()
    if id_number:
        try:
            query["id_number"] = parse_resident_id(id_number).number  # identity answers whose it is
        except InvalidResidentId as error:
            errors["id_number"] = [str(error)]
    year = str(values.get("review_year", "")).strip()
    if year:
        if year.isascii() and year.isdigit() and 2000 <= int(year) <= 2100:
            query["review_year"] = int(year)
        else:
            errors["review_year"] = ["应为 2000 到 2100 之间的年份"]
    for name, labels in (("series", SERIES), ("level", LEVELS)):
        if values.get(name):
            if values[name] in labels:
                query[name] = values[name]
            else:
                errors[name] = ["应为以下之一:" + "、".join(labels.values())]
    statuses = values.get("status") or []
    statuses = [statuses] if isinstance(statuses, str) else list(statuses)
    if any(code not in st.STATUS_LABELS for code in statuses):
        errors["status"] = ["未知的状态"]
    elif statuses:
        query["status"] = statuses
    _date_range(values, query, errors)
    values["status"] = statuses
    return query, errors, values


def _date_range(values, query, errors):
    days = typed_day_range(values, "submitted_from", "submitted_to", errors)
    query.update({name: day.isoformat() for name, day in days.items()})


# -- the timeline -------------------------------------------------------------------------------------

def timeline_rows(events, people, organisations):
    """Every event, oldest first, in words: when (Beijing time, to the second), who (name, role,
    organisation), what happened and why, its correlation id and its link in the hash chain.

    Older events may leave out what newer ones carry (a version 1 ``material_detached`` names no file):
    they are told from the dossier's earlier events instead, so the row reads the same."""
    attached, achievements, rows = {}, {}, []
    for event in events:
        data, actor = event.get("data") or {}, event.get("actor") or {}
        kind = event.get("type")
        if kind == "material_attached":
            attached[data.get("material_id")] = data
        if kind == "achievement_added":
            achievements[data.get("achievement_id")] = data.get("data") or {}
        account = actor.get("account_id") or ""
        rows.append({
            "version": event.get("version"), "type": kind, "label": st.EVENT_LABELS.get(kind, kind),
            "at": shanghai_time(event.get("at"), SECONDS), "at_iso": event.get("at"),
            "actor_key": f"{account}|{actor.get('role') or ''}",
            "actor_name": "系统" if actor.get("role") == SYSTEM else people.get(account) or _short(account),
            "role": ROLE_LABELS.get(actor.get("role"), actor.get("role") or ""),
            "organisation": organisations.get(actor.get("org_id")) or "",
            "detail": event_words(kind, data, attached, achievements),
            "reason": data.get("opinion") or data.get("reason") or data.get("summary") or "",
            "sections": [st.SECTIONS.get(name, name) for name in data.get("sections") or []],
            "correlation_id": actor.get("correlation_id") or "",
            "hash": event.get("hash") or "", "prev_hash": event.get("prev_hash") or "",
        })
    return rows


def _short(account_id):
    return f"账号 {account_id[:8]}" if account_id else "未知"


def _material_words(material):
    category = MATERIAL_CATEGORIES.get(material.get("category"), material.get("category") or "")
    name = material.get("filename") or "(未命名)"
    sha = material.get("sha256") or ""
    size = material.get("size")
    facts = [f"{material['pages']} 页" if material.get("pages") else "", f"{size} 字节" if size else "",
             f"SHA-256 {sha[:12]}…" if sha else ""]
    return f"{category}:{name}" + (f"({','.join(fact for fact in facts if fact)})" if any(facts) else "")


def _review_level(data):
    return f"{st.LEVEL_LABELS[data['level']]}审核" if data.get("level") in st.LEVEL_LABELS else ""


def _tally_words(data):
    tally = data.get("tally") or {}
    return (f"同意 {tally.get('agree')}、不同意 {tally.get('disagree')}、弃权 {tally.get('abstain')}"
            f"(须 {tally.get('required')} 票)")


def _entries_words(data):
    return f"共 {len(data.get('entries') or [])} 条"


def _period_words(data):
    return f"{data.get('start')} 至 {data.get('end')}"


def _meeting_words(data):
    return f"评审会议 {data.get('meeting_id')}"


# Event name -> ``words(data, attached materials, added achievements)``: what the event did beyond its label.
# Older events are told from the earlier ones when they leave something out (a version 1 material_detached).
EVENT_WORDS = {
    "created": lambda data, *_: (f"{data.get('review_year')}年度 · {SERIES.get(data.get('series'), data.get('series'))}系列 · "
                                 f"{data.get('specialty', '')} · {LEVELS.get(data.get('level'), data.get('level'))}"),
    "education_recorded": lambda data, *_: _entries_words(data),
    "work_experience_recorded": lambda data, *_: _entries_words(data),
    "continuing_education_recorded": lambda data, *_: _entries_words(data),
    "annual_assessment_recorded": lambda data, *_: _entries_words(data),
    "achievement_added": lambda data, *_: f"{(data.get('data') or {}).get('kind', '')}「{(data.get('data') or {}).get('title', '')}」",
    "achievement_removed": lambda data, _, achievements: (
        f"「{(achievements.get(data.get('achievement_id')) or {}).get('title', data.get('achievement_id'))}」"),
    "material_attached": lambda data, *_: _material_words(data),
    "material_detached": lambda data, attached, _: _detached_words(data, attached),
    "commitment_signed": lambda data, *_: f"签名:{data.get('signed_name', '')}(承诺书 {data.get('statement_version', '')} 版)",
    "submitted": lambda data, *_: "重新提交" if data.get("resubmission") else "首次提交",
    "returned": lambda data, *_: _review_level(data),
    "rejected": lambda data, *_: _review_level(data),
    "unit_publicity_recorded": lambda data, *_: _period_words(data),
    "publicity_started": lambda data, *_: _period_words(data),
    "recommended": lambda data, *_: f"报送批次 {data.get('batch_id')}",
    "submission_taken_back": lambda data, *_: "单位审核前由申报人撤回,恢复为草稿",
    "withdrawn": lambda data, *_: "应退还评审费" if data.get("refund_due") else "",
    "fee_paid": lambda data, *_: (FEE_WAIVED_WORDS if data.get("order_id") == ZERO_FEE_REFERENCE else
                                  f"{int(data.get('amount_fen') or 0) / 100:.2f} 元(订单 {data.get('order_id')})"),
    "sent_to_committee": lambda data, *_: _meeting_words(data),
    "recalled_from_committee": lambda data, *_: _meeting_words(data),
    "review_started": lambda data, *_: _meeting_words(data),
    "passed": lambda data, *_: _tally_words(data),
    "failed": lambda data, *_: _tally_words(data),
    "objection_resolved": lambda data, *_: (("异议成立" if data.get("outcome") == "upheld" else "异议不成立")
                                            + (",认定弄虚作假" if data.get("fraud") else "")),
    "certificate_issued": lambda data, *_: f"证书编号 {data.get('certificate_number')}",
    "title_revoked": lambda data, *_: "认定弄虚作假" if data.get("fraud") else "",
}


def _detached_words(data, attached):
    known = data if data.get("filename") or data.get("sha256") else attached.get(data.get("material_id"), {})
    return _material_words(known) if known else f"材料编号 {data.get('material_id')}"


def event_words(kind, data, attached, achievements):
    """What an event did, in words, beyond its label ("" when its label says it all)."""
    words = EVENT_WORDS.get(kind)
    return words(data, attached, achievements) if words else ""


def timeline_filters(rows, args):
    """``(rows shown, actor choices, kind choices, chosen)``: the rows of the chosen actor (``actor``,
    an ``account|role`` key) and kind (``kind``, an event type), and the choices the dossier's own events give."""
    actors = {row["actor_key"]: f"{row['actor_name']}({row['role']})" for row in rows}
    kinds = {row["type"]: row["label"] for row in rows}
    chosen = {"actor": args.get("actor") if args.get("actor") in actors else "",
              "kind": args.get("kind") if args.get("kind") in kinds else ""}
    shown = [row for row in rows if (not chosen["actor"] or row["actor_key"] == chosen["actor"])
             and (not chosen["kind"] or row["type"] == chosen["kind"])]
    return shown, actors, kinds, chosen


# -- versions and moments -----------------------------------------------------------------------------

def version_arg(text, newest):
    """A version the person chose, or ``(None, message)``."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= newest:
        return None, f"版本应为 1 到 {newest} 之间的整数"
    return int(text), None


def moment_arg(text):
    """A typed date-time (``2026-03-01T09:30``, Beijing time unless it says otherwise) as ISO-8601 with
    its offset, or ``(None, message)``."""
    text = (text or "").strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None, "时间格式应为 YYYY-MM-DDTHH:MM(北京时间)"
    if not 2000 <= moment.year <= 2100:
        return None, "年份应在 2000 到 2100 之间"
    return (moment if moment.tzinfo else moment.replace(tzinfo=BEIJING)).isoformat(), None


def stood_at(events, number, moment):
    """Whether version *number* is the one that stood at *moment* (ISO-8601): recorded at or before it,
    and the next version (if any) after it."""
    when = datetime.fromisoformat(moment)
    if datetime.fromisoformat(events[number - 1]["at"]) > when:
        return False
    return number == len(events) or datetime.fromisoformat(events[number]["at"]) > when


def version_choices(events):
    """``[(version, "第 n 版 · 时间 · 事项")]`` for the version pickers."""
    return [(event["version"], f"第 {event['version']} 版 · {shanghai_time(event.get('at'), SECONDS)} · "
                               f"{st.EVENT_LABELS.get(event.get('type'), event.get('type'))}") for event in events]


# -- the words of the comparison ----------------------------------------------------------------------

def _words_of(form):
    return tuple(FieldWords(spec.name, spec.label, dict(spec.options) if spec.kind == "select" else {})
                 for spec in form.fields)


SECTION_WORDS = {
    name: SectionWords(st.SECTIONS[name], _words_of(ACHIEVEMENT_FORM if name == "achievements" else SECTION_FORMS[name]),
                       is_list=name != "achievements" and SECTION_FORMS[name].is_list)
    for name in VIEW_ORDER
}

