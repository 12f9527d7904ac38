"""Identity's use cases over its database: plain Python, usable with or without nameko.

Each public method is one use case in one transaction (sometimes two: slow password hashing never
runs while a row is locked). Methods return plain dicts that the service dumps with schemas.
When a refusal must still leave a trace (a failed login, a wrong reset code), the transaction
commits first and the error is raised after it. Sign-in, tokens and passwords live in
sign_in_cases.py, administrator accounts and role requests in role_cases.py.
"""
from dataclasses import dataclass, field

from sqlalchemy import or_, select, text
from sqlalchemy.exc import IntegrityError

from shared.clock import utc_now
from shared.idempotency import remember
from shared.idnumbers import InvalidResidentId, check_credit_code, mask_resident_id, parse_resident_id
from shared.roles import APPLICANT, AUDITOR, CITY_ADMIN, ROLE_LABELS, SYSADMIN, SYSTEM, UNIT_ADMIN

from . import domain
from .counters import MemoryCounters
from .domain import APPROVED, ORG_KIND_LABELS, PENDING, REJECTED, UNIT, OrgNode, OrgTree
from .domain import PasswordPolicy, ResetCodePolicy, local_date, require_role
from .exceptions import (
    AccountDisabled, AccountNotFound, ActionNotAllowed, CreditCodeNeedsConfirmation, DuplicateCreditCode,
    DuplicateIdNumber, DuplicateLoginName, DuplicatePhone, InvalidInput, MembershipNotFound,
    OrganisationNotFound, StateConflict, UnsuitableOrganisation, WeakPassword, OutOfScope,
)
from .models import Account, AuditEntry, Membership, Organisation, OutboxMessage, RoleGrant, Sanction, new_id
from .role_cases import RoleCases
from .sign_in_cases import PENDING_ACCOUNT, SignInCases, username_keys
from .throttles import BackOff, ThrottlePolicy, Throttles

ACTIVE, DISABLED = "active", "disabled"
ACTIVE_MEMBERSHIP = ("pending", "confirmed")


@dataclass(frozen=True)
class Settings:
    """Identity's policy settings (config.yaml), with the defaults of the issue."""

    password_policy: PasswordPolicy = field(default_factory=PasswordPolicy)
    throttles: ThrottlePolicy = field(default_factory=ThrottlePolicy)
    reset_codes: ResetCodePolicy = field(default_factory=ResetCodePolicy)
    refresh_ttl_seconds: int = 7 * 24 * 3600
    sanction_years: int = 3
    reset_code_pepper: str = ""
    expose_outbox: bool = False

    @classmethod
    def from_config(cls, config):
        codes = config.get("RESET_CODES") or {}
        passwords = config.get("PASSWORDS") or {}
        return cls(
            password_policy=PasswordPolicy(min_length=int(passwords.get("MIN_LENGTH") or 8)),
            throttles=throttle_policy(config.get("THROTTLES") or {}),
            reset_codes=ResetCodePolicy(
                ttl_minutes=int(codes.get("TTL_MINUTES") or 10),
                max_attempts=int(codes.get("MAX_ATTEMPTS") or 5),
                resend_seconds=int(codes.get("RESEND_SECONDS") if codes.get("RESEND_SECONDS") is not None else 60),
            ),
            refresh_ttl_seconds=int((config.get("TOKENS") or {}).get("REFRESH_TTL_SECONDS") or 7 * 24 * 3600),
            sanction_years=int((config.get("SANCTIONS") or {}).get("FRAUD_YEARS") or 3),
            reset_code_pepper=str(codes.get("PEPPER") or ""),
            expose_outbox=bool((config.get("SMS") or {}).get("EXPOSE_OUTBOX")),
        )


