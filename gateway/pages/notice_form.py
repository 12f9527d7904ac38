"""The city admin's notice form: a notice document (shared/contracts/notice_schemas.NoticeSchema) as
form values, a posted form back as a document, and the service's field errors onto the form's inputs.

Input names are the document's own paths joined by ``-`` (``window-end``,
``policy-publicity-unit_working_days``), so a marshmallow error path flattened by
``views.flatten_errors`` names the input it belongs to. Only what a browser cannot send as the
document's type is converted here (a local Beijing time, 元 to 分, integers); every rule stays with
the dossier service, which validates the draft with NoticeSchema.
"""
import copy
from datetime import datetime

from shared.clock import BEIJING, as_beijing_if_naive
from shared.contracts.notice_schemas import DEADLINES
from shared.contracts.year_policy import (
    AFTER_LEVEL_DEADLINE, DEFAULT_POLICY, REQUIREMENT_KINDS, UNCONFIRMED, effective_policy, label_of,
)
from shared.titles import LEVELS, MATERIAL_CATEGORIES, SERIES

from .payments import fen_from_yuan
from .views import number_text, yuan_text

BANDS = {"senior": "高级", "intermediate": "中级", "primary": "初级"}
COMMITTEE_KINDS = {"series": "按系列组建", "specialty": "按专业组建"}
INTEGER_FIELDS = (
    "policy-max_active_dossiers", "policy-sanction_bar_years-fraud", "policy-publicity-unit_working_days",
    "policy-publicity-city_working_days", "policy-committees-max_valid_years",
    "policy-exceptional-recommendation_letters", "continuing_education-years",
    *(f"policy-committees-minimums-{band}-{kind}" for band in BANDS for kind in COMMITTEE_KINDS),
)
TEXT_FIELDS = ("title", "continuing_education-hours_per_year", "continuing_education-professional_share",
               "policy-vote-quorum_share", "policy-vote-pass_share", "policy-after_level_deadline")
MOMENT_FIELDS = ("window-start", "window-end", *(f"deadlines-{name}" for name in DEADLINES))
FEE_FIELDS = (*(f"policy-fees-review_fen-{level}" for level in LEVELS), "policy-fees-certificate_fen")
# The unconfirmed settings (year_policy.UNCONFIRMED) by the form input or group they are shown at.
UNCONFIRMED_AT = {
    "continuing_education.professional_share": "continuing_education-professional_share",
    "vote.quorum_share": "policy-vote-quorum_share",
    "committees.minimums.intermediate": "committees-intermediate",
    "committees.minimums.primary": "committees-primary",
    "fees": "fees",
    "after_level_deadline": "policy-after_level_deadline",
    "exceptional": "policy-exceptional-recommendation_letters",
}
MOMENT_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows


def default_document(review_year):
    """A new year's notice before anything is typed: the default policy, every reviewable level open."""
    return {
        "review_year": review_year,
        "title": f"{review_year}年度昆明市职称评审工作通知",
        "open_series": {series: list(rows) for series, rows in DEFAULT_POLICY["eligibility_tables"].items()},
        "window": {"start": None, "end": None},
        "deadlines": {name: None for name in DEADLINES},
        "continuing_education": {},
        "policy": {},
    }


def material_rows(policy):
    """The checklist rows the form shows: the items in force (on), then default items left out (off)."""
    rows = [dict(item, enabled=True) for item in policy["required_materials"]]
    present = {item["key"] for item in rows}
    rows += [dict(item, enabled=False) for item in DEFAULT_POLICY["required_materials"] if item["key"] not in present]
    for row in rows:
        row["per_label"] = REQUIREMENT_KINDS.get(row["per"], row["per"])
        row["categories_label"] = "、".join(MATERIAL_CATEGORIES.get(code, code) for code in row["categories"])
        row["scope_label"] = scope_label(row)
    return rows


def scope_label(item):
    series = "、".join(SERIES.get(code, code) for code in item.get("series") or []) or "全部系列"
    levels = "、".join(LEVELS.get(code, code) for code in item.get("levels") or []) or "全部级别"
    return f"{series} · {levels}"


def reviewable_levels(policy):
    """``{series: [levels]}`` a notice may open: those with an eligibility table row."""
    tables = policy["eligibility_tables"]
    return {series: [level for level in LEVELS if level in tables[series]] for series in SERIES if series in tables}


