"""The access-log filters an auditor types (page and API alike), checked and turned into the access-log
service's query, and the rows as they are shown (Beijing time, role and organisation in words)."""
from urllib.parse import unquote_plus

from shared.clock import beijing_day_end, beijing_day_start
from shared.contracts.accesslog import KINDS
from shared.roles import ROLE_LABELS
from shared.text_rules import line_problem

from .typed_days import typed_day_range

PER_PAGE = 50


def access_query(args):
    """``(query, errors, values)`` from the filters of /audit/access (reader name, kind, Beijing dates)."""
    values = {name: str(args.get(name, "")).strip() for name in ("name", "kind", "since", "until")}
    query, errors = {}, {}
    if values["name"]:
        problem = line_problem(values["name"], 64)
        if problem:
            errors["name"] = [problem]
        else:
            query["name"] = values["name"]
    if values["kind"]:
        if values["kind"] in KINDS:
            query["kind"] = values["kind"]
        else:
            errors["kind"] = ["请选择列表中的访问类型"]
    days = typed_day_range(values, "since", "until", errors)
    if not errors:
        if "since" in days:
            query["since"] = beijing_day_start(days["since"]).isoformat()
        if "until" in days:
            query["until"] = beijing_day_end(days["until"]).isoformat()
    return query, errors, values


def readable_path(path):
    """A recorded path as an auditor reads it: percent-escapes decoded (a searched name shows as typed),
    and what could not be decoded left as stored."""
    try:
        return unquote_plus(path, errors="strict")
    except UnicodeDecodeError:
        return path


def access_rows(items, organisations):
    """The records as the table shows them: kind and roles in words, organisations by name."""
    rows = []
    for item in items:
        roles = [f"{ROLE_LABELS.get(role['role'], role['role'])}"
                 + (f" · {organisations.get(role['org_id']) or role['org_id']}" if role.get("org_id") else "")
                 for role in item.get("roles") or []]
        rows.append({**item, "kind_label": KINDS.get(item["kind"], item["kind"]), "role_texts": roles,
                     "refused": item["status"] >= 400, "path_text": readable_path(item["path"])})
    return rows
