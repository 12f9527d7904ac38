"""The secret ballot as the API and the pages take it: the choice is checked here and encrypted here
(shared/ballot_crypto.py), under the meeting's public key, before anything leaves the gateway — so
no plaintext choice ever crosses the bus or reaches the review service, its tables or its logs.

This module never logs, stores or returns the choice; only the sealed ballot goes on.
"""
from shared import ballot_crypto
from shared.contracts.review_schemas import BallotSchema
from shared.schemas import load_or_raise


def cast_sealed_ballot(review, actor, meeting_id, body):
    """Check ``{dossier_id, choice}``, encrypt the choice with its proofs and cast the sealed ballot."""
    ballot = load_or_raise(BallotSchema(), body, message="表决意见有误")
    key = review.ballot_key(actor, meeting_id)
    sealed = ballot_crypto.encrypt_choice(key["public_key"], key["meeting_id"], ballot["dossier_id"],
                                          key["choices"], ballot["choice"])
    return review.cast_ballot(actor, meeting_id, {"dossier_id": ballot["dossier_id"], "ballot": sealed})


def checked_ballot_record(review, meeting_id):
    """``(record, check)``: the published record of a closed vote, checked here as any outsider checks it
    (``{ok, detail}``), so the page never merely repeats what the review service claims."""
    record = review.ballot_record(meeting_id)
    try:
        checked = ballot_crypto.verify_record(record)
    except ballot_crypto.BallotProofError as error:
        return record, {"ok": False, "detail": str(error)}
    return record, {"ok": True, "detail": f"{len(checked)} 件申报材料的计票结果均与加密选票一致"}
