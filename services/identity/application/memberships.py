"""Memberships: an applicant asks to join a unit, its unit admin confirms or rejects, either ends it.

A person belongs to at most one unit at a time (pending or confirmed), and a unit's admin never
joins it as an applicant (docs/domain-rules.md R1.11). A request is told to the bus
(``membership_requested``, shared/contracts/notification.py) once it committed, so the unit's admins
hear of it; a refusal tells nobody.
"""
from datetime import timezone

from sqlalchemy import select

from shared.contracts.identity import CONFIRMED, ENDED, PENDING, REJECTED
from shared.idempotency import remember
from shared.roles import APPLICANT, UNIT_ADMIN

from .. import domain
from ..domain import require_role
from ..exceptions import ActionNotAllowedError, OutOfScopeError, StateConflictError
from ..tables import Membership, Organisation, new_id
from .records import (
    ACTIVE_MEMBERSHIP, acting_account, admin_unit_ids, approved_unit, flush_or_duplicate, membership_by_id,
    org_tree,
)
from .views import membership_view


class Memberships:
    """Who works in which unit, as the unit's admin confirmed it."""

    def __init__(self, database, clock):
        self.database, self.clock = database, clock

    def request_membership(self, actor, unit_id, announce=None):
        """An applicant asks to join a unit; its unit admin then confirms or rejects.

        *announce(event)* gets the ``membership_requested`` payload after the commit: an event about a
        request that rolled back would ask the unit's admins to decide on nothing."""
        with self.database.transaction() as session:
            account = acting_account(session, actor)
            require_role(actor, APPLICANT)
            approved_unit(org_tree(session), unit_id, "unit_id")
            domain.check_may_join(unit_id, admin_unit_ids(session, account.id))
            current = session.execute(
                select(Membership, Organisation.name).join(Organisation, Membership.unit_id == Organisation.id)
                .where(Membership.account_id == account.id, Membership.status.in_(ACTIVE_MEMBERSHIP))
            ).first()
            if current is not None:
                raise StateConflictError(f"您已申请或已加入“{current[1]}”，如需更换单位请先退出")
            membership = Membership(id=new_id(), account_id=account.id, unit_id=unit_id, requested_at=self.clock())
            session.add(membership)
            flush_or_duplicate(session)
            self.database.audit(session, "membership_requested", "success", account.id, actor=actor, unit_id=unit_id)
            # A redelivered request answers this membership instead of "already asked" (shared/idempotency.py).
            remember(session.connection(), {"membership_id": membership.id})
            view = membership_view(session, membership)
            event = requested_event(membership, account, view["unit_name"])
        if announce is not None:
            announce(event)
        return view

    def membership(self, membership_id):
        """The membership as it stands (what a repeated request to join answers)."""
        with self.database.transaction() as session:
            return membership_view(session, membership_by_id(session, membership_id))

    def confirm_membership(self, actor, membership_id):
        with self.database.transaction() as session:
            acting_account(session, actor)
            membership = _pending_membership_of_my_unit(session, actor, membership_id)
            domain.check_may_join(membership.unit_id, admin_unit_ids(session, membership.account_id))
            self._decide(membership, CONFIRMED, actor)
            self.database.audit(session, "membership_confirmed", "success", membership.account_id, actor=actor,
                                unit_id=membership.unit_id)
            return membership_view(session, membership)

    def reject_membership(self, actor, membership_id, reason=None):
        with self.database.transaction() as session:
            acting_account(session, actor)
            membership = _pending_membership_of_my_unit(session, actor, membership_id)
            self._decide(membership, REJECTED, actor, reason)
            self.database.audit(session, "membership_rejected", "success", membership.account_id, actor=actor,
                                unit_id=membership.unit_id, reason=reason)
            return membership_view(session, membership)

    def end_membership(self, actor, membership_id):
        """The member leaves, or the unit admin removes them."""
        with self.database.transaction() as session:
            acting_account(session, actor)
            membership = membership_by_id(session, membership_id)
            own = actor.role == APPLICANT and membership.account_id == actor.account_id
            admin = actor.role == UNIT_ADMIN and membership.unit_id == actor.org_id
            if not (own or admin):
                raise ActionNotAllowedError("只有本人或该单位管理员可以解除单位关系")
            if membership.status not in ACTIVE_MEMBERSHIP:
                raise StateConflictError("该单位关系已结束")
            self._decide(membership, ENDED, actor)
            self.database.audit(session, "membership_ended", "success", membership.account_id, actor=actor,
                                unit_id=membership.unit_id)
            return membership_view(session, membership)

    def _decide(self, membership, status, actor, reason=None):
        membership.status, membership.decided_by, membership.decided_at = status, actor.account_id, self.clock()
        membership.reason = reason


def requested_event(membership, account, unit_name):
    """The ``membership_requested`` payload (MembershipRequestedEvent): the membership id is the event
    id, so however often it is told, the unit's admins get one message per request. No phone number:
    the notification service asks identity for the admins' contacts itself."""
    return {
        "event_id": membership.id, "membership_id": membership.id, "unit_id": membership.unit_id,
        "unit_name": unit_name, "account_id": account.id, "account_name": account.name,
        "occurred_at": membership.requested_at.astimezone(timezone.utc).isoformat(),
    }


def _pending_membership_of_my_unit(session, actor, membership_id):
    require_role(actor, UNIT_ADMIN)
    membership = membership_by_id(session, membership_id)
    if membership.unit_id != actor.org_id:
        raise OutOfScopeError("只能处理本单位的加入申请")
    if membership.status != PENDING:
        raise StateConflictError("该申请已处理过")
    return membership
