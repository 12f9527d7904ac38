"""The identity nameko service: thin RPC methods — load with a schema, call an application, dump.

Run it with ``nameko run services.identity.service --config services/identity/config.yaml``.
Methods that act for someone take ``actor`` as a dict ``{account_id, role, org_id}``; methods that
see a person's network address take ``source_address`` (the gateway passes the client's).
Registration, role grants and requests to join a unit are ``@idempotent`` (shared/idempotency.py): a
redelivered request answers what the first one recorded instead of "already registered" or a second
request. A request to join is announced on the bus (``membership_requested``) once it committed.
"""
import functools

from shared.announcing import EventAnnouncer
from shared.contracts.notification import MEMBERSHIP_REQUESTED
from shared.deadlines import rpc  # nameko's @rpc, refusing calls whose deadline passed
from shared.errors import PlatformError
from shared.idempotency import IdempotencyKey, idempotent
from shared.observability import CorrelationId

from . import schemas as s
from .dependencies import IdentityApplication
from .schemas import dump, load

# Refusals people cause are answers, not faults: nameko does not log them as errors.
EXPECTED = (PlatformError,)


def _actor(actor):
    return load(s.ActorSchema, actor)


def _engine(service):
    return service.accounts.database.engine


def _field(data, name):
    return data.get(name) if isinstance(data, dict) else None


def _account_answer(service, answer, *_args, **_kwargs):
    """A repeated registration or grant answers the account it recorded."""
    return dump(s.AccountOut, service.accounts.get_account(answer["account_id"]))


def _membership_answer(service, answer, *_args, **_kwargs):
    """A repeated request to join answers the membership it recorded; the first run announced it."""
    return dump(s.MembershipOut, service.memberships.membership(answer["membership_id"]))


