"""The review room (评审室), pure: who may read a meeting's dossiers, and what a recorded view names
(DOMAIN.md §6: the drawn experts read every section and material, read-only, from the assignment
until the vote closes; nobody else gains access through the meeting).

The room is open while the meeting is drawn or open, to the experts drawn into it who attend — or
to all of them while attendance is not recorded yet, since experts read before the meeting — and
never for a dossier they must recuse from. Each refusal names its reason; a dossier that is not in
the meeting is answered like any dossier one may not see (404), so ids cannot be probed.
"""
import re

from ..exceptions import (
    InvalidReviewCommandError, NotAVoterError, OutOfScopeError, RecusedError, ReviewNotAllowedError,
)
from .ballots import DRAWN, OPEN, PLANNED

ROOM_STATES = (DRAWN, OPEN)
DOSSIER_VIEW = "dossier"
MATERIAL_VIEW = "material:"
NOT_IN_MEETING = "申报材料不存在或无权查看"
# A material id as the evidence store names it (gateway/storage.py): letters, digits, dashes.
_MATERIAL_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def check_may_read(*, meeting_state, expert_id, drawn_ids, attending_ids, attendance_recorded, in_meeting,
                   recusal):
    """Raise the precise refusal, or return when the expert may read this dossier of the meeting now."""
    if expert_id not in drawn_ids:
        if meeting_state == PLANNED:
            raise NotAVoterError("本次评审会议尚未抽取专家,申报材料尚未开放查阅")
        raise NotAVoterError("您不是本次评审会议抽取的专家,不能查阅其申报材料")
    if meeting_state not in ROOM_STATES:
        raise ReviewNotAllowedError("评审会议已结束表决,申报材料不再开放查阅")
    if attendance_recorded and expert_id not in attending_ids:
        raise NotAVoterError("您未登记出席本次评审会议,不能查阅其申报材料")
    if not in_meeting:
        raise OutOfScopeError(NOT_IN_MEETING)
    if recusal:
        raise RecusedError(f"您须回避该申报材料({recusal}),不能查阅")


def material_view(material_id):
    """What a view of one material is recorded as."""
    return f"{MATERIAL_VIEW}{material_id}"


def check_what(what):
    """A view is of the dossier itself (``"dossier"``) or of one of its materials (``"material:<id>"``)."""
    if what == DOSSIER_VIEW:
        return what
    if isinstance(what, str) and what.startswith(MATERIAL_VIEW) and _MATERIAL_ID.fullmatch(what[len(MATERIAL_VIEW):]):
        return what
    raise InvalidReviewCommandError("查阅内容应为申报材料(dossier)或其中一份证明材料(material:<编号>)",
                                    fields={"what": ["应为 dossier 或 material:<编号>"]})


def material_of(what):
    """The material id a recorded view names, or None for a view of the dossier."""
    return what[len(MATERIAL_VIEW):] if what.startswith(MATERIAL_VIEW) else None
