"""The gateway's one web server: nameko's, except that a request no route matches gets the platform's
answer — under ``/api/`` the JSON error contract (404, or 405 with ``Allow``), elsewhere a Chinese
page — instead of Werkzeug's English HTML.

Every ``@http`` handler of the gateway (API and pages) declares this server, so they share one
listening socket (nameko shares a SharedExtension by its type).
"""
from html import escape

from nameko.web.server import WebServer, WsgiApp
from werkzeug import Response
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.wrappers import Request

from .errors import json_response

API_PREFIX = "/api/"


def unrouted_answer(path, method, exc: HTTPException):
    """What a caller gets for a path or method no route serves."""
    if isinstance(exc, MethodNotAllowed):
        allowed = ", ".join(sorted(exc.valid_methods or ()))
        status, code, message = 405, "method_not_allowed", f"该地址不支持 {method} 请求,支持:{allowed}"
        headers = {"Allow": allowed}
    elif isinstance(exc, NotFound):
        status, code, message, headers = 404, "route_not_found", "没有这个地址,请核对网址", {}
    else:
        status, code, message, headers = exc.code or 400, "http_error", "请求无效", {}
    if path.startswith(API_PREFIX):
        return json_response({"error": {"code": code, "message": message}}, status, headers)
    page = (f"<!doctype html><html lang=zh-CN><meta charset=utf-8><title>{escape(message)}</title>"
            f"<p>{escape(message)}</p><p><a href=\"/\">返回首页</a></p></html>")
    return Response(page, status=status, headers=headers, mimetype="text/html")


class GatewayWsgiApp(WsgiApp):
    # nameko 2.14.1's WsgiApp.__call__, with the unrouted answer above in place of the raw
    # HTTPException (which Werkzeug renders as English HTML).
    def __call__(self, environ, start_response):
        request = Request(environ, shallow=True)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
        except HTTPException as exc:
            return unrouted_answer(request.path, request.method, exc)(environ, start_response)
        request.path_values = values
        try:
            answer = provider.handle_request(request)
        except HTTPException as exc:
            answer = exc
        return answer(environ, start_response)


class GatewayWebServer(WebServer):
    def get_wsgi_app(self):
        return GatewayWsgiApp(self)