def throttle_policy(section):
    """The ``THROTTLES`` config section as a ThrottlePolicy (defaults for what is missing)."""
    defaults = ThrottlePolicy()

    def backoff(prefix, default):
        return BackOff(
            free=int(section.get(f"{prefix}_FREE_FAILURES") or default.free),
            base_seconds=int(section.get(f"{prefix}_BASE_SECONDS") or default.base_seconds),
            cap_seconds=int(section.get(f"{prefix}_MAX_SECONDS") or default.cap_seconds),
            memory_seconds=int(section.get(f"{prefix}_MEMORY_SECONDS") or default.memory_seconds),
        )

    return ThrottlePolicy(
        address=backoff("ADDRESS", defaults.address), pair=backoff("ACCOUNT_ADDRESS", defaults.pair),
        reset_codes=backoff("RESET_CODE_ADDRESS", defaults.reset_codes),
        reset_requests_per_address_hour=int(section.get("RESET_REQUESTS_PER_ADDRESS_HOUR")
                                            or defaults.reset_requests_per_address_hour),
    )


def mask_phone(phone):
    return f"{phone[:3]}****{phone[-4:]}" if phone else None


class Identity(SignInCases, RoleCases):
    """Accounts, credentials, organisations, roles and sanctions of the platform.

    *counters* hold the throttles' counts (Redis in production, memory by default); *revocations*
    is the shared list of ended sessions (None: only the database knows, see shared/revocations.py).
    """

    def __init__(self, session_factory, settings, hasher, signer, verifier, sender, clock=utc_now,
                 counters=None, revocations=None):
        self.session_factory = session_factory
        self.settings = settings
        self.hasher = hasher
        self.signer = signer
        self.verifier = verifier
        self.sender = sender
        self.clock = clock
        self.throttles = Throttles(settings.throttles, counters or MemoryCounters(), clock)
        self.revocations = revocations

    # --- registration and login ------------------------------------------------------------------

    def register(self, name, id_number, phone, password, source_address=None):
        """An applicant registers with real name, ID number, mobile phone and a password."""
        try:
            resident = parse_resident_id(id_number)
        except InvalidResidentId as invalid:
            raise InvalidInput(invalid.message, {"id_number": [invalid.message]}) from None
        self._check_password(password, "password", resident.number, resident.birth_date)
        password_hash = self.hasher.hash(password)
        with self._tx() as session:
            self._refuse_duplicates(session, id_number=resident.number, phone=phone)
            account = Account(
                id=new_id(), name=name, id_number=resident.number, gender=resident.gender,
                birth_date=resident.birth_date, phone=phone, password_hash=password_hash,
                created_at=self.clock(), password_changed_at=self.clock(),
            )
            session.add(account)
            session.add(RoleGrant(account_id=account.id, role=APPLICANT, granted_at=self.clock()))
            self._flush_or_duplicate(session)
            self._audit(session, "register", "success", account.id, source_address=source_address)
            remember(session.connection(), {"account_id": account.id})  # shared/idempotency.py
            return self._account_view(session, account)

    # --- accounts --------------------------------------------------------------------------------

    def get_account(self, account_id):
        with self._tx() as session:
            return self._account_view(session, self._account(session, account_id))

    def revoke_role(self, actor, account_id, role, org_id):
        """Take an administrative role away; tokens that still name it stop working."""
        with self._tx() as session:
            self._acting_account(session, actor)
            account = self._account(session, account_id, lock=True)
            tree = self._tree(session)
            domain.check_can_grant(actor, role, self._node(tree, org_id), tree)
            grant = session.scalar(select(RoleGrant).where(
                RoleGrant.account_id == account.id, RoleGrant.role == role, RoleGrant.org_id == org_id))
            if grant is not None:
                session.delete(grant)
                self._make_tokens_stale(session, account)
                self._audit(session, "role_revoked", "success", account.id, actor=actor, role=role, org_id=org_id)
            session.flush()
            return self._account_view(session, account)

    def disable_account(self, actor, account_id, reason=None):
        with self._tx() as session:
            self._acting_account(session, actor)
            require_role(actor, SYSADMIN)
            if account_id == actor.account_id:
                raise ActionNotAllowed("不能停用自己的账号")
            account = self._account(session, account_id, lock=True)
            account.status, account.disabled_reason = DISABLED, reason
            self._end_all_sessions(session, account, self.clock(), "disabled")
            self._audit(session, "account_disabled", "success", account.id, actor=actor, reason=reason)
            return self._account_view(session, account)

    def enable_account(self, actor, account_id):
        with self._tx() as session:
            self._acting_account(session, actor)
            require_role(actor, SYSADMIN)
            account = self._account(session, account_id, lock=True)
            if account.status == PENDING_ACCOUNT:
                # Only the city admin office's confirmation opens an account created for a review role.
                raise StateConflict("该账号的授权申请尚待市人社局审核员确认，不能直接启用")
            account.status, account.disabled_reason = ACTIVE, None
            self._audit(session, "account_enabled", "success", account.id, actor=actor)
            return self._account_view(session, account)

    def unlock_account(self, actor, account_id):
        """A sysadmin clears the login back-off of every name of the account, from every address."""
        with self._tx() as session:
            self._acting_account(session, actor)
            require_role(actor, SYSADMIN)
            account = self._account(session, account_id, lock=True)
            account.failed_logins, account.locked_until = 0, None
            self._audit(session, "account_unlocked", "success", account.id, actor=actor)
            usernames = username_keys(account)
            view = self._account_view(session, account)
        self.throttles.forget_login_failures(*usernames)
        return view

    # --- organisations ---------------------------------------------------------------------------

    def list_orgs(self, kind=None, q=None, parent_id=None, status=APPROVED):
        query = select(Organisation)
        if kind:
            query = query.where(Organisation.kind == kind)
        if parent_id:
            query = query.where(Organisation.parent_id == parent_id)
        if status != "all":
            query = query.where(Organisation.status == status)
        if q:
            pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            query = query.where(or_(Organisation.name.ilike(pattern), Organisation.code.ilike(pattern)))
        with self._tx() as session:
            rows = session.scalars(query.order_by(Organisation.code.nulls_last(), Organisation.name).limit(500))
            return [self._org_view(org) for org in rows]

    def get_org(self, org_id):
        with self._tx() as session:
            return self._org_view(self._org(session, org_id))

    def org_ancestors(self, org_id):
        """The organisations above *org_id*, nearest first, up to 昆明市人社局."""
        with self._tx() as session:
            self._org(session, org_id)
            ids = self._tree(session).ancestors(org_id)
            orgs = {org.id: org for org in session.scalars(select(Organisation).where(Organisation.id.in_(ids)))}
            return [self._org_view(orgs[org_id]) for org_id in ids]

    def units_under(self, org_id, include_pending=False):
        """Every unit below *org_id* (all units for the city); approved ones unless asked otherwise."""
        with self._tx() as session:
            self._org(session, org_id)
            ids = self._tree(session).descendants(org_id)
            statuses = [APPROVED, PENDING] if include_pending else [APPROVED]
            units = session.scalars(
                select(Organisation).where(Organisation.id.in_(ids), Organisation.kind == UNIT,
                                           Organisation.status.in_(statuses)).order_by(Organisation.name)
            )
            return [self._org_view(unit) for unit in units]

    def unit_members(self, unit_id, status="confirmed"):
        query = (
            select(Membership, Account).join(Account, Membership.account_id == Account.id)
            .where(Membership.unit_id == unit_id).order_by(Membership.requested_at)
        )
        if status != "all":
            query = query.where(Membership.status == status)
        with self._tx() as session:
            self._org(session, unit_id)
            return [self._member_view(membership, account) for membership, account in session.execute(query)]

    def create_org(self, actor, name, kind, parent_id, code=None):
        """A sysadmin adds a district bureau, a competent department or a review committee."""
        with self._tx() as session:
            self._acting_account(session, actor)
            require_role(actor, SYSADMIN)
            parent = self._org(session, parent_id)
            if parent.kind not in domain.PARENT_KINDS[kind]:
                raise UnsuitableOrganisation(f"{ORG_KIND_LABELS[kind]}的上级必须是市人社局",
                                             {"parent_id": ["上级机构类型不符"]})
            org = Organisation(id=new_id(), name=name, kind=kind, parent_id=parent.id, code=code,
                               status=APPROVED, created_at=self.clock())
            session.add(org)
            self._flush_or_duplicate(session)
            self._audit(session, "org_created", "success", None, actor=actor, org_id=org.id, kind=kind)
            return self._org_view(org)

    def register_unit(self, actor, name, credit_code, parent_id, contact_name=None, contact_phone=None):
        """A unit registers under its district or department with its 统一社会信用代码."""
        check = check_credit_code(credit_code)
        if not check.well_formed:
            message = "统一社会信用代码应为 18 位数字或大写字母（不含 I、O、S、V、Z）"
            raise InvalidInput(message, {"credit_code": [message]})
        with self._tx() as session:
            self._acting_account(session, actor)
            parent = self._org(session, parent_id)
            if parent.kind not in domain.PARENT_KINDS[UNIT] or parent.status != APPROVED:
                raise UnsuitableOrganisation("用人单位的上级必须是区县人社局或市级主管部门",
                                             {"parent_id": ["上级机构类型不符"]})
            unit = Organisation(
                id=new_id(), name=name, kind=UNIT, parent_id=parent.id, code=check.code,
                credit_code_checksum_ok=check.checksum_ok, status=PENDING, contact_name=contact_name,
                contact_phone=contact_phone, registered_by=actor.account_id, created_at=self.clock(),
            )
            session.add(unit)
            self._flush_or_duplicate(session)
            self._audit(session, "unit_registered", "success", None, actor=actor, org_id=unit.id,
                        checksum_ok=check.checksum_ok)
            warnings = [] if check.checksum_ok else [
                "统一社会信用代码校验位不符：可能是早期合法发放的代码，也可能是填写错误，需由主管部门审核员核实确认"
            ]
            return {"unit": self._org_view(unit), "warnings": warnings}

    def approve_unit(self, actor, unit_id, confirm_credit_code=False):
        with self._tx() as session:
            self._acting_account(session, actor)
            unit = self._org(session, unit_id, lock=True)
            domain.check_can_approve_unit(actor, self._as_node(unit))
            if unit.credit_code_checksum_ok is False and not confirm_credit_code:
                raise CreditCodeNeedsConfirmation(
                    "该单位的统一社会信用代码校验位不符，请核实营业执照后勾选“确认代码无误”再审核通过",
                    {"confirm_credit_code": ["需要确认统一社会信用代码"]},
                )
            unit.status, unit.decided_by, unit.decided_at = APPROVED, actor.account_id, self.clock()
            unit.credit_code_confirmed = bool(confirm_credit_code) or bool(unit.credit_code_checksum_ok)
            self._audit(session, "unit_approved", "success", None, actor=actor, org_id=unit.id)
            return self._org_view(unit)

    def reject_unit(self, actor, unit_id, reason):
        with self._tx() as session:
            self._acting_account(session, actor)
            unit = self._org(session, unit_id, lock=True)
            domain.check_can_approve_unit(actor, self._as_node(unit))
            unit.status, unit.decided_by, unit.decided_at = REJECTED, actor.account_id, self.clock()
            unit.decision_reason = reason
            self._audit(session, "unit_rejected", "success", None, actor=actor, org_id=unit.id, reason=reason)
            return self._org_view(unit)

    # --- memberships -----------------------------------------------------------------------------

    def request_membership(self, actor, unit_id):
        """An applicant asks to join a unit; its unit admin then confirms or rejects."""
        with self._tx() as session:
            account = self._acting_account(session, actor)
            require_role(actor, APPLICANT)
            self._approved_unit(self._tree(session), unit_id, "unit_id")
            domain.check_may_join(unit_id, self._admin_unit_ids(session, account.id))
            current = session.execute(
                select(Membership, Organisation.name).join(Organisation, Membership.unit_id == Organisation.id)
                .where(Membership.account_id == account.id, Membership.status.in_(ACTIVE_MEMBERSHIP))
            ).first()
            if current is not None:
                raise StateConflict(f"您已申请或已加入“{current[1]}”，如需更换单位请先退出")
            membership = Membership(id=new_id(), account_id=account.id, unit_id=unit_id, requested_at=self.clock())
            session.add(membership)
            self._flush_or_duplicate(session)
            self._audit(session, "membership_requested", "success", account.id, actor=actor, unit_id=unit_id)
            return self._membership_view(session, membership)

    def confirm_membership(self, actor, membership_id):
        with self._tx() as session:
            self._acting_account(session, actor)
            membership = self._pending_membership_of_my_unit(session, actor, membership_id)
            domain.check_may_join(membership.unit_id, self._admin_unit_ids(session, membership.account_id))
            self._decide(membership, "confirmed", actor)
            self._audit(session, "membership_confirmed", "success", membership.account_id, actor=actor,
                        unit_id=membership.unit_id)
            return self._membership_view(session, membership)

    def reject_membership(self, actor, membership_id, reason=None):
        with self._tx() as session:
            self._acting_account(session, actor)
            membership = self._pending_membership_of_my_unit(session, actor, membership_id)
            self._decide(membership, "rejected", actor, reason)
            self._audit(session, "membership_rejected", "success", membership.account_id, actor=actor,
                        unit_id=membership.unit_id, reason=reason)
            return self._membership_view(session, membership)

    def end_membership(self, actor, membership_id):
        """The member leaves, or the unit admin removes them."""
        with self._tx() as session:
            self._acting_account(session, actor)
            membership = self._membership(session, membership_id)
            own = actor.role == APPLICANT and membership.account_id == actor.account_id
            admin = actor.role == UNIT_ADMIN and membership.unit_id == actor.org_id
            if not (own or admin):
                raise ActionNotAllowed("只有本人或该单位管理员可以解除单位关系")
            if membership.status not in ACTIVE_MEMBERSHIP:
                raise StateConflict("该单位关系已结束")
            self._decide(membership, "ended", actor)
            self._audit(session, "membership_ended", "success", membership.account_id, actor=actor,
                        unit_id=membership.unit_id)
            return self._membership_view(session, membership)

    def _pending_membership_of_my_unit(self, session, actor, membership_id):
        require_role(actor, UNIT_ADMIN)
        membership = self._membership(session, membership_id)
        if membership.unit_id != actor.org_id:
            raise OutOfScope("只能处理本单位的加入申请")
        if membership.status != "pending":
            raise StateConflict("该申请已处理过")
        return membership

    def _decide(self, membership, status, actor, reason=None):
        membership.status, membership.decided_by, membership.decided_at = status, actor.account_id, self.clock()
        membership.reason = reason

    # --- scopes ----------------------------------------------------------------------------------

    def scope_of(self, actor):
        with self._tx() as session:
            self._acting_account(session, actor)
            scope = domain.scope_for(actor, self._tree(session))
            return {"everything": scope.everything, "org_ids": sorted(scope.org_ids)}

    def in_scope(self, actor, org_id):
        with self._tx() as session:
            self._acting_account(session, actor)
            return domain.scope_for(actor, self._tree(session)).includes(org_id)

    # --- sanctions and applying ------------------------------------------------------------------

    def record_sanction(self, actor, account_id, kind, reason, sanctioned_on, reference=None):
        """The city admin (or the review service, acting as system) records a fraud sanction."""
        with self._tx() as session:
            self._acting_account(session, actor)
            require_role(actor, CITY_ADMIN, SYSTEM)
            account = self._account(session, account_id)
            sanction = Sanction(
                id=new_id(), account_id=account.id, kind=kind, reason=reason, reference=reference,
                sanctioned_on=sanctioned_on,
                bars_until=domain.sanction_end(sanctioned_on, self.settings.sanction_years),
                recorded_by=actor.account_id, recorded_at=self.clock(),
            )
            session.add(sanction)
            session.flush()
            self._audit(session, "sanction_recorded", "success", account.id, actor=actor, kind=kind,
                        bars_until=sanction.bars_until.isoformat())
            return _sanction_view(sanction)

    def can_apply(self, account_id, review_year, unit_id=None, on=None):
        """Whether the account may apply, with every reason why not (sanction, unit, disabled account)."""
        today = on or local_date(self.clock())
        with self._tx() as session:
            account = self._account(session, account_id)
            confirmed = session.scalars(select(Membership.unit_id).where(
                Membership.account_id == account.id, Membership.status == "confirmed")).all()
            is_applicant = session.scalar(select(RoleGrant.id).where(
                RoleGrant.account_id == account.id, RoleGrant.role == APPLICANT)) is not None
            sanctions = session.execute(select(Sanction.kind, Sanction.bars_until).where(
                Sanction.account_id == account.id)).all()
        refusals = domain.application_refusals(
            active=account.status == ACTIVE, is_applicant=is_applicant, confirmed_unit_ids=confirmed,
            unit_id=unit_id, sanctions=[tuple(row) for row in sanctions], today=today,
        )
        return {
            "account_id": account.id, "review_year": review_year, "allowed": not refusals,
            "unit_id": confirmed[0] if confirmed else None,
            "reasons": [{"code": r.code, "message": r.message} for r in refusals],
        }

    def sanctions_of(self, account_id):
        with self._tx() as session:
            self._account(session, account_id)
            rows = session.scalars(select(Sanction).where(Sanction.account_id == account_id)
                                   .order_by(Sanction.sanctioned_on))
            return [_sanction_view(row) for row in rows]

    # --- operations ------------------------------------------------------------------------------

    def health(self):
        try:
            with self._tx() as session:
                session.execute(text("SELECT 1"))
            return {"service": "identity", "status": "ok", "database": "ok"}
        except Exception:  # health reports, it does not raise
            return {"service": "identity", "status": "degraded", "database": "unavailable"}

    def audit_log(self, actor, account_id=None, action=None, limit=100):
        with self._tx() as session:
            self._acting_account(session, actor)
            require_role(actor, AUDITOR, SYSADMIN)
            query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
            if account_id:
                query = query.where(AuditEntry.account_id == account_id)
            if action:
                query = query.where(AuditEntry.action == action)
            return [_audit_view(entry) for entry in session.scalars(query)]

    def outbox_messages(self, recipient=None, limit=20):
        """Recent outbox messages, for the demo console; off unless SMS.EXPOSE_OUTBOX is set."""
        if not self.settings.expose_outbox:
            raise ActionNotAllowed("未开放短信发件箱查询（仅演示环境可开启 SMS.EXPOSE_OUTBOX）")
        query = select(OutboxMessage).order_by(OutboxMessage.created_at.desc()).limit(limit)
        if recipient:
            query = query.where(OutboxMessage.recipient == recipient)
        with self._tx() as session:
            return [_outbox_view(message) for message in session.scalars(query)]

    # --- helpers ---------------------------------------------------------------------------------

    def _tx(self):
        return self.session_factory.begin()

    def _check_password(self, password, field_name, id_number=None, birth_date=None):
        problems = self.settings.password_policy.problems(password, id_number, birth_date)
        if problems:
            raise WeakPassword(problems[0], {field_name: problems})

    def _refuse_duplicates(self, session, id_number=None, phone=None, login_name=None):
        checks = [
            (Account.id_number, id_number, DuplicateIdNumber, "id_number", "该身份证号码已注册，请直接登录或找回密码"),
            (Account.phone, phone, DuplicatePhone, "phone", "该手机号码已注册，请直接登录或更换手机号"),
            (Account.login_name, login_name, DuplicateLoginName, "login_name", "该登录名已被使用"),
        ]
        found = [(error, field_name, message) for column, value, error, field_name, message in checks
                 if value and session.scalar(select(Account.id).where(column == value)) is not None]
        if found:
            # Every taken field is named at once, so the person fixes them in one go.
            error, _, message = found[0]
            raise error(message, {field_name: [text] for _, field_name, text in found})

    def _flush_or_duplicate(self, session):
        """Flush, turning a lost race on a unique column into the same clear error as the pre-check."""
        try:
            session.flush()
        except IntegrityError as error:
            constraint = getattr(getattr(error.orig, "diag", None), "constraint_name", "") or ""
            raise _duplicate_error(constraint) from None

    def _acting_account(self, session, actor):
        """The actor's account, after checking it is active and really holds the claimed role."""
        if actor.role == SYSTEM:
            return None
        account = session.get(Account, actor.account_id)
        if account is None or account.status != ACTIVE:
            raise AccountDisabled("操作人账号不存在或已停用")
        held = session.scalar(select(RoleGrant.id).where(
            RoleGrant.account_id == account.id, RoleGrant.role == actor.role,
            RoleGrant.org_id.is_(None) if actor.org_id is None else RoleGrant.org_id == actor.org_id,
        ))
        if held is None:
            raise ActionNotAllowed(f"您的账号没有以“{actor.role_label}”身份在该机构办理的权限")
        return account

    def _account(self, session, account_id, lock=False):
        account = session.get(Account, account_id, with_for_update=lock)
        if account is None:
            raise AccountNotFound("账号不存在")
        return account

    def _org(self, session, org_id, lock=False):
        org = session.get(Organisation, org_id, with_for_update=lock)
        if org is None:
            raise OrganisationNotFound("机构不存在")
        return org

    def _membership(self, session, membership_id):
        membership = session.get(Membership, membership_id, with_for_update=True)
        if membership is None:
            raise MembershipNotFound("加入单位的申请不存在")
        return membership

    def _tree(self, session):
        rows = session.execute(select(Organisation.id, Organisation.parent_id, Organisation.kind,
                                      Organisation.status))
        return OrgTree([OrgNode(*row) for row in rows])

    @staticmethod
    def _as_node(org):
        return OrgNode(org.id, org.parent_id, org.kind, org.status)

    @staticmethod
    def _node(tree, org_id):
        node = tree.get(org_id)
        if node is None:
            raise OrganisationNotFound("机构不存在")
        return node

    def _approved_unit(self, tree, unit_id, field_name):
        node = self._node(tree, unit_id)
        if node.kind != UNIT or node.status != APPROVED:
            raise UnsuitableOrganisation("所选机构不是已审核通过的用人单位", {field_name: ["请选择已审核通过的用人单位"]})
        return node

    def _member_unit_ids(self, session, account_id):
        return session.scalars(select(Membership.unit_id).where(
            Membership.account_id == account_id, Membership.status.in_(ACTIVE_MEMBERSHIP))).all()

    def _admin_unit_ids(self, session, account_id):
        return session.scalars(select(RoleGrant.org_id).where(
            RoleGrant.account_id == account_id, RoleGrant.role == UNIT_ADMIN)).all()

    def _roles(self, session, account_id):
        rows = session.execute(
            select(RoleGrant.role, RoleGrant.org_id, Organisation.name)
            .outerjoin(Organisation, RoleGrant.org_id == Organisation.id)
            .where(RoleGrant.account_id == account_id).order_by(RoleGrant.granted_at, RoleGrant.role)
        )
        return [{"role": role, "role_label": ROLE_LABELS[role], "org_id": org_id, "org_name": org_name}
                for role, org_id, org_name in rows]

    def _account_view(self, session, account):
        membership = session.scalar(select(Membership).where(
            Membership.account_id == account.id, Membership.status.in_(ACTIVE_MEMBERSHIP)))
        return {
            "id": account.id,
            "name": account.name,
            "login_name": account.login_name,
            "id_number_masked": mask_resident_id(account.id_number) if account.id_number else None,
            "gender": account.gender,
            "birth_date": account.birth_date,
            "phone_masked": mask_phone(account.phone),
            "status": account.status,
            "locked_until": account.locked_until,
            "roles": self._roles(session, account.id),
            "membership": membership and self._membership_view(session, membership),
            "pending_role_requests": self._pending_role_requests(session, account.id),
            "created_at": account.created_at,
        }

    def _membership_view(self, session, membership):
        session.flush()
        unit_name = session.scalar(select(Organisation.name).where(Organisation.id == membership.unit_id))
        return {"id": membership.id, "unit_id": membership.unit_id, "unit_name": unit_name,
                "status": membership.status, "requested_at": membership.requested_at,
                "decided_at": membership.decided_at}

    @staticmethod
    def _member_view(membership, account):
        return {
            "membership_id": membership.id, "account_id": account.id, "name": account.name,
            "id_number_masked": mask_resident_id(account.id_number) if account.id_number else None,
            "phone_masked": mask_phone(account.phone), "unit_id": membership.unit_id,
            "status": membership.status, "requested_at": membership.requested_at,
            "decided_at": membership.decided_at,
        }

    @staticmethod
    def _org_view(org):
        return {
            "id": org.id, "name": org.name, "kind": org.kind, "kind_label": ORG_KIND_LABELS[org.kind],
            "parent_id": org.parent_id, "code": org.code, "status": org.status,
            "credit_code_checksum_ok": org.credit_code_checksum_ok,
            "credit_code_confirmed": bool(org.credit_code_confirmed), "created_at": org.created_at,
        }

    def _audit(self, session, action, outcome, account_id, actor=None, source_address=None, **detail):
        session.add(AuditEntry(
            at=self.clock(), action=action, outcome=outcome, account_id=account_id,
            actor_id=actor.account_id if actor is not None else None,
            source_address=(source_address or None) and str(source_address)[:64],
            detail={key: value for key, value in detail.items() if value is not None},
        ))


