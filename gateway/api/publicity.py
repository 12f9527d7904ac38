"""Publicity (公示) and objections (异议) over JSON. The lists and the objection form are public (no
login): they show name, unit, series, specialty and level, never an ID number. Objections are rate
limited per contact and per network address (429); the city admin publishes and resolves."""
from shared.roles import AUDITOR, CITY_ADMIN

from ..web import client_address, created, json_body, ok, query_args
from .base import ApiBase
from .http import http

CITY = (CITY_ADMIN,)
READERS = (CITY_ADMIN, AUDITOR)


class PublicityRoutes(ApiBase):
    @http("POST", "/api/v1/publicity")
    def publish(self, request):
        """``{dossier_ids, start?, working_days?, title?}`` of passed dossiers → ``{id, start, end, results}``."""
        return created(self.review.publish(self.acting(request, CITY), json_body(request)))

    @http("GET", "/api/v1/publicity")
    def list_publicities(self, request):
        """Public: every publicity list, newest first."""
        return ok({"items": self.review.list_publicities()})

    @http("GET", "/api/v1/publicity/<publicity_id>")
    def get_publicity(self, request, publicity_id):
        """Public: name, unit, series, specialty and level of each listed person."""
        return ok(self.review.get_publicity(publicity_id))

    @http("GET", "/api/v1/publicity/<publicity_id>/detail")
    def publicity_detail(self, request, publicity_id):
        """For the city admin and auditors: each entry's state and its open objections."""
        return ok(self.review.publicity_detail(self.acting(request, READERS), publicity_id))

    @http("POST", "/api/v1/publicity/<publicity_id>/objections")
    def lodge_objection(self, request, publicity_id):
        """Public: ``{dossier_id, contact, facts, name?}`` during the window; limited per contact and address."""
        answer = self.review.lodge_objection(publicity_id, json_body(request), client_address(request))
        return created(answer)

    @http("GET", "/api/v1/objections")
    def list_objections(self, request):
        args = query_args(request)
        query = {k: args[k] for k in ("state", "publicity_id") if k in args}
        return ok({"items": self.review.list_objections(self.acting(request, READERS), query)})

    @http("POST", "/api/v1/objections/<objection_id>/resolve")
    def resolve_objection(self, request, objection_id):
        """``{outcome: dismissed|upheld, reason, fraud}``: dismissed lets the dossier proceed."""
        return ok(self.review.resolve_objection(self.acting(request, CITY), objection_id,
                                                json_body(request)))

    @http("POST", "/api/v1/review/timers/run")
    def run_review_timers(self, request):
        """Run review's due jobs now (end publicity windows, abandon overdue returns): city admin."""
        return ok(self.review.run_timers(self.acting(request, CITY)))
