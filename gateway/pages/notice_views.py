"""A year's notice as the public reads it (the home page, and the city admin's preview of a draft):
dates in Beijing time, each level's deadline, fees in 元 by open level, and the materials checklist
for the series and levels the notice opens. Pure: shapes what the dossier service answered."""
from datetime import datetime

from shared.clock import as_beijing_if_naive, beijing_date, beijing_today
from shared.contracts.notice_schemas import DEADLINES
from shared.contracts.year_policy import AFTER_LEVEL_DEADLINE, REQUIREMENT_KINDS, effective_policy, requirements_for
from shared.titles import ASSESSMENT_RESULTS, EDUCATION_LEVELS, LEVELS, MATERIAL_CATEGORIES, SERIES

from .views import number_text, shanghai_time, yuan_text


def public_notice(document, policy=None):
    """What the public sees of a notice *document* (its policy in force computed when not given)."""
    policy = policy or effective_policy(document.get("policy"), document.get("continuing_education"))
    open_series = document.get("open_series") or {}
    open_levels = [level for level in LEVELS if any(level in levels for levels in open_series.values())]
    return {
        "review_year": document["review_year"],
        "title": document["title"],
        "start": shanghai_time(document["window"]["start"]),
        "end": shanghai_time(document["window"]["end"]),
        "deadlines": [{"name": name, "label": label, "at": shanghai_time(document["deadlines"][name])}
                      for name, label in DEADLINES.items() if (document.get("deadlines") or {}).get(name)],
        # In the order of the code tables (a stored document's keys come back in the database's order).
        "open_series": [{"series": SERIES[series], "levels": [LEVELS[level] for level in LEVELS if level in open_series[series]]}
                        for series in SERIES if series in open_series],
        "fees": [{"level": LEVELS[level], "yuan": yuan_text(policy["fees"]["review_fen"].get(level, 0))}
                 for level in open_levels],
        "certificate_yuan": yuan_text(policy["fees"]["certificate_fen"]),
        "materials": materials_list(policy, open_series),
        "continuing_education": {**policy["continuing_education"],
                                 "hours_per_year": number_text(policy["continuing_education"]["hours_per_year"])},
    }


def materials_list(policy, open_series):
    """Each required material that applies to some open series and level, with where it applies."""
    found = {}
    for series, levels in open_series.items():
        for level in levels:
            for item in requirements_for(policy, series, level):
                entry = found.setdefault(item["key"], {"label": item["label"], "count": item["count"],
                                                       "per": REQUIREMENT_KINDS.get(item["per"], item["per"]),
                                                       "applies": []})
                entry["applies"].append(f"{SERIES.get(series, series)}{LEVELS.get(level, level)}")
    every = sum(len(levels) for levels in open_series.values())
    for entry in found.values():
        entry["applies"] = "全部开放级别" if len(entry["applies"]) == every else "、".join(entry["applies"])
    return list(found.values())


# A notice's state on the public pages, with its label (words of this page, not dossier statuses).
NOTICE_STATES = {"accepting": "正在受理", "upcoming": "尚未开始", "ended": "已截止"}


def home_notices(records, today=None):
    """The notices for the home page, each with ``state`` (a key of NOTICE_STATES) and ``state_label``, open ones
    first: those whose application window includes today's Beijing date or has yet to begin;
    when there is none, the latest published one, so the public still sees what was announced."""
    today = today or beijing_today()
    shown = []
    for record in records:
        start, end = _window_dates(record)
        if today <= end:
            state = "accepting" if start <= today else "upcoming"
            shown.append({**record, "state": state, "state_label": NOTICE_STATES[state]})
    if not shown and records:
        latest = max(records, key=lambda record: (record.get("published_at") or "", record["review_year"]))
        shown = [{**latest, "state": "ended", "state_label": NOTICE_STATES["ended"]}]
    # Open ones first (what one can apply for now), then upcoming; newer years first within each.
    return sorted(shown, key=lambda record: (record["state"] != "accepting", -record["review_year"]))


def _window_dates(record):
    window = record["notice"]["window"]
    return tuple(beijing_date(as_beijing_if_naive(datetime.fromisoformat(str(window[name]))))
                 for name in ("start", "end"))


def change_rows(changes):
    """A version's ``changes`` (``[{path, label, before, after}]``) with both values as text for people:
    times in Beijing time, fees in 元, codes by their Chinese names."""
    return [{**change, "label": setting_label(change["path"], change["label"]),
             "before": setting_text(change["path"], change["before"]),
             "after": setting_text(change["path"], change["after"])} for change in changes or []]


# Codes that label_of leaves in a label's suffix (``评委会最低人数(senior.series)``), by their names.
SUFFIX_NAMES = {**SERIES, **LEVELS, **EDUCATION_LEVELS, **ASSESSMENT_RESULTS,
                "series": "按系列", "specialty": "按专业", "fraud": "弄虚作假",
                "recommendation_letters": "推荐信份数", "letter_categories": "推荐信类别"}


def setting_label(path, label):
    """year_policy.label_of's label with fees named in 元 and its code suffix in Chinese."""
    parts = path.split(".")
    if parts[:3] == ["policy", "fees", "review_fen"] and len(parts) == 4:
        return f"{LEVELS.get(parts[3], parts[3])}评审费"
    if path == "policy.fees.certificate_fen":
        return "证书工本费"
    if parts[:3] == ["policy", "committees", "minimums"] and len(parts) == 5:
        band = {"senior": "高级", "intermediate": "中级", "primary": "初级"}.get(parts[3], parts[3])
        return f"{band}评委会最低人数({SUFFIX_NAMES.get(parts[4], parts[4])})"
    head, _, suffix = label.partition("(")
    if not suffix:
        return label
    names = [SUFFIX_NAMES.get(code, code) for code in suffix.rstrip(")").split(".")]
    return f"{head}({' · '.join(names)})"


def setting_text(path, value):
    if value is None:
        return "(无)"
    if isinstance(value, bool):
        return "是" if value else "否"
    if path.startswith("policy.fees.") and isinstance(value, int):
        return f"{yuan_text(value)} 元"
    if path.startswith(("window.", "deadlines.")):
        return shanghai_time(value)
    if path == "policy.after_level_deadline":
        return AFTER_LEVEL_DEADLINE.get(value, value)
    if isinstance(value, dict):  # the open series: {series: [levels]}
        return ";".join(f"{SERIES.get(key, key)}:{setting_text(path, item)}" for key, item in value.items())
    if isinstance(value, list):
        return "、".join(f"{item.get('label', item.get('key'))}×{item.get('count')}" if isinstance(item, dict)
                        else LEVELS.get(item, SERIES.get(item, MATERIAL_CATEGORIES.get(item, str(item))))
                        for item in value) or "(无)"
    return str(value)
