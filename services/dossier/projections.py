"""The dossier summary read model: one row per dossier for lists, queues and dashboards.

A row is a pure function of the aggregate at a version, and an upsert only ever replaces a row
with a newer version, so applying the same dossier twice, or an older state after a newer one,
changes nothing. The command path projects right after saving (read-your-writes); the catch-up
projector in the relay process follows the event log so a crash between the two loses nothing;
``rebuild`` recreates every row from the event store.
"""
from datetime import date, timedelta

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, func, or_, select, text

from shared.clock import beijing_day_start
from shared.event_failures import include_in

metadata = MetaData()
# Summaries the projector could not write, one open record per dossier (catchup.py); in ``health``.
failed_event_handlings = include_in(metadata)

dossier_summary = Table(
    "dossier_summary",
    metadata,
    Column("dossier_id", String(36), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("status", String(32), nullable=False, index=True),
    Column("last_event", String(64), nullable=False),
    Column("applicant_id", String(64), nullable=False, index=True),
    Column("applicant_name", Text, nullable=False),
    Column("unit_id", String(64), nullable=False, index=True),
    Column("unit_name", Text, nullable=False),
    Column("district_id", String(64), nullable=False, index=True),
    Column("district_name", Text, nullable=False),
    Column("review_year", Integer, nullable=False, index=True),
    Column("series", String(64), nullable=False),
    Column("specialty", Text, nullable=False),
    Column("level", String(32), nullable=False),
    Column("head_hash", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("submitted_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

SUMMARY_COLUMNS = [column.name for column in dossier_summary.columns]
FILTERS = ("status", "review_year", "series", "level", "unit_id", "district_id", "applicant_id")
# Filters on part of a name (case-insensitive, the text taken literally: ``%`` and ``_`` match themselves).
NAME_FILTERS = {"applicant_name": dossier_summary.c.applicant_name, "unit_name": dossier_summary.c.unit_name}


def summary_row(dossier):
    """The summary row of *dossier* as it is now."""
    return {
        "dossier_id": str(dossier.id),
        "version": dossier.version,
        "status": dossier.status,
        "last_event": dossier.last_event,
        "applicant_id": dossier.applicant_id,
        "applicant_name": dossier.applicant_name,
        "unit_id": dossier.unit_id,
        "unit_name": dossier.unit_name,
        "district_id": dossier.district_id,
        "district_name": dossier.district_name,
        "review_year": dossier.review_year,
        "series": dossier.series,
        "specialty": dossier.specialty,
        "level": dossier.level,
        "head_hash": dossier.head_hash,
        "created_at": dossier.created_at,
        "submitted_at": dossier.submitted_at,
        "updated_at": dossier.updated_at,
    }


def _upsert_statement():
    columns = ", ".join(SUMMARY_COLUMNS)
    values = ", ".join(f":{name}" for name in SUMMARY_COLUMNS)
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in SUMMARY_COLUMNS if name != "dossier_id")
    return text(
        f"INSERT INTO dossier_summary ({columns}) VALUES ({values}) "
        f"ON CONFLICT (dossier_id) DO UPDATE SET {updates} "
        "WHERE dossier_summary.version < EXCLUDED.version"
    )


# Plain SQL on purpose: SQLAlchemy cannot cache the compiled ON CONFLICT construct (no cache key),
# and the benchmark showed compiling it on every command cost more than the write itself.
UPSERT_SUMMARY = _upsert_statement()


def upsert_summaries(connection, dossiers):
    """Write the rows of *dossiers*, each replacing only an older version of itself."""
    rows = [summary_row(dossier) for dossier in dossiers]
    if rows:
        connection.execute(UPSERT_SUMMARY, rows)


def summary_version(connection, dossier_id):
    """The version the summary holds for *dossier_id*, or None."""
    return connection.execute(
        select(dossier_summary.c.version).where(dossier_summary.c.dossier_id == str(dossier_id))
    ).scalar()


def query_summaries(connection, *, filters=None, q=None, page=1, per_page=20):
    """A page of summary rows matching *filters*; stable order: newest first, then by id."""
    conditions = []
    for name, value in (filters or {}).items():
        if name not in FILTERS or value in (None, "", []):
            continue
        column = dossier_summary.c[name]
        conditions.append(column.in_(value) if isinstance(value, (list, tuple)) else column == value)
    if q:
        pattern = f"%{q.strip()}%"
        conditions.append(or_(dossier_summary.c.applicant_name.ilike(pattern), dossier_summary.c.unit_name.ilike(pattern)))
    conditions += _name_and_submission_conditions(filters or {})
    total = connection.execute(select(func.count()).select_from(dossier_summary).where(*conditions)).scalar()
    rows = connection.execute(
        select(dossier_summary)
        .where(*conditions)
        .order_by(dossier_summary.c.created_at.desc(), dossier_summary.c.dossier_id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).mappings()
    return {"items": [dict(row) for row in rows], "total": total, "page": page, "per_page": per_page}


def _name_and_submission_conditions(filters):
    """Conditions for the name filters and the submission days (Beijing dates, both ends included)."""
    conditions = []
    for name, column in NAME_FILTERS.items():
        text_value = (filters.get(name) or "").strip()
        if text_value:
            literal = text_value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            conditions.append(column.ilike(f"%{literal}%", escape="\\"))
    first, last = _day(filters.get("submitted_from")), _day(filters.get("submitted_to"))
    if first:
        conditions.append(dossier_summary.c.submitted_at >= beijing_day_start(first))
    if last:
        conditions.append(dossier_summary.c.submitted_at < beijing_day_start(last + timedelta(days=1)))
    return conditions


def _day(value):
    """A date filter as a date (the RPC edge loads one; in-process callers may pass ISO text)."""
    return date.fromisoformat(value) if isinstance(value, str) and value else value or None


def all_summaries(connection):
    """Every row in primary-key order (used to compare a rebuild with the live table)."""
    return [dict(row) for row in connection.execute(select(dossier_summary).order_by(dossier_summary.c.dossier_id)).mappings()]