class IdentityService:
    name = "identity"

    authentication = IdentityApplication("authentication")
    passwords = IdentityApplication("passwords")
    accounts = IdentityApplication("accounts")
    roles = IdentityApplication("roles")
    sanctions = IdentityApplication("sanctions")
    organisations = IdentityApplication("organisations")
    memberships = IdentityApplication("memberships")
    operations = IdentityApplication("operations")
    correlation_id = CorrelationId()  # log lines carry the calling request's id
    idempotency_key = IdempotencyKey()
    announce = EventAnnouncer()  # identity.events: what the notification service tells people of

    # --- accounts and sign-in --------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    @idempotent("register", engine=_engine, subject=lambda data, source_address=None: _field(data, "id_number"),
                replay=_account_answer)
    def register(self, data, source_address=None):
        """``{name, id_number, phone, password}`` → the new applicant account."""
        return dump(s.AccountOut, self.accounts.register(**load(s.RegisterSchema, data),
                                                        source_address=source_address))

    @rpc(expected_exceptions=EXPECTED)
    def login(self, data, source_address=None):
        """``{username (ID number, phone or login name), password}`` → tokens and the account."""
        return dump(s.TokensOut, self.authentication.login(**load(s.LoginSchema, data), source_address=source_address))

    @rpc(expected_exceptions=EXPECTED)
    def refresh(self, data, source_address=None):
        """``{refresh_token}`` → new tokens; the presented refresh token is used up."""
        data = load(s.RefreshTokenSchema, data)
        return dump(s.TokensOut, self.authentication.refresh(data["refresh_token"], source_address=source_address))

    @rpc(expected_exceptions=EXPECTED)
    def logout(self, data, source_address=None):
        """``{refresh_token | access_token, everywhere?}`` → ``{ok}``; that session's access tokens are
        refused at once (all sessions' with *everywhere*)."""
        return dump(s.OkOut, self.authentication.logout(**load(s.LogoutSchema, data), source_address=source_address))

    @rpc(expected_exceptions=EXPECTED)
    def authenticate(self, access_token):
        """The account behind an access token, with its current roles; refuses stale or disabled ones."""
        data = load(s.AccessTokenSchema, {"access_token": access_token})
        return dump(s.PrincipalOut, self.authentication.authenticate(data["access_token"]))

    @rpc
    def token_public_keys(self):
        """``{algorithm, issuer, audience, keys: {kid: PEM}, revocation_list: {key_prefix}}`` for verifying
        access tokens locally."""
        return dump(s.PublicKeysOut, self.authentication.public_keys())

    @rpc(expected_exceptions=EXPECTED)
    def change_password(self, actor, data, source_address=None):
        """``{old_password, new_password}`` → ``{ok}``; every sign-in of the account ends, this one included."""
        return dump(s.OkOut, self.passwords.change_password(_actor(actor), **load(s.ChangePasswordSchema, data),
                                                            source_address=source_address))

    @rpc(expected_exceptions=EXPECTED)
    def request_password_reset(self, data, source_address=None):
        """``{phone}`` → the same neutral answer whether or not the phone is registered."""
        return dump(s.ResetRequestedOut, self.passwords.request_password_reset(
            **load(s.ResetRequestSchema, data), source_address=source_address))

    @rpc(expected_exceptions=EXPECTED)
    def confirm_password_reset(self, data, source_address=None):
        """``{phone, code, new_password}`` → ``{ok}``."""
        return dump(s.OkOut, self.passwords.confirm_password_reset(**load(s.ResetConfirmSchema, data),
                                                                   source_address=source_address))

    @rpc(expected_exceptions=EXPECTED)
    def get_account(self, account_id):
        data = load(s.AccountIdSchema, {"account_id": account_id})
        return dump(s.AccountOut, self.accounts.get_account(data["account_id"]))

    @rpc(expected_exceptions=EXPECTED)
    def contacts(self, account_ids):
        """``[{account_id, name, phone, status}]`` of the active accounts among *account_ids* (unknown and
        disabled ones are left out): how the notification service reaches a person."""
        data = load(s.ContactsSchema, {"account_ids": account_ids})
        return dump(s.ContactOut, self.accounts.contacts(data["account_ids"]), many=True)

    @rpc(expected_exceptions=EXPECTED)
    def role_holders(self, role, org_id=None):
        """``[{account_id, name, phone, status}]``: the active accounts that hold *role* for *org_id* (the
        unit's admins, the city admin office), whom the notification service tells of work for them."""
        data = load(s.RoleHoldersSchema, {"role": role, "org_id": org_id})
        return dump(s.ContactOut, self.accounts.role_holders(data["role"], data["org_id"]), many=True)

    @rpc(expected_exceptions=EXPECTED)
    def find_by_id_number(self, actor, id_number):
        """Audit officers: ``{found, account_id}`` of the account registered with the full *id_number*."""
        data = load(s.IdNumberLookupSchema, {"id_number": id_number})
        return dump(s.IdNumberLookupOut, self.accounts.find_by_id_number(_actor(actor), data["id_number"]))

    # --- administration of accounts and roles ----------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def create_admin_account(self, actor, data):
        """``{login_name, name, password, role, org_id, phone?, work_unit_id?}`` → the account; a sysadmin
        asking for a review role gets it ``pending`` with the request in ``pending_role_requests``."""
        return dump(s.AccountOut, self.roles.create_admin_account(
            _actor(actor), **load(s.CreateAdminAccountSchema, data)))

    @rpc(expected_exceptions=EXPECTED)
    @idempotent("grant_role", engine=_engine, replay=_account_answer, subject=lambda actor, data: ":".join(
        str(_field(data, name)) for name in ("account_id", "role", "org_id")))
    def grant_role(self, actor, data):
        """``{account_id, role, org_id}``: e.g. a district admin appoints a unit admin."""
        return dump(s.AccountOut, self.roles.grant_role(_actor(actor), **load(s.RoleGrantSchema, data)))

    @rpc(expected_exceptions=EXPECTED)
    def role_requests(self, actor, query=None):
        """``{status?: pending|confirmed|refused|all, limit?}`` → role requests (city admin, sysadmin, auditor)."""
        return dump(s.RoleRequestOut, self.roles.role_requests(
            _actor(actor), **load(s.RoleRequestQuerySchema, query or {})), many=True)

    @rpc(expected_exceptions=EXPECTED)
    def confirm_role_request(self, actor, data):
        """``{request_id}``: a city admin other than the requester confirms; the role takes effect."""
        data = load(s.RoleRequestDecisionSchema, data)
        return dump(s.RoleRequestOut, self.roles.confirm_role_request(_actor(actor), data["request_id"]))

    @rpc(expected_exceptions=EXPECTED)
    def refuse_role_request(self, actor, data):
        """``{request_id, reason?}``: the city admin office refuses; nothing is granted."""
        data = load(s.RoleRequestDecisionSchema, data)
        return dump(s.RoleRequestOut, self.roles.refuse_role_request(
            _actor(actor), data["request_id"], data["reason"]))

    @rpc(expected_exceptions=EXPECTED)
    def revoke_role(self, actor, data):
        return dump(s.AccountOut, self.roles.revoke_role(_actor(actor), **load(s.RoleGrantSchema, data)))

    @rpc(expected_exceptions=EXPECTED)
    def disable_account(self, actor, data):
        """``{account_id, reason?}``: ends every sign-in of the account."""
        return dump(s.AccountOut, self.accounts.disable_account(_actor(actor), **load(s.AccountActionSchema, data)))

    @rpc(expected_exceptions=EXPECTED)
    def enable_account(self, actor, data):
        data = load(s.AccountIdSchema, data)
        return dump(s.AccountOut, self.accounts.enable_account(_actor(actor), data["account_id"]))

    @rpc(expected_exceptions=EXPECTED)
    def unlock_account(self, actor, data):
        data = load(s.AccountIdSchema, data)
        return dump(s.AccountOut, self.accounts.unlock_account(_actor(actor), data["account_id"]))

    # --- organisations ---------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_orgs(self, query=None):
        """``{kind?, q?, parent_id?, status?}`` → organisations (approved ones by default)."""
        return dump(s.OrgOut, self.organisations.list_orgs(**load(s.OrgQuerySchema, query or {})), many=True)

    @rpc(expected_exceptions=EXPECTED)
    def get_org(self, org_id):
        data = load(s.OrgIdSchema, {"org_id": org_id})
        return dump(s.OrgOut, self.organisations.get_org(data["org_id"]))

    @rpc(expected_exceptions=EXPECTED)
    def org_ancestors(self, org_id):
        """The organisations above *org_id*, nearest first, ending with 昆明市人社局."""
        data = load(s.OrgIdSchema, {"org_id": org_id})
        return dump(s.OrgOut, self.organisations.org_ancestors(data["org_id"]), many=True)

    @rpc(expected_exceptions=EXPECTED)
    def units_under(self, org_id, include_pending=False):
        data = load(s.UnitsUnderSchema, {"org_id": org_id, "include_pending": include_pending})
        return dump(s.OrgOut, self.organisations.units_under(**data), many=True)

    @rpc(expected_exceptions=EXPECTED)
    def unit_members(self, unit_id, status="confirmed"):
        data = load(s.UnitMembersSchema, {"unit_id": unit_id, "status": status})
        return dump(s.MemberOut, self.organisations.unit_members(**data), many=True)

    @rpc(expected_exceptions=EXPECTED)
    def create_org(self, actor, data):
        """``{name, kind (district|department|committee), parent_id, code?}`` (sysadmin)."""
        return dump(s.OrgOut, self.organisations.create_org(_actor(actor), **load(s.CreateOrgSchema, data)))

    @rpc(expected_exceptions=EXPECTED)
    def register_unit(self, actor, data):
        """``{name, credit_code, parent_id, contact_name?, contact_phone?}`` → ``{unit, warnings}``."""
        return dump(s.UnitRegistrationOut, self.organisations.register_unit(
            _actor(actor), **load(s.RegisterUnitSchema, data)))

    @rpc(expected_exceptions=EXPECTED)
    def approve_unit(self, actor, data):
        """``{unit_id, confirm_credit_code?}``; a failing credit-code checksum must be confirmed."""
        data = load(s.UnitDecisionSchema, data)
        return dump(s.OrgOut, self.organisations.approve_unit(
            _actor(actor), data["unit_id"], data["confirm_credit_code"]))

    @rpc(expected_exceptions=EXPECTED)
    def reject_unit(self, actor, data):
        data = load(s.UnitDecisionSchema, data)
        return dump(s.OrgOut, self.organisations.reject_unit(_actor(actor), data["unit_id"], data["reason"]))

    @rpc(expected_exceptions=EXPECTED)
    @idempotent("request_membership", engine=_engine, subject=lambda actor, data: _field(data, "unit_id"),
                replay=_membership_answer)
    def request_membership(self, actor, data):
        """``{unit_id}``: an applicant asks to join a unit; its admins are told (``membership_requested``)."""
        data = load(s.MembershipRequestSchema, data)
        return dump(s.MembershipOut, self.memberships.request_membership(
            _actor(actor), data["unit_id"], announce=functools.partial(self.announce, MEMBERSHIP_REQUESTED)))

    @rpc(expected_exceptions=EXPECTED)
    def confirm_membership(self, actor, data):
        data = load(s.MembershipDecisionSchema, data)
        return dump(s.MembershipOut, self.memberships.confirm_membership(_actor(actor), data["membership_id"]))

    @rpc(expected_exceptions=EXPECTED)
    def reject_membership(self, actor, data):
        data = load(s.MembershipDecisionSchema, data)
        return dump(s.MembershipOut, self.memberships.reject_membership(
            _actor(actor), data["membership_id"], data["reason"]))

    @rpc(expected_exceptions=EXPECTED)
    def end_membership(self, actor, data):
        data = load(s.MembershipDecisionSchema, data)
        return dump(s.MembershipOut, self.memberships.end_membership(_actor(actor), data["membership_id"]))

    # --- scopes, sanctions, applying -------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def scope_of(self, actor):
        """``{everything, org_ids}``: the organisations the actor's role acts on."""
        return dump(s.ScopeOut, self.organisations.scope_of(_actor(actor)))

    @rpc(expected_exceptions=EXPECTED)
    def in_scope(self, actor, org_id):
        """``true`` or ``false``: a bare answer, so there is no record to dump."""
        data = load(s.InScopeSchema, {"org_id": org_id})
        return self.organisations.in_scope(_actor(actor), data["org_id"])

    @rpc(expected_exceptions=EXPECTED)
    def record_sanction(self, actor, data):
        """``{account_id, kind: fraud, reason, sanctioned_on, bar_years, reference?}`` (city admin or system);
        *bar_years* is the policy's of the year the fraud was found in, and one *reference* records once."""
        return dump(s.SanctionOut, self.sanctions.record_sanction(_actor(actor), **load(s.RecordSanctionSchema, data)))

    @rpc(expected_exceptions=EXPECTED)
    def sanctions_of(self, account_id):
        data = load(s.AccountIdSchema, {"account_id": account_id})
        return dump(s.SanctionOut, self.sanctions.sanctions_of(data["account_id"]), many=True)

    @rpc(expected_exceptions=EXPECTED)
    def can_apply(self, account_id, review_year, unit_id=None, on=None):
        """``{allowed, reasons: [{code, message}], unit_id}`` for applying in *review_year*."""
        data = load(s.CanApplySchema, {"account_id": account_id, "review_year": review_year,
                                       "unit_id": unit_id, "on": on})
        return dump(s.CanApplyOut, self.sanctions.can_apply(**data))

    # --- operations ------------------------------------------------------------------------------

    @rpc
    def health(self):
        """``{service, status: ok|degraded, database}``; never raises."""
        return dump(s.HealthOut, self.operations.health())

    @rpc(expected_exceptions=EXPECTED)
    def audit_log(self, actor, query=None):
        """``{account_id?, action?, limit?}`` → newest entries first (auditor, sysadmin)."""
        return dump(s.AuditEntryOut, self.operations.audit_log(_actor(actor), **load(s.AuditQuerySchema, query or {})),
                    many=True)

