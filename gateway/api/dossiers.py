"""Dossiers: create, list in the caller's scope, the composed view, sections, submit, decisions, audit."""
from shared.errors import ValidationFailed

from ..compose.acting import any_reviewer, decider
from ..compose.dossier_view import money_and_certificate
from ..compose.dossiers import open_dossier, sanctions_of, scope_filter, visible_audit_scope, visible_dossier
from ..web import created, int_arg, json_body, ok, query_args
from .base import ApiBase
from .http import http

LIST_FILTERS = ("status", "review_year", "series", "level", "unit_id", "district_id", "q", "page", "per_page")


class DossierRoutes(ApiBase):
    # -- applicant --------------------------------------------------------------------------------

    @http("POST", "/api/v1/dossiers")
    def create_dossier(self, request):
        dossier = open_dossier(self.identity, self.dossier, self.principal(request), json_body(request))
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
        actor, _ = self.applicant_actor(request, dossier_id)
        return ok(self.dossier.check_eligibility(actor.to_dict(), dossier_id, sanctions_of(self.identity, actor.account_id)))

    @http("POST", "/api/v1/dossiers/<dossier_id>/submit")
    def submit(self, request, dossier_id):
        actor, _ = self.applicant_actor(request, dossier_id)
        return ok(self.dossier.submit(actor.to_dict(), dossier_id, sanctions_of(self.identity, actor.account_id)))

    @http("POST", "/api/v1/dossiers/<dossier_id>/take-back")
    def take_back(self, request, dossier_id):
        """撤回申报 ``{reason?, expected_version?}``: a submitted dossier back to draft, before the unit acts.

        Once the unit has decided it is refused (409, saying so); with ``expected_version`` a dossier
        that moved since the version the applicant saw is refused too."""
        actor, _ = self.applicant_actor(request, dossier_id)
        return ok(self.dossier.take_back(actor.to_dict(), dossier_id, json_body(request)))

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
        dossier = visible_dossier(self.dossier, principal, dossier_id)
        # Not this person's turn: any reviewer role lets the aggregate explain what the status allows.
        actor = decider(principal, dossier) or any_reviewer(principal)
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
        query.update(scope_filter(principal, args.get("role")))
        return ok(self.dossier.list(query))

    @http("GET", "/api/v1/dossiers/<dossier_id>")
    def get_dossier(self, request, dossier_id):
        """One page's worth: the dossier with its history, its fee orders and its certificate."""
        principal = self.principal(request)
        history = self.dossier.history.call_async(dossier_id)
        dossier = visible_dossier(self.dossier, principal, dossier_id)
        return ok({"dossier": dossier, "opinions": dossier["opinions"], "history": history.result(),
                   **money_and_certificate(self.payment, self.certificate, dossier)})

    @http("GET", "/api/v1/dossiers/<dossier_id>/history")
    def history(self, request, dossier_id):
        visible_dossier(self.dossier, self.principal(request), dossier_id)
        return ok({"items": self.dossier.history(dossier_id)})

    @http("GET", "/api/v1/dossiers/<dossier_id>/state")
    def state_at(self, request, dossier_id):
        visible_dossier(self.dossier, self.principal(request), dossier_id)
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
        visible_audit_scope(self.dossier, self.principal(request), dossier_id)
        return ok(self.dossier.verify(dossier_id))
