"""The integration-event contract of the bus: versioned marshmallow schemas shared by all services.

The dossier relay publishes every stored dossier event as ``dossier_<event>`` on the exchange
``dossier.events``. The payload carries the state after the event (event-carried state) so that
consumers build their read models without calling back; consumers keep the last applied
``version`` per dossier and ignore anything not newer, which makes redelivery harmless.
"""
import logging

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

log = logging.getLogger(__name__)

DOSSIER_EXCHANGE = "dossier.events"
DOSSIER_SOURCE_SERVICE = "dossier"
DOSSIER_EVENT_SCHEMA_VERSION = 1


class ActorSchema(Schema):
    account_id = fields.String(required=True)
    role = fields.String(required=True)
    org_id = fields.String(allow_none=True, load_default=None)
    correlation_id = fields.String(allow_none=True, load_default=None)


class DossierSnapshotSchema(Schema):
    """The summary of the dossier after the event: what queues and dashboards need."""

    class Meta:
        unknown = EXCLUDE

    applicant_id = fields.String(required=True)
    applicant_name = fields.String(required=True)
    unit_id = fields.String(required=True)
    unit_name = fields.String(required=True)
    district_id = fields.String(required=True)
    district_name = fields.String(required=True)
    review_year = fields.Integer(required=True)
    series = fields.String(required=True)
    specialty = fields.String(required=True)
    level = fields.String(required=True)
    submitted_at = fields.String(allow_none=True, load_default=None)


class DossierEventV1(Schema):
    """Version 1 of every ``dossier_*`` integration event."""

    class Meta:
        unknown = EXCLUDE

    schema_version = fields.Integer(required=True, validate=validate.Equal(1))
    event_id = fields.String(required=True)
    event_type = fields.String(required=True)
    notification_id = fields.Integer(required=True)
    dossier_id = fields.String(required=True)
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    status = fields.String(required=True)
    occurred_at = fields.String(required=True)
    actor = fields.Nested(ActorSchema, required=True)
    data = fields.Dict(required=True)
    dossier = fields.Nested(DossierSnapshotSchema, required=True)


def dossier_event_type(event_name):
    """Bus name of a dossier event: ``submitted`` -> ``dossier_submitted``."""
    return f"dossier_{event_name}"


_DOSSIER_EVENT_V1 = DossierEventV1()


def load_dossier_event(payload):
    """*payload* as DossierEventV1 defines it; None (logged) when it breaks the contract: such a
    message would fail on every redelivery, so a consumer drops it instead of requeueing it."""
    try:
        return _DOSSIER_EVENT_V1.load(payload)
    except ValidationError as error:
        log.error("ignoring malformed dossier event: %s", error.messages)
        return None
