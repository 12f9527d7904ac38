"""Who may see a dossier, whose turn it is, and which dossiers an administrator's work queue lists.

The one statement of these rules (docs/domain-rules.md R1.2–R1.8, R5.1): the dossier service, review's
work queues and the gateway all ask this module instead of writing the rule out again. Pure: no I/O.

*dossier* is any mapping with the summary fields these rules read — ``status``, ``applicant_id``,
``unit_id`` and ``district_id`` (the unit's district or competent department) — such as
``Dossier.to_dict()``, a summary row or a queue row. *actor* is anything with ``account_id``, ``role``
and ``org_id`` (``shared.roles.Actor``).
"""
from dataclasses import dataclass

from shared.roles import (
    APPLICANT, AUDITOR, CITY_ADMIN, COMMITTEE_SECRETARY, DISTRICT_ADMIN, SYSTEM, UNIT_ADMIN, Actor,
)

from . import dossier as st

# -- who may see a dossier -----------------------------------------------------------------------

# Roles that read every dossier of the city (R1.5, R1.8).
CITY_WIDE_READERS = (CITY_ADMIN, AUDITOR)
# The dossier field an administrator's organisation must match: their unit, or their district (R1.3, R1.4).
ORGANISATION_FIELD = {UNIT_ADMIN: "unit_id", DISTRICT_ADMIN: "district_id"}


def may_see(actor, dossier):
    """Whether *actor* may read *dossier*: its applicant, the admin of its unit or of its district, and
    the city admin and the auditor. Nobody else — not the committee office, experts or the sysadmin (R1.9)."""
    if actor.role == APPLICANT:
        return actor.account_id == dossier["applicant_id"]
    if actor.role in ORGANISATION_FIELD:
        return actor.org_id is not None and actor.org_id == dossier[ORGANISATION_FIELD[actor.role]]
    return actor.role in CITY_WIDE_READERS


def any_role_may_see(account_id, roles, dossier):
    """``may_see`` for a person holding several *roles* (``((role, org_id), ...)``): true if any one may."""
    return any(may_see(Actor(account_id=account_id, role=role, org_id=org_id), dossier) for role, org_id in roles)


# -- whose turn it is ----------------------------------------------------------------------------

# The role that decides at each review level (R1.3–R1.5, R5.4).
LEVEL_ROLES = {st.UNIT: UNIT_ADMIN, st.DISTRICT: DISTRICT_ADMIN, st.CITY: CITY_ADMIN}

# Who has the next step in each status (the "who acts next" column of the dossier's status table).
# The review levels' statuses come from DECISION_STATUSES; a status missing here waits for nobody.
NEXT_STEP_BY = {
    st.DRAFT: APPLICANT,
    st.RETURNED: APPLICANT,
    **{status: LEVEL_ROLES[level] for status, level in st.DECISION_STATUSES.items()},
    st.ACCEPTED: APPLICANT,  # pays the fee
    st.FEE_PAID: COMMITTEE_SECRETARY,  # sends it to a committee
    st.SENT_TO_COMMITTEE: COMMITTEE_SECRETARY,  # opens the meeting
    st.UNDER_REVIEW: COMMITTEE_SECRETARY,  # the experts vote; the office records the tally
    st.PASSED: CITY_ADMIN,  # publishes the result
    st.IN_PUBLICITY: CITY_ADMIN,  # handles objections, ends the publicity
    st.APPROVED: SYSTEM,  # the certificate is issued
}


def deciding_level(status):
    """The review level (``st.UNIT``, ``st.DISTRICT``, ``st.CITY``) whose reviewer decides in *status*, or None."""
    return st.DECISION_STATUSES.get(status)


def may_decide(actor, level, dossier):
    """Whether *actor* is a reviewer of *level* for *dossier*: the unit admin of its unit, the district
    admin of its district, or any city admin (separation of duties is the aggregate's own check)."""
    role = LEVEL_ROLES[level]
    if actor.role != role:
        return False
    field = ORGANISATION_FIELD.get(role)
    return field is None or (actor.org_id is not None and actor.org_id == dossier[field])


def decider(dossier):
    """``(role, org_id)`` of the reviewer whose turn it is to decide *dossier* in its current status,
    where *org_id* is the organisation the role must be held at (None: any); None when no review level
    decides in this status."""
    level = deciding_level(dossier["status"])
    if level is None:
        return None
    role = LEVEL_ROLES[level]
    field = ORGANISATION_FIELD.get(role)
    return role, (dossier[field] if field else None)


def whose_turn(status):
    """The role that has the next step in *status* (applicant, a reviewer, the committee office, the
    system), or None when the dossier waits for nobody (a final status, or a failed review)."""
    return NEXT_STEP_BY.get(status)


def awaiting(role):
    """The statuses in which *role* has the next step, in the order of ``st.ALL_STATUSES``."""
    return tuple(status for status in st.ALL_STATUSES if NEXT_STEP_BY.get(status) == role)


# -- work queues ---------------------------------------------------------------------------------

# Drafts belong to the applicant alone: no administrator's queue lists them (the applicant may still
# show theirs to their unit, which ``may_see`` allows).
HIDDEN_FROM_QUEUES = (st.DRAFT,)
QUEUE_STATUSES = tuple(status for status in st.ALL_STATUSES if status not in HIDDEN_FROM_QUEUES)
# The committee office's queue: the dossiers from payment to the vote's result (R1.6).
COMMITTEE_STAGE = (st.FEE_PAID, st.SENT_TO_COMMITTEE, st.UNDER_REVIEW, st.PASSED, st.FAILED)


@dataclass(frozen=True)
class WorkQueue:
    """A role's work queue: everything, or one unit, or one district, limited to some statuses."""

    role: str
    unit_id: str | None = None
    district_id: str | None = None
    statuses: tuple = QUEUE_STATUSES

    @property
    def everything(self):
        return self.unit_id is None and self.district_id is None

    @property
    def awaiting(self):
        """The statuses in which this queue's role has the next step ("awaiting me")."""
        return awaiting(self.role)

    def includes(self, dossier):
        """Whether *dossier* (a mapping with status, unit_id, district_id; None for none) is in this queue."""
        if dossier is None or dossier["status"] not in self.statuses:
            return False
        if self.unit_id is not None and dossier["unit_id"] != self.unit_id:
            return False
        if self.district_id is not None and dossier["district_id"] != self.district_id:
            return False
        return True


def work_queue(actor):
    """The work queue of *actor*, or None for a role without one (applicant, expert, sysadmin, an
    administrator whose organisation is unknown)."""
    if actor.role in CITY_WIDE_READERS:
        return WorkQueue(role=actor.role)
    if actor.role == COMMITTEE_SECRETARY:
        return WorkQueue(role=actor.role, statuses=COMMITTEE_STAGE)
    if actor.role == DISTRICT_ADMIN and actor.org_id:
        return WorkQueue(role=actor.role, district_id=actor.org_id)
    if actor.role == UNIT_ADMIN and actor.org_id:
        return WorkQueue(role=actor.role, unit_id=actor.org_id)
    return None
