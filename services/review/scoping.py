"""Which dossiers an administrator may see, pure: the scope of a role (DESIGN.md, DOMAIN.md §1).

A unit admin sees their unit, a district admin the units under their organisation (dossiers carry
their ``district_id``), the city admin and the auditor the whole city, and the committee office the
dossiers at the committee stage. Drafts belong to the applicant alone and appear in no queue.
"""
from dataclasses import dataclass

from shared.contracts import dossier as st
from shared.roles import AUDITOR, CITY_ADMIN, COMMITTEE_SECRETARY, DISTRICT_ADMIN, ROLE_LABELS, UNIT_ADMIN

from .exceptions import ReviewNotAllowedError

HIDDEN_STATUSES = (st.DRAFT,)
VISIBLE_STATUSES = tuple(status for status in st.ALL_STATUSES if status not in HIDDEN_STATUSES)
COMMITTEE_STAGE = (st.FEE_PAID, st.SENT_TO_COMMITTEE, st.UNDER_REVIEW, st.PASSED, st.FAILED)

# The statuses in which each role has the next step ("awaiting them").
AWAITING = {
    UNIT_ADMIN: (st.SUBMITTED, st.UNIT_APPROVED),
    DISTRICT_ADMIN: (st.RECOMMENDED,),
    CITY_ADMIN: (st.DISTRICT_APPROVED, st.PASSED, st.IN_PUBLICITY),
    COMMITTEE_SECRETARY: (st.FEE_PAID, st.SENT_TO_COMMITTEE, st.UNDER_REVIEW),
    AUDITOR: (),
}


@dataclass(frozen=True)
class QueueScope:
    """A role's view of the dossiers: everything, or one unit, or one district, limited to some statuses."""

    role: str
    unit_id: str | None = None
    district_id: str | None = None
    statuses: tuple = VISIBLE_STATUSES

    @property
    def everything(self):
        return self.unit_id is None and self.district_id is None

    def includes(self, row):
        """Whether a queue row (a mapping with unit_id, district_id, status) lies in this scope."""
        if row is None or row["status"] not in self.statuses:
            return False
        if self.unit_id is not None and row["unit_id"] != self.unit_id:
            return False
        if self.district_id is not None and row["district_id"] != self.district_id:
            return False
        return True

    @property
    def awaiting(self):
        return AWAITING.get(self.role, ())

    @property
    def grouping(self):
        """How progress is broken down: by district for the city, by unit below it."""
        return "district" if self.everything else "unit"


def scope_of(actor):
    """The queue scope of *actor*; refuses roles that have no work queue."""
    if actor.role in (CITY_ADMIN, AUDITOR):
        return QueueScope(role=actor.role)
    if actor.role == COMMITTEE_SECRETARY:
        return QueueScope(role=actor.role, statuses=COMMITTEE_STAGE)
    if actor.role == DISTRICT_ADMIN and actor.org_id:
        return QueueScope(role=actor.role, district_id=actor.org_id)
    if actor.role == UNIT_ADMIN and actor.org_id:
        return QueueScope(role=actor.role, unit_id=actor.org_id)
    raise ReviewNotAllowedError(f"「{ROLE_LABELS.get(actor.role, actor.role)}」没有审核工作队列")


def require_role(actor, *roles, action="此操作"):
    """Raise ReviewNotAllowedError unless *actor* acts in one of *roles*."""
    if actor.role not in roles:
        labels = "、".join(ROLE_LABELS[role] for role in roles)
        raise ReviewNotAllowedError(f"{action}只能由{labels}办理(当前身份:{ROLE_LABELS.get(actor.role, actor.role)})")
