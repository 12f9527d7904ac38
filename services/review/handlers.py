"""One nameko event handler per dossier event type (nameko binds a handler to exactly one type).

They are generated from ``projections.DOSSIER_EVENTS`` rather than written out 33 times; each is
named ``handle_dossier_<event>`` and declared with ``shared.event_handlers.dossier_event_consumer``:
shared between instances, the payload validated against the bus contract and every failure recorded.
A payload that breaks the contract, or whose data the database refuses (a NUL byte), would fail
forever: it is recorded and parked at once for a replay after the repair, never dropped unseen; any
other failure puts the message back after a pause, so no event is lost, and is recorded until a
redelivery succeeds or the service's ``EVENT_HANDLING.max_attempts`` park it too
(shared/event_failures.py). Redelivery is harmless: the projections are idempotent by version.
"""
import logging

from shared.event_handlers import dossier_event_consumer

from .application import apply_dossier_event
from .projections import DOSSIER_EVENTS

log = logging.getLogger(__name__)


def _handler(event_name):
    def handle(self, event):
        try:
            apply_dossier_event(self.store, event)
        except Exception:
            log.exception("could not project dossier_%s (recorded; retried or parked, see shared/event_failures.py)",
                          event_name)
            raise

    handle.__name__ = f"handle_dossier_{event_name}"
    handle.__doc__ = f"Project ``dossier_{event_name}`` into the work queue (idempotent by version)."
    return dossier_event_consumer(_engine, event_name)(handle)


def _engine(service):
    return service.store.engine


class DossierEventHandlers:
    """Mixin for the review service; expects a ``store`` dependency (ReviewStore)."""


for _event_name in DOSSIER_EVENTS:
    setattr(DossierEventHandlers, f"handle_dossier_{_event_name}", _handler(_event_name))
