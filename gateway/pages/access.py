"""The auditor's pages of the access log (访问记录): every recorded read, of one dossier, or by one account,
newest first, with filters. Reading them is itself recorded (gateway/access_rules.py)."""
from shared.contracts.accesslog import KINDS
from shared.errors import PlatformError

from ..compose.audit import SEARCHERS, audit_actor, organisation_names
from ..compose.dossiers import visible_dossier
from ..web import query_args
from ..compose.access_filters import PER_PAGE, access_query, access_rows
from .audit import page_number
from .base import PageBase
from .handler import page
from .review_views import paging, query_string


class AccessLogPages(PageBase):
    @page("GET", "/audit/access")
    def access_log_page(self, request, session):
        return self._access_page(session, request, {}, scope="all")

    @page("GET", "/audit/dossiers/<dossier_id>/access")
    def dossier_access_page(self, request, session, dossier_id):
        audit_actor(session.principal(), SEARCHERS)
        dossier = visible_dossier(self.dossier, session.principal(), dossier_id)
        return self._access_page(session, request, {"dossier_id": dossier["id"]}, scope="dossier", dossier=dossier)

    @page("GET", "/audit/accounts/<account_id>/access")
    def account_access_page(self, request, session, account_id):
        audit_actor(session.principal(), SEARCHERS)
        try:
            account = self.identity.get_account(account_id)
        except PlatformError:
            account = {"id": account_id, "name": ""}  # a removed account's reads are still shown
        return self._access_page(session, request, {"account_id": account_id}, scope="account", account=account)

    def _access_page(self, session, request, fixed, scope, **context):
        actor = audit_actor(session.principal(), SEARCHERS)
        args = query_args(request)
        query, errors, values = access_query(args)
        number = page_number(args)
        listing, rows, pager = None, [], None
        if not errors:
            listing = self.accesslog.search(actor.to_dict(), {**query, **fixed, "page": number, "per_page": PER_PAGE})
            org_ids = {role.get("org_id") for item in listing["items"] for role in item.get("roles") or []}
            rows = access_rows(listing["items"], organisation_names(self.identity, org_ids))
            pager = paging(listing["total"], number, PER_PAGE)
        keep = {name: value for name, value in values.items() if value}
        base = request.path
        return self.render_page(session, "audit_access.html", status=422 if errors else 200, scope=scope,
                                listing=listing, rows=rows, pager=pager, errors=errors, values=values, keep=keep,
                                kinds=KINDS, base=base, query_string=query_string, **context)
