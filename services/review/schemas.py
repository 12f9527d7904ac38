"""Schemas at the review service's RPC edge.

The inputs are published in ``shared/contracts/review_schemas.py`` (the gateway documents and pre-checks
the same forms); this module names them for the service's own code, and adds the shapes of the small
answers the service dumps. The actor is ``shared.schemas.ActorSchema``. The larger answers (queue
rows, meetings, publicity lists) are still plain data built by the use cases.
"""
from marshmallow import Schema, fields

from shared.contracts.review_schemas import *  # noqa: F401,F403


def dump(schema_class, answer):
    """*answer* as *schema_class* shapes it: only its declared fields cross the wire."""
    return schema_class().dump(answer)


class DeletedOut(Schema):
    deleted = fields.String()


class QuorumOut(Schema):
    drawn = fields.Integer()
    attending = fields.Integer()
    required = fields.Integer()
    met = fields.Boolean()


class ConflictOut(Schema):
    meeting_id = fields.String()
    expert_id = fields.String()
    dossier_id = fields.String()
    reason = fields.String()


class BallotReceiptOut(Schema):
    """A cast ballot's receipt: that it was recorded, never the choice."""

    meeting_id = fields.String()
    dossier_id = fields.String()
    recorded = fields.Boolean()


class ObjectionReceiptOut(Schema):
    objection_id = fields.String()
    state = fields.String()
    message = fields.String()
