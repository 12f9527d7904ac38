"""What changed in a dossier between two of its versions, field by field and in words an auditor reads.

Pure: two dossiers as ``state_at`` answers them (``Dossier.to_dict()``) go in; what comes out names each
change as added, changed or removed, under the section and field labels the pages show (the caller passes
them as ``sections``, built from the pages' own forms), with every value written out as text — codes as
their Chinese labels, moments in Beijing time, yes/no for checkboxes. Materials attached or detached are
listed whole (name, category, pages, size, SHA-256) rather than as changed fields.

List sections (education, work experience …) are matched entry by entry with difflib, so taking one
entry out of the middle reads as one removal, not as every later entry having changed.
"""
import json
from dataclasses import dataclass, field
from datetime import datetime
from difflib import SequenceMatcher

from shared.clock import beijing_text
from shared.contracts import dossier as st
from shared.contracts.payment import ZERO_FEE_REFERENCE
from shared.titles import LEVELS, MATERIAL_CATEGORIES, SERIES

ADDED, CHANGED, REMOVED = "added", "changed", "removed"
KIND_LABELS = {ADDED: "新增", CHANGED: "修改", REMOVED: "删除"}


@dataclass(frozen=True)
class FieldWords:
    """One field as people read it: its label and, for coded values, the text of each code."""

    name: str
    label: str
    choices: dict = field(default_factory=dict)
    shape: object = None  # a function writing a structured value (a fee, a tally) as words


@dataclass(frozen=True)
class SectionWords:
    label: str
    fields: tuple = ()  # FieldWords, in the order the form shows them
    is_list: bool = False


# The dossier's own fields besides its sections: who applies for what, then how the review went.
OVERVIEW = SectionWords("申报概况", (
    FieldWords("applicant_name", "申报人"), FieldWords("unit_name", "工作单位"),
    FieldWords("district_name", "主管部门"), FieldWords("review_year", "评审年度"),
    FieldWords("series", "系列", SERIES), FieldWords("specialty", "专业"), FieldWords("level", "申报级别", LEVELS),
))


@dataclass(frozen=True)
class Change:
    kind: str  # ADDED, CHANGED or REMOVED
    where: str  # the field, or "第 2 条 · 毕业院校" in a list section
    before: str
    after: str

    @property
    def kind_label(self):
        return KIND_LABELS[self.kind]


@dataclass(frozen=True)
class SectionChanges:
    key: str
    label: str
    changes: tuple


@dataclass(frozen=True)
class DossierDiff:
    sections: tuple  # SectionChanges with at least one change, in the dossier's order
    attached: tuple  # materials present only in the later version (dicts with ``category_label``)
    detached: tuple  # materials present only in the earlier version

    @property
    def counts(self):
        kinds = [change.kind for section in self.sections for change in section.changes]
        return {ADDED: kinds.count(ADDED) + len(self.attached), CHANGED: kinds.count(CHANGED),
                REMOVED: kinds.count(REMOVED) + len(self.detached)}

    @property
    def unchanged(self):
        return not (self.sections or self.attached or self.detached)


def compare(before, after, sections):
    """The changes from dossier *before* to dossier *after*; *sections* maps each section name
    (``basic_info`` … ``commitment``, ``achievements``) to its SectionWords, in display order."""
    found = [SectionChanges("overview", OVERVIEW.label, tuple(_record_changes(before, after, OVERVIEW.fields)))]
    for key, words in sections.items():
        if key == "achievements":
            changes = _keyed_changes(before.get("achievements"), after.get("achievements"), "achievement_id", words)
        else:
            old, new = (before.get("sections") or {}).get(key), (after.get("sections") or {}).get(key)
            changes = _list_changes(old, new, words.fields) if words.is_list else \
                _record_changes(old or {}, new or {}, _with_unlisted(words.fields, old, new))
        found.append(SectionChanges(key, words.label, tuple(changes)))
    found.append(SectionChanges("process", PROCESS.label, tuple(_record_changes(before, after, PROCESS.fields))))
    old_materials, new_materials = _by_id(before.get("materials"), "material_id"), _by_id(after.get("materials"), "material_id")
    return DossierDiff(
        sections=tuple(section for section in found if section.changes),
        attached=tuple(_material(new_materials[key]) for key in new_materials if key not in old_materials),
        detached=tuple(_material(old_materials[key]) for key in old_materials if key not in new_materials),
    )


# -- records, lists, keyed entries ---------------------------------------------------------------------

def _record_changes(old, new, fields, prefix=""):
    changes = []
    for words in fields:
        before, after = words_for(old.get(words.name), words), words_for(new.get(words.name), words)
        if before != after:
            changes.append(Change(_kind(before, after), prefix + words.label, before, after))
    return changes


def _with_unlisted(fields, *records):
    """The form's fields, then any other key the stored data holds (named by its key), so nothing that
    changed goes unreported because no form shows it."""
    known = {words.name for words in fields}
    extra = sorted({key for record in records for key in (record or {}) if key not in known})
    return tuple(fields) + tuple(FieldWords(key, EXTRA_LABELS.get(key, key)) for key in extra)


# Stored keys that no form field shows.
EXTRA_LABELS = {"signed_at": "签署时间"}


