"""Signed-in pages: the tokens in HttpOnly cookies, a CSRF token bound to the sign-in, and refresh.

The JSON API keeps its bearer header. Pages keep the access token in an HttpOnly, SameSite=Lax
cookie for the whole site and the refresh token in one that travels only to ``/session/refresh``.
When the access token has expired, a page request is sent there (303 for reads, 307 for forms, so
the browser repeats the form as it was) and comes back with new cookies.

Every state-changing request made with cookies must come from this site (Origin, else Referer) and
carry the CSRF token of its sign-in: identity issues it at login and each access token carries its
digest, so a token planted in another cookie, or one from another session, never matches. Forms
send it as a hidden field, scripts as the X-CSRF-Token header. Before signing in (login, register,
public forms) there is no session: the token then equals the csrf cookie (double submit).
"""
import hashlib
import hmac
import secrets
import threading
import time
from urllib.parse import urlsplit

from nameko.extensions import DependencyProvider

from shared.errors import NotAuthenticated, PermissionDenied
from shared.tokens import csrf_matches_session

from ..web import client_address

ACCESS_COOKIE = "kt_access"
REFRESH_COOKIE = "kt_refresh"
# The refresh cookie goes nowhere else: a page that leaks its request cookies leaks no refresh token.
REFRESH_PATH = "/session/refresh"
CSRF_COOKIE = "kt_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
# Where a request keeps the principal its page session resolved, so GatewayService.principal
# (``request_principal`` below) sees the refreshed caller, not the stale cookie.
PRINCIPAL_KEY = "kunming.page_principal"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


CSRF_REFUSED = "页面已过期或请求来源不可信,请刷新页面后重试"
CROSS_SITE = "请求来源不可信:不接受从其他网站提交的表单,请在本系统页面中操作"
# The public origin (scheme://host[:port] of PUBLIC_BASE_URL), set once at start-up by PageSessions.
_public_origin = None


class CsrfRefused(PermissionDenied):
    """Raised when a state-changing request made with session cookies lacks the matching CSRF token,
    or comes from another site."""

    code = "csrf_refused"


class RefreshNeeded(Exception):
    """Raised when the access cookie no longer works and only the refresh route can renew it."""


def origin_of(url):
    parts = urlsplit(str(url or ""))
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else None


def same_site(request):
    """Whether a state-changing request comes from this site: its Origin (else Referer) is the public
    origin or the host it was sent to. Without either header (not a browser) the CSRF token decides."""
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source:
        return True
    parts = urlsplit(source)
    if not parts.scheme or not parts.netloc:  # "Origin: null" and the like
        return False
    return origin_of(source) == _public_origin or parts.netloc.lower() == request.host.lower()


def check_same_site(request):
    if not same_site(request):
        raise CsrfRefused(CROSS_SITE)


def new_csrf_token():
    return secrets.token_urlsafe(32)


def csrf_matches(expected, presented):
    """Constant-time comparison; an empty token never matches."""
    if not expected or not presented:
        return False
    return hmac.compare_digest(expected.encode(), presented.encode())


def check_csrf(request, presented):
    """The double-submit check of pages used before signing in: the token equals the csrf cookie."""
    check_same_site(request)
    if not csrf_matches(request.cookies.get(CSRF_COOKIE), presented):
        raise CsrfRefused(CSRF_REFUSED)


def check_session_csrf(request, principal, presented):
    """A signed-in request: from this site, with the CSRF token of the principal's own sign-in."""
    check_same_site(request)
    if not csrf_matches_session(principal.csrf_digest, presented):
        raise CsrfRefused(CSRF_REFUSED)


