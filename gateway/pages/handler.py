"""How page routes answer: ``@page(method, url)`` opens the browser session, checks the CSRF token of
every form POST, turns refusals into a Chinese error page (or the login page when signed out) and
writes the session's cookie changes and the security headers onto every answer. What a page renders
with (the layout, the menu, the error page) is gateway/pages/base.py."""
import functools
from urllib.parse import quote, urlencode

from markupsafe import escape
from nameko.extensions import Entrypoint
from nameko.web.handlers import HttpRequestHandler
from werkzeug import Response
from werkzeug.routing import Rule

from shared.errors import NotAuthenticated

from ..edge import check_request_line
from ..errors import error_body, retry_headers
from ..webserver import GatewayWebServer
from .error_pages import StandaloneErrorPages
from .guide_views import service_desk
from .renderer import PageRenderer
from .session import CSRF_FIELD, CSRF_HEADER, REFRESH_PATH, SAFE_METHODS, RefreshNeeded

# Inline scripts and styles are not allowed: everything comes from /static.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")

class PageHandler(HttpRequestHandler):
    """``@http`` for pages. The route is kept as ``page_method``/``page_url`` rather than ``method``/``url``
    because the OpenAPI document lists every entrypoint that has those, and pages are not API."""

    server = GatewayWebServer()  # the same server as the API's handler (gateway/webserver.py)

    def __init__(self, method, url, **kwargs):
        self.page_method, self.page_url = method, url
        Entrypoint.__init__(self, **kwargs)

    def get_url_rule(self):
        return Rule(self.page_url, methods=self.page_method.split(","))

    def setup(self):
        super().setup()
        # One error page for the whole server (every page route shares it): what a path or method no
        # route serves gets outside /api/, and what a page that could not start gets below.
        if self.server.html_errors is None:
            pages = StandaloneErrorPages(PageRenderer(desk=service_desk(self.container.config)))
            self.server.html_errors = lambda status, message, headers=None, path="/": secure_headers(
                pages.response(status, message, headers, path))

    def get_entrypoint_parameters(self, request):
        check_request_line(request)  # hostile path or query: refused before the page runs (gateway/edge.py)
        return super().get_entrypoint_parameters(request)

    def response_from_exception(self, exc):
        # Only reached when the page code itself could not run (its own errors become error pages).
        status, body = error_body(exc)
        try:
            return self.server.html_errors(status, body["error"]["message"], retry_headers(exc, status))
        except Exception:  # not even the layout renders: a bare page, still in Chinese
            title = "系统繁忙" if status >= 500 else "出错了"
            html = (f"<!doctype html><meta charset=utf-8><title>{title}</title>"
                    f"<p>{escape(body['error']['message'])}</p><p><a href=\"/\">返回首页</a></p>")
            return secure_headers(Response(html, status=status, headers=retry_headers(exc, status),
                                           mimetype="text/html"))


def secure_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if response.mimetype == "text/html":
        # Pages show personal data: no caching; and no framing or foreign scripts.
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def page(method, url, *, csrf=True):
    """Declare a page route; the function is called as ``fn(self, request, session, **path_values)``.

    With ``csrf=False`` the function must check the token itself (uploads check size first).
    """
    def decorate(fn):
        @functools.wraps(fn)
        def entry(self, request, **path):
            session = self.page_sessions.open(request, self.authenticator, self.identity)
            try:
                if csrf and request.method not in SAFE_METHODS:
                    session.check_csrf(request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER))
                response = fn(self, request, session, **path)
            except RefreshNeeded:
                response = refresh_redirect(request)
            except NotAuthenticated:
                if session.has_cookies:
                    session.end()
                response = login_redirect(request)
            except Exception as error:  # refusals and outages alike become a page in Chinese
                response = self.error_page(session, error)
            return secure_headers(session.apply(response))

        return PageHandler.decorator(method, url)(entry)

    return decorate


def redirect(location, msg=None, anchor=""):
    if msg:
        location += ("&" if "?" in location else "?") + urlencode({"msg": msg})
    return Response("", status=303, headers={"Location": location + anchor})


def refresh_redirect(request):
    """Through the refresh route and back: 303 for reads; 307 for forms, so the browser sends the
    same form again (to the refresh route, then here) and nothing typed is lost."""
    here = request.path + (f"?{request.query_string.decode()}" if request.query_string else "")
    status = 303 if request.method in SAFE_METHODS else 307
    return Response("", status=status, headers={"Location": f"{REFRESH_PATH}?{urlencode({'next': here})}"})


def login_redirect(request):
    here = request.path + (f"?{request.query_string.decode()}" if request.query_string else "")
    target = here if request.method in SAFE_METHODS else "/"
    return redirect(f"/login?next={quote(target, safe='/')}", msg="signin_needed")
