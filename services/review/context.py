"""What review's use cases are given: the lasting resources of one instance, its clock, and the work
queue's rows kept fresh from the dossier service.

``ReviewState`` lives as long as a service instance (engine, settings, clock); ``QueueRows`` is built
per worker, since it talks to the dossier service through that worker's proxy.
"""
import os
import socket
import uuid

import yaml
from sqlalchemy import func, select

from shared.clock import beijing_date, utc_now
from shared.contracts import dossier as st
from shared.contracts.dossier_events import dossier_event_type
from shared.db import ensure_database, make_engine
from shared.errors import NotFound, PlatformError
from shared.titles import LEVELS, SERIES

from . import projections
from .calendar_store import seed_calendar
from .domain.scoping import scope_of
from .exceptions import OutOfScopeError, TakenBackError
from .settings import Settings
from .tables import metadata, review_queue

# Fixed key: serialises table creation when several review instances start together.
_CREATE_TABLES_LOCK = 0x7E_71E3_0001


def new_id():
    return str(uuid.uuid4())


def wire(actor):
    """The actor as the dossier service takes it (no correlation id: the call carries its own)."""
    return {"account_id": actor.account_id, "role": actor.role, "org_id": actor.org_id}


def create_tables(engine):
    with engine.begin() as connection:
        connection.execute(select(func.pg_advisory_xact_lock(_CREATE_TABLES_LOCK)))
        metadata.create_all(connection)


class ReviewState:
    """One instance's lasting resources; *clock* (a callable giving an aware UTC datetime) is for tests."""

    def __init__(self, database_url, settings: Settings = None, clock=None, instance=None):
        ensure_database(database_url)
        self.engine = make_engine(database_url)
        self.settings = settings or Settings()
        self.clock = Clock(clock or utc_now)
        self.instance = instance or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        create_tables(self.engine)
        with open(self.settings.calendar_file, encoding="utf-8") as handle:
            seed_calendar(self.engine, yaml.safe_load(handle) or {}, self.clock.now())

    def close(self):
        self.engine.dispose()


class Clock:
    """The time a use case acts at: an aware UTC moment, and the Beijing calendar date it falls on."""

    def __init__(self, source=utc_now):
        self.source = source

    def now(self):
        return self.source()

    def today(self):
        return beijing_date(self.source())


class QueueRows:
    """The work queue's rows, read from review's database and refreshed from the dossier service when
    they lag it (events are on their way) or when a command just returned the dossier's new state."""

    def __init__(self, engine, dossiers):
        self.engine = engine
        self.dossiers = dossiers

    def queue_row(self, dossier_id):
        with self.engine.connect() as connection:
            row = connection.execute(select(review_queue).where(review_queue.c.dossier_id == str(dossier_id))
                                     ).mappings().first()
        return dict(row) if row else None

    def refresh(self, dossier):
        """Apply a dossier state a command returned, so the caller reads their own write at once."""
        with self.engine.begin() as connection:
            projections.apply_dossier_state(connection, dossier)
        return self.queue_row(dossier["id"])

    def fetch_row(self, dossier_id, expect=None):
        """The queue row; fetched from the dossier service when events have not brought it yet, or
        when it does not show the *expect*-ed status (it may lag a command of another service)."""
        row = self.queue_row(dossier_id)
        if row is not None and (expect is None or row["status"] == expect):
            return row
        try:
            return self.refresh(self.dossiers.get(str(dossier_id)))
        except NotFound:
            return row

    def dossier_status(self, dossier_id):
        """The dossier's status as the dossier service has it now (queue refreshed), or None if unreachable."""
        try:
            return self.refresh(self.dossiers.get(str(dossier_id)))["status"]
        except PlatformError:
            return None

    def visible_row(self, actor, dossier_id, expect=None):
        """The dossier's row if *actor* may see it; otherwise the same answer as for a missing dossier."""
        scope = scope_of(actor)
        row = self.fetch_row(dossier_id, expect)
        if row is not None and not scope.includes(row):
            # The row may lag the dossier (still a draft while the submission is on its way): ask once.
            row = self.fetch_row(dossier_id, expect="-fresh-")
        if not scope.includes(row):
            if _taken_back_from(scope, row):
                raise TakenBackError("申报人已撤回该申报,申报材料已恢复为草稿,不在待审核列表中;"
                                     "申报人重新提交后方可审核")
            raise OutOfScopeError(f"申报材料 {dossier_id} 不存在或不在您的管辖范围内")
        return row


# The queue's name for the event of a submission taken back (撤回申报), as its rows record it.
_TAKEN_BACK = dossier_event_type(st.recorded_event("take_back", st.SUBMITTED))


def _taken_back_from(scope, row):
    """Whether *row* left this queue because its applicant took the submission back: a draft again, which
    the queue would list were it still submitted (the unit's, its district's, the city's)."""
    return (row is not None and row["status"] == st.DRAFT and row["last_event"] == _TAKEN_BACK
            and scope.includes({**row, "status": st.SUBMITTED}))


def row_view(row):
    """A queue row as plain data with Chinese labels."""
    if row is None:
        return None
    view = dict(row)
    view["status_label"] = st.STATUS_LABELS.get(row["status"], row["status"])
    view["series_label"] = SERIES.get(row["series"], row["series"])
    view["level_label"] = LEVELS.get(row["level"], row["level"])
    for name in ("submitted_at", "updated_at"):
        view[name] = row[name].isoformat() if row.get(name) else None
    return view
