"""The review room (评审室) over JSON: a drawn expert reads a dossier of their meeting and downloads its
materials; the meeting's organisers and the auditor list who read what, when. Review judges access
and records every view (gateway/compose/room.py)."""
from shared.roles import AUDITOR, CITY_ADMIN, COMMITTEE_SECRETARY

from ..compose.room import DOSSIER_VIEW, room_dossier, room_material
from ..web import ok
from .base import ApiBase
from .http import http

RECORD_READERS = (CITY_ADMIN, COMMITTEE_SECRETARY, AUDITOR)


class RoomRoutes(ApiBase):
    @http("GET", "/api/v1/expert/meetings/<meeting_id>/dossiers/<dossier_id>")
    def read_room_dossier(self, request, meeting_id, dossier_id):
        """The dossier read-only with the earlier levels' opinions, for an expert drawn into the meeting
        (attending, not recused) while it is drawn or open; the view is recorded."""
        room, dossier = room_dossier(self.review, self.dossier, self.principal(request), meeting_id, dossier_id,
                                     DOSSIER_VIEW, request)
        return ok({"room": room, "dossier": dossier, "opinions": dossier["opinions"]})

    @http("GET", "/api/v1/expert/meetings/<meeting_id>/dossiers/<dossier_id>/materials/<material_id>")
    def download_room_material(self, request, meeting_id, dossier_id, material_id):
        """One of the dossier's PDFs as an attachment, under the same rule; the view is recorded."""
        return room_material(self.review, self.dossier, self.evidence, self.principal(request), meeting_id,
                             dossier_id, material_id, request, inline=False)

    @http("GET", "/api/v1/meetings/<meeting_id>/room-views")
    def list_room_views(self, request, meeting_id):
        """Who read which dossier or material of the meeting, and when, newest first."""
        return ok({"items": self.review.room_views(self.acting(request, RECORD_READERS), meeting_id)})
