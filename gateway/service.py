"""GatewayService: the only HTTP surface. Routes live in the routes_* mixins by area; each checks
the caller's role and scope, calls the services over RPC and composes their answers."""
from shared.observability import CorrelationId

from .dependencies import AuthenticatorProvider, ClientAddresses, EvidenceStoreProvider, Settings
from .metrics import HttpMetrics, TimedRpcProxy
from .page_session import request_principal
from .request_keys import RequestKeys
from .routes_audit import AuditRoutes
from .routes_auth import AuthRoutes
from .routes_certificates import CertificateRoutes
from .routes_committees import CommitteeRoutes
from .routes_dossiers import DossierRoutes
from .routes_materials import MaterialRoutes
from .routes_notices import NoticeRoutes
from .routes_ops import OpsRoutes
from .routes_orgs import OrgRoutes
from .routes_payments import PaymentRoutes
from .routes_pages import PageRoutes
from .routes_publicity import PublicityRoutes
from .routes_review import ReviewRoutes


class GatewayService(AuthRoutes, OrgRoutes, NoticeRoutes, DossierRoutes, MaterialRoutes, ReviewRoutes, CommitteeRoutes,
                     PublicityRoutes, PaymentRoutes, CertificateRoutes, AuditRoutes, OpsRoutes, PageRoutes):
    name = "gateway"

    identity = TimedRpcProxy("identity")
    dossier = TimedRpcProxy("dossier")
    review = TimedRpcProxy("review")
    payment = TimedRpcProxy("payment")
    certificate = TimedRpcProxy("certificate")
    correlation_id = CorrelationId()  # from X-Request-Id or new; travels with every RPC and event
    request_keys = RequestKeys()  # Idempotency-Key or new, for every state-changing request (request_keys.py)
    http_metrics = HttpMetrics()
    authenticator = AuthenticatorProvider()
    evidence = EvidenceStoreProvider()
    settings = Settings()
    client_addresses = ClientAddresses()

    def principal(self, request):
        """The signed-in caller of *request* (401 if there is none): bearer token, or a page's session cookie."""
        return request_principal(request, self.authenticator, self.identity)
