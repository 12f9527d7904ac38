"""SQL over the work queue: the scope always comes first, the filters can only narrow it.

Every query a person can reach goes through ``conditions(scope, filters)``, so no filter (a unit id
of another district, a status outside the scope) can widen what an administrator sees.
"""
from sqlalchemy import func, or_, select

from shared.contracts.dossier_access import WorkQueue

from .tables import review_queue as q

FILTERS = ("review_year", "series", "level", "unit_id", "district_id")
# Oldest waiting first: the queue is worked in the order dossiers arrived.
ORDER = (q.c.submitted_at.asc().nulls_last(), q.c.dossier_id)


def scope_conditions(scope: WorkQueue):
    conditions = [q.c.status.in_(scope.statuses)]
    if scope.unit_id is not None:
        conditions.append(q.c.unit_id == scope.unit_id)
    if scope.district_id is not None:
        conditions.append(q.c.district_id == scope.district_id)
    return conditions


def conditions(scope: WorkQueue, filters):
    """The scope's conditions plus the filters of a validated queue query."""
    found = scope_conditions(scope)
    for name in FILTERS:
        if filters.get(name) not in (None, ""):
            found.append(q.c[name] == filters[name])
    if filters.get("status"):
        found.append(q.c.status.in_(filters["status"]))
    if filters.get("awaiting"):
        found.append(q.c.status.in_(scope.awaiting))
    if filters.get("q"):
        pattern = "%" + filters["q"].strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        found.append(or_(q.c.applicant_name.ilike(pattern, escape="\\"), q.c.unit_name.ilike(pattern, escape="\\")))
    return found


def page(connection, where, number, per_page):
    total = connection.execute(select(func.count()).select_from(q).where(*where)).scalar()
    rows = connection.execute(select(q).where(*where).order_by(*ORDER).limit(per_page)
                              .offset((number - 1) * per_page)).mappings()
    return [dict(row) for row in rows], total


def ids(connection, where, limit):
    """The ids of every matching dossier, in queue order (bulk selection across pages)."""
    return [row[0] for row in connection.execute(select(q.c.dossier_id).where(*where).order_by(*ORDER).limit(limit))]


def all_rows(connection, where, limit):
    return [dict(row) for row in connection.execute(select(q).where(*where).order_by(*ORDER).limit(limit)).mappings()]


def counts_by_status(connection, where):
    rows = connection.execute(select(q.c.status, func.count()).where(*where).group_by(q.c.status))
    return {status: number for status, number in rows}


def counts_by_group(connection, where, grouping):
    """``[(group id, group name, status, count)]``: per district, or per unit."""
    key, name = (q.c.district_id, q.c.district_name) if grouping == "district" else (q.c.unit_id, q.c.unit_name)
    rows = connection.execute(select(key, func.max(name), q.c.status, func.count()).where(*where)
                              .group_by(key, q.c.status).order_by(key))
    return [tuple(row) for row in rows]


def waiting_by_group(connection, where, grouping, statuses):
    """``[(group id, review year, status, count)]`` of the dossiers waiting at a level (*statuses*):
    what the overdue counts are worked out from, year by year (each year has its own deadlines)."""
    key = q.c.district_id if grouping == "district" else q.c.unit_id
    rows = connection.execute(select(key, q.c.review_year, q.c.status, func.count())
                              .where(*where, q.c.status.in_(statuses))
                              .group_by(key, q.c.review_year, q.c.status))
    return [tuple(row) for row in rows]
