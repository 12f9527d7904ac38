"""The pages' CSS and scripts from gateway/static, served by the gateway itself (no external CDN)."""
from werkzeug import Response

from .handler import PageHandler, secure_headers
from .renderer import static_file


class AssetPages:
    @PageHandler.decorator("GET", "/static/<path:path>")
    def static(self, request, path):
        found = static_file(path)
        if found is None:
            return secure_headers(Response("未找到该文件", status=404, mimetype="text/plain"))
        content, content_type = found
        # URLs carry a content hash (?v=...), so a long cache is safe.
        return secure_headers(Response(content, content_type=content_type,
                                       headers={"Cache-Control": "public, max-age=86400"}))
