"""Pure helpers that shape the review service's answers for the admin and public pages: paging links,
the problems of a return form, selected ids, and the geometry of the progress chart (inline SVG).
No I/O and no rules: the review service judges every request."""
from math import ceil
from urllib.parse import urlencode

from shared.contracts import dossier as st

PER_PAGE = 50
# The order of the chart's segments and legend: the review chain, then where dossiers stopped.
CHART_STATUSES = tuple(status for status in st.ALL_STATUSES if status != st.DRAFT)


def query_string(args, **changes):
    """The page's filters as a query string, with *changes* applied (None removes a parameter)."""
    merged = {**args, **changes}
    pairs = []
    for key, value in merged.items():
        if value in (None, "", []):
            continue
        for item in value if isinstance(value, (list, tuple)) else [value]:
            pairs.append((key, item))
    return urlencode(pairs)


def paging(total, page, per_page=PER_PAGE):
    """``{page, pages, prev, next}`` of a list of *total* items."""
    pages = max(1, ceil(total / per_page)) if per_page else 1
    page = min(max(1, page), pages)
    return {"page": page, "pages": pages, "prev": page - 1 if page > 1 else None,
            "next": page + 1 if page < pages else None}


def selected_ids(form):
    """The dossier ids ticked on a list form, each once, in the order shown."""
    return list(dict.fromkeys(value for value in form.getlist("dossier_ids") if value.strip()))


def problems_from_form(form, rows=20):
    """The ``problems-<i>-section`` / ``problems-<i>-issue`` rows a reviewer filled in (blank rows skipped)."""
    found = []
    for index in range(rows):
        section = form.get(f"problems-{index}-section", "").strip()
        issue = form.get(f"problems-{index}-issue", "").strip()
        if section or issue:
            found.append({"section": section, "issue": issue})
    return found


def form_version(text):
    """A version a page rendered into a hidden field: an int, or the text as sent (the schema refuses it)."""
    text = (text or "").strip()
    return int(text) if text.isdigit() else text


def with_version(body, form):
    """The decision with the dossier version the page showed (hidden ``expected_version``): a decision
    made on a page gone stale is refused by the dossier service instead of stacked on a newer one."""
    if "expected_version" in form:
        body["expected_version"] = form_version(form.get("expected_version"))
    return body


def decision_body(form):
    """A decision form as review's decision: a return may list every problem (一次性告知)."""
    action = form.get("action", "")
    if action == "approve":
        return with_version({"action": action, "opinion": form.get("opinion", "").strip()}, form)
    if action == "return":
        body = {"action": action, "reason": form.get("reason", "").strip(), "sections": form.getlist("sections")}
        problems = problems_from_form(form)
        if problems:
            body["problems"] = problems
        return with_version(body, form)
    return with_version({"action": action, "reason": form.get("reason", "").strip()}, form)


def versions_from_form(form, dossier_ids):
    """``{dossier_id: version}`` the list page rendered beside each ticked dossier (``version-<id>``)."""
    versions = {}
    for dossier_id in dossier_ids:
        version = form_version(form.get(f"version-{dossier_id}"))
        if isinstance(version, int):
            versions[dossier_id] = version
    return versions


def progress_chart(groups, width=960, label_width=180, row_height=30, bar_height=18):
    """Rows of stacked bars, one per organisation, scaled to the largest total.

    Returns ``{width, height, rows: [{name, total, y, segments: [{status, label, count, x, width}]}],
    legend: [(status, label)]}``; the template draws it as inline SVG (no script, no inline style).
    """
    largest = max((group["total"] for group in groups), default=0) or 1
    area = width - label_width - 50
    rows, used = [], set()
    for index, group in enumerate(groups):
        x, segments = float(label_width), []
        for status in CHART_STATUSES:
            count = group["counts"].get(status, 0)
            if not count:
                continue
            size = area * count / largest
            segments.append({"status": status, "label": st.STATUS_LABELS[status], "count": count,
                             "x": round(x, 1), "width": round(size, 1)})
            used.add(status)
            x += size
        rows.append({"name": group["org_name"], "total": group["total"], "y": index * row_height + 6,
                     "text_y": index * row_height + 6 + bar_height - 4, "end_x": round(x + 6, 1),
                     "segments": segments})
    legend = [(status, st.STATUS_LABELS[status]) for status in CHART_STATUSES if status in used]
    return {"width": width, "height": max(1, len(rows)) * row_height + 8, "bar_height": bar_height,
            "label_width": label_width, "rows": rows, "legend": legend}


# Names of the fields a refusal may point at, for messages listed above a form.
FIELD_LABELS = {
    "specialty": "专业", "title": "职称", "expert_id": "专家账号", "unit_id": "工作单位", "name": "名称",
    "start": "开始日期", "end": "结束日期", "working_days": "公示工作日数", "meeting_date": "会议日期",
    "expert_count": "抽取人数", "valid_until": "有效期", "member_count": "委员人数", "levels": "评审级别",
    "series": "系列", "organised_by": "组建方式", "organising_body": "组建单位", "reason": "原因",
}


def error_lines(fields, names=None):
    """Flattened field errors (``{"experts-0-specialty": [...]}``) as unique lines for a list above a form;
    a dossier id in the key is shown as the applicant's name when *names* knows it."""
    lines = []
    for key, messages in (fields or {}).items():
        parts = key.split("-")
        label = next((FIELD_LABELS[part] for part in reversed(parts) if part in FIELD_LABELS), "")
        who = next((name for dossier_id, name in (names or {}).items() if dossier_id in key), None)
        prefix = who or label
        for message in messages:
            line = f"{prefix}:{message}" if prefix else message
            if line not in lines:
                lines.append(line)
    return lines