def _duplicate_error(constraint):
    errors = {
        "uq_accounts_id_number": (DuplicateIdNumber, "id_number", "该身份证号码已注册，请直接登录或找回密码"),
        "uq_accounts_phone": (DuplicatePhone, "phone", "该手机号码已注册，请直接登录或更换手机号"),
        "uq_accounts_login_name": (DuplicateLoginName, "login_name", "该登录名已被使用"),
        "uq_organisations_code": (DuplicateCreditCode, "credit_code", "该代码已被其他机构登记"),
        "uq_organisations_parent_name": (StateConflict, "name", "同一上级机构下已有同名机构"),
        "uq_memberships_one_active": (StateConflict, "unit_id", "您已申请或已加入一个单位，如需更换单位请先退出"),
    }
    error, field_name, message = errors.get(constraint, (StateConflict, "_schema", "数据已被修改，请刷新后重试"))
    return error(message, {field_name: [message]})


def _sanction_view(sanction):
    return {"id": sanction.id, "account_id": sanction.account_id, "kind": sanction.kind,
            "reason": sanction.reason, "reference": sanction.reference,
            "sanctioned_on": sanction.sanctioned_on, "bars_until": sanction.bars_until,
            "recorded_at": sanction.recorded_at}


def _audit_view(entry):
    return {"id": entry.id, "at": entry.at, "action": entry.action, "outcome": entry.outcome,
            "account_id": entry.account_id, "actor_id": entry.actor_id,
            "source_address": entry.source_address, "detail": entry.detail}


def _outbox_view(message):
    return {"id": message.id, "created_at": message.created_at, "channel": message.channel,
            "recipient": message.recipient, "template": message.template, "body": message.body,
            "status": message.status}
