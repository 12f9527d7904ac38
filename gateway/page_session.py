"""Signed-in pages: the tokens in HttpOnly cookies, a CSRF token, and transparent token refresh.

The JSON API keeps its bearer header. Pages keep the access and refresh tokens in HttpOnly,
SameSite=Lax cookies; when the access token has expired the refresh cookie buys new tokens
(identity.refresh) and the new cookies ride on that page's response. Every state-changing request
made with cookies must carry the CSRF token that equals the csrf cookie (double submit): a hidden
form field for forms, the X-CSRF-Token header for scripts.
"""
import hashlib
import hmac
import secrets
import threading
import time
from urllib.parse import urlsplit

from nameko.extensions import DependencyProvider

from shared.errors import NotAuthenticated, PermissionDenied

from .web import client_address

ACCESS_COOKIE = "kt_access"
REFRESH_COOKIE = "kt_refresh"
CSRF_COOKIE = "kt_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
# Where a request keeps the principal its page session resolved, so GatewayService.principal
# (and the DossierRoutes helpers built on it) see the refreshed caller, not the stale cookie.
PRINCIPAL_KEY = "kunming.page_principal"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class CsrfRefused(PermissionDenied):
    """Raised when a state-changing request made with session cookies lacks the matching CSRF token."""

    code = "csrf_refused"


def new_csrf_token():
    return secrets.token_urlsafe(32)


def csrf_matches(expected, presented):
    """Constant-time comparison; an empty token never matches."""
    if not expected or not presented:
        return False
    return hmac.compare_digest(expected.encode(), presented.encode())


def check_csrf(request, presented):
    if not csrf_matches(request.cookies.get(CSRF_COOKIE), presented):
        raise CsrfRefused("页面已过期或请求来源不可信,请刷新页面后重试")


def request_principal(request, authenticator, identity):
    """The caller of any gateway request: the bearer token for API clients, else the page session cookie.

    A cookie alone never authorises a state-changing request: it must come with the CSRF header.
    No refresh happens here (a JSON answer cannot carry new cookies); scripts that get 401 ask
    ``POST /session/refresh`` and retry.
    """
    known = request.environ.get(PRINCIPAL_KEY)
    if known is not None:
        return known
    token = request.cookies.get(ACCESS_COOKIE)
    if token and not request.headers.get("Authorization"):
        if request.method not in SAFE_METHODS:
            check_csrf(request, request.headers.get(CSRF_HEADER))
        return authenticator.principal_for_token(token, identity)
    return authenticator.principal(request, identity)


