"""Server-rendered Chinese pages: applicants, reviewers, the committee office and experts, publicity,
fees and certificates.

The pages call the same services as the JSON API (and reuse its helpers for visibility and
acting roles); see page_http for how a page answers and page_session for cookies and CSRF.
"""
from werkzeug import Response

from .page_http import PageHandler, secure_headers
from .pages import static_file
from .routes_pages_account import AccountPages
from .routes_pages_admin import AdminPages
from .routes_pages_certificates import CertificatePages
from .routes_pages_committees import CommitteePages
from .routes_pages_dossiers import DossierPages
from .routes_pages_payments import PaymentPages
from .routes_pages_publicity import PublicityPages
from .routes_pages_review import ReviewPages


class PageRoutes(AccountPages, DossierPages, ReviewPages, CommitteePages, PublicityPages, PaymentPages,
                 CertificatePages, AdminPages):
    @PageHandler.decorator("GET", "/static/<path:path>")
    def static(self, request, path):
        found = static_file(path)
        if found is None:
            return secure_headers(Response("未找到该文件", status=404, mimetype="text/plain"))
        content, content_type = found
        # URLs carry a content hash (?v=...), so a long cache is safe.
        return secure_headers(Response(content, content_type=content_type,
                                       headers={"Cache-Control": "public, max-age=86400"}))
