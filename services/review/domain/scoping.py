"""Which dossiers an administrator's work queue holds, and who may take a review step, pure
(docs/domain-rules.md R1.3, R1.4, R1.5, R1.6, R1.8).

The rule itself — a unit admin's unit, a district admin's units, the whole city for the city admin and
the auditor, the committee stage for the committee office, never a draft — is the platform's one
statement of it, ``shared.contracts.dossier_access``; review only refuses the roles that have no queue.
"""
from shared.contracts.dossier_access import COMMITTEE_STAGE, QUEUE_STATUSES, WorkQueue, work_queue  # noqa: F401
from shared.roles import ROLE_LABELS

from ..exceptions import ReviewNotAllowedError


def scope_of(actor) -> WorkQueue:
    """The work queue of *actor*; refuses roles that have none."""
    queue = work_queue(actor)
    if queue is None:
        raise ReviewNotAllowedError(f"「{ROLE_LABELS.get(actor.role, actor.role)}」没有审核工作队列")
    return queue


def grouping(scope: WorkQueue):
    """How progress is broken down: by district for the city, by unit below it."""
    return "district" if scope.everything else "unit"


def require_role(actor, *roles, action="此操作"):
    """Raise ReviewNotAllowedError unless *actor* acts in one of *roles*."""
    if actor.role not in roles:
        labels = "、".join(ROLE_LABELS[role] for role in roles)
        raise ReviewNotAllowedError(f"{action}只能由{labels}办理(当前身份:{ROLE_LABELS.get(actor.role, actor.role)})")
