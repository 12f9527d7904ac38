"""The Chinese error page when no page's session is open: a path or method no route serves (the web
server answers it, gateway/webserver.py) or a page that could not even start (PageHandler). The
same error.html and layout as every other page, for an anonymous visitor: the menu, the 办事指南 link
and the 咨询电话 in the footer — never Werkzeug's English HTML."""
from werkzeug import Response

from .base import nav_links
from .session import CSRF_FIELD


class StandaloneErrorPages:
    def __init__(self, renderer):
        self.renderer = renderer

    def response(self, status, message, headers=None, path="/"):
        html = self.renderer.render("error.html", me=None, nav=nav_links(None), csrf_token="", csrf_field=CSRF_FIELD,
                                    flash=None, path=path, unread_badge=None, status_code=status,
                                    error={"message": message}, reference=None)
        return Response(html, status=status, headers=headers, mimetype="text/html")
