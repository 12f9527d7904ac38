"""The review room (评审室) pages: a drawn expert reads a dossier of their meeting from the ballot page —
every section, every material inline, the earlier levels' opinions — read-only, and opens its PDFs.

Review judges access and records each view (gateway/compose/room.py); these pages only show what
they were let in to. The office and the auditor read the record on the meeting page
(``meeting_room_views``)."""
from shared.contracts import dossier as st
from shared.roles import EXPERT

from ..compose.room import DOSSIER_VIEW, room_dossier, room_material
from .base import PageBase
from .handler import page
from .views import history_rows

# How many of the newest views the meeting page shows (the API lists them all).
MEETING_PAGE_VIEWS = 50


class RoomPages(PageBase):
    @page("GET", "/expert/meetings/<meeting_id>/dossiers/<dossier_id>")
    def room_dossier_page(self, request, session, meeting_id, dossier_id):
        access, dossier = room_dossier(self.review, self.dossier, session.principal(), meeting_id, dossier_id,
                                       DOSSIER_VIEW, request)
        opinions = [row for row in history_rows(self.dossier.history(dossier_id)) if row["type"] in st.OPINION_EVENTS]
        return self.render_page(session, "room_dossier.html", room=access, dossier=dossier, opinions=opinions,
                                leads=self.lead_opinions(session, meeting_id, dossier_id),
                                material_base=f"/expert/meetings/{meeting_id}/dossiers/{dossier_id}/materials")

    def lead_opinions(self, session, meeting_id, dossier_id):
        """The leads' signed opinions on the dossier, as the expert's own meeting answer gives them
        (only after review let the expert into the room)."""
        mine = self.review.expert_meetings(session.principal().actor(EXPERT).to_dict())
        meeting = next((m for m in mine if m["meeting_id"] == meeting_id), {})
        entry = next((d for d in meeting.get("dossiers", []) if d["dossier_id"] == dossier_id), {})
        return entry.get("leads") or []

    @page("GET", "/expert/meetings/<meeting_id>/dossiers/<dossier_id>/materials/<material_id>")
    def room_material_page(self, request, session, meeting_id, dossier_id, material_id):
        """The PDF the room frames (inline, sandboxed); ``?download=1`` saves it instead."""
        return room_material(self.review, self.dossier, self.evidence, session.principal(), meeting_id, dossier_id,
                             material_id, request, inline=not request.args.get("download"))

    def meeting_room_views(self, actor, meeting_id):
        """The newest views of the meeting's review room and how many there are, for the meeting page."""
        views = self.review.room_views(actor, meeting_id)
        return {"room_views": views[:MEETING_PAGE_VIEWS], "room_views_total": len(views)}
