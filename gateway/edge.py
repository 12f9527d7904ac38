"""The gateway's edge: hostile text is refused here, once for every route, before any service sees it.

Three checkpoints, all applying shared/text_rules.py (the rules the services' schemas apply again):

- ``check_request_line``: every path value and query parameter, before the route runs (both the JSON
  API's and the pages' handlers call it);
- ``parse_json_object``: every JSON body — valid UTF-8, bounded size, bounded nesting (counted before
  parsing), then every key and string;
- ``check_outgoing``: every argument of every RPC the gateway makes, so form fields of the pages and
  anything else a route builds from a request are checked too; its field errors carry the data's own
  keys, so a page shows each beside its input.

A refusal is a 422 ``ValidationFailed`` naming each field in Chinese (413 for an oversized body).
"""
import json

from shared import text_rules
from shared.errors import ValidationFailed

from .exceptions import RequestTooLarge

MAX_JSON_BODY_BYTES = 1024 * 1024
REFUSED = "请求中含有不允许的内容,请按提示修改"


def parameter_problem(value):
    """Why one path value or query parameter (always a single line) is refused, or None."""
    return text_rules.line_problem(value) or text_rules.iso_date_problem(value)


def check_request_line(request):
    """Refuse the request if a path value or a query parameter (name or value) is hostile."""
    problems = {}
    for name, value in (request.path_values or {}).items():
        problem = parameter_problem(value) if isinstance(value, str) else None
        if problem:
            problems[name] = [problem]
    for name, value in request.args.items(multi=True):
        problem = text_rules.line_problem(name, limit=100) or parameter_problem(value)
        if problem:
            problems.setdefault(text_rules.printable(name)[:100], []).append(problem)
    if problems:
        raise ValidationFailed(_with_fields(problems), fields=problems)


def parse_json_object(raw: bytes):
    """The JSON object in *raw*, or a Chinese refusal saying what is wrong with it (nothing else parses bodies)."""
    if len(raw) > MAX_JSON_BODY_BYTES:
        raise RequestTooLarge(f"请求体过大,不能超过 {MAX_JSON_BODY_BYTES // 1024} KB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed("请求体不是有效的 UTF-8 文本", fields={"body": ["文字编码无效"]}) from None
    if not text.strip():
        return {}
    too_deep = text_rules.nesting_problem(text)
    if too_deep:
        raise ValidationFailed(_with_fields({"body": [too_deep]}), fields={"body": [too_deep]})
    try:
        body = json.loads(text)
    except ValueError:
        raise ValidationFailed("请求体不是有效的 JSON", fields={"body": ["应为 JSON 对象"]}) from None
    if not isinstance(body, dict):
        raise ValidationFailed("请求体应为 JSON 对象", fields={"body": ["应为 JSON 对象"]})
    problems = data_problems(body)
    if problems:
        raise ValidationFailed(_with_fields(problems), fields=problems)
    return body


def check_outgoing(args, kwargs):
    """Refuse an RPC whose arguments hold hostile text: ``fields`` follows the data's own keys."""
    problems, loose = {}, []
    for value in (*args, *kwargs.values()):
        if isinstance(value, (dict, list, tuple)):
            found = data_problems(value)
            _merge(problems, found if isinstance(value, dict) or not found else {"items": found})
        else:
            problem = value_problem(value)
            if problem:
                loose.append(problem)
    if problems or loose:
        message = _with_fields(problems) if problems else f"{REFUSED}:{loose[0]}"
        raise ValidationFailed(message, fields=problems)


def value_problem(value):
    """Why a value inside a body or an RPC argument is refused, or None. The edge cannot tell a name
    from free text, so it applies the multi-line rule; the service's schema is stricter where it should be."""
    if not isinstance(value, str):
        return None
    return text_rules.text_problem(value) or text_rules.iso_date_problem(value)


def data_problems(data, depth=0):
    """Every hostile key or string in *data* (dicts, lists, scalars), shaped like marshmallow's errors:
    ``{"entries": {0: {"school": ["…"]}}}``."""
    if depth > text_rules.MAX_JSON_DEPTH:
        return {"_": [f"数据嵌套不能超过 {text_rules.MAX_JSON_DEPTH} 层"]}
    items = data.items() if isinstance(data, dict) else enumerate(data)
    problems = {}
    for key, value in items:
        key_problem = text_rules.line_problem(key, limit=200) if isinstance(key, str) else None
        name = text_rules.printable(key)[:200] if isinstance(key, str) else key
        if key_problem:
            problems[name] = [f"字段名{key_problem}"]
        elif isinstance(value, (dict, list, tuple)):
            nested = data_problems(value, depth + 1)
            if nested:
                problems[name] = nested
        else:
            problem = value_problem(value)
            if problem:
                problems[name] = [problem]
    return problems


def _merge(into, problems):
    for key, value in problems.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into.setdefault(key, value)


def _with_fields(problems):
    """The refusal's message: the general sentence, then the first field and why (pages show it on top)."""
    name, found = next(iter(problems.items()))
    while isinstance(found, dict):
        key, found = next(iter(found.items()))
        name = f"{name}.{key}"
    return f"{REFUSED}({name}:{found[0]})"
