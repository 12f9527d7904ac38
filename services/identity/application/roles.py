"""Administrator accounts and roles, with the second-person rule.

City and district admins appoint the roles below them directly. A sysadmin manages accounts but
holds no review powers (docs/domain-rules.md R1.9): when a sysadmin creates an account with a review
role, or grants one, it becomes a pending role request, and only a city admin other than the
requester confirms it (the new account stays ``pending`` and cannot log in until then). Every
request, confirmation, refusal and grant is written to the identity audit log.
"""
from sqlalchemy import select

from shared.contracts.identity import CONFIRMED, REFUSED
from shared.idempotency import remember
from shared.roles import AUDITOR, CITY_ADMIN, SYSADMIN, Actor

from .. import domain
from ..exceptions import RoleRequestNotFoundError, StateConflictError
from ..tables import Account, Membership, RoleGrant, RoleRequest, new_id
from .records import (
    ACTIVE, DISABLED, PENDING_ACCOUNT, account_by_id, acting_account, approved_unit, flush_or_duplicate,
    member_unit_ids, node_of, org_tree, refuse_duplicates,
)
from .views import PENDING_REQUEST, account_view, role_request_view

CREATE_ACCOUNT, GRANT = "create_account", "grant"


class Roles:
    """Who holds which administrative role where, and the requests a second person must confirm."""

    def __init__(self, database, hasher, password_policy, sessions, clock):
        self.database, self.hasher, self.password_policy = database, hasher, password_policy
        self.sessions, self.clock = sessions, clock

    def create_admin_account(self, actor, login_name, name, password, role, org_id, phone=None,
                             work_unit_id=None):
        """Create an administrator, secretary or expert account (pending confirmation when a sysadmin
        asks for a review role)."""
        self.password_policy.check(password, "password")
        password_hash = self.hasher.hash(password)
        with self.database.transaction() as session:
            acting_account(session, actor)
            tree = org_tree(session)
            domain.check_can_grant(actor, role, node_of(tree, org_id), tree)
            if work_unit_id is not None:
                approved_unit(tree, work_unit_id, "work_unit_id")
                domain.check_separation_of_duties(role, org_id, [work_unit_id])
            refuse_duplicates(session, login_name=login_name, phone=phone)
            pending = domain.needs_second_person(actor, role)
            now = self.clock()
            account = Account(id=new_id(), name=name, login_name=login_name, phone=phone,
                              password_hash=password_hash, created_by=actor.account_id, created_at=now,
                              password_changed_at=now, status=PENDING_ACCOUNT if pending else ACTIVE)
            session.add(account)
            if work_unit_id is not None:
                session.add(Membership(account_id=account.id, unit_id=work_unit_id, status=CONFIRMED,
                                       requested_at=now, decided_at=now, decided_by=actor.account_id))
            flush_or_duplicate(session)
            self.database.audit(session, "account_created", "success", account.id, actor=actor, role=role,
                                org_id=org_id, pending=pending or None)
            if pending:
                self._request_role(session, actor, CREATE_ACCOUNT, account.id, role, org_id)
            else:
                self._grant(session, actor, account.id, role, org_id)
            return account_view(session, account)

    def grant_role(self, actor, account_id, role, org_id):
        """Give an existing account an administrative role (a district admin appoints unit admins);
        a sysadmin's grant of a review role waits for the city admin office."""
        with self.database.transaction() as session:
            acting_account(session, actor)
            account = account_by_id(session, account_id, lock=True)
            tree = org_tree(session)
            domain.check_can_grant(actor, role, node_of(tree, org_id), tree)
            domain.check_separation_of_duties(role, org_id, member_unit_ids(session, account.id))
            if not _holds(session, account.id, role, org_id):
                if domain.needs_second_person(actor, role):
                    self._request_role(session, actor, GRANT, account.id, role, org_id)
                else:
                    self._grant(session, actor, account.id, role, org_id)
            session.flush()
            remember(session.connection(), {"account_id": account.id})  # a repeat asks no second person twice
            return account_view(session, account)

    def revoke_role(self, actor, account_id, role, org_id):
        """Take an administrative role away; tokens that still name it stop working."""
        with self.database.transaction() as session:
            acting_account(session, actor)
            account = account_by_id(session, account_id, lock=True)
            tree = org_tree(session)
            domain.check_can_grant(actor, role, node_of(tree, org_id), tree)
            grant = session.scalar(select(RoleGrant).where(
                RoleGrant.account_id == account.id, RoleGrant.role == role, RoleGrant.org_id == org_id))
            if grant is not None:
                session.delete(grant)
                self.sessions.make_tokens_stale(session, account)
                self.database.audit(session, "role_revoked", "success", account.id, actor=actor, role=role,
                                    org_id=org_id)
            session.flush()
            return account_view(session, account)

    def role_requests(self, actor, status=PENDING_REQUEST, limit=100):
        """Role requests for the city admin office to decide (sysadmins and auditors may read them)."""
        with self.database.transaction() as session:
            acting_account(session, actor)
            domain.require_role(actor, CITY_ADMIN, SYSADMIN, AUDITOR)
            query = select(RoleRequest).order_by(RoleRequest.requested_at.desc()).limit(limit)
            if status != "all":
                query = query.where(RoleRequest.status == status)
            return [role_request_view(session, row) for row in session.scalars(query)]

    def confirm_role_request(self, actor, request_id):
        """A second person of the city admin office confirms: the role (and a new account) takes effect."""
        with self.database.transaction() as session:
            acting_account(session, actor)
            request = _pending_request(session, actor, request_id)
            account = account_by_id(session, request.account_id, lock=True)
            tree = org_tree(session)
            # The organisation and separation of duties are checked again: things may have changed.
            domain.check_can_grant(_as_requester(request), request.role, node_of(tree, request.org_id), tree)
            domain.check_separation_of_duties(request.role, request.org_id, member_unit_ids(session, account.id))
            self._decide(request, actor, CONFIRMED)
            if request.kind == CREATE_ACCOUNT and account.status == PENDING_ACCOUNT:
                account.status = ACTIVE
            if not _holds(session, account.id, request.role, request.org_id):
                self._grant(session, actor, account.id, request.role, request.org_id, request_id=request.id,
                            requested_by=request.requested_by)
            self.database.audit(session, "role_request_confirmed", "success", account.id, actor=actor,
                                request_id=request.id, role=request.role, org_id=request.org_id)
            return role_request_view(session, request)

    def refuse_role_request(self, actor, request_id, reason=None):
        """The city admin office refuses: nothing is granted; an account created for it stays unusable."""
        with self.database.transaction() as session:
            acting_account(session, actor)
            request = _pending_request(session, actor, request_id)
            self._decide(request, actor, REFUSED, reason)
            account = account_by_id(session, request.account_id, lock=True)
            if request.kind == CREATE_ACCOUNT and account.status == PENDING_ACCOUNT:
                account.status, account.disabled_reason = DISABLED, "授权申请未获市人社局确认"
            self.database.audit(session, "role_request_refused", "success", account.id, actor=actor,
                                request_id=request.id, role=request.role, org_id=request.org_id, reason=reason)
            return role_request_view(session, request)

    def _request_role(self, session, actor, kind, account_id, role, org_id):
        request = RoleRequest(id=new_id(), kind=kind, account_id=account_id, role=role, org_id=org_id,
                              status=PENDING_REQUEST, requested_by=actor.account_id, requested_at=self.clock())
        session.add(request)
        session.flush()
        self.database.audit(session, "role_requested", "success", account_id, actor=actor, request_id=request.id,
                            kind=kind, role=role, org_id=org_id)
        return request

    def _grant(self, session, actor, account_id, role, org_id, **detail):
        session.add(RoleGrant(account_id=account_id, role=role, org_id=org_id, granted_by=actor.account_id,
                              granted_at=self.clock()))
        session.flush()
        self.database.audit(session, "role_granted", "success", account_id, actor=actor, role=role, org_id=org_id,
                            **detail)

    def _decide(self, request, actor, status, reason=None):
        request.status, request.decided_by, request.decided_at = status, actor.account_id, self.clock()
        request.reason = reason


def _holds(session, account_id, role, org_id):
    return session.scalar(select(RoleGrant.id).where(
        RoleGrant.account_id == account_id, RoleGrant.role == role, RoleGrant.org_id == org_id)) is not None


def _pending_request(session, actor, request_id):
    request = session.get(RoleRequest, request_id, with_for_update=True)
    if request is None:
        raise RoleRequestNotFoundError("授权申请不存在")
    domain.check_can_decide_role_request(actor, request.requested_by, request.account_id)
    if request.status != PENDING_REQUEST:
        raise StateConflictError("该授权申请已处理过")
    return request


def _as_requester(request):
    """The sysadmin who asked, as the actor whose rights the organisation checks are judged by."""
    return Actor(account_id=request.requested_by, role=SYSADMIN, org_id=None)
