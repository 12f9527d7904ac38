"""Casting a ballot over RPC the way the gateway does: the choice encrypted under the meeting's key
(shared/ballot_crypto.py) before the review service sees it — review accepts nothing else."""
from shared import ballot_crypto


def sealed(review, actor, meeting_id, dossier_id, choice):
    """The sealed ballot ``{dossier_id, ballot}`` for *choice*, encrypted with the meeting's public key."""
    key = review.ballot_key(actor, meeting_id)
    return {"dossier_id": dossier_id,
            "ballot": ballot_crypto.encrypt_choice(key["public_key"], key["meeting_id"], dossier_id, key["choices"], choice)}


def cast_sealed(review, actor, meeting_id, dossier_id, choice):
    """*actor* (a dict) casts *choice* on *dossier_id*: review's answer, or its refusal raised."""
    return review.cast_ballot(actor, meeting_id, sealed(review, actor, meeting_id, dossier_id, choice))
