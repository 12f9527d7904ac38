"""The review room (评审室), for the expert pages and the JSON API alike: a drawn expert reads a dossier
of their meeting, read-only, and opens its materials.

The review service owns meetings and judges access; it is asked first, and it records the view
(who, what, when, the request's correlation id and address). Only then is the dossier read from the
dossier service — never on the strength of the expert's role alone (``Principal.can_view_dossier``
lets no expert see a dossier).
"""
from shared.errors import NotFound
from shared.observability import current_correlation_id
from shared.roles import EXPERT

from ..web import client_address
from . import materials
from .dossiers import NOT_VISIBLE

DOSSIER_VIEW = "dossier"


def material_view(material_id):
    """What a view of one material is recorded as (review's ``domain/room.py``)."""
    return f"material:{material_id}"


def room_dossier(review, dossiers, principal, meeting_id, dossier_id, what, request):
    """``(the room's answer, the dossier)`` when the expert may read *what* of the dossier now; otherwise
    review's refusal (403, or 404 for a dossier that is not in the meeting)."""
    actor = principal.actor(EXPERT).to_dict()
    access = review.room_dossier(actor, meeting_id, dossier_id, what, current_correlation_id(),
                                 client_address(request))
    try:
        dossier = dossiers.get(dossier_id)
    except NotFound:
        raise NotFound(NOT_VISIBLE) from None
    return access, dossier


def room_material(review, dossiers, evidence, principal, meeting_id, dossier_id, material_id, request, inline):
    """The stored PDF of a dossier of the meeting, inline (the room's viewer) or as an attachment; always
    sandboxed, as every material download is (compose/materials.py)."""
    _, dossier = room_dossier(review, dossiers, principal, meeting_id, dossier_id, material_view(material_id),
                              request)
    return materials.material_file(evidence, dossier, material_id, inline=inline)
