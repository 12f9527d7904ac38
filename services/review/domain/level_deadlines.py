"""The notice's per-level deadlines (docs/domain-rules.md R5.10), pure.

A dossier waits at a level while it is in that level's decision statuses
(``shared.contracts.dossier.DECISION_STATUSES``: 待单位审核 and 单位审核通过 at the unit, 已报送 at the
主管部门, 主管部门审核通过 at the city). Once that level's deadline has passed (compared as instants; the
deadline is written in Beijing time) the level can no longer send a dossier on, nor return one: a
returned dossier comes back to the unit, whose deadline is never later (the notice orders them), so it
could never go up again. Rejecting stays possible: it closes the dossier and sends nothing on. What
happens to dossiers left at the level is the year's ``after_level_deadline`` setting.
"""
from shared.clock import BEIJING
from shared.contracts import dossier as st

LEVEL_NAMES = {st.UNIT: "单位审核", st.DISTRICT: "主管部门审核", st.CITY: "市人社局审核"}
FORWARDING = {st.UNIT: "不能再推荐上报", st.DISTRICT: "不能再审核通过报送市人社局", st.CITY: "不能再审核通过"}
EXTENSION_HINT = "如需延期,请市人社局修改本年度评审通知中的审核截止时间"
# The statuses a dossier waits in at each level.
STATUSES_AT = {level: tuple(status for status, at in st.DECISION_STATUSES.items() if at == level)
               for level in LEVEL_NAMES}


def level_of(status):
    """The review level a dossier in *status* waits at, or None when it waits at none."""
    return st.DECISION_STATUSES.get(status)


def deadline_text(moment):
    """``2027年3月1日 17:00`` (Beijing time)."""
    local = moment.astimezone(BEIJING)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def passed(now, deadline):
    return deadline is not None and now > deadline


def forward_refusal(level, deadline):
    """Why *level* may not send a dossier on after *deadline*."""
    return f"{LEVEL_NAMES[level]}已于 {deadline_text(deadline)} 截止,{FORWARDING[level]};{EXTENSION_HINT}"


def return_refusal(level, deadline):
    return (f"{LEVEL_NAMES[level]}已于 {deadline_text(deadline)} 截止,退回修改后申报材料无法再逐级上报,"
            f"不能再退回;申报材料不符合要求的,请作出不予通过决定。{EXTENSION_HINT}")


def abandon_reason(level, deadline):
    return f"{LEVEL_NAMES[level]}已于 {deadline_text(deadline)}(北京时间)截止,申报材料仍停留在{LEVEL_NAMES[level]}环节,视为放弃"
