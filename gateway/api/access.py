"""The access log for auditors as JSON: every recorded read, filtered by dossier, account, kind, reader
name and Beijing dates, newest first (``GET /api/v1/audit/access``)."""
from shared.errors import ValidationFailed
from shared.roles import AUDITOR

from ..compose.access_filters import access_query
from ..web import int_arg, ok, query_args
from .http import http


class AccessRoutes:
    @http("GET", "/api/v1/audit/access")
    def audit_access_records(self, request):
        actor = self.principal(request).actor(AUDITOR)
        args = query_args(request)
        query, errors, _ = access_query(args)
        if errors:
            raise ValidationFailed("检索条件有误", fields=errors)
        for name in ("dossier_id", "account_id"):
            if args.get(name):
                query[name] = args[name]
        query.update(page=int_arg(args, "page", 1), per_page=int_arg(args, "per_page", 50))
        return ok(self.accesslog.search(actor.to_dict(), query))


