"""The catch-up projector: follows the log and brings every touched dossier's summary row up to date.

The command path already projects after each save; this follower guarantees the read model
converges even when a process died between saving events and writing the row, and it is what
``rebuild`` replays from position zero.

It never stalls on one dossier. A batch is written in one transaction; if that fails for anything
but a fault of the surroundings (the database unreachable — then the batch is retried as a whole),
each dossier is written on its own, and one that cannot be (a stored NUL byte that a text column
refuses, events that no longer load) is recorded as a failed handling — one open record per dossier,
counted in ``health`` — and the position moves on. The dossier's next successful projection, by a
later event or by ``python -m shared.event_replay --service dossier replay``, resolves the record.
So a position stalled by an older version of this code recovers by itself at the next start.
"""
import logging
import uuid

from eventsourcing.persistence import InterfaceError as StoreInterfaceError
from eventsourcing.persistence import OperationalError as StoreOperationalError
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from shared.event_failures import Handling, error_text, record_failure_safely, resolve_keys

from .logfollower import SUMMARY_PROJECTOR, LogFollower
from .projections import upsert_summaries

log = logging.getLogger(__name__)
SERVICE = "dossier"
# The surroundings failed, not the dossier: wait and try the same batch again, never skip it.
FAULTS = (OperationalError, InterfaceError, DisconnectionError, PoolTimeoutError, StoreOperationalError,
          StoreInterfaceError, OSError)


def summary_handling(dossier_id, version=None, notification_id=None, topic=None):
    """The failed-handling record of one dossier's summary: keyed by the dossier, not by the event."""
    payload = {"dossier_id": str(dossier_id), "version": version, "notification_id": notification_id, "topic": topic}
    event_type = (topic or "").rpartition(".")[2] or "summary"
    return Handling(SERVICE, SUMMARY_PROJECTOR, SERVICE, event_type[:64], payload, key=str(dossier_id))


class SummaryCatchUp(LogFollower):
    name = SUMMARY_PROJECTOR

    def handle(self, notifications):
        latest = {}  # each dossier once, with the newest of its notifications in the batch
        for notification in notifications:
            latest[notification.originator_id] = notification
        try:
            self.project(list(latest))
        except FAULTS:
            raise
        except Exception:
            log.warning("a batch of %d dossier summaries failed; projecting them one by one", len(latest))
            for dossier_id, notification in latest.items():
                self.project_or_record(dossier_id, notification)

    def project(self, dossier_ids):
        """Write the summary rows of *dossier_ids* in one transaction and resolve their open records."""
        dossiers = [self.app.repository.get(uuid.UUID(str(dossier_id))) for dossier_id in dossier_ids]
        with self.engine.begin() as connection:
            upsert_summaries(connection, dossiers)
            resolve_keys(connection, SERVICE, SUMMARY_PROJECTOR, [str(dossier_id) for dossier_id in dossier_ids])

    def project_or_record(self, dossier_id, notification):
        """Project one dossier; if it cannot be projected, record why (a fault of the surroundings is raised)."""
        try:
            self.project([dossier_id])
        except FAULTS:
            raise
        except Exception as error:
            handling = summary_handling(dossier_id, notification.originator_version, notification.id, notification.topic)
            record_failure_safely(self.engine, handling, error, parked=True)
            log.error("summary of dossier %s cannot be projected (%s); recorded, the projector goes on",
                      dossier_id, error_text(error))


def replay_failed_summaries(config, records):
    """``shared.event_replay``'s local replayer: project each recorded dossier again; the records resolved."""
    from .application import Dossiers  # only the replay tool needs a whole application

    app = Dossiers(config["DATABASE_URL"])
    projector = SummaryCatchUp(app)
    resolved = []
    try:
        for record in records:
            try:
                projector.project([record["dossier_id"]])
                resolved.append(record)
            except Exception as error:
                handling = summary_handling(record["dossier_id"], record["event_version"], topic=record["event_type"])
                record_failure_safely(app.read_engine, handling, error, parked=True)
                log.error("replaying the summary of dossier %s failed again: %s", record["dossier_id"], error_text(error))
    finally:
        app.close()
    return resolved
