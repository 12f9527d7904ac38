"""Annual notices (年度职称评审通知): public to read, with every published version and what it
changed; drafted, published and discarded by the city admin."""
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

    @http("GET", "/api/v1/notices/<int:review_year>/versions")
    def list_notice_versions(self, request, review_year):
        """Oldest first; each with ``changes``: ``[{path, label, before, after}]`` against the version before."""
        return ok({"items": self.dossier.list_notice_versions(review_year)})

    @http("GET", "/api/v1/notices/<int:review_year>/versions/<int:version>")
    def get_notice_version(self, request, review_year, version):
        return ok(self.dossier.get_notice_version(review_year, version))

    # -- drafts: the city admin's unpublished next version of a year's notice -------------------

    @http("GET", "/api/v1/notices/drafts")
    def list_notice_drafts(self, request):
        actor = self.principal(request).actor(CITY_ADMIN)
        return ok({"items": self.dossier.list_notice_drafts(actor.to_dict())})

    @http("POST", "/api/v1/notices/drafts")
    def save_notice_draft(self, request):
        """A whole notice document, validated as for publishing; it replaces the year's earlier draft."""
        actor = self.principal(request).actor(CITY_ADMIN)
        return ok(self.dossier.save_notice_draft(actor.to_dict(), json_body(request)))

    @http("GET", "/api/v1/notices/<int:review_year>/draft")
    def get_notice_draft(self, request, review_year):
        actor = self.principal(request).actor(CITY_ADMIN)
        return ok(self.dossier.get_notice_draft(actor.to_dict(), review_year))

    @http("DELETE", "/api/v1/notices/<int:review_year>/draft")
    def discard_notice_draft(self, request, review_year):
        actor = self.principal(request).actor(CITY_ADMIN)
        return ok(self.dossier.discard_notice_draft(actor.to_dict(), review_year))

    @http("POST", "/api/v1/notices/<int:review_year>/draft/publish")
    def publish_notice_draft(self, request, review_year):
        """The draft becomes the year's next published version; the draft is removed."""
        actor = self.principal(request).actor(CITY_ADMIN)
        return created(self.dossier.publish_notice_draft(actor.to_dict(), review_year))
