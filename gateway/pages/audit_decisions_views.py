"""Pure helpers of the "审核所见" page (what the reviewer saw): which of a dossier's events are decisions,
at which level, by whom, on which version of the dossier, and the materials that version held, each
with the version that attached it (and detached it, if one did since). No I/O.

A decision is recorded only on the version its maker saw (``expected_version``, services/dossier/
conflicts.py): the version just before the decision's own event is therefore exactly what they had in
front of them.
"""
import re

from shared.contracts import dossier as st

from .audit_views import timeline_rows

COMMITTEE = "committee"
LEVEL_WORDS = {st.UNIT: "单位审核", st.DISTRICT: "主管部门/区县人社局审核", st.CITY: "市人社局审核",
               COMMITTEE: "评审委员会评审"}
# The level of each decision whose event does not name it (a return or a rejection names its own).
EVENT_LEVELS = {"unit_approved": st.UNIT, "recommended": st.UNIT, "district_approved": st.DISTRICT,
                "city_approved": st.CITY, "passed": COMMITTEE, "failed": COMMITTEE}
# Reviewers' approvals, returns and rejections, the unit's batch recommendation and the committee's vote,
# as the contract's state machine names their events.
VOTE_EVENTS = tuple(row.event for row in st.TRANSITIONS if row.command == "record_vote_result")
DECISION_EVENTS = (*st.OPINION_EVENTS, st.recorded_event("recommend", st.UNIT_APPROVED), *VOTE_EVENTS)
# Event -> (the outcome in words, its kind for the badge).
OUTCOMES = {
    "unit_approved": ("审核通过", "approve"), "district_approved": ("审核通过", "approve"),
    "city_approved": ("审核通过", "approve"), "recommended": ("报送上级", "approve"),
    "returned": ("退回修改", "return"), "rejected": ("不予通过", "reject"),
    "passed": ("评审通过", "approve"), "failed": ("评审未通过", "reject"),
}
# The events that name the meeting a committee's vote is taken in.
MEETING_EVENTS = (st.recorded_event("send_to_committee", st.FEE_PAID), st.recorded_event("start_review", st.SENT_TO_COMMITTEE))
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def decision_rows(events, people, organisations):
    """Every decision on the dossier, oldest first: the timeline row of its event (who, when, why, in
    words) with its level, outcome, the version it was taken on (``seen_version``), the version the
    decision before it was taken on (``previous_seen``, None for the first) and, for a committee's
    vote, the meeting it was taken in."""
    rows, meeting, previous = [], None, None
    for event, row in zip(events, timeline_rows(events, people, organisations), strict=True):
        data = event.get("data") or {}
        if row["type"] in MEETING_EVENTS:
            meeting = data.get("meeting_id")
        if row["type"] not in DECISION_EVENTS:
            continue
        level = EVENT_LEVELS.get(row["type"]) or data.get("level")
        outcome, outcome_kind = OUTCOMES.get(row["type"], (row["label"], ""))
        seen = row["version"] - 1
        rows.append({**row, "level": level, "level_words": LEVEL_WORDS.get(level, st.LEVEL_LABELS.get(level, level or "")),
                     "outcome": outcome, "outcome_kind": outcome_kind, "seen_version": seen,
                     "previous_seen": previous, "committee": level == COMMITTEE,
                     "meeting_id": meeting if level == COMMITTEE else None,
                     "batch_id": data.get("batch_id") or ""})
        previous = seen
    return rows


def material_versions(events):
    """``{material_id: (version attached, version detached or None)}`` from the dossier's events."""
    found = {}
    for event in events:
        data = event.get("data") or {}
        if event.get("type") == "material_attached":
            found[data.get("material_id")] = (event.get("version"), None)
        elif event.get("type") == "material_detached" and data.get("material_id") in found:
            found[data["material_id"]] = (found[data["material_id"]][0], event.get("version"))
    return found


def materials_seen(state, events):
    """The materials *state* (the dossier at a version) held, each with ``attached_version`` and
    ``detached_version`` (a later detachment; None while it is still attached)."""
    versions, seen = material_versions(events), []
    for material in state.get("materials") or []:
        attached, detached = versions.get(material.get("material_id"), (None, None))
        seen.append({**material, "attached_version": attached, "detached_version": detached})
    return seen


def hash_arg(text):
    """A SHA-256 as typed in a file link (64 hexadecimal digits, either case), or ``(None, message)``."""
    digest = (text or "").strip().lower()
    if not SHA256_HEX.fullmatch(digest):
        return None, "文件的 SHA-256 应为 64 位十六进制数字"
    return digest, None


def stored_with_hash(events, digest):
    """The stored objects any version of the dossier attached with SHA-256 *digest*: ``[{object_key,
    filename, material_id}]``, one per object, oldest first (the same file may be attached twice)."""
    found = {}
    for event in events:
        data = event.get("data") or {}
        if event.get("type") == "material_attached" and data.get("sha256") == digest and data.get("object_key"):
            found.setdefault(data["object_key"], {name: data.get(name) for name in ("object_key", "filename", "material_id")})
    return list(found.values())