def _list_changes(old, new, fields):
    """Entries matched with difflib: equal runs are skipped, a replaced run is compared entry by entry,
    what is left over is a whole entry added or removed. Entries are numbered as in the later version
    (removed ones as in the earlier)."""
    old, new = list(old or []), list(new or [])
    fields = _with_unlisted(fields, *old, *new)
    matcher = SequenceMatcher(a=[_canonical(entry) for entry in old], b=[_canonical(entry) for entry in new],
                              autojunk=False)
    changes = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for offset in range(paired):
            changes += _record_changes(old[i1 + offset], new[j1 + offset], fields, f"第 {j1 + offset + 1} 条 · ")
        for index in range(i1 + paired, i2):
            changes.append(Change(REMOVED, f"第 {index + 1} 条", entry_words(old[index], fields), ""))
        for index in range(j1 + paired, j2):
            changes.append(Change(ADDED, f"第 {index + 1} 条", "", entry_words(new[index], fields)))
    return changes


def _keyed_changes(old, new, key, words):
    old, new = _by_id(old, key), _by_id(new, key)
    fields = _with_unlisted(words.fields, *[{k: v for k, v in entry.items() if k != key}
                                            for entry in [*old.values(), *new.values()]])
    changes = []
    for entry_id, entry in old.items():
        if entry_id not in new:
            changes.append(Change(REMOVED, _title(entry), entry_words(entry, fields), ""))
        else:
            changes += _record_changes(entry, new[entry_id], fields, f"{_title(new[entry_id])} · ")
    for entry_id, entry in new.items():
        if entry_id not in old:
            changes.append(Change(ADDED, _title(entry), "", entry_words(entry, fields)))
    return changes


def _title(entry):
    return f"「{entry.get('title')}」" if entry.get("title") else "一项"


def _by_id(entries, key):
    return {entry.get(key): entry for entry in entries or []}


def _canonical(entry):
    return json.dumps(entry, sort_keys=True, ensure_ascii=False, default=str)


def _kind(before, after):
    if not before:
        return ADDED
    return REMOVED if not after else CHANGED


def _material(material):
    return {**material, "category_label": MATERIAL_CATEGORIES.get(material.get("category"), material.get("category") or "")}


# -- values as words -------------------------------------------------------------------------------------

def entry_words(entry, fields):
    """A whole entry on one line: ``学历:本科;毕业院校:昆明理工大学``; empty fields left out."""
    parts = [f"{words.label}:{text}" for words in fields if (text := words_for(entry.get(words.name), words))]
    return ";".join(parts)


def words_for(value, words):
    """One stored value as the text an auditor reads ("" for nothing)."""
    if words.shape is not None and value not in (None, "", [], {}):
        return words.shape(value)
    if words.choices and not isinstance(value, (list, dict)) and value not in (None, ""):
        return str(words.choices.get(value, value))
    return plain_words(value)


def plain_words(value):
    if value is None or value == "" or value == [] or value == {}:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return _moment_words(value)
    if isinstance(value, dict):
        return ";".join(f"{key}:{plain_words(item)}" for key, item in value.items() if plain_words(item))
    if isinstance(value, (list, tuple)):
        return "、".join(plain_words(item) for item in value)
    return str(value)


def _moment_words(text):
    """An ISO-8601 moment written by the aggregate, in Beijing time; any other text as it is."""
    if len(text) > 10 and text[4:5] == "-" and "T" in text:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return text
        if moment.tzinfo is not None:
            return beijing_text(moment, "%Y-%m-%d %H:%M:%S")
    return text


def _level(code):
    """A review level as the step it names: ``单位审核``, ``市人社局审核``."""
    return f"{st.LEVEL_LABELS[code]}审核" if code in st.LEVEL_LABELS else code or ""


def _opinions(opinions):
    return ";".join(f"{_level(item.get('level'))}:{item.get('opinion', '')}({_moment_words(item.get('at') or '')})"
                    for item in opinions)


def _return_notice(notice):
    sections = "、".join(st.SECTIONS.get(name, name) for name in notice.get("sections") or [])
    text = f"{_level(notice.get('level'))}退回:{notice.get('reason', '')}"
    return text + (f";需修改:{sections}" if sections else "")


def _period(period):
    return f"{period.get('start')} 至 {period.get('end')}"


# A review fee of 0 under the year's policy: recorded with payment's reference, no order, nothing paid.
FEE_WAIVED_WORDS = "本年度免收评审费(无缴费订单)"


def _fee(fee):
    if fee.get("order_id") == ZERO_FEE_REFERENCE:
        return FEE_WAIVED_WORDS
    return f"已缴 {int(fee.get('amount_fen') or 0) / 100:.2f} 元(订单 {fee.get('order_id')})"


def _committee(committee):
    return f"评委会 {committee.get('committee_id')} · 会议 {committee.get('meeting_id')}"


def _tally(tally):
    return (f"同意 {tally.get('agree')}、不同意 {tally.get('disagree')}、弃权 {tally.get('abstain')};"
            f"参加表决 {tally.get('voters')} 人,须 {tally.get('required')} 票同意")


def _objections(items):
    return f"{len(items)} 件(" + "、".join(items) + ")"


PROCESS = SectionWords("审核与评审", (
    FieldWords("status", "状态", st.STATUS_LABELS), FieldWords("opinions", "审核意见", shape=_opinions),
    FieldWords("return_notice", "退回修改通知", shape=_return_notice),
    FieldWords("unit_publicity", "单位内部公示", shape=_period), FieldWords("batch_id", "报送批次"),
    FieldWords("fee", "评审费", shape=_fee), FieldWords("committee", "评委会与会议", shape=_committee),
    FieldWords("tally", "表决结果", shape=_tally), FieldWords("publicity", "评审结果公示", shape=_period),
    FieldWords("open_objections", "待处理异议", shape=_objections), FieldWords("final_reason", "结论理由"),
    FieldWords("refund_due", "应退评审费"), FieldWords("certificate_number", "证书编号"),
))
