"""The gateway's one web server: nameko's, except that a request no route matches gets the platform's
answer — under ``/api/`` the JSON error contract (404, or 405 with ``Allow``), elsewhere the pages'
Chinese error page (registered by the pages' handler, gateway/pages/handler.py) — instead of
Werkzeug's English HTML; and a request whose handler itself breaks gets the same kind of answer (500).

Every ``@http`` handler of the gateway (API and pages) declares this server, so they share one
listening socket (nameko shares a SharedExtension by its type).
"""
import logging
from html import escape

from nameko.web.server import WebServer, WsgiApp
from werkzeug import Response
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Request

from .errors import error_body, json_response

log = logging.getLogger(__name__)
API_PREFIX = "/api/"


def unrouted_answer(path, method, exc: HTTPException, html_errors=None):
    """What a caller gets for a path or method no route serves. *html_errors* renders a page:
    ``(status, message, headers, path) -> Response``; without it a bare Chinese page."""
    if isinstance(exc, MethodNotAllowed):
        allowed = ", ".join(sorted(exc.valid_methods or ()))
        status, code, message = 405, "method_not_allowed", f"该地址不支持 {method} 请求,支持:{allowed}"
        headers = {"Allow": allowed}
    elif isinstance(exc, NotFound):
        status, code, message, headers = 404, "route_not_found", "没有这个地址,请核对网址", {}
    else:
        status, code, message, headers = exc.code or 400, "http_error", "请求无效", {}
    return error_answer(path, status, code, message, headers, html_errors)


def error_answer(path, status, code, message, headers=None, html_errors=None):
    """The JSON error contract under ``/api/``, a Chinese page elsewhere."""
    headers = headers or {}
    if path.startswith(API_PREFIX):
        return json_response({"error": {"code": code, "message": message}}, status, headers)
    if html_errors is not None:
        try:
            return html_errors(status, message, headers, path)
        except Exception:  # the layout itself failing must not turn into an English page
            log.exception("error page could not be rendered")
    page = (f"<!doctype html><html lang=zh-CN><meta charset=utf-8><title>{escape(message)}</title>"
            f"<p>{escape(message)}</p><p><a href=\"/\">返回首页</a></p></html>")
    return Response(page, status=status, headers=headers, mimetype="text/html")


class GatewayWsgiApp(WsgiApp):
    # nameko 2.14.1's WsgiApp.__call__, with the answers above in place of the raw HTTPException
    # (which Werkzeug renders as English HTML) and of an exception escaping the handler.
    def __call__(self, environ, start_response):
        request = Request(environ, shallow=True)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
        except RequestRedirect as redirect:  # e.g. ``//`` merged into ``/``: the redirect is the answer
            return redirect(environ, start_response)
        except HTTPException as exc:
            return unrouted_answer(request.path, request.method, exc, self.server.html_errors)(environ, start_response)
        request.path_values = values
        try:
            answer = provider.handle_request(request)
        except HTTPException as exc:  # never Werkzeug's own (English) rendering of it
            answer = unrouted_answer(request.path, request.method, exc, self.server.html_errors)
        except Exception as exc:  # a handler's own error answer failed: still the platform's 500
            status, body = error_body(exc)
            answer = error_answer(request.path, status, body["error"]["code"], body["error"]["message"],
                                  html_errors=self.server.html_errors)
        return answer(environ, start_response)


class GatewayWebServer(WebServer):
    def __init__(self):
        super().__init__()
        self.html_errors = None  # the pages' error page, set by their handler's setup

    def get_wsgi_app(self):
        return GatewayWsgiApp(self)
