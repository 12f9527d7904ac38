"""The one way a service consumes a dossier event: validated against the bus contract, every failure
recorded (shared/event_failures.py), and the handler given the event as DossierEventV1 loads it.

A payload that breaks the contract would fail on every delivery: it raises ``ContractBroken``, so it
is recorded and parked for a replay after the repair, never dropped unseen. Any other failure puts
the message back after the policy's pause until it succeeds or is parked after ``max_attempts``.
Instances share the load (service pool); redelivery is harmless because consumers apply a dossier's
events idempotently by version.

Usage::

    @dossier_event_consumer(lambda service: service.payments.engine, event_entering(st.WITHDRAWN))
    def handle_dossier_withdrawn(self, event):
        self.payments.on_withdrawn(event)
"""
import functools

from marshmallow import ValidationError
from nameko.events import SERVICE_POOL

from .contracts.dossier import EVENT_STATUS, EVENTS, STEPS_BACK
from .event_failures import ContractBroken, json_rendering, recorded_event_handler
from .contracts.dossier_events import DOSSIER_SOURCE_SERVICE, DossierEventV1, dossier_event_type

_DOSSIER_EVENT_V1 = DossierEventV1()


def loaded_dossier_event(payload):
    """*payload* as DossierEventV1 loads it; ContractBroken (names every problem) when it breaks the contract."""
    if not isinstance(payload, dict):
        raise ContractBroken(f"事件不符合 DossierEventV1: {json_rendering({'_schema': ['不是对象']})}")
    try:
        return _DOSSIER_EVENT_V1.load(payload)
    except ValidationError as error:
        raise ContractBroken(f"事件不符合 DossierEventV1: {json_rendering(error.messages)}") from None


def published_event(event_name):
    """*event_name* if the dossier publishes it (a key of shared.contracts.dossier.EVENTS), so a
    misspelt consumer fails when its module is imported instead of silently never receiving anything."""
    if event_name not in EVENTS:
        raise KeyError(f"the dossier publishes no event {event_name!r}; it publishes {', '.join(EVENTS)}")
    return event_name


def event_entering(status):
    """The dossier event that moves a dossier into *status* (shared.contracts.dossier.EVENT_STATUS): a
    consumer that cares about a dossier becoming ``accepted`` names the status, not the event's spelling.
    A step back into *status* (``STEPS_BACK``: a recall from a meeting leaves the dossier fee-paid
    again) is not the dossier becoming so: no fee was paid."""
    (event_name,) = [name for name, result in EVENT_STATUS.items() if result == status and name not in STEPS_BACK]
    return event_name


def dossier_event_consumer(engine_of, event_name):
    """Declare ``method(service, event)`` as the consumer of the dossier's *event_name* (a key of
    ``EVENTS``; on the bus ``dossier_<event_name>``).

    *engine_of(service instance)* gives the engine of the service's own database, where failed
    handlings are recorded. The failure record keeps the payload exactly as it arrived."""
    event_type = dossier_event_type(published_event(event_name))

    def decorate(method):
        @functools.wraps(method)
        def handle(service, payload):
            return method(service, loaded_dossier_event(payload))

        return recorded_event_handler(engine_of, DOSSIER_SOURCE_SERVICE, event_type, handler_type=SERVICE_POOL,
                                      requeue_on_error=True)(handle)

    return decorate
