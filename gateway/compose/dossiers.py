"""The dossier a person may see or act on, a new dossier, and the filter that keeps a list in scope.

Who may see a dossier is the one rule of shared/contracts/dossier_access.py (``Principal.can_view_dossier``).
A dossier the caller may not see is answered exactly like one that does not exist (404), so ids
cannot be probed.
"""
from shared.errors import NotFound, PermissionDenied
from shared.roles import APPLICANT, AUDITOR, CITY_ADMIN, DISTRICT_ADMIN, UNIT_ADMIN

NOT_VISIBLE = "申报材料不存在或无权查看"
# Whose list a person sees when they hold several roles and do not say which one they act in.
LIST_ROLE_PRIORITY = (CITY_ADMIN, AUDITOR, DISTRICT_ADMIN, UNIT_ADMIN, APPLICANT)


def visible_dossier(dossiers, principal, dossier_id):
    """The dossier (asked of the *dossiers* RPC proxy) if *principal* may see it; otherwise 404."""
    try:
        dossier = dossiers.get(dossier_id)
    except NotFound:
        dossier = None
    if dossier is None or not principal.can_view_dossier(dossier):
        raise NotFound(NOT_VISIBLE)
    return dossier


def visible_audit_scope(dossiers, principal, dossier_id):
    """The same check made on the dossier's summary, not on its folded events: a damaged dossier can
    still be verified (and answers ``ok: false``) instead of failing to load."""
    try:
        scope = dossiers.audit_scope(dossier_id)
    except NotFound:
        scope = None
    if scope is None or not principal.can_view_dossier(scope):
        raise NotFound(NOT_VISIBLE)
    return scope


def own_dossier(dossiers, principal, dossier_id):
    """``(applicant Actor, dossier)`` for the applicant acting on their own dossier (others get 404, as for
    reading, or 403 when they may read it but it is not theirs)."""
    dossier = visible_dossier(dossiers, principal, dossier_id)
    if dossier["applicant_id"] != principal.account_id:
        raise PermissionDenied("只有申报人本人可以修改、提交、撤回或撤销申报材料")
    return principal.actor(APPLICANT), dossier


def sanctions_of(identity, account_id):
    """The applicant's sanctions as the dossier's eligibility check takes them."""
    return [{"kind": s["kind"], "sanctioned_on": s["sanctioned_on"], "bars_until": s.get("bars_until")}
            for s in identity.sanctions_of(account_id)]


def open_dossier(identity, dossiers, principal, request_fields):
    """Create a draft for *principal*: identity says whether they may apply and for which unit (and
    its district), and the gender and birth date their ID number gives; the dossier service judges
    the notice, series and level."""
    actor = principal.actor(APPLICANT)
    year = request_fields.get("review_year")
    check = identity.can_apply(principal.account_id, year if isinstance(year, int) else 0)
    if not check["allowed"]:
        raise PermissionDenied("暂不能申报:" + ";".join(r["message"] for r in check["reasons"]),
                               fields={r["code"]: [r["message"]] for r in check["reasons"]})
    unit = identity.get_org(check["unit_id"])
    district = identity.get_org(unit["parent_id"])
    # 性别 and 出生日期 are the ID number's, as identity reads it; nothing the client sends sets them.
    account = identity.get_account(principal.account_id)
    fields = {**{k: request_fields.get(k) for k in ("review_year", "series", "specialty", "level")},
              "applicant_name": principal.name, "unit_id": unit["id"], "unit_name": unit["name"],
              "district_id": district["id"], "district_name": district["name"],
              "applicant_gender": account.get("gender"), "applicant_birth_date": account.get("birth_date")}
    return dossiers.create(actor.to_dict(), fields)


def scope_filter(principal, wanted_role=None):
    """The filter that keeps a dossier list inside what the acting role may see."""
    held = [role for role, _ in principal.roles]
    if wanted_role:
        if wanted_role not in held:
            raise PermissionDenied("您没有该身份")
        role = wanted_role
    else:
        role = next((r for r in LIST_ROLE_PRIORITY if r in held), None)
    if role in (CITY_ADMIN, AUDITOR):
        return {}
    if role == DISTRICT_ADMIN:
        return {"district_id": principal.actor(DISTRICT_ADMIN).org_id}
    if role == UNIT_ADMIN:
        return {"unit_id": principal.actor(UNIT_ADMIN).org_id}
    if role == APPLICANT:
        return {"applicant_id": principal.account_id}
    raise PermissionDenied("您的身份不能查看申报材料列表")
