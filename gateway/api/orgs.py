"""Organisations and memberships: the tree, unit registration and approval, joining a unit."""
from shared.contracts.identity import CONFIRMED
from shared.roles import APPLICANT, CITY_ADMIN, DISTRICT_ADMIN, SYSADMIN, UNIT_ADMIN

from ..web import created, json_body, ok, query_args
from .http import http

UNIT_APPROVERS = (DISTRICT_ADMIN, CITY_ADMIN, SYSADMIN)


class OrgRoutes:
    @http("GET", "/api/v1/orgs")
    def list_orgs(self, request):
        args = query_args(request)
        query = {key: args[key] for key in ("kind", "q", "parent_id", "status") if key in args}
        if "type" in args:
            query["kind"] = args["type"]
        return ok({"items": self.identity.list_orgs(query)})

    @http("GET", "/api/v1/orgs/<org_id>")
    def get_org(self, request, org_id):
        return ok(self.identity.get_org(org_id))

    @http("POST", "/api/v1/orgs/units")
    def register_unit(self, request):
        actor = self.principal(request).primary_actor()
        return created(self.identity.register_unit(actor.to_dict(), json_body(request)))

    @http("POST", "/api/v1/orgs/units/<unit_id>/approve")
    def approve_unit(self, request, unit_id):
        actor = self.principal(request).actor(*UNIT_APPROVERS)
        return ok(self.identity.approve_unit(actor.to_dict(), {**json_body(request), "unit_id": unit_id}))

    @http("POST", "/api/v1/memberships")
    def request_membership(self, request):
        actor = self.principal(request).actor(APPLICANT)
        return created(self.identity.request_membership(actor.to_dict(), json_body(request)))

    @http("POST", "/api/v1/memberships/<membership_id>/confirm")
    def confirm_membership(self, request, membership_id):
        actor = self.principal(request).actor(UNIT_ADMIN)
        return ok(self.identity.confirm_membership(actor.to_dict(), {"membership_id": membership_id}))

    @http("POST", "/api/v1/memberships/<membership_id>/reject")
    def reject_membership(self, request, membership_id):
        actor = self.principal(request).actor(UNIT_ADMIN)
        body = {**json_body(request), "membership_id": membership_id}
        return ok(self.identity.reject_membership(actor.to_dict(), body))

    @http("GET", "/api/v1/orgs/<unit_id>/members")
    def unit_members(self, request, unit_id):
        principal = self.principal(request)
        if not principal.has(CITY_ADMIN, SYSADMIN):
            principal.actor(UNIT_ADMIN, org_id=unit_id)  # a unit admin sees only their own unit
        return ok({"items": self.identity.unit_members(unit_id, query_args(request).get("status", CONFIRMED))})
