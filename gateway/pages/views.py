"""Pure helpers that shape service answers for the pages: progress steps, continuing-education
totals, history rows, open notices, field errors. No I/O; the services stay the judges of every rule
(these only describe what they answered)."""
from datetime import datetime, timezone
from fractions import Fraction

from shared.contracts import dossier as st
from shared.contracts.year_policy import DEFAULT_POLICY
from shared.clock import beijing_text, utc_now
from shared.roles import ROLE_LABELS
from shared.titles import LEVELS, MATERIAL_CATEGORIES, SERIES

# The review chain as the applicant sees it (docs/domain-rules.md R5.1).
STEPS = ("个人申报", "单位审核", "主管部门审核", "市人社局审核", "缴费", "送评", "评审", "公示", "发证")
# The step a live dossier is at, and a short note on what it waits for.
CURRENT_STEP = {
    st.DRAFT: (0, "填写中"), st.RETURNED: (0, "退回修改"), st.SUBMITTED: (1, "待单位审核"),
    st.UNIT_APPROVED: (1, "单位公示·待报送"), st.RECOMMENDED: (2, "待主管部门审核"),
    st.DISTRICT_APPROVED: (3, "待市人社局审核"), st.ACCEPTED: (4, "待缴费"), st.FEE_PAID: (5, "待送评"),
    st.SENT_TO_COMMITTEE: (6, "待评审"), st.UNDER_REVIEW: (6, "评审中"), st.PASSED: (7, "待公示"),
    st.IN_PUBLICITY: (7, "公示中"), st.APPROVED: (8, "待发证"),
}
# The live status each event leaves behind, to find where a dossier stood when it was withdrawn,
# abandoned or rejected: the contract's EVENT_STATUS without the events that end a dossier.
EVENT_STATUS = {event: status for event, status in st.EVENT_STATUS.items() if status in CURRENT_STEP}
REVIEW_LEVEL_STEP = {st.UNIT: 1, st.DISTRICT: 2, st.CITY: 3}
# Events that move the dossier along or record a reviewer's act (the rest are the applicant's edits).
WORKFLOW_EVENTS = set(st.EVENT_STATUS) | {"unit_publicity_recorded", "objection_raised", "objection_resolved"}
EVENT_LABELS = st.EVENT_LABELS


def progress_steps(status, history=()):
    """The review chain as ``[{label, state, note}]``; state is done, current, stopped or todo.

    *history* (the dossier's events, oldest first) says where a withdrawn, abandoned or rejected
    dossier stopped; without it the first steps are assumed.
    """
    if status == st.CERTIFIED:
        return [_step(index, "done") for index in range(len(STEPS))]
    if status in CURRENT_STEP:
        at, note = CURRENT_STEP[status]
        return [_step(i, "done" if i < at else "current" if i == at else "todo", note if i == at else "")
                for i in range(len(STEPS))]
    at, note = _stopping_point(status, list(history))
    return [_step(i, "done" if i < at else "stopped" if i == at else "todo", note if i == at else "")
            for i in range(len(STEPS))]


def _stopping_point(status, history):
    label = st.STATUS_LABELS.get(status, status)
    if status == st.FAILED:
        return 6, label
    if status == st.REVOKED:
        return 8, label
    if status == st.REJECTED:
        # The level of the refusal: the last event that made the dossier rejected.
        level = next((e["data"].get("level") for e in reversed(history)
                      if st.EVENT_STATUS.get(e.get("type")) == st.REJECTED), st.UNIT)
        return REVIEW_LEVEL_STEP.get(level, 1), label
    before = st.DRAFT
    for event in history:
        before = EVENT_STATUS.get(event.get("type"), before)
    return CURRENT_STEP.get(before, (0, ""))[0], label


def _step(index, state, note=""):
    return {"number": index + 1, "label": STEPS[index], "state": state, "note": note}


def _number(value):
    """A Fraction as a plain number for display: 60, 7.5."""
    value = Fraction(value)
    return int(value) if value.denominator == 1 else round(float(value), 1)


