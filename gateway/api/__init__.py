"""The JSON API under ``/api/v1`` (and ``/health``, ``/metrics``): one route mixin per area, each
``@http`` route authenticating the caller, choosing the role it acts in and calling the services.

What the pages need too lives in gateway/compose; this package never imports gateway/pages. Its
entrypoint is ``http`` (gateway/api/http.py); the OpenAPI document is generated from these routes
(gateway/api/openapi.py, with the query parameters of gateway/api/parameters.py).
"""
from .access import AccessRoutes
from .audit import AuditRoutes
from .auth import AuthRoutes
from .certificates import CertificateRoutes
from .committees import CommitteeRoutes
from .dossiers import DossierRoutes
from .materials import MaterialRoutes
from .messages import MessageRoutes
from .notices import NoticeRoutes
from .ops import OpsRoutes
from .orgs import OrgRoutes
from .payments import PaymentRoutes
from .publicity import PublicityRoutes
from .review import ReviewRoutes
from .room import RoomRoutes


class ApiRoutes(AuthRoutes, OrgRoutes, NoticeRoutes, DossierRoutes, MaterialRoutes, ReviewRoutes, CommitteeRoutes, RoomRoutes,
                PublicityRoutes, PaymentRoutes, CertificateRoutes, AuditRoutes, AccessRoutes, MessageRoutes, OpsRoutes):
    """Every JSON route; GatewayService supplies ``principal`` and the dependencies they use."""
