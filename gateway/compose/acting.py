"""Which role a person acts in: the role they ask for or the first they hold, the reviewer whose turn
it is at a dossier's step (the one rule in shared/contracts/dossier_access.py), and who reads money
matters. The services check again; these only pick the Actor to send."""
from shared.contracts import dossier_access
from shared.errors import PermissionDenied
from shared.roles import APPLICANT, AUDITOR, CITY_ADMIN, COMMITTEE_SECRETARY, DISTRICT_ADMIN, UNIT_ADMIN

# Roles with a work queue, in the order used when the caller does not say which one they act in.
QUEUE_ROLES = (CITY_ADMIN, AUDITOR, DISTRICT_ADMIN, UNIT_ADMIN, COMMITTEE_SECRETARY)
# The reviewers of the three levels (unit, district, city), who decide on dossiers.
REVIEWER_ROLES = (UNIT_ADMIN, DISTRICT_ADMIN, CITY_ADMIN)
# Who reads money matters (receipts of others, the ledger, reconciliation, certificates): city admins and auditors.
FINANCE_ROLES = (CITY_ADMIN, AUDITOR)


def review_actor(principal, roles=QUEUE_ROLES, wanted=None):
    """The Actor the caller works in: *wanted* if given (it must be one of *roles*), else the first held."""
    if wanted:
        if wanted not in roles:
            raise PermissionDenied("该身份不能办理此事项")
        return principal.actor(wanted)
    return principal.actor(*roles)


def decider(principal, dossier):
    """The Actor in which *principal* decides *dossier* at its current step, or None if not their turn."""
    turn = dossier_access.decider(dossier)
    if turn is None:
        return None
    role, org = turn
    if not any(held == role and (org is None or held_org == org) for held, held_org in principal.roles):
        return None
    return principal.actor(role, org_id=org)


def any_reviewer(principal):
    """The first reviewer role *principal* holds (for a decision not at their step: the aggregate then
    explains what the status allows), or 403 for someone who reviews nothing."""
    role = next((held for held, _ in principal.roles if held in REVIEWER_ROLES), None)
    if role is None:
        raise PermissionDenied("只有审核人员可以作出审核决定")
    return principal.actor(role)


def reader_actor(principal, order_or_dossier):
    """The payer or holder reads as applicant; staff read as city admin or auditor (the service checks again)."""
    if principal.has(APPLICANT) and order_or_dossier.get("applicant_id") == principal.account_id:
        return principal.actor(APPLICANT)
    return principal.actor(*FINANCE_ROLES)
