"""Server-rendered Chinese pages: applicants, reviewers, the committee office and experts, publicity,
fees and certificates, and the audit officers' workspace.

The pages call the same services as the JSON API, and what both need (the visible dossier, the
composed view, the acting role, uploads and downloads) comes from gateway/compose: a page never
calls an API route and this package never imports gateway/api. How a page answers is handler.py
(``@page``) and base.py (layout, error page); cookies, CSRF and refresh are session.py; templates
are rendered by renderer.py; views.py, review_views.py and forms.py shape answers and forms.
"""
from .access import AccessLogPages
from .account import AccountPages
from .audit import AuditPages
from .audit_package import AuditPackagePages
from .audit_decisions import AuditDecisionPages
from .admin import AdminPages
from .assets import AssetPages
from .certificates import CertificatePages
from .committees import CommitteePages
from .dossiers import DossierPages
from .guide import GuidePages
from .messages import MessagePages
from .notices import NoticePages
from .payments import PaymentPages
from .printing import PrintingPages
from .publicity import PublicityPages
from .records import RecordPages
from .review import ReviewPages
from .room import RoomPages


class PageRoutes(AccountPages, DossierPages, ReviewPages, CommitteePages, RoomPages, PublicityPages, PaymentPages,
                 CertificatePages, RecordPages, AuditDecisionPages, AuditPages, AuditPackagePages, AccessLogPages, AdminPages, NoticePages,
                 MessagePages, GuidePages, PrintingPages, AssetPages):
    """Every page route; GatewayService supplies the dependencies they use."""
