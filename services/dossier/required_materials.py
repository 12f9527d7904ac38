"""The materials checklist (必备材料清单, docs/domain-rules.md R5.11) as a pure function of a dossier and its
year's policy: which files the dossier needs, which it has against each need, and what is missing.

Each requirement item of the policy (shared/contracts/year_policy.py ``required_materials``, kinds in
``REQUIREMENT_KINDS``) that applies to the dossier's series and level becomes *slots*:

- ``dossier``: one slot for the dossier as a whole;
- ``record_year``: one slot per year whose annual assessment is required;
- ``education_year``: one slot per year whose continuing education is counted;
- ``achievement``: one slot per claimed achievement.

The years are the eligibility rules' own (``policy.required_years``), so the checklist never asks for
a year the rules do not count. A slot needs ``count`` files of the item's categories; per-year slots
take the files marked with that year, achievement slots the files linked to that achievement. Files
uploaded twice (same SHA-256) are flagged (重复上传); they still count, since a flag is for the
applicant and reviewers to look at, not a rule that refuses.
"""
from shared.contracts.year_policy import REQUIREMENT_KINDS, requirements_for
from shared.titles import MATERIAL_CATEGORIES

from .policy import required_years

# The 破格 letters are an eligibility rule (policy._exceptional) that the checklist also shows, so the
# applicant sees them among the files; the one-time notice reports them once, as that rule's failure.
EXCEPTIONAL_ITEM = "recommendation_letters"


def checklist(policy, dossier_state, *, review_year):
    """``{items, duplicates, missing, complete}`` for *dossier_state* (``Dossier.to_dict()``).

    ``items``: each requirement that applies, with its ``slots`` (``{year, achievement_id, name,
    needed, materials, missing, done}``) and the files of its categories matched to no slot
    (``unassigned``: a form without its year, a proof not linked to an achievement). ``missing``: one
    entry per slot short of files, in checklist order, each naming what is missing in words.
    """
    materials = _materials(dossier_state)
    duplicates = _duplicates(materials)
    duplicated = {material_id for group in duplicates for material_id in group["material_ids"]}
    views = [dict(_view(material), duplicate=material["material_id"] in duplicated) for material in materials]
    record_years, education_years = required_years(policy, dossier_state, review_year=review_year)
    achievements = list(dossier_state.get("achievements") or [])
    items = []
    for requirement in _requirements(policy, dossier_state):
        targets = _targets(requirement["per"], record_years, education_years, achievements)
        items.append(_item(requirement, targets, views))
    missing = [entry for item in items for entry in item["missing"]]
    return {"items": items, "duplicates": duplicates, "missing": missing, "complete": not missing}


def _requirements(policy, dossier_state):
    """The policy's items for the dossier's series and level, plus the 破格 letters when 破格 is asked for."""
    found = list(requirements_for(policy, dossier_state["series"], dossier_state["level"]))
    info = (dossier_state.get("sections") or {}).get("basic_info") or {}
    if info.get("exceptional"):
        settings = policy["exceptional"]
        found.append({"key": EXCEPTIONAL_ITEM, "label": "推荐信(破格申报)", "categories": settings["letter_categories"],
                      "per": "dossier", "count": int(settings["recommendation_letters"]), "source": "exceptional"})
    return found


def _targets(per, record_years, education_years, achievements):
    """The slots of an item of kind *per*: ``(year, achievement_id, name)`` each."""
    if per == "record_year":
        return [(year, None, f"{year}年") for year in record_years]
    if per == "education_year":
        return [(year, None, f"{year}年") for year in education_years]
    if per == "achievement":
        return [(None, entry["achievement_id"], entry.get("title") or "业绩成果") for entry in achievements]
    return [(None, None, "")]


def _item(requirement, targets, views):
    per, needed, categories = requirement["per"], int(requirement["count"]), list(requirement["categories"])
    of_category = [view for view in views if view["category"] in categories]
    slots, used = [], set()
    for year, achievement_id, name in targets:
        attached = [view for view in of_category if _fits(per, view, year, achievement_id)]
        used.update(view["material_id"] for view in attached)
        slots.append({"year": year, "achievement_id": achievement_id, "name": name, "needed": needed,
                      "materials": attached, "missing": max(0, needed - len(attached)),
                      "done": len(attached) >= needed})
    item = {
        "key": requirement["key"], "label": requirement["label"], "per": per,
        "per_label": REQUIREMENT_KINDS.get(per, per), "count": needed, "categories": categories,
        "category_labels": [MATERIAL_CATEGORIES.get(code, code) for code in categories],
        "source": requirement.get("source", "policy"), "slots": slots,
        "unassigned": [view for view in of_category if view["material_id"] not in used],
    }
    item["missing"] = [_missing(item, slot) for slot in slots if slot["missing"]]
    item["complete"] = not item["missing"]
    return item


def _fits(per, view, year, achievement_id):
    if per in ("record_year", "education_year"):
        return view["year"] == year
    if per == "achievement":
        return view["achievement_id"] == achievement_id
    return True


def _missing(item, slot):
    """What a slot lacks, in words: 缺少 2023年 年度考核登记表, 缺少 学历/学位证书(须 2 份,已上传 1 份)."""
    label = item["label"]
    if item["per"] == "achievement":
        what = f"业绩成果「{slot['name']}」的{label}"
    elif slot["year"] is not None:
        what = f"{slot['name']} {label}"
    else:
        what = label
    have = len(slot["materials"])
    counted = f"(须 {slot['needed']} 份,已上传 {have} 份)" if slot["needed"] > 1 else ""
    return {"key": item["key"], "label": label, "year": slot["year"], "achievement_id": slot["achievement_id"],
            "source": item["source"], "message": f"缺少 {what}{counted}"}


def _materials(dossier_state):
    materials = dossier_state.get("materials") or []
    return list(materials.values()) if isinstance(materials, dict) else list(materials)


def _view(material):
    return {"material_id": material["material_id"], "filename": material.get("filename") or "",
            "category": material.get("category"), "year": material.get("year"),
            "achievement_id": material.get("achievement_id"), "sha256": material.get("sha256")}


def _duplicates(materials):
    """Files attached more than once (same SHA-256): ``[{sha256, material_ids, filenames}]`` in upload order."""
    groups = {}
    for material in materials:
        groups.setdefault(material.get("sha256"), []).append(material)
    return [{"sha256": sha256, "material_ids": [m["material_id"] for m in group],
             "filenames": [m.get("filename") or "" for m in group]}
            for sha256, group in groups.items() if sha256 and len(group) > 1]
