"""What the JSON route mixins lean on: the role the caller acts in (``?role=`` when they hold several)
and the applicant acting on their own dossier. ``self.principal`` is GatewayService's (bearer token or
page cookie); the choices themselves are gateway/compose's, shared with the pages."""
from ..compose.acting import QUEUE_ROLES, review_actor
from ..compose.dossiers import own_dossier
from ..web import query_args


class ApiBase:
    def acting(self, request, roles=QUEUE_ROLES):
        """The caller's Actor as a dict, in the role ``?role=`` names (one of *roles*) or the first held.

        The OpenAPI document lists ``role`` for every route that calls this (gateway/api/openapi.py)."""
        return review_actor(self.principal(request), roles, query_args(request).get("role")).to_dict()

    def applicant_actor(self, request, dossier_id):
        """``(applicant Actor, dossier)``: the caller acting on their own dossier (others get 404, as for reading)."""
        return own_dossier(self.dossier, self.principal(request), dossier_id)
