"""Accounts: an applicant registers; a sysadmin disables, enables and unlocks accounts."""
from sqlalchemy import select

from shared.idempotency import remember
from shared.idnumbers import InvalidResidentId, parse_resident_id
from shared.roles import APPLICANT, AUDITOR, SYSADMIN

from ..domain import require_role
from ..exceptions import ActionNotAllowedError, InvalidInputError, StateConflictError
from ..tables import Account, RoleGrant, new_id
from .records import (
    ACTIVE, DISABLED, PENDING_ACCOUNT, account_by_id, acting_account, flush_or_duplicate, refuse_duplicates,
    username_keys,
)
from .views import account_view


class Accounts:
    """The accounts of people, and what a sysadmin does to them."""

    def __init__(self, database, hasher, password_policy, throttles, sessions, clock):
        self.database, self.hasher, self.password_policy = database, hasher, password_policy
        self.throttles, self.sessions, self.clock = throttles, sessions, clock

    def register(self, name, id_number, phone, password, source_address=None):
        """An applicant registers with real name, ID number, mobile phone and a password."""
        try:
            resident = parse_resident_id(id_number)
        except InvalidResidentId as invalid:
            raise InvalidInputError(invalid.message, {"id_number": [invalid.message]}) from None
        self.password_policy.check(password, "password", resident.number, resident.birth_date)
        # Hashing is slow: it runs before the transaction, so no row stays locked meanwhile.
        password_hash = self.hasher.hash(password)
        with self.database.transaction() as session:
            refuse_duplicates(session, id_number=resident.number, phone=phone)
            account = Account(
                id=new_id(), name=name, id_number=resident.number, gender=resident.gender,
                birth_date=resident.birth_date, phone=phone, password_hash=password_hash,
                created_at=self.clock(), password_changed_at=self.clock(),
            )
            session.add(account)
            session.add(RoleGrant(account_id=account.id, role=APPLICANT, granted_at=self.clock()))
            flush_or_duplicate(session)
            self.database.audit(session, "register", "success", account.id, source_address=source_address)
            remember(session.connection(), {"account_id": account.id})  # shared/idempotency.py
            return account_view(session, account)

    def find_by_id_number(self, actor, id_number):
        """``{found, account_id}``: the account registered with *id_number*, for an audit officer's search.
        The number never leaves identity in full; the lookup itself is recorded in the login audit."""
        with self.database.transaction() as session:
            acting_account(session, actor)
            require_role(actor, AUDITOR)
            try:
                number = parse_resident_id(id_number).number
            except InvalidResidentId as error:
                raise InvalidInputError(str(error), fields={"id_number": [str(error)]}) from None
            account_id = session.scalar(select(Account.id).where(Account.id_number == number))
            self.database.audit(session, "id_number_lookup", "found" if account_id else "not_found", account_id,
                                actor=actor)
            return {"found": account_id is not None, "account_id": account_id}

    def contacts(self, account_ids):
        with self.database.transaction() as session:
            found = session.scalars(select(Account).where(Account.id.in_(set(account_ids)), Account.status == ACTIVE))
            return [_contact(account) for account in found]

    def role_holders(self, role, org_id=None):
        with self.database.transaction() as session:
            grant = select(RoleGrant.account_id).where(RoleGrant.role == role)
            grant = grant.where(RoleGrant.org_id == org_id) if org_id else grant.where(RoleGrant.org_id.is_(None))
            found = session.scalars(select(Account).where(Account.id.in_(grant), Account.status == ACTIVE)
                                    .order_by(Account.created_at))
            return [_contact(account) for account in found]

    def get_account(self, account_id):
        with self.database.transaction() as session:
            return account_view(session, account_by_id(session, account_id))

    def disable_account(self, actor, account_id, reason=None):
        """A sysadmin disables an account; every sign-in of it ends."""
        with self.database.transaction() as session:
            acting_account(session, actor)
            require_role(actor, SYSADMIN)
            if account_id == actor.account_id:
                raise ActionNotAllowedError("不能停用自己的账号")
            account = account_by_id(session, account_id, lock=True)
            account.status, account.disabled_reason = DISABLED, reason
            self.sessions.end_all(session, account, self.clock(), "disabled")
            self.database.audit(session, "account_disabled", "success", account.id, actor=actor, reason=reason)
            return account_view(session, account)

    def enable_account(self, actor, account_id):
        with self.database.transaction() as session:
            acting_account(session, actor)
            require_role(actor, SYSADMIN)
            account = account_by_id(session, account_id, lock=True)
            if account.status == PENDING_ACCOUNT:
                # Only the city admin office's confirmation opens an account created for a review role.
                raise StateConflictError("该账号的授权申请尚待市人社局审核员确认，不能直接启用")
            account.status, account.disabled_reason = ACTIVE, None
            self.database.audit(session, "account_enabled", "success", account.id, actor=actor)
            return account_view(session, account)

    def unlock_account(self, actor, account_id):
        """A sysadmin clears the login back-off of every name of the account, from every address."""
        with self.database.transaction() as session:
            acting_account(session, actor)
            require_role(actor, SYSADMIN)
            account = account_by_id(session, account_id, lock=True)
            account.failed_logins, account.locked_until = 0, None
            self.database.audit(session, "account_unlocked", "success", account.id, actor=actor)
            usernames = username_keys(account)
            view = account_view(session, account)
        self.throttles.forget_login_failures(*usernames)
        return view


def _contact(account):
    return {"account_id": account.id, "name": account.name, "phone": account.phone, "status": account.status}