def form_values(document):
    """The form's input values (text) for *document*; settings it leaves out show their defaults."""
    policy = effective_policy(document.get("policy"), document.get("continuing_education"))
    values = {"title": document.get("title") or ""}
    for name in ("start", "end"):
        values[f"window-{name}"] = local_moment((document.get("window") or {}).get(name))
    for name in DEADLINES:
        values[f"deadlines-{name}"] = local_moment((document.get("deadlines") or {}).get(name))
    for series, levels in (document.get("open_series") or {}).items():
        for level in levels:
            values[f"open_series-{series}-{level}"] = True
    education = policy["continuing_education"]
    values.update({
        "continuing_education-hours_per_year": number_text(education["hours_per_year"]),
        "continuing_education-professional_share": str(education["professional_share"]),
        "continuing_education-years": str(education["years"]),
        "policy-max_active_dossiers": str(policy["max_active_dossiers"]),
        "policy-sanction_bar_years-fraud": str(policy["sanction_bar_years"].get("fraud", "")),
        "policy-publicity-unit_working_days": str(policy["publicity"]["unit_working_days"]),
        "policy-publicity-city_working_days": str(policy["publicity"]["city_working_days"]),
        "policy-vote-quorum_share": str(policy["vote"]["quorum_share"]),
        "policy-vote-pass_share": str(policy["vote"]["pass_share"]),
        "policy-committees-max_valid_years": str(policy["committees"]["max_valid_years"]),
        "policy-exceptional-recommendation_letters": str(policy["exceptional"]["recommendation_letters"]),
        "policy-after_level_deadline": policy["after_level_deadline"],
        "policy-fees-certificate_fen": yuan_text(policy["fees"]["certificate_fen"]),
    })
    for band in BANDS:
        for kind in COMMITTEE_KINDS:
            values[f"policy-committees-minimums-{band}-{kind}"] = str(policy["committees"]["minimums"][band][kind])
    for level in LEVELS:
        values[f"policy-fees-review_fen-{level}"] = yuan_text(policy["fees"]["review_fen"].get(level, 0))
    for index, row in enumerate(material_rows(policy)):
        values[f"materials-{index}-enabled"] = row["enabled"]
        values[f"materials-{index}-count"] = str(row["count"])
    return values