def request_principal(request, authenticator, identity):
    """The caller of any gateway request: the bearer token for API clients, else the page session cookie.

    A cookie alone never authorises a state-changing request: it must come from this site with the
    CSRF header of its sign-in. No refresh happens here (a JSON answer cannot carry new cookies);
    scripts that get 401 ask ``POST /session/refresh`` and retry.
    """
    known = request.environ.get(PRINCIPAL_KEY)
    if known is not None:
        return known
    token = request.cookies.get(ACCESS_COOKIE)
    if token and not request.headers.get("Authorization"):
        principal = authenticator.principal_for_token(token, identity)
        if request.method not in SAFE_METHODS:
            check_session_csrf(request, principal, request.headers.get(CSRF_HEADER))
    else:
        principal = authenticator.principal(request, identity)
    request.environ[PRINCIPAL_KEY] = principal  # who read what: the access log names the caller (gateway/access_log.py)
    return principal


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
        """A state-changing request: from this site, with the token of its sign-in (or, with no live
        sign-in, the double-submit token of the anonymous forms)."""
        check_same_site(self.request)
        if self.request.cookies.get(ACCESS_COOKIE) and not self._ended:
            try:
                principal = self.principal()  # RefreshNeeded goes up: the request comes back renewed
            except NotAuthenticated:
                self.end()  # a dead sign-in: the request goes on as nobody's
            else:
                check_session_csrf(self.request, principal, presented)
                return
        check_csrf(self.request, presented)

    def start(self, tokens):
        """Sign in with *tokens* (from identity.login): the sign-in's own CSRF token goes with it."""
        self._new_tokens = tokens
        self._ended = False
        self.csrf_token, self._csrf_is_new = tokens.get("csrf_token") or new_csrf_token(), True

    def end(self):
        self._ended, self._new_tokens, self._principal = True, None, None
        self.request.environ.pop(PRINCIPAL_KEY, None)

    @property
    def access_token(self):
        """The sign-in's access token (possibly expired: enough to end its session)."""
        if self._new_tokens:
            return self._new_tokens["access_token"]
        return self.request.cookies.get(ACCESS_COOKIE)

    @property
    def refresh_token(self):
        if self._new_tokens:
            return self._new_tokens["refresh_token"]
        return self.request.cookies.get(REFRESH_COOKIE)

    def apply(self, response):
        """Write this request's cookie changes onto *response* and return it."""
        site = {"httponly": True, "samesite": "Lax", "secure": self.secure, "path": "/"}
        refresh_route = {**site, "path": REFRESH_PATH}
        if self._ended:
            response.delete_cookie(ACCESS_COOKIE, **site)
            response.delete_cookie(REFRESH_COOKIE, **refresh_route)
        elif self._new_tokens:
            # Session cookies: closing the browser signs out (shared computers); expiry is enforced
            # by the tokens themselves.
            response.set_cookie(ACCESS_COOKIE, self._new_tokens["access_token"], **site)
            response.set_cookie(REFRESH_COOKIE, self._new_tokens["refresh_token"], **refresh_route)
        if self._csrf_is_new:
            response.set_cookie(CSRF_COOKIE, self.csrf_token, **site)
        return response

    def _resolve(self):
        access = self.request.cookies.get(ACCESS_COOKIE)
        if access and not self._ended:
            try:
                return self.authenticator.principal_for_token(access, self.identity)
            except NotAuthenticated:
                pass  # expired or ended: try the refresh token
        refresh = self.request.cookies.get(REFRESH_COOKIE)
        if self._ended:
            raise NotAuthenticated("请先登录")
        if not refresh:
            if access:
                raise RefreshNeeded()  # the refresh cookie only travels to the refresh route
            raise NotAuthenticated("请先登录")
        source = client_address(self.request)
        tokens = self.coalescer.tokens_for(
            refresh, lambda token: self.identity.refresh({"refresh_token": token}, source_address=source))
        self._new_tokens = tokens
        return self.authenticator.principal_for_token(tokens["access_token"], self.identity)


def cookies_must_be_secure(public_url, setting):
    """Secure cookies whenever the public URL is https; ``COOKIE_SECURE`` true forces them anyway."""
    forced = setting if isinstance(setting, bool) else str(setting or "").lower() in ("1", "true", "yes")
    return str(public_url or "").lower().startswith("https://") or forced


class PageSessions(DependencyProvider):
    """Opens a PageSession per page request; holds the process-wide refresh coalescer."""

    def setup(self):
        config = self.container.config
        pages = config.get("PAGES") or {}
        self.secure = cookies_must_be_secure(config.get("PUBLIC_BASE_URL"), pages.get("COOKIE_SECURE"))
        global _public_origin
        _public_origin = origin_of(config.get("PUBLIC_BASE_URL"))
        self.coalescer = RefreshCoalescer()

    def get_dependency(self, worker_ctx):
        return self

    def open(self, request, authenticator, identity):
        return PageSession(request, authenticator=authenticator, identity=identity,
                           coalescer=self.coalescer, secure=self.secure)
