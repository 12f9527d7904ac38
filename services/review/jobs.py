"""Timer safety with several review instances: one active run per job, one action per dossier.

Two layers. A session-level PostgreSQL advisory lock, *tried* and never waited for, lets one
instance run a job at a time (psycopg2 blocks the whole process under eventlet, so a blocking wait
could stall the very greenthread holding the lock). Then each dossier is claimed in
``automated_actions`` before anything is done to it; a finished claim is never acted on again, and a
failed one is released so the next run retries it. Together: a dossier is never processed twice.
"""
import zlib
from datetime import timedelta

from sqlalchemy import and_, delete, text, update
from sqlalchemy.dialects.postgresql import insert

from .tables import automated_actions

CLAIMED, DONE = "claimed", "done"


class JobLock:
    """``with JobLock(engine, "deadlines") as held:`` — *held* is False when another instance runs the job."""

    def __init__(self, engine, name):
        self.engine = engine
        self.key = zlib.crc32(f"kunming-review-job:{name}".encode())
        self.connection = None

    def __enter__(self):
        connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        if connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar():
            self.connection = connection
            return True
        connection.close()
        return False

    def __exit__(self, *exc_info):
        if self.connection is not None:
            try:
                self.connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            finally:
                self.connection.close()
                self.connection = None
        return False


def _key(dossier_id, action, reference):
    return and_(automated_actions.c.dossier_id == str(dossier_id), automated_actions.c.action == action,
                automated_actions.c.reference == str(reference))


def claim(engine, dossier_id, action, reference, *, instance, now, stale_seconds):
    """True when this instance now owns the action on the dossier (fresh, or taken over from a stale claim)."""
    with engine.begin() as connection:
        inserted = connection.execute(
            insert(automated_actions).values(dossier_id=str(dossier_id), action=action, reference=str(reference),
                                             state=CLAIMED, instance=instance, claimed_at=now)
            .on_conflict_do_nothing().returning(automated_actions.c.dossier_id)
        ).first()
        if inserted:
            return True
        taken_over = connection.execute(
            update(automated_actions)
            .where(_key(dossier_id, action, reference), automated_actions.c.state == CLAIMED,
                   automated_actions.c.claimed_at < now - timedelta(seconds=stale_seconds))
            .values(instance=instance, claimed_at=now).returning(automated_actions.c.dossier_id)
        ).first()
        return taken_over is not None


def finish(engine, dossier_id, action, reference, detail=""):
    with engine.begin() as connection:
        connection.execute(update(automated_actions).where(_key(dossier_id, action, reference))
                           .values(state=DONE, detail=detail))


def release(engine, dossier_id, action, reference):
    """Give a claim back after a failure, so a later run tries again."""
    with engine.begin() as connection:
        connection.execute(delete(automated_actions).where(_key(dossier_id, action, reference),
                                                           automated_actions.c.state == CLAIMED))
