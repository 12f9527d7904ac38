"""The bus consumers of the notification service: one handler per dossier event that changes a status
or matters to a person (nameko binds a handler to exactly one type), identity's join requests,
review's meeting openings and payment's fee orders (the certificate fee's amount, deadline and receipt).

Every handler is declared so that a failure is recorded and the queue never stalls
(shared/event_failures.py): a payload breaking its contract is parked at once for a replay after the
repair; any other failure (identity away) is retried after a pause, and parked after the service's
``EVENT_HANDLING.max_attempts``. Redelivery and reordering are harmless: each event writes its own
messages once (application.record), and the dossier tracker keeps the newest version it saw.
"""
from marshmallow import EXCLUDE, ValidationError
from nameko.events import SERVICE_POOL

from shared.contracts import dossier as st
from shared.contracts.dossier import EVENTS
from shared.contracts.dossier_events import DOSSIER_SOURCE_SERVICE
from shared.contracts.notification import (
    FEE_ORDER_OPENED, FEE_ORDER_PAID, IDENTITY_SOURCE, MEETING_OPENED, MEMBERSHIP_REQUESTED, PAYMENT_SOURCE, REVIEW_SOURCE,
    FeeOrderEvent, MeetingOpenedEvent, MembershipRequestedEvent,
)
from shared.event_failures import ContractBroken, json_rendering, recorded_event_handler
from shared.event_handlers import dossier_event_consumer, event_entering, published_event

from . import compose

# The dossier's take-back (撤回) returns a submitted dossier to draft: its submission leaves the digest.
TAKE_BACK = published_event("submission_taken_back")
SUBMITTED_EVENT = event_entering(st.SUBMITTED)
OBJECTION_RAISED = "objection_raised"
# Every event that moves a dossier (the tracker follows it) plus the side events someone hears of.
DOSSIER_EVENTS = tuple(name for name, (_label, status) in EVENTS.items() if status is not None) + (
    OBJECTION_RAISED, "objection_resolved")


def _engine(service):
    return service.notifications.engine


def on_dossier_event(service, event_name, event):
    """Write the messages of one dossier event once, tracking the dossier and the digest with them."""
    app = service.notifications
    key = f"dossier:{event['event_id']}"
    if app.handled(key):
        return
    directory = service.directory()
    outgoing = compose.applicant_messages(event_name, event, directory, service.year_facts())
    if event_name == OBJECTION_RAISED:
        outgoing += compose.objection_messages(event, directory)

    def bookkeeping(connection):
        app.track(connection, event)
        if event_name == SUBMITTED_EVENT:
            app.digests.record_submission(connection, event)
        elif event_name == TAKE_BACK:
            app.digests.record_take_back(connection, event)

    app.record(key, DOSSIER_SOURCE_SERVICE, event["event_type"], outgoing, bookkeeping)


def loaded_foreign_event(schema, payload):
    """*payload* as *schema* loads it (fields it does not know are ignored); ContractBroken otherwise."""
    name = type(schema).__name__
    if not isinstance(payload, dict):
        raise ContractBroken(f"事件不符合 {name}: {json_rendering({'_schema': ['不是对象']})}")
    try:
        return schema.load(payload, unknown=EXCLUDE)
    except ValidationError as error:
        raise ContractBroken(f"事件不符合 {name}: {json_rendering(error.messages)}") from None


def _dossier_handler(event_name):
    def handle(self, event):
        on_dossier_event(self, event_name, event)

    handle.__name__ = f"handle_dossier_{event_name}"
    handle.__doc__ = f"Messages of ``dossier_{event_name}`` (once per event, person and channel)."
    return dossier_event_consumer(_engine, event_name)(handle)


def _foreign_handler(source, event_type, schema, build):
    def handle(self, payload):
        event = loaded_foreign_event(schema, payload)
        key = f"{source}:{event_type}:{event['event_id']}"
        if not self.notifications.handled(key):
            self.notifications.record(key, source, event_type, build(event, self.directory()))

    handle.__name__ = f"handle_{event_type}"
    handle.__doc__ = f"Messages of {source}'s ``{event_type}``."
    return recorded_event_handler(_engine, source, event_type, handler_type=SERVICE_POOL,
                                  requeue_on_error=True)(handle)


class EventHandlers:
    """Mixin for NotificationService; expects ``notifications``, ``directory()`` and ``year_facts()``."""

    handle_membership_requested = _foreign_handler(IDENTITY_SOURCE, MEMBERSHIP_REQUESTED, MembershipRequestedEvent(),
                                                   compose.membership_messages)
    handle_meeting_opened = _foreign_handler(REVIEW_SOURCE, MEETING_OPENED, MeetingOpenedEvent(),
                                             compose.meeting_messages)
    handle_fee_order_opened = _foreign_handler(PAYMENT_SOURCE, FEE_ORDER_OPENED, FeeOrderEvent(),
                                               compose.fee_order_messages(FEE_ORDER_OPENED))
    handle_fee_order_paid = _foreign_handler(PAYMENT_SOURCE, FEE_ORDER_PAID, FeeOrderEvent(),
                                             compose.fee_order_messages(FEE_ORDER_PAID))


for _event_name in DOSSIER_EVENTS:
    setattr(EventHandlers, f"handle_dossier_{_event_name}", _dossier_handler(_event_name))
