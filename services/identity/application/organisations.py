"""The organisation tree: listing it, adding bureaus and committees, units registering and being
approved, and the scope of organisations each role acts on."""
from sqlalchemy import or_, select

from shared.contracts.identity import CONFIRMED
from shared.idnumbers import check_credit_code
from shared.roles import SYSADMIN

from .. import domain
from ..domain import APPROVED, ORG_KIND_LABELS, PENDING, REJECTED, UNIT, require_role
from ..exceptions import CreditCodeNeedsConfirmationError, InvalidInputError, UnsuitableOrganisationError
from ..tables import Account, Membership, Organisation, new_id
from .records import acting_account, as_node, flush_or_duplicate, org_by_id, org_tree
from .views import member_view, org_view

ALL = "all"
CHECKSUM_WARNING = "统一社会信用代码校验位不符：可能是早期合法发放的代码，也可能是填写错误，需由主管部门审核员核实确认"


class Organisations:
    """市人社局 → 区县人社局 / 市级主管部门 / 评审委员会 → 用人单位, and who acts on which."""

    def __init__(self, database, clock):
        self.database, self.clock = database, clock

    # --- reading the tree ------------------------------------------------------------------------

    def list_orgs(self, kind=None, q=None, parent_id=None, status=APPROVED):
        query = select(Organisation)
        if kind:
            query = query.where(Organisation.kind == kind)
        if parent_id:
            query = query.where(Organisation.parent_id == parent_id)
        if status != ALL:
            query = query.where(Organisation.status == status)
        if q:
            pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            query = query.where(or_(Organisation.name.ilike(pattern), Organisation.code.ilike(pattern)))
        with self.database.transaction() as session:
            rows = session.scalars(query.order_by(Organisation.code.nulls_last(), Organisation.name).limit(500))
            return [org_view(org) for org in rows]

    def get_org(self, org_id):
        with self.database.transaction() as session:
            return org_view(org_by_id(session, org_id))

    def org_ancestors(self, org_id):
        """The organisations above *org_id*, nearest first, up to 昆明市人社局."""
        with self.database.transaction() as session:
            org_by_id(session, org_id)
            ids = org_tree(session).ancestors(org_id)
            orgs = {org.id: org for org in session.scalars(select(Organisation).where(Organisation.id.in_(ids)))}
            return [org_view(orgs[ancestor_id]) for ancestor_id in ids]

    def units_under(self, org_id, include_pending=False):
        """Every unit below *org_id* (all units for the city); approved ones unless asked otherwise."""
        with self.database.transaction() as session:
            org_by_id(session, org_id)
            ids = org_tree(session).descendants(org_id)
            statuses = [APPROVED, PENDING] if include_pending else [APPROVED]
            units = session.scalars(
                select(Organisation).where(Organisation.id.in_(ids), Organisation.kind == UNIT,
                                           Organisation.status.in_(statuses)).order_by(Organisation.name)
            )
            return [org_view(unit) for unit in units]

    def unit_members(self, unit_id, status=CONFIRMED):
        query = (
            select(Membership, Account).join(Account, Membership.account_id == Account.id)
            .where(Membership.unit_id == unit_id).order_by(Membership.requested_at)
        )
        if status != ALL:
            query = query.where(Membership.status == status)
        with self.database.transaction() as session:
            org_by_id(session, unit_id)
            return [member_view(membership, account) for membership, account in session.execute(query)]

    # --- changing the tree -----------------------------------------------------------------------

    def create_org(self, actor, name, kind, parent_id, code=None):
        """A sysadmin adds a district bureau, a competent department or a review committee."""
        with self.database.transaction() as session:
            acting_account(session, actor)
            require_role(actor, SYSADMIN)
            parent = org_by_id(session, parent_id)
            if parent.kind not in domain.PARENT_KINDS[kind]:
                raise UnsuitableOrganisationError(f"{ORG_KIND_LABELS[kind]}的上级必须是市人社局",
                                                  {"parent_id": ["上级机构类型不符"]})
            org = Organisation(id=new_id(), name=name, kind=kind, parent_id=parent.id, code=code,
                               status=APPROVED, created_at=self.clock())
            session.add(org)
            flush_or_duplicate(session)
            self.database.audit(session, "org_created", "success", None, actor=actor, org_id=org.id, kind=kind)
            return org_view(org)

    def register_unit(self, actor, name, credit_code, parent_id, contact_name=None, contact_phone=None):
        """A unit registers under its district or department with its 统一社会信用代码."""
        check = check_credit_code(credit_code)
        if not check.well_formed:
            message = "统一社会信用代码应为 18 位数字或大写字母（不含 I、O、S、V、Z）"
            raise InvalidInputError(message, {"credit_code": [message]})
        with self.database.transaction() as session:
            acting_account(session, actor)
            parent = org_by_id(session, parent_id)
            if parent.kind not in domain.PARENT_KINDS[UNIT] or parent.status != APPROVED:
                raise UnsuitableOrganisationError("用人单位的上级必须是区县人社局或市级主管部门",
                                                  {"parent_id": ["上级机构类型不符"]})
            unit = Organisation(
                id=new_id(), name=name, kind=UNIT, parent_id=parent.id, code=check.code,
                credit_code_checksum_ok=check.checksum_ok, status=PENDING, contact_name=contact_name,
                contact_phone=contact_phone, registered_by=actor.account_id, created_at=self.clock(),
            )
            session.add(unit)
            flush_or_duplicate(session)
            self.database.audit(session, "unit_registered", "success", None, actor=actor, org_id=unit.id,
                                checksum_ok=check.checksum_ok)
            return {"unit": org_view(unit), "warnings": [] if check.checksum_ok else [CHECKSUM_WARNING]}

    def approve_unit(self, actor, unit_id, confirm_credit_code=False):
        """The unit's district or department approves it; a failing checksum must be confirmed first."""
        with self.database.transaction() as session:
            acting_account(session, actor)
            unit = org_by_id(session, unit_id, lock=True)
            domain.check_can_approve_unit(actor, as_node(unit))
            if unit.credit_code_checksum_ok is False and not confirm_credit_code:
                raise CreditCodeNeedsConfirmationError(
                    "该单位的统一社会信用代码校验位不符，请核实营业执照后勾选“确认代码无误”再审核通过",
                    {"confirm_credit_code": ["需要确认统一社会信用代码"]},
                )
            unit.status, unit.decided_by, unit.decided_at = APPROVED, actor.account_id, self.clock()
            unit.credit_code_confirmed = bool(confirm_credit_code) or bool(unit.credit_code_checksum_ok)
            self.database.audit(session, "unit_approved", "success", None, actor=actor, org_id=unit.id)
            return org_view(unit)

    def reject_unit(self, actor, unit_id, reason):
        with self.database.transaction() as session:
            acting_account(session, actor)
            unit = org_by_id(session, unit_id, lock=True)
            domain.check_can_approve_unit(actor, as_node(unit))
            unit.status, unit.decided_by, unit.decided_at = REJECTED, actor.account_id, self.clock()
            unit.decision_reason = reason
            self.database.audit(session, "unit_rejected", "success", None, actor=actor, org_id=unit.id,
                                reason=reason)
            return org_view(unit)

    # --- scopes ----------------------------------------------------------------------------------

    def scope_of(self, actor):
        with self.database.transaction() as session:
            acting_account(session, actor)
            scope = domain.scope_for(actor, org_tree(session))
            return {"everything": scope.everything, "org_ids": sorted(scope.org_ids)}

    def in_scope(self, actor, org_id):
        with self.database.transaction() as session:
            acting_account(session, actor)
            return domain.scope_for(actor, org_tree(session)).includes(org_id)