def safe_next(target, default="/"):
    """A redirect target after login: only a path on this site (no scheme, host or ``//``)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


class RefreshCoalescer:
    """Swaps a refresh token for new tokens once, however many requests present it together.

    identity rotates refresh tokens and treats a second use as theft (it revokes the sign-in), so
    a page and its script arriving with the same expired access token must share one refresh.
    The answer is kept for a short while per token, in this gateway process only.
    """

    def __init__(self, keep_seconds=60, clock=time.monotonic):
        self.keep_seconds, self.clock = keep_seconds, clock
        self._answers = {}
        self._locks = {}
        self._guard = threading.Lock()

    def tokens_for(self, refresh_token, exchange):
        """New tokens for *refresh_token*; *exchange(refresh_token)* asks identity, at most once per token."""
        key = hashlib.sha256(refresh_token.encode()).hexdigest()
        with self._lock_for(key):
            kept = self._answers.get(key)
            if kept and kept[0] > self.clock():
                return kept[1]
            tokens = exchange(refresh_token)
            self._answers[key] = (self.clock() + self.keep_seconds, tokens)
            return tokens

    def _lock_for(self, key):
        with self._guard:
            if len(self._answers) > 1000:
                now = self.clock()
                for stale in [k for k, (until, _) in self._answers.items() if until <= now]:
                    self._answers.pop(stale, None)
                    self._locks.pop(stale, None)
            return self._locks.setdefault(key, threading.Lock())


class PageSession:
    """One page request's view of the browser session: who is signed in, the CSRF token, cookie changes."""

    def __init__(self, request, *, authenticator, identity, coalescer, secure):
        self.request = request
        self.authenticator, self.identity, self.coalescer = authenticator, identity, coalescer
        self.secure = secure
        self.csrf_token = request.cookies.get(CSRF_COOKIE) or new_csrf_token()
        self._csrf_is_new = CSRF_COOKIE not in request.cookies
        self._principal = None
        self._new_tokens = None
        self._ended = False

    @property
    def has_cookies(self):
        return bool(self.request.cookies.get(ACCESS_COOKIE) or self.request.cookies.get(REFRESH_COOKIE))

    @property
    def known_principal(self):
        """The principal if it was already resolved in this request (for the layout), else None."""
        return self._principal

    def principal(self):
        """The signed-in person, refreshing the access token if needed; NotAuthenticated otherwise."""
        if self._principal is None:
            self._principal = self._resolve()
            self.request.environ[PRINCIPAL_KEY] = self._principal
        return self._principal

    def optional_principal(self):
        """The signed-in person, or None (a dead session's cookies are cleared)."""
        try:
            return self.principal()
        except NotAuthenticated:
            if self.has_cookies:
                self.end()
            return None

    def check_csrf(self, presented):
        check_csrf(self.request, presented)

    def start(self, tokens):
        """Sign in with *tokens* (from identity.login); a fresh CSRF token goes with the new session."""
        self._new_tokens = tokens
        self._ended = False
        self.csrf_token, self._csrf_is_new = new_csrf_token(), True

    def end(self):
        self._ended, self._new_tokens, self._principal = True, None, None
        self.request.environ.pop(PRINCIPAL_KEY, None)

    @property
    def refresh_token(self):
        if self._new_tokens:
            return self._new_tokens["refresh_token"]
        return self.request.cookies.get(REFRESH_COOKIE)

    def apply(self, response):
        """Write this request's cookie changes onto *response* and return it."""
        options = {"httponly": True, "samesite": "Lax", "secure": self.secure, "path": "/"}
        if self._ended:
            for name in (ACCESS_COOKIE, REFRESH_COOKIE):
                response.delete_cookie(name, **options)
        elif self._new_tokens:
            # Session cookies: closing the browser signs out (shared computers); expiry is enforced
            # by the tokens themselves.
            response.set_cookie(ACCESS_COOKIE, self._new_tokens["access_token"], **options)
            response.set_cookie(REFRESH_COOKIE, self._new_tokens["refresh_token"], **options)
        if self._csrf_is_new:
            response.set_cookie(CSRF_COOKIE, self.csrf_token, **options)
        return response

    def _resolve(self):
        access = self.request.cookies.get(ACCESS_COOKIE)
        if access and not self._ended:
            try:
                return self.authenticator.principal_for_token(access, self.identity)
            except NotAuthenticated:
                pass  # expired or revoked: try the refresh token
        refresh = self.request.cookies.get(REFRESH_COOKIE)
        if not refresh or self._ended:
            raise NotAuthenticated("请先登录")
        source = client_address(self.request)
        tokens = self.coalescer.tokens_for(
            refresh, lambda token: self.identity.refresh({"refresh_token": token}, source_address=source))
        self._new_tokens = tokens
        return self.authenticator.principal_for_token(tokens["access_token"], self.identity)


class PageSessions(DependencyProvider):
    """Opens a PageSession per page request; holds the process-wide refresh coalescer."""

    def setup(self):
        config = self.container.config
        pages = config.get("PAGES") or {}
        secure = pages.get("COOKIE_SECURE")
        if secure is None or secure == "":
            # Default: Secure cookies exactly when the site is served over https.
            secure = str(config.get("PUBLIC_BASE_URL", "")).startswith("https://")
        self.secure = secure if isinstance(secure, bool) else str(secure).lower() in ("1", "true", "yes")
        self.coalescer = RefreshCoalescer()

    def get_dependency(self, worker_ctx):
        return self

    def open(self, request, authenticator, identity):
        return PageSession(request, authenticator=authenticator, identity=identity,
                           coalescer=self.coalescer, secure=self.secure)
