"""Identity's use cases for administrator accounts and roles, with the second-person rule.

City and district admins appoint the roles below them directly. A sysadmin manages accounts but
holds no review powers (DOMAIN.md §1): when a sysadmin creates an account with a review role, or
grants one, it becomes a pending role request, and only a city admin other than the requester
confirms it (the new account stays ``pending`` and cannot log in until then). Every request,
confirmation, refusal and grant is written to the identity audit log.
"""
from sqlalchemy import select

from shared.idempotency import remember
from shared.roles import AUDITOR, CITY_ADMIN, SYSADMIN, Actor

from . import domain
from .exceptions import RoleRequestNotFound, StateConflict
from .models import Account, Membership, RoleGrant, RoleRequest, new_id

CREATE_ACCOUNT, GRANT = "create_account", "grant"
PENDING, CONFIRMED, REFUSED = "pending", "confirmed", "refused"


class RoleCases:
    """Mixed into Identity: needs ``_tx``, ``_audit``, ``_acting_account``, ``_account``, ``_tree``,
    ``_node``, ``_approved_unit``, ``_member_unit_ids``, ``_account_view`` and the hasher."""

    def create_admin_account(self, actor, login_name, name, password, role, org_id, phone=None,
                             work_unit_id=None):
        """Create an administrator, secretary or expert account (pending confirmation when a sysadmin
        asks for a review role)."""
        self._check_password(password, "password")
        password_hash = self.hasher.hash(password)
        with self._tx() as session:
            self._acting_account(session, actor)
            tree = self._tree(session)
            domain.check_can_grant(actor, role, self._node(tree, org_id), tree)
            if work_unit_id is not None:
                self._approved_unit(tree, work_unit_id, "work_unit_id")
                domain.check_separation_of_duties(role, org_id, [work_unit_id])
            self._refuse_duplicates(session, login_name=login_name, phone=phone)
            pending = domain.needs_second_person(actor, role)
            now = self.clock()
            account = Account(id=new_id(), name=name, login_name=login_name, phone=phone,
                              password_hash=password_hash, created_by=actor.account_id, created_at=now,
                              password_changed_at=now, status=PENDING if pending else "active")
            session.add(account)
            if work_unit_id is not None:
                session.add(Membership(account_id=account.id, unit_id=work_unit_id, status="confirmed",
                                       requested_at=now, decided_at=now, decided_by=actor.account_id))
            self._flush_or_duplicate(session)
            self._audit(session, "account_created", "success", account.id, actor=actor, role=role, org_id=org_id,
                        pending=pending or None)
            if pending:
                self._request_role(session, actor, CREATE_ACCOUNT, account.id, role, org_id)
            else:
                self._grant(session, actor, account.id, role, org_id)
            return self._account_view(session, account)

    def grant_role(self, actor, account_id, role, org_id):
        """Give an existing account an administrative role (a district admin appoints unit admins);
        a sysadmin's grant of a review role waits for the city admin office."""
        with self._tx() as session:
            self._acting_account(session, actor)
            account = self._account(session, account_id, lock=True)
            tree = self._tree(session)
            domain.check_can_grant(actor, role, self._node(tree, org_id), tree)
            domain.check_separation_of_duties(role, org_id, self._member_unit_ids(session, account.id))
            if not self._holds(session, account.id, role, org_id):
                if domain.needs_second_person(actor, role):
                    self._request_role(session, actor, GRANT, account.id, role, org_id)
                else:
                    self._grant(session, actor, account.id, role, org_id)
            session.flush()
            remember(session.connection(), {"account_id": account.id})  # a repeat asks no second person twice
            return self._account_view(session, account)

    def role_requests(self, actor, status=PENDING, limit=100):
        """Role requests for the city admin office to decide (sysadmins and auditors may read them)."""
        with self._tx() as session:
            self._acting_account(session, actor)
            domain.require_role(actor, CITY_ADMIN, SYSADMIN, AUDITOR)
            query = select(RoleRequest).order_by(RoleRequest.requested_at.desc()).limit(limit)
            if status != "all":
                query = query.where(RoleRequest.status == status)
            return [self._role_request_view(session, row) for row in session.scalars(query)]

    def confirm_role_request(self, actor, request_id):
        """A second person of the city admin office confirms: the role (and a new account) takes effect."""
        with self._tx() as session:
            self._acting_account(session, actor)
            request = self._pending_request(session, actor, request_id)
            account = self._account(session, request.account_id, lock=True)
            tree = self._tree(session)
            # The organisation and separation of duties are checked again: things may have changed.
            domain.check_can_grant(_as_requester(request), request.role, self._node(tree, request.org_id), tree)
            domain.check_separation_of_duties(request.role, request.org_id,
                                              self._member_unit_ids(session, account.id))
            self._decide_request(request, actor, CONFIRMED)
            if request.kind == CREATE_ACCOUNT and account.status == PENDING:
                account.status = "active"
            if not self._holds(session, account.id, request.role, request.org_id):
                self._grant(session, actor, account.id, request.role, request.org_id, request_id=request.id,
                            requested_by=request.requested_by)
            self._audit(session, "role_request_confirmed", "success", account.id, actor=actor,
                        request_id=request.id, role=request.role, org_id=request.org_id)
            return self._role_request_view(session, request)

    def refuse_role_request(self, actor, request_id, reason=None):
        """The city admin office refuses: nothing is granted; an account created for it stays unusable."""
        with self._tx() as session:
            self._acting_account(session, actor)
            request = self._pending_request(session, actor, request_id)
            self._decide_request(request, actor, REFUSED, reason)
            account = self._account(session, request.account_id, lock=True)
            if request.kind == CREATE_ACCOUNT and account.status == PENDING:
                account.status, account.disabled_reason = "disabled", "授权申请未获市人社局确认"
            self._audit(session, "role_request_refused", "success", account.id, actor=actor,
                        request_id=request.id, role=request.role, org_id=request.org_id, reason=reason)
            return self._role_request_view(session, request)

    # --- helpers -------------------------------------------------------------------------------

    def _request_role(self, session, actor, kind, account_id, role, org_id):
        request = RoleRequest(id=new_id(), kind=kind, account_id=account_id, role=role, org_id=org_id,
                              status=PENDING, requested_by=actor.account_id, requested_at=self.clock())
        session.add(request)
        session.flush()
        self._audit(session, "role_requested", "success", account_id, actor=actor, request_id=request.id,
                    kind=kind, role=role, org_id=org_id)
        return request

    def _grant(self, session, actor, account_id, role, org_id, **detail):
        session.add(RoleGrant(account_id=account_id, role=role, org_id=org_id, granted_by=actor.account_id,
                              granted_at=self.clock()))
        session.flush()
        self._audit(session, "role_granted", "success", account_id, actor=actor, role=role, org_id=org_id, **detail)

    @staticmethod
    def _holds(session, account_id, role, org_id):
        return session.scalar(select(RoleGrant.id).where(
            RoleGrant.account_id == account_id, RoleGrant.role == role, RoleGrant.org_id == org_id)) is not None

    def _pending_request(self, session, actor, request_id):
        request = session.get(RoleRequest, request_id, with_for_update=True)
        if request is None:
            raise RoleRequestNotFound("授权申请不存在")
        domain.check_can_decide_role_request(actor, request.requested_by, request.account_id)
        if request.status != PENDING:
            raise StateConflict("该授权申请已处理过")
        return request

    def _decide_request(self, request, actor, status, reason=None):
        request.status, request.decided_by, request.decided_at = status, actor.account_id, self.clock()
        request.reason = reason

    def _pending_role_requests(self, session, account_id):
        rows = session.scalars(select(RoleRequest).where(
            RoleRequest.account_id == account_id, RoleRequest.status == PENDING).order_by(RoleRequest.requested_at))
        return [self._role_request_view(session, row, with_account=False) for row in rows]

    def _role_request_view(self, session, request, with_account=True):
        view = {
            "id": request.id, "kind": request.kind, "account_id": request.account_id, "role": request.role,
            "role_label": domain.ROLE_LABELS[request.role], "org_id": request.org_id, "status": request.status,
            "requested_by": request.requested_by, "requested_at": request.requested_at,
            "decided_by": request.decided_by, "decided_at": request.decided_at, "reason": request.reason,
        }
        if with_account:
            account = session.get(Account, request.account_id)
            view["account_name"], view["login_name"] = account.name, account.login_name
        return view


def _as_requester(request):
    """The sysadmin who asked, as the actor whose rights the organisation checks are judged by."""
    return Actor(account_id=request.requested_by, role=SYSADMIN, org_id=None)
