"""Dossiers: create, list in the caller's scope, the composed view, sections, submit, decisions, audit."""
import logging

from services.payment.domain import MONEY_RECEIVED
from shared.errors import NotFound, PermissionDenied, ValidationFailed

from .http import http
from .web import created, int_arg, json_body, ok, query_args

log = logging.getLogger(__name__)

# The reviewer whose turn it is, by status: (role, which organisation of the dossier it must hold).
DECIDER_BY_STATUS = {
    "submitted": ("unit_admin", "unit_id"),
    "unit_approved": ("unit_admin", "unit_id"),
    "recommended": ("district_admin", "district_id"),
    "district_approved": ("city_admin", None),
}
# Whose list a person sees when they hold several roles and do not say which one they act in.
LIST_ROLE_PRIORITY = ("city_admin", "auditor", "district_admin", "unit_admin", "applicant")
UNAVAILABLE = {"unavailable": True, "message": "暂时无法获取,请稍后刷新"}
LIST_FILTERS = ("status", "review_year", "series", "level", "unit_id", "district_id", "q", "page", "per_page")


def optional_call(method, *args):
    """Start an RPC now; calling the result waits for the answer: None for NotFound, and
    ``{"unavailable": True}`` (logged) when the service is down or failed."""
    try:
        reply = method.call_async(*args)
    except Exception as error:  # no instance is consuming the service's queue
        log.warning("composed view: %s unavailable: %r", method, error)
        return lambda: UNAVAILABLE

    def result():
        try:
            return reply.result()
        except NotFound:
            return None
        except Exception as error:
            log.warning("composed view: %s failed: %r", method, error)
            return UNAVAILABLE

    return result


def payment_view(orders):
    """The composed view's payment part from the dossier's orders (newest first)."""
    if not orders or orders is UNAVAILABLE:
        return orders or None
    return {"orders": orders, "paid": any(order["status"] in MONEY_RECEIVED for order in orders)}


def decider(principal, dossier):
    """The Actor in which *principal* decides *dossier* at its current step, or None if not their turn."""
    role, org_field = DECIDER_BY_STATUS.get(dossier["status"], (None, None))
    if role is None:
        return None
    org = dossier[org_field] if org_field else None
    if not any(held == role and (org is None or held_org == org) for held, held_org in principal.roles):
        return None
    return principal.actor(role, org_id=org)


