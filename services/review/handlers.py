"""One nameko event handler per dossier event type (nameko binds a handler to exactly one type).

They are generated from ``projections.DOSSIER_EVENT_TYPES`` rather than written out 33 times; each
is named ``handle_dossier_<event>`` and shares the load between instances (SERVICE_POOL). A payload
that breaks the contract, or whose data the database refuses (a NUL byte), would fail forever: it is
recorded and parked at once for a replay after the repair, never dropped unseen; any other failure
puts the message back after a pause, so no event is lost, and is recorded until a redelivery
succeeds or the service's ``EVENT_HANDLING.max_attempts`` park it too (shared/event_failures.py).
Redelivery is harmless: the projections are idempotent by version.
"""
import logging

from nameko.events import SERVICE_POOL

from shared.event_failures import recorded_event_handler

from .application import apply_dossier_event
from .projections import DOSSIER_EVENT_TYPES

log = logging.getLogger(__name__)


def _handler(event_type):
    def handle(self, payload):
        try:
            apply_dossier_event(self.store, payload)
        except Exception:
            log.exception("could not project %s (recorded; retried or parked, see shared/event_failures.py)",
                          event_type)
            raise

    handle.__name__ = f"handle_{event_type}"
    handle.__doc__ = f"Project ``{event_type}`` into the work queue (idempotent by version)."
    return recorded_event_handler(_engine, "dossier", event_type, handler_type=SERVICE_POOL,
                                  requeue_on_error=True)(handle)


def _engine(service):
    return service.store.engine


class DossierEventHandlers:
    """Mixin for the review service; expects a ``store`` dependency (ReviewStore)."""


for _event_type in DOSSIER_EVENT_TYPES:
    setattr(DossierEventHandlers, f"handle_{_event_type}", _handler(_event_type))
