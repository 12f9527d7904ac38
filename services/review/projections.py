"""Review's read models built from dossier events: one function per (event, view), named for its effect.

Idempotent by dossier version: each view keeps the version it last applied per dossier and a write
only replaces an older version, so a duplicate or an older event that arrives late changes nothing.
Each event carries the dossier's state after it (event-carried state), so the newest version alone
determines the row: reordered delivery ends in the same rows as ordered delivery.
"""
from datetime import date, datetime

from sqlalchemy import text

from shared.contracts import dossier as st
from shared.contracts.dossier_events import dossier_event_type

# Every event the dossier aggregate records, by its bus name (the dossier's published contract).
DOSSIER_EVENTS = tuple(st.EVENTS)
DOSSIER_EVENT_TYPES = tuple(dossier_event_type(name) for name in DOSSIER_EVENTS)

QUEUE_COLUMNS = (
    "dossier_id", "version", "status", "last_event", "applicant_id", "applicant_name", "unit_id", "unit_name",
    "district_id", "district_name", "review_year", "series", "specialty", "level", "submitted_at", "updated_at",
)


def _guarded_upsert(table, columns):
    names = ", ".join(f'"{name}"' for name in columns)
    values = ", ".join(f":{name}" for name in columns)
    updates = ", ".join(f'"{name}" = EXCLUDED."{name}"' for name in columns if name != "dossier_id")
    # Plain SQL: the version guard is the whole point and reads best written out.
    return text(f"INSERT INTO {table} ({names}) VALUES ({values}) ON CONFLICT (dossier_id) DO UPDATE "
                f"SET {updates} WHERE {table}.version < EXCLUDED.version")


UPSERT_QUEUE = _guarded_upsert("review_queue", QUEUE_COLUMNS)
UPSERT_PERIOD = _guarded_upsert("unit_publicity_periods", ("dossier_id", "version", "start", "end"))


def _moment(value):
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def _day(value):
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


# -- work queue: every event --------------------------------------------------------------------

def update_work_queue(connection, event):
    snapshot = event["dossier"]
    row = {name: snapshot.get(name) for name in QUEUE_COLUMNS if name in snapshot}
    row.update(
        dossier_id=event["dossier_id"], version=event["version"], status=event["status"],
        last_event=event["event_type"], submitted_at=_moment(snapshot.get("submitted_at")),
        updated_at=_moment(event["occurred_at"]),
    )
    connection.execute(UPSERT_QUEUE, row)


# -- unit publicity periods: recorded sets it, a return clears it (as the aggregate does) -------

def record_unit_publicity_period(connection, event):
    data = event["data"]
    connection.execute(UPSERT_PERIOD, {"dossier_id": event["dossier_id"], "version": event["version"],
                                       "start": _day(data.get("start")), "end": _day(data.get("end"))})


def clear_unit_publicity_period(connection, event):
    connection.execute(UPSERT_PERIOD, {"dossier_id": event["dossier_id"], "version": event["version"],
                                       "start": None, "end": None})


PROJECTIONS = {event_type: [update_work_queue] for event_type in DOSSIER_EVENT_TYPES}
PROJECTIONS[dossier_event_type("unit_publicity_recorded")].append(record_unit_publicity_period)
# A return leaves the dossier returned: whatever event does that clears the period.
for _name, _status in st.EVENT_STATUS.items():
    if _status == st.RETURNED:
        PROJECTIONS[dossier_event_type(_name)].append(clear_unit_publicity_period)


def apply_event(connection, event):
    """Run every projection of a validated event; unknown event types change nothing."""
    for projection in PROJECTIONS.get(event["event_type"], ()):
        projection(connection, event)


def apply_dossier_state(connection, dossier):
    """Bring the views up to a dossier as a dossier command returned it (read-your-writes).

    The same version arriving later as an event is then a duplicate and changes nothing.
    """
    row = {name: dossier.get(name) for name in QUEUE_COLUMNS}
    row.update(dossier_id=dossier["id"], last_event=dossier_event_type(dossier["last_event"]),
               submitted_at=_moment(dossier.get("submitted_at")), updated_at=_moment(dossier["updated_at"]))
    connection.execute(UPSERT_QUEUE, row)
    period = dossier.get("unit_publicity") or {}
    connection.execute(UPSERT_PERIOD, {"dossier_id": dossier["id"], "version": dossier["version"],
                                       "start": _day(period.get("start")), "end": _day(period.get("end"))})
