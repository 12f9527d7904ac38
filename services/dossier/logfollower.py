"""Follow the event store's notification log from a saved position, one active follower per name.

The outbox relay and the catch-up projector are both followers. A follower reads a batch after
its position, handles it, and only then saves the new position, so a crash repeats work rather
than skipping it. A PostgreSQL session-level advisory lock keeps exactly one instance of each
follower active; the others wait as standbys and take over when the holder's connection drops.
"""
import logging
import zlib

from sqlalchemy import BigInteger, Column, DateTime, String, Table, func, select, text
from sqlalchemy.dialects.postgresql import insert

from .projections import metadata

log = logging.getLogger(__name__)

log_positions = Table(
    "log_positions",
    metadata,
    Column("follower", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


OUTBOX_RELAY = "outbox-relay"
SUMMARY_PROJECTOR = "summary-projector"


class LogFollower:
    """Base class: subclasses implement ``handle(notifications)``; a bare instance only reads positions."""

    name = "follower"

    def __init__(self, app, *, name=None, batch_size=200):
        self.name = name or type(self).name
        self.app = app
        self.engine = app.read_engine
        self.batch_size = batch_size
        self._lock_connection = None

    # -- single active instance -------------------------------------------------------------

    @property
    def lock_key(self):
        return zlib.crc32(f"kunming-dossier-{self.name}".encode())

    def try_acquire(self):
        """Take the advisory lock if free; True while this instance is the active one."""
        if self._lock_connection is not None:
            try:
                self._lock_connection.execute(text("SELECT 1"))
                return True
            except Exception:  # the connection died, and the lock with it
                self.release()
        connection = self.engine.connect()
        got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.lock_key}).scalar()
        connection.commit()
        if got:
            self._lock_connection = connection
            log.info("%s is now the active instance", self.name)
            return True
        connection.close()
        return False

    def release(self):
        if self._lock_connection is not None:
            try:
                self._lock_connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.lock_key})
                self._lock_connection.close()
            except Exception:
                log.warning("could not release %s lock cleanly", self.name)
            self._lock_connection = None

    # -- position ---------------------------------------------------------------------------

    def position(self):
        with self.engine.connect() as connection:
            saved = connection.execute(
                select(log_positions.c.position).where(log_positions.c.follower == self.name)
            ).scalar()
        return saved or 0

    def save_position(self, position, connection=None):
        statement = insert(log_positions).values(follower=self.name, position=position)
        statement = statement.on_conflict_do_update(
            index_elements=[log_positions.c.follower], set_={"position": position, "updated_at": func.now()}
        )
        if connection is not None:
            connection.execute(statement)
            return
        with self.engine.begin() as own_connection:
            own_connection.execute(statement)

    def backlog(self):
        """Notifications stored but not yet handled by this follower."""
        return max((self.app.recorder.max_notification_id() or 0) - self.position(), 0)

    # -- work -------------------------------------------------------------------------------

    def step(self):
        """Handle the next batch; returns how many notifications were handled."""
        notifications = self.app.recorder.select_notifications(start=self.position() + 1, limit=self.batch_size)
        if not notifications:
            return 0
        self.handle(notifications)
        self.save_position(notifications[-1].id)
        return len(notifications)

    def handle(self, notifications):
        raise NotImplementedError
