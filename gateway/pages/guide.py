"""The PUBLIC 办事指南 page (/guide): how to apply on this platform, the open notice's materials, fees
and deadlines, answers to common questions, and where to call or go (gateway/config.yaml GUIDE)."""
import logging

from .base import PageBase
from .guide_views import guide_view, service_desk
from .handler import page

log = logging.getLogger(__name__)


class GuidePages(PageBase):
    @page("GET", "/guide")
    def guide_page(self, request, session):
        session.optional_principal()
        try:
            notices = self.dossier.list_notices()
        except Exception as error:  # the guide's flow and answers still help while the notices cannot be read
            log.warning("guide: notices unavailable: %r", error)
            notices = None
        guide = guide_view(notices, service_desk(self.settings), self.settings["UPLOADS"]["MAX_BYTES"])
        return self.render_page(session, "guide.html", guide=guide)
