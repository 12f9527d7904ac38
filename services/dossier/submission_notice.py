"""The one-time notice (一次性告知, docs/domain-rules.md R5.10): everything that stops a submission, in one
list in the order of the editor's form, each problem naming the section (and anchor) that fixes it.

Three kinds of problem go into it: a required section not filled (the aggregate's own rule,
``Dossier.missing_sections``), a required material missing (required_materials.checklist, by category
and by year) and an eligibility failure (policy.check_eligibility). Submission refuses with the whole
list; the eligibility self-check shows the same list before anyone presses 提交.
"""
from shared.contracts import dossier as st

from .exceptions import IncompleteDossierError, IneligibleError

# The editor's sections top to bottom (gateway/templates/editor.html; a test holds the two together).
FORM_ORDER = ("basic_info", "education", "work_experience", "continuing_education", "achievements",
              "annual_assessments", "review_form", "commitment", "materials")
# The section in which the applicant fixes a failed eligibility rule; None: nothing in the form fixes it
# (a sanction, an unconfigured table), and such problems come first.
RULE_SECTIONS = {"retired": "basic_info", "sanction": None, "eligibility_table": None,
                 "level_step": "basic_info", "years_in_level": "basic_info", "education": "education",
                 "annual_assessment": "annual_assessments", "continuing_education": "continuing_education",
                 "exceptional": "materials"}
# Within a section: what is not filled first, then the rules it fails, then the files it lacks.
_KIND_ORDER = {"section": 0, "eligibility": 1, "material": 2}


def problems(missing_sections, checklist=None, failures=()):
    """Every problem as ``{kind, key, label, message, text, section, anchor[, year]}``, in form order.

    *missing_sections* is ``Dossier.missing_sections()``; *checklist* the dossier's
    required_materials.checklist (None: no policy at hand, only the sections are judged); *failures*
    the eligibility failures. The aggregate's generic "no material at all" stands only while the
    checklist names no missing material (a policy that requires none).
    """
    found = []
    missing_materials = [entry for entry in (checklist or {}).get("missing", []) if entry["source"] != "exceptional"]
    for name, messages in missing_sections.items():
        if name == "materials" and missing_materials:
            continue
        for message in messages:
            found.append(_entry("section", name, st.SECTIONS[name], message, f"{st.SECTIONS[name]}:{message}", name))
    for failure in failures:
        found.append(_entry("eligibility", failure.rule, st.ELIGIBILITY_RULES.get(failure.rule, failure.rule),
                            failure.message, failure.message, RULE_SECTIONS.get(failure.rule)))
    for entry in missing_materials:
        item = _entry("material", entry["key"], entry["label"], entry["message"], entry["message"], "materials",
                      anchor=f"req-{entry['key']}")
        if entry.get("year") is not None:
            item["year"] = entry["year"]
        found.append(item)
    # sorted() is stable: within one kind of one section the sources' own order stays.
    return sorted(found, key=lambda item: (_position(item["section"]), _KIND_ORDER[item["kind"]]))


def refusal(found):
    """The one error for a refused submission: every problem in ``message``, ``fields`` and ``items``.

    Its type stays the one the answer's callers know: ``IncompleteDossierError`` while anything is
    missing, ``IneligibleError`` when the dossier is complete and only rules fail."""
    lines = ";".join(f"{number}. {item['text']}" for number, item in enumerate(found, 1))
    fields = {}
    for item in found:
        fields.setdefault(item["key"] if item["kind"] != "material" else "materials", []).append(item["message"])
    if any(item["kind"] != "eligibility" for item in found):
        return IncompleteDossierError(f"申报材料不完整,共 {len(found)} 项问题,请一并处理:{lines}",
                                      fields=fields, items=found)
    return IneligibleError(f"不符合申报条件,共 {len(found)} 项:{lines}", fields=fields, items=found)


def _entry(kind, key, label, message, text, section, anchor=None):
    return {"kind": kind, "key": key, "label": label, "message": message, "text": text, "section": section,
            "anchor": anchor or (f"sec-{section}" if section else None)}


def _position(section):
    return -1 if section is None else FORM_ORDER.index(section)
