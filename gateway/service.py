"""GatewayService: the only HTTP surface, and the composition root of the gateway's three layers —
the JSON routes (gateway/api), the pages (gateway/pages), and what both call (gateway/compose).

Its dependencies are declared here, once, for every route: the services' RPC proxies, the caller's
authentication, the evidence store, the rate limit of the public certificate check, the access log of reads. The entry point
``gateway.service:GatewayService`` is what ``nameko run`` starts (deploy/, docker-compose.yml).
"""
from shared.observability import CorrelationId

from .access_log import AccessLog
from .api import ApiRoutes
from .dependencies import AuthenticatorProvider, ClientAddresses, EvidenceStoreProvider, Settings
from .metrics import HttpMetrics, TimedRpcProxy
from .pages import PageRoutes
from .pages.session import request_principal
from .ratelimit import VerifyRateLimit
from .request_keys import RequestKeys


class GatewayService(ApiRoutes, PageRoutes):
    name = "gateway"

    identity = TimedRpcProxy("identity")
    dossier = TimedRpcProxy("dossier")
    review = TimedRpcProxy("review")
    payment = TimedRpcProxy("payment")
    certificate = TimedRpcProxy("certificate")
    accesslog = TimedRpcProxy("accesslog")
    notification = TimedRpcProxy("notification")
    correlation_id = CorrelationId()  # from X-Request-Id or new; travels with every RPC and event
    request_keys = RequestKeys()  # Idempotency-Key or new, for every state-changing request (request_keys.py)
    http_metrics = HttpMetrics()
    authenticator = AuthenticatorProvider()
    evidence = EvidenceStoreProvider()
    settings = Settings()
    client_addresses = ClientAddresses()
    verify_limit = VerifyRateLimit()  # public certificate checks per caller (API and page alike)
    access_log = AccessLog()  # who read which dossier, material, export or audit page (access_log.py)

    def principal(self, request):
        """The signed-in caller of *request* (401 if there is none): bearer token, or a page's session cookie
        (the pages' own session, once it has resolved the caller, is what this returns)."""
        return request_principal(request, self.authenticator, self.identity)
