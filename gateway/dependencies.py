"""nameko dependencies of the gateway: settings, the authenticator and the evidence store."""
from nameko.extensions import DependencyProvider

from shared.revocations import connect_redis

from . import web
from .auth import Authenticator
from .storage import EvidenceStore


class Settings(DependencyProvider):
    """The gateway's own config section values, as a plain dict."""

    def get_dependency(self, worker_ctx):
        return self.container.config


class AuthenticatorProvider(DependencyProvider):
    def setup(self):
        cache = self.container.config.get("AUTH", {}).get("PRINCIPAL_CACHE_SECONDS", 30)
        # The revocation list of ended sign-ins (shared by every instance); identity names its key space.
        redis_client = connect_redis((self.container.config.get("REDIS") or {}).get("URL"))
        self.authenticator = Authenticator(cache_seconds=float(cache), redis_client=redis_client)

    def get_dependency(self, worker_ctx):
        return self.authenticator


class EvidenceStoreProvider(DependencyProvider):
    def setup(self):
        self.store = EvidenceStore.from_config(self.container.config["S3"])

    def start(self):
        self.store.ensure_bucket()

    def get_dependency(self, worker_ctx):
        return self.store


class ClientAddresses(DependencyProvider):
    """Applies ``TRUSTED_PROXY_HOPS`` (how many of our proxies append to X-Forwarded-For) at start-up."""

    def setup(self):
        web.trust_proxy_hops(self.container.config.get("TRUSTED_PROXY_HOPS", 0) or 0)

    def get_dependency(self, worker_ctx):
        return web.client_address
