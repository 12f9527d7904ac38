"""The working-day calendar in review's database: seeded from holidays.yaml, edited by the city admin.

The database is the source of truth once a year is there; the file only fills in missing years.
Every change is also kept in ``calendar_changes`` so an auditor can see who changed what and when.
"""
import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from .tables import calendar_changes, calendar_years
from .domain.workdays import WorkingCalendar, YearDays, check_year, expand_days

SEEDED_BY = "seed:holidays.yaml"


def _year_row(year, days_off, workdays, source, actor_id, now):
    return {"year": int(year), "days_off": [day.isoformat() for day in days_off],
            "workdays": [day.isoformat() for day in workdays], "source": source or "",
            "updated_by": actor_id, "updated_at": now}


def seed_calendar(engine, data, now):
    """Insert each year of the file that the database does not have yet (idempotent)."""
    with engine.begin() as connection:
        for year, entry in (data or {}).items():
            days_off, workdays = expand_days(entry.get("days_off")), expand_days(entry.get("workdays"))
            check_year(int(year), days_off, workdays)
            row = _year_row(year, days_off, workdays, entry.get("source"), SEEDED_BY, now)
            connection.execute(insert(calendar_years).values(row).on_conflict_do_nothing())


def load_calendar(connection):
    rows = connection.execute(select(calendar_years)).mappings()
    return WorkingCalendar({
        row["year"]: YearDays(frozenset(expand_days(row["days_off"])), frozenset(expand_days(row["workdays"])))
        for row in rows
    })


def get_year(connection, year):
    row = connection.execute(select(calendar_years).where(calendar_years.c.year == int(year))).mappings().first()
    return dict(row) if row else None


def save_year(connection, year, days_off, workdays, source, actor_id, now):
    """Replace one year's data (after checking it) and keep the change for the audit trail."""
    check_year(int(year), days_off, workdays)
    row = _year_row(year, days_off, workdays, source, actor_id, now)
    statement = insert(calendar_years).values(row)
    connection.execute(statement.on_conflict_do_update(
        index_elements=[calendar_years.c.year],
        set_={name: statement.excluded[name]
              for name in ("days_off", "workdays", "source", "updated_by", "updated_at")},
    ))
    connection.execute(insert(calendar_changes).values(
        id=str(uuid.uuid4()), year=int(year), days_off=row["days_off"], workdays=row["workdays"], source=row["source"],
        changed_by=actor_id, changed_at=now))
    return row


def working_calendar(engine):
    """The working-day calendar as the database holds it now (the city admin may have just edited it)."""
    with engine.connect() as connection:
        return load_calendar(connection)
