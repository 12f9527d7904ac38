"""Identity's records as every use case reads them: the database with its audit log, lookups that
raise the named not-found errors, and the duplicate checks on the unique columns."""
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError

from shared.contracts.identity import ACTIVE, CONFIRMED, DISABLED, PENDING  # noqa: F401 (named for the use cases)
from shared.roles import SYSTEM, UNIT_ADMIN

from ..domain import APPROVED, UNIT, OrgNode, OrgTree
from ..exceptions import (
    AccountDisabledError, AccountNotFoundError, ActionNotAllowedError, DuplicateCreditCodeError,
    DuplicateIdNumberError, DuplicateLoginNameError, DuplicatePhoneError, MembershipNotFoundError,
    OrganisationNotFoundError, StateConflictError, UnsuitableOrganisationError,
)
from ..tables import Account, AuditEntry, Membership, Organisation, RoleGrant

PENDING_ACCOUNT = PENDING
# A person has at most one membership in these statuses at a time.
ACTIVE_MEMBERSHIP = (PENDING, CONFIRMED)


class Database:
    """Identity's database: one transaction per use case, and the audit trail written inside it.

    When a refusal must still leave a trace (a failed login, a wrong reset code), the use case
    commits first and raises after.
    """

    def __init__(self, session_factory, clock):
        self.session_factory, self.clock = session_factory, clock

    @property
    def engine(self):
        return self.session_factory.kw["bind"]

    def transaction(self):
        return self.session_factory.begin()

    def audit(self, session, action, outcome, account_id, actor=None, source_address=None, **detail):
        session.add(AuditEntry(
            at=self.clock(), action=action, outcome=outcome, account_id=account_id,
            actor_id=actor.account_id if actor is not None else None,
            source_address=(source_address or None) and str(source_address)[:64],
            detail={key: value for key, value in detail.items() if value is not None},
        ))


def after_commit(session, action):
    """Run *action* once *session* commits: only a committed end of a session may reach the shared
    revocation list, and it must before the caller gets an answer."""
    event.listen(session, "after_commit", lambda _session: action(), once=True)


# --- lookups -------------------------------------------------------------------------------------

def acting_account(session, actor):
    """The actor's account, after checking it is active and really holds the claimed role."""
    if actor.role == SYSTEM:
        return None
    account = session.get(Account, actor.account_id)
    if account is None or account.status != ACTIVE:
        raise AccountDisabledError("操作人账号不存在或已停用")
    held = session.scalar(select(RoleGrant.id).where(
        RoleGrant.account_id == account.id, RoleGrant.role == actor.role,
        RoleGrant.org_id.is_(None) if actor.org_id is None else RoleGrant.org_id == actor.org_id,
    ))
    if held is None:
        raise ActionNotAllowedError(f"您的账号没有以“{actor.role_label}”身份在该机构办理的权限")
    return account


def account_by_id(session, account_id, lock=False):
    account = session.get(Account, account_id, with_for_update=lock)
    if account is None:
        raise AccountNotFoundError("账号不存在")
    return account


def org_by_id(session, org_id, lock=False):
    org = session.get(Organisation, org_id, with_for_update=lock)
    if org is None:
        raise OrganisationNotFoundError("机构不存在")
    return org


def membership_by_id(session, membership_id):
    membership = session.get(Membership, membership_id, with_for_update=True)
    if membership is None:
        raise MembershipNotFoundError("加入单位的申请不存在")
    return membership


def org_tree(session):
    rows = session.execute(select(Organisation.id, Organisation.parent_id, Organisation.kind, Organisation.status))
    return OrgTree([OrgNode(*row) for row in rows])


def as_node(org):
    return OrgNode(org.id, org.parent_id, org.kind, org.status)


def node_of(tree, org_id):
    node = tree.get(org_id)
    if node is None:
        raise OrganisationNotFoundError("机构不存在")
    return node


def approved_unit(tree, unit_id, field_name):
    node = node_of(tree, unit_id)
    if node.kind != UNIT or node.status != APPROVED:
        raise UnsuitableOrganisationError("所选机构不是已审核通过的用人单位", {field_name: ["请选择已审核通过的用人单位"]})
    return node


def member_unit_ids(session, account_id):
    """The units the account has asked to join or joined (pending or confirmed)."""
    return session.scalars(select(Membership.unit_id).where(
        Membership.account_id == account_id, Membership.status.in_(ACTIVE_MEMBERSHIP))).all()


def admin_unit_ids(session, account_id):
    return session.scalars(select(RoleGrant.org_id).where(
        RoleGrant.account_id == account_id, RoleGrant.role == UNIT_ADMIN)).all()


def username_keys(account):
    """The throttle keys of every name the account logs in with."""
    return [f"{column}:{value}" for column, value in (("id_number", account.id_number), ("phone", account.phone),
                                                      ("login_name", account.login_name)) if value]


# --- duplicates ----------------------------------------------------------------------------------

TAKEN_ID_NUMBER = "该身份证号码已注册，请直接登录或找回密码"
TAKEN_PHONE = "该手机号码已注册，请直接登录或更换手机号"
TAKEN_LOGIN_NAME = "该登录名已被使用"
# The unique constraints (models.py), each as the error and field a person is told about.
UNIQUE_CONSTRAINTS = {
    "uq_accounts_id_number": (DuplicateIdNumberError, "id_number", TAKEN_ID_NUMBER),
    "uq_accounts_phone": (DuplicatePhoneError, "phone", TAKEN_PHONE),
    "uq_accounts_login_name": (DuplicateLoginNameError, "login_name", TAKEN_LOGIN_NAME),
    "uq_organisations_code": (DuplicateCreditCodeError, "credit_code", "该代码已被其他机构登记"),
    "uq_organisations_parent_name": (StateConflictError, "name", "同一上级机构下已有同名机构"),
    "uq_memberships_one_active": (StateConflictError, "unit_id", "您已申请或已加入一个单位，如需更换单位请先退出"),
}


def refuse_duplicates(session, id_number=None, phone=None, login_name=None):
    checks = [
        (Account.id_number, id_number, DuplicateIdNumberError, "id_number", TAKEN_ID_NUMBER),
        (Account.phone, phone, DuplicatePhoneError, "phone", TAKEN_PHONE),
        (Account.login_name, login_name, DuplicateLoginNameError, "login_name", TAKEN_LOGIN_NAME),
    ]
    found = [(error, field_name, message) for column, value, error, field_name, message in checks
             if value and session.scalar(select(Account.id).where(column == value)) is not None]
    if found:
        # Every taken field is named at once, so the person fixes them in one go.
        error, _, message = found[0]
        raise error(message, {field_name: [text] for _, field_name, text in found})


def flush_or_duplicate(session):
    """Flush, turning a lost race on a unique column into the same clear error as the pre-check."""
    try:
        session.flush()
    except IntegrityError as error:
        constraint = getattr(getattr(error.orig, "diag", None), "constraint_name", "") or ""
        error_class, field_name, message = UNIQUE_CONSTRAINTS.get(
            constraint, (StateConflictError, "_schema", "数据已被修改，请刷新后重试"))
        raise error_class(message, {field_name: [message]}) from None