class DossierRoutes:
    # -- helpers ----------------------------------------------------------------------------------

    def visible_dossier(self, principal, dossier_id):
        """The dossier if the caller may see it; otherwise 404, so ids cannot be probed."""
        try:
            dossier = self.dossier.get(dossier_id)
        except NotFound:
            dossier = None
        if dossier is None or not principal.can_view_dossier(dossier):
            raise NotFound("申报材料不存在或无权查看")
        return dossier

    def applicant_actor(self, request, dossier_id):
        """The applicant acting on their own dossier (others get 404, as for reading)."""
        principal = self.principal(request)
        dossier = self.visible_dossier(principal, dossier_id)
        if dossier["applicant_id"] != principal.account_id:
            raise PermissionDenied("只有申报人本人可以修改、提交或撤销申报材料")
        return principal.actor("applicant"), dossier

    def sanctions(self, account_id):
        return [{"kind": s["kind"], "sanctioned_on": s["sanctioned_on"]} for s in self.identity.sanctions_of(account_id)]

    # -- applicant --------------------------------------------------------------------------------

    def open_dossier(self, principal, request_fields):
        """Create a draft for *principal*: identity says whether they may apply and for which unit (and
        its district); the dossier service judges the notice, series and level. Shared by API and pages."""
        actor = principal.actor("applicant")
        year = request_fields.get("review_year")
        check = self.identity.can_apply(principal.account_id, year if isinstance(year, int) else 0)
        if not check["allowed"]:
            raise PermissionDenied("暂不能申报:" + ";".join(r["message"] for r in check["reasons"]),
                                   fields={r["code"]: [r["message"]] for r in check["reasons"]})
        unit = self.identity.get_org(check["unit_id"])
        district = self.identity.get_org(unit["parent_id"])
        fields = {**{k: request_fields.get(k) for k in ("review_year", "series", "specialty", "level")},
                  "applicant_name": principal.name, "unit_id": unit["id"], "unit_name": unit["name"],
                  "district_id": district["id"], "district_name": district["name"]}
        return self.dossier.create(actor.to_dict(), fields)

    @http("POST", "/api/v1/dossiers")
    def create_dossier(self, request):
        dossier = self.open_dossier(self.principal(request), json_body(request))
        return created({"id": dossier["id"], "status": dossier["status"], "dossier": dossier})

    @http("PUT", "/api/v1/dossiers/<dossier_id>/sections/<section>")
    def update_section(self, request, dossier_id, section):
        actor, _ = self.applicant_actor(request, dossier_id)
        return ok(self.dossier.update_section(actor.to_dict(), dossier_id, section, json_body(request)))

    @http("POST", "/api/v1/dossiers/<dossier_id>/achievements")
    def add_achievement(self, request, dossier_id):
        actor, _ = self.applicant_actor(request, dossier_id)
        return created(self.dossier.add_achievement(actor.to_dict(), dossier_id, json_body(request)))

    @http("DELETE", "/api/v1/dossiers/<dossier_id>/achievements/<achievement_id>")
    def remove_achievement(self, request, dossier_id, achievement_id):
        actor, _ = self.applicant_actor(request, dossier_id)
        return ok(self.dossier.remove_achievement(actor.to_dict(), dossier_id, achievement_id))

    @http("POST", "/api/v1/dossiers/<dossier_id>/eligibility")
    def check_eligibility(self, request, dossier_id):
        actor, dossier = self.applicant_actor(request, dossier_id)
        return ok(self.dossier.check_eligibility(actor.to_dict(), dossier_id, self.sanctions(actor.account_id)))

    @http("POST", "/api/v1/dossiers/<dossier_id>/submit")
    def submit(self, request, dossier_id):
        actor, _ = self.applicant_actor(request, dossier_id)
        return ok(self.dossier.submit(actor.to_dict(), dossier_id, self.sanctions(actor.account_id)))

    @http("POST", "/api/v1/dossiers/<dossier_id>/withdraw")
    def withdraw(self, request, dossier_id):
        actor, _ = self.applicant_actor(request, dossier_id)
        return ok(self.dossier.withdraw(actor.to_dict(), dossier_id, json_body(request).get("reason", "")))

    # -- reviewers --------------------------------------------------------------------------------

    @http("POST", "/api/v1/dossiers/<dossier_id>/decisions")
    def decide(self, request, dossier_id):
        """Approve, return or reject ``{action, opinion, reason, sections, expected_version}``.

        ``expected_version`` is the dossier version the reviewer decided on: a dossier that moved since
        is refused (409, naming its status and who moved it), never decided twice."""
        principal = self.principal(request)
        dossier = self.visible_dossier(principal, dossier_id)
        actor = decider(principal, dossier)
        if actor is None:
            # Not this person's turn: any reviewer role lets the aggregate explain what the status allows.
            role = next((r for r, _ in principal.roles if r in ("unit_admin", "district_admin", "city_admin")), None)
            if role is None:
                raise PermissionDenied("只有审核人员可以作出审核决定")
            actor = principal.actor(role)
        return ok(self.dossier.decide(actor.to_dict(), dossier_id, json_body(request)))

    # -- reading ----------------------------------------------------------------------------------

    @http("GET", "/api/v1/dossiers")
    def list_dossiers(self, request):
        principal = self.principal(request)
        args = query_args(request, list_fields=("status",))
        query = {key: args[key] for key in LIST_FILTERS if key in args}
        for name in ("review_year", "page", "per_page"):
            if name in query:
                query[name] = int_arg(query, name, 0)
        query.update(self.scope_filter(principal, args.get("role")))
        return ok(self.dossier.list(query))

    def scope_filter(self, principal, wanted_role=None):
        """The filter that keeps a list inside what the acting role may see."""
        held = [role for role, _ in principal.roles]
        if wanted_role:
            if wanted_role not in held:
                raise PermissionDenied("您没有该身份")
            role = wanted_role
        else:
            role = next((r for r in LIST_ROLE_PRIORITY if r in held), None)
        if role in ("city_admin", "auditor"):
            return {}
        if role == "district_admin":
            return {"district_id": principal.actor("district_admin").org_id}
        if role == "unit_admin":
            return {"unit_id": principal.actor("unit_admin").org_id}
        if role == "applicant":
            return {"applicant_id": principal.account_id}
        raise PermissionDenied("您的身份不能查看申报材料列表")

    @http("GET", "/api/v1/dossiers/<dossier_id>")
    def get_dossier(self, request, dossier_id):
        """One page's worth: the dossier with its history, its fee orders and its certificate."""
        principal = self.principal(request)
        history = self.dossier.history.call_async(dossier_id)
        dossier = self.visible_dossier(principal, dossier_id)
        return ok({"dossier": dossier, "opinions": dossier["opinions"], "history": history.result(),
                   **self.money_and_certificate(dossier)})

    def money_and_certificate(self, dossier):
        """``{payment, certificate}`` of a dossier the caller may see, asked concurrently. Either part
        is None when there is nothing yet, or ``{"unavailable": true}`` when its service did not
        answer: the dossier still shows (it is the record; these are views beside it)."""
        orders = optional_call(self.payment.orders_of_dossier, dossier["id"])
        certificate = optional_call(self.certificate.get_by_dossier, dossier["id"])
        return {"payment": payment_view(orders()), "certificate": certificate()}

    @http("GET", "/api/v1/dossiers/<dossier_id>/history")
    def history(self, request, dossier_id):
        self.visible_dossier(self.principal(request), dossier_id)
        return ok({"items": self.dossier.history(dossier_id)})

    @http("GET", "/api/v1/dossiers/<dossier_id>/state")
    def state_at(self, request, dossier_id):
        self.visible_dossier(self.principal(request), dossier_id)
        args = query_args(request)
        if "version" not in args and "at" not in args:
            raise ValidationFailed("请指定 version 或 at", fields={"version": ["请指定版本号或时间点"]})
        version = int_arg(args, "version", 0) if "version" in args else None
        return ok(self.dossier.state_at(dossier_id, version=version, at=args.get("at")))

    @http("GET", "/api/v1/dossiers/<dossier_id>/verify")
    def verify(self, request, dossier_id):
        """``{ok, events, first_bad_version, reason?, checkpoint}``: the hash chain and the signed checkpoint.

        The scope comes from the summary, not from folding the events: a damaged dossier answers
        ``ok: false``, never 502."""
        principal = self.principal(request)
        try:
            scope = self.dossier.audit_scope(dossier_id)
        except NotFound:
            scope = None
        if scope is None or not principal.can_view_dossier(scope):
            raise NotFound("申报材料不存在或无权查看")
        return ok(self.dossier.verify(dossier_id))
