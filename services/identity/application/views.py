"""Identity's records as the plain dicts its use cases answer (the service dumps them with schemas).

ID numbers and phones leave the service masked.
"""
from sqlalchemy import select

from shared.contracts.identity import PENDING, mask_phone
from shared.idnumbers import InvalidResidentId, mask_resident_id, parse_resident_id
from shared.roles import ROLE_LABELS

from ..domain import ORG_KIND_LABELS
from ..tables import Account, Membership, Organisation, RoleGrant, RoleRequest
from .records import ACTIVE_MEMBERSHIP

PENDING_REQUEST = PENDING


def _masked_id_number(account):
    return mask_resident_id(account.id_number) if account.id_number else None


def gender_and_birth_date(account):
    """``(gender, birth date)`` as the account's resident ID number says (GB 11643: digits 7–14, the 17th
    odd for men), so they can never disagree with it; the stored columns only for an account without a
    readable number."""
    if account.id_number:
        try:
            resident = parse_resident_id(account.id_number)
        except InvalidResidentId:
            pass
        else:
            return resident.gender, resident.birth_date
    return account.gender, account.birth_date


def roles_of(session, account_id):
    rows = session.execute(
        select(RoleGrant.role, RoleGrant.org_id, Organisation.name)
        .outerjoin(Organisation, RoleGrant.org_id == Organisation.id)
        .where(RoleGrant.account_id == account_id).order_by(RoleGrant.granted_at, RoleGrant.role)
    )
    return [{"role": role, "role_label": ROLE_LABELS[role], "org_id": org_id, "org_name": org_name}
            for role, org_id, org_name in rows]


def account_view(session, account):
    membership = session.scalar(select(Membership).where(
        Membership.account_id == account.id, Membership.status.in_(ACTIVE_MEMBERSHIP)))
    gender, birth_date = gender_and_birth_date(account)
    return {
        "id": account.id,
        "name": account.name,
        "login_name": account.login_name,
        "id_number_masked": _masked_id_number(account),
        "gender": gender,
        "birth_date": birth_date,
        "phone_masked": mask_phone(account.phone),
        "status": account.status,
        "locked_until": account.locked_until,
        "roles": roles_of(session, account.id),
        "membership": membership and membership_view(session, membership),
        "pending_role_requests": pending_role_requests(session, account.id),
        "created_at": account.created_at,
    }


def membership_view(session, membership):
    session.flush()
    unit_name = session.scalar(select(Organisation.name).where(Organisation.id == membership.unit_id))
    return {"id": membership.id, "unit_id": membership.unit_id, "unit_name": unit_name,
            "status": membership.status, "requested_at": membership.requested_at,
            "decided_at": membership.decided_at}


def member_view(membership, account):
    return {
        "membership_id": membership.id, "account_id": account.id, "name": account.name,
        "id_number_masked": _masked_id_number(account), "phone_masked": mask_phone(account.phone),
        "unit_id": membership.unit_id, "status": membership.status, "requested_at": membership.requested_at,
        "decided_at": membership.decided_at,
    }


def org_view(org):
    return {
        "id": org.id, "name": org.name, "kind": org.kind, "kind_label": ORG_KIND_LABELS[org.kind],
        "parent_id": org.parent_id, "code": org.code, "status": org.status,
        "credit_code_checksum_ok": org.credit_code_checksum_ok,
        "credit_code_confirmed": bool(org.credit_code_confirmed), "created_at": org.created_at,
        "contact_name": org.contact_name, "contact_phone": org.contact_phone,
    }


def pending_role_requests(session, account_id):
    rows = session.scalars(select(RoleRequest).where(
        RoleRequest.account_id == account_id, RoleRequest.status == PENDING_REQUEST)
        .order_by(RoleRequest.requested_at))
    return [role_request_view(session, row, with_account=False) for row in rows]


def role_request_view(session, request, with_account=True):
    view = {
        "id": request.id, "kind": request.kind, "account_id": request.account_id, "role": request.role,
        "role_label": ROLE_LABELS[request.role], "org_id": request.org_id, "status": request.status,
        "requested_by": request.requested_by, "requested_at": request.requested_at,
        "decided_by": request.decided_by, "decided_at": request.decided_at, "reason": request.reason,
    }
    if with_account:
        account = session.get(Account, request.account_id)
        view["account_name"], view["login_name"] = account.name, account.login_name
    return view


def sanction_view(sanction):
    return {"id": sanction.id, "account_id": sanction.account_id, "kind": sanction.kind,
            "reason": sanction.reason, "reference": sanction.reference,
            "sanctioned_on": sanction.sanctioned_on, "bars_until": sanction.bars_until,
            "recorded_at": sanction.recorded_at}


def audit_view(entry):
    return {"id": entry.id, "at": entry.at, "action": entry.action, "outcome": entry.outcome,
            "account_id": entry.account_id, "actor_id": entry.actor_id,
            "source_address": entry.source_address, "detail": entry.detail}
