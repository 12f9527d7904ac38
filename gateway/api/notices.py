"""Annual notices (年度职称评审通知): public to read, published by the city admin."""
from shared.roles import CITY_ADMIN

from ..web import created, json_body, ok
from .http import http


class NoticeRoutes:
    @http("GET", "/api/v1/notices")
    def list_notices(self, request):
        return ok({"items": self.dossier.list_notices()})

    @http("GET", "/api/v1/notices/<int:review_year>")
    def get_notice(self, request, review_year):
        return ok(self.dossier.get_notice(review_year))

    @http("POST", "/api/v1/notices")
    def publish_notice(self, request):
        actor = self.principal(request).actor(CITY_ADMIN)
        return created(self.dossier.publish_notice(actor.to_dict(), json_body(request)))