def continuing_education_summary(entries, requirement):
    """Per-year 学时 totals against the year's requirement (``hours_per_year``, ``professional_share``).

    Shows what is recorded and what looks short; the eligibility check decides which years count.
    """
    # A setting the requirement leaves out (no notice could be read) is the platform default, never a number of its own.
    requirement = {**DEFAULT_POLICY["continuing_education"], **(requirement or {})}
    required = Fraction(str(requirement["hours_per_year"]))
    professional_required = required * Fraction(str(requirement["professional_share"]))
    by_year = {}
    for entry in entries or []:
        try:
            year, hours = int(entry["year"]), Fraction(str(entry["hours"]))
        except (KeyError, TypeError, ValueError):
            continue
        total, professional = by_year.get(year, (Fraction(0), Fraction(0)))
        by_year[year] = (total + hours, professional + (hours if entry.get("kind") == "professional" else 0))
    years = []
    for year in sorted(by_year):
        total, professional = by_year[year]
        missing, professional_missing = max(required - total, 0), max(professional_required - professional, 0)
        years.append({
            "year": year, "total": _number(total), "professional": _number(professional),
            "public": _number(total - professional),
            "professional_share": round(float(professional / total) * 100, 1) if total else 0,
            "missing": _number(missing), "professional_missing": _number(professional_missing),
            "short": bool(missing or professional_missing),
        })
    return {"required": _number(required), "professional_required": _number(professional_required),
            "checked_years": requirement.get("years"), "years": years}


def history_rows(history):
    """The dossier's events for people: time, what happened, who (by role) and why."""
    rows = []
    for event in history:
        data, actor = event.get("data") or {}, event.get("actor") or {}
        rows.append({
            "version": event.get("version"), "at": event.get("at"), "type": event.get("type"),
            "label": EVENT_LABELS.get(event.get("type"), event.get("type")),
            "role": ROLE_LABELS.get(actor.get("role"), actor.get("role") or ""),
            "level": st.LEVEL_LABELS.get(data.get("level"), "") if isinstance(data.get("level"), str) else "",
            "reason": data.get("reason") or data.get("opinion") or "",
            "sections": [st.SECTIONS.get(name, name) for name in data.get("sections") or []],
            "detail": _detail(event.get("type"), data),
            "hash": event.get("hash") or "",
            "workflow": event.get("type") in WORKFLOW_EVENTS,
        })
    return rows


def _detail(kind, data):
    if kind == "material_attached":
        return f"{MATERIAL_CATEGORIES.get(data.get('category'), '')}:{data.get('filename', '')}"
    if kind == "created":
        return (f"{data.get('review_year')}年度 {SERIES.get(data.get('series'), '')}系列 "
                f"{data.get('specialty', '')} {LEVELS.get(data.get('level'), '')}")
    if kind == "unit_publicity_recorded":
        return f"{data.get('start')} 至 {data.get('end')}"
    if kind == "certificate_issued":
        return f"证书编号 {data.get('certificate_number')}"
    if st.EVENT_STATUS.get(kind) == st.SUBMITTED and data.get("resubmission"):
        return "重新提交"
    return ""


def open_notices(notices, now=None):
    """The notices whose application window covers *now*, newest review year first."""
    now = now or utc_now()
    found = []
    for notice in notices:
        window = (notice.get("notice") or {}).get("window") or {}
        try:
            start, end = _moment(window["start"]), _moment(window["end"])
        except (KeyError, TypeError, ValueError):
            continue
        if start <= now <= end:
            found.append(notice)
    return sorted(found, key=lambda notice: notice["review_year"], reverse=True)


def _moment(value):
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def shanghai_time(value, pattern="%Y-%m-%d %H:%M"):
    """An ISO-8601 moment (or datetime) shown in Asia/Shanghai; a plain date stays as it is."""
    if value in (None, ""):
        return ""
    if isinstance(value, str) and len(value) == 10:
        return value
    try:
        return beijing_text(_moment(value), pattern)
    except (TypeError, ValueError):
        return str(value)


def flatten_errors(fields, prefix=""):
    """``{"entries": {"0": {"school": [..]}}}`` → ``{"entries-0-school": [..]}``, the form's field names."""
    flat = {}
    for key, value in (fields or {}).items():
        name = f"{prefix}-{key}" if prefix else str(key)
        if isinstance(value, dict):
            flat.update(flatten_errors(value, name))
        elif isinstance(value, (list, tuple)):
            messages = [item for item in value if not isinstance(item, dict)]
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    flat.update(flatten_errors(item, f"{name}-{index}"))
            if messages:
                flat.setdefault(name, []).extend(str(message) for message in messages)
        else:
            flat.setdefault(name, []).append(str(value))
    return flat


def yuan_text(fen):
    """Fen as 元 for people: 16000 → "160", 15050 → "150.50"."""
    fen = int(fen or 0)
    return f"{fen // 100}" if fen % 100 == 0 else f"{fen // 100}.{fen % 100:02d}"


def number_text(value):
    """A policy figure for people: 90.0 → "90", 7.5 → "7.5" (the notice's schema reads hours as floats)."""
    return str(int(value)) if float(value).is_integer() else str(value)