def read_form(form, source, review_year):
    """``(document, errors, values)`` from a posted form.

    *source* is the document the form was filled from (the draft, the published notice or the
    defaults): settings the form does not show (eligibility tables, letter categories…) are kept
    from it. *errors* names inputs whose text is not of the document's type; the page shows them and
    sends nothing. *values* is what was typed, to show again.
    """
    values, errors = {}, {}
    document = copy.deepcopy(source)
    document["review_year"] = review_year
    policy = document.setdefault("policy", {})
    in_force = effective_policy(source.get("policy"), source.get("continuing_education"))

    def text(name):
        values[name] = form.get(name, "").strip()
        return values[name]

    def integer(name):
        typed = text(name)
        if not typed:
            errors[name] = ["此项为必填项"]
        elif not typed.isdigit():
            errors[name] = ["应为整数"]
        else:
            return int(typed)
        return None

    def moment(name, required):
        typed = text(name)
        if not typed:
            if required:
                errors[name] = ["此项为必填项"]
            return None
        try:
            return datetime.strptime(typed, MOMENT_FORMAT).replace(tzinfo=BEIJING).isoformat()
        except ValueError:
            errors[name] = ["请按 年-月-日 时:分 填写(北京时间)"]
            return None

    def fen(name):
        amount = fen_from_yuan(text(name))
        if amount is None:
            errors[name] = ["请填写金额(元),可带两位小数,如 160 或 160.50"]
        return amount

    document["title"] = text("title")
    document["window"] = {name: moment(f"window-{name}", True) for name in ("start", "end")}
    document["deadlines"] = {name: moment(f"deadlines-{name}", False) for name in DEADLINES}
    document["open_series"] = {}
    for series, levels in reviewable_levels(in_force).items():
        ticked = [level for level in levels if form.get(f"open_series-{series}-{level}")]
        for level in ticked:
            values[f"open_series-{series}-{level}"] = True
        if ticked:
            document["open_series"][series] = ticked
    hours, hours_value = text("continuing_education-hours_per_year"), None
    try:
        hours_value = int(hours) if hours.isdigit() else float(hours)
    except ValueError:
        errors["continuing_education-hours_per_year"] = ["应为数字" if hours else "此项为必填项"]
    document["continuing_education"] = {
        "hours_per_year": hours_value,
        "professional_share": text("continuing_education-professional_share"),
        "years": integer("continuing_education-years"),
    }
    policy["max_active_dossiers"] = integer("policy-max_active_dossiers")
    policy["sanction_bar_years"] = {**policy.get("sanction_bar_years", {}),
                                    "fraud": integer("policy-sanction_bar_years-fraud")}
    policy["publicity"] = {"unit_working_days": integer("policy-publicity-unit_working_days"),
                           "city_working_days": integer("policy-publicity-city_working_days")}
    policy["vote"] = {"quorum_share": text("policy-vote-quorum_share"), "pass_share": text("policy-vote-pass_share")}
    policy["committees"] = {
        "minimums": {band: {kind: integer(f"policy-committees-minimums-{band}-{kind}") for kind in COMMITTEE_KINDS}
                     for band in BANDS},
        "max_valid_years": integer("policy-committees-max_valid_years"),
    }
    policy["fees"] = {"review_fen": {level: fen(f"policy-fees-review_fen-{level}") for level in LEVELS},
                      "certificate_fen": fen("policy-fees-certificate_fen")}
    policy["after_level_deadline"] = text("policy-after_level_deadline")
    policy["exceptional"] = {**policy.get("exceptional", {}),
                             "recommendation_letters": integer("policy-exceptional-recommendation_letters")}
    items, rows = [], material_rows(in_force)
    for index, row in enumerate(rows):
        enabled = bool(form.get(f"materials-{index}-enabled"))
        values[f"materials-{index}-enabled"] = enabled
        if enabled:  # the count of an item switched off is not read
            count = integer(f"materials-{index}-count")
            items.append({name: row[name] for name in ("key", "label", "categories", "per", "series", "levels")}
                         | {"count": count})
        else:
            text(f"materials-{index}-count")
    policy["required_materials"] = items
    return document, errors, values


def form_errors(flat, document, source):
    """The service's flattened field errors (``views.flatten_errors``) by the form's input names.

    Dict entries come back as ``…-<key>-value``; the open series as one group; a checklist item by its
    place among the ticked items, which is turned back into its row on the form.
    """
    rows = material_rows(effective_policy(source.get("policy"), source.get("continuing_education")))
    ticked = [item["key"] for item in (document.get("policy") or {}).get("required_materials") or []]
    row_of = {item["key"]: index for index, item in enumerate(rows)}
    mapped = {}
    for name, messages in flat.items():
        parts = [part for part in name.split("-") if part not in ("value", "key")]
        if parts[0] == "open_series":
            target = "open_series"
        elif parts[:2] == ["policy", "required_materials"] and len(parts) > 2 and parts[2].isdigit() \
                and int(parts[2]) < len(ticked):
            target = f"materials-{row_of[ticked[int(parts[2])]]}-{parts[3] if len(parts) > 3 else 'count'}"
        else:
            target = "-".join(parts)
        mapped.setdefault(target, []).extend(messages)
    return mapped


def unconfirmed_notes():
    """``(by input or group, the rest)``: the notes of the unconfirmed settings (DOMAIN.md: say so on
    the settings page), each as help text beginning 未查到正式文件; the rest are settings the form
    does not edit, listed on the page by their names."""
    def text(note):
        return note if "未查到" in note else f"未查到正式文件:{note}"

    shown = {UNCONFIRMED_AT[path]: text(note) for path, note in UNCONFIRMED.items() if path in UNCONFIRMED_AT}
    # Named by the setting itself (学历与任职年限表); each note says which row it is about.
    rest = [(label_of(f"policy.{path.split('.')[0]}"), text(note))
            for path, note in UNCONFIRMED.items() if path not in UNCONFIRMED_AT]
    return shown, rest


def local_moment(value):
    """An ISO moment as the Beijing wall time a datetime-local input shows; '' for none."""
    if not value:
        return ""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return as_beijing_if_naive(moment).astimezone(BEIJING).strftime(MOMENT_FORMAT)


AFTER_LEVEL_DEADLINE_CHOICES = tuple(AFTER_LEVEL_DEADLINE.items())
