"""Use cases of the work queues: scoped lists, counts, one dossier by id, exports and progress.

A dossier waiting at a level (``DECISION_STATUSES``) past that level's deadline in its year's notice is
overdue (逾期, R5.12): each queue row says so with the deadline, and the queue and the progress page
count the overdue dossiers, per organisation on the progress page.
"""
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from shared.clock import beijing_text
from shared.contracts import dossier as st

from .. import export, queue_queries
from ..context import Clock, QueueRows, row_view
from ..domain import level_deadlines
from ..domain.scoping import grouping, scope_of
from ..exceptions import RemoteServiceUnavailable
from ..policy import YearPolicies
from ..ports import IdentityPort
from ..settings import Settings
from ..tables import applicant_masks

BULK_SELECTION_LIMIT = 5000


class QueueCases:
    """Read over review's work queue; identity is asked only for masked ID numbers (exports)."""

    def __init__(self, engine, rows: QueueRows, identity: IdentityPort, settings: Settings, clock: Clock,
                 policies: YearPolicies):
        self.engine, self.rows, self.identity, self.settings, self.clock = engine, rows, identity, settings, clock
        self.policies = policies

    def with_deadline(self, view):
        """A queue row with its level's deadline and whether it is past (``overdue``)."""
        if view is None:
            return None
        level = level_deadlines.level_of(view["status"])
        deadline = self._deadline(view["review_year"], level)
        overdue = level_deadlines.passed(self.clock.now(), deadline)
        return {**view, "level_deadline": deadline.isoformat() if deadline else None, "overdue": overdue,
                "overdue_label": (f"逾期:{level_deadlines.LEVEL_NAMES[level]}已于 "
                                  f"{level_deadlines.deadline_text(deadline)} 截止") if overdue else None}

    def _deadline(self, year, level):
        """The level's deadline in the year's notice; None when there is none, or the dossier service cannot
        say now (a queue is still worth showing without its overdue marks)."""
        if level is None:
            return None
        try:
            return self.policies.of(year).deadline(level)
        except RemoteServiceUnavailable:
            return None

    def _overdue_by_group(self, connection, where, group_by):
        """``{group id: overdue dossiers}`` under *where*."""
        found = {}
        now = self.clock.now()
        for group, year, status, number in queue_queries.waiting_by_group(
                connection, where, group_by, tuple(st.DECISION_STATUSES)):
            if level_deadlines.passed(now, self._deadline(year, level_deadlines.level_of(status))):
                found[group] = found.get(group, 0) + number
        return found

    def queue(self, actor, query):
        """A page of the actor's queue; with ``include_ids`` also every matching id (bulk selection)."""
        scope = scope_of(actor)
        where = queue_queries.conditions(scope, query)
        with self.engine.connect() as connection:
            rows, total = queue_queries.page(connection, where, query["page"], query["per_page"])
            overdue = sum(self._overdue_by_group(connection, where, "unit").values())
            result = {"items": [self.with_deadline(row_view(row)) for row in rows], "total": total,
                      "page": query["page"], "per_page": query["per_page"], "awaiting_statuses": list(scope.awaiting),
                      "overdue": overdue}
            if query.get("include_ids"):
                result["ids"] = queue_queries.ids(connection, where, BULK_SELECTION_LIMIT)
        return result

    def queue_counts(self, actor, query):
        """Counts by status of the actor's scope (under the query's filters), with labels."""
        where = queue_queries.conditions(scope_of(actor), query)
        with self.engine.connect() as connection:
            counts = queue_queries.counts_by_status(connection, where)
        return _counts_view(counts)

    def queue_item(self, actor, dossier_id):
        """One dossier of the actor's scope; outside it, the same answer as for a missing dossier."""
        return self.with_deadline(row_view(self.rows.visible_row(actor, dossier_id)))

    def export_queue(self, actor, query, fmt):
        """Every dossier of the filtered queue (not just one page) as CSV or Excel."""
        where = queue_queries.conditions(scope_of(actor), query)
        with self.engine.connect() as connection:
            rows = queue_queries.all_rows(connection, where, self.settings.export_max_rows)
        masks = self.masked_id_numbers({row["applicant_id"] for row in rows})
        stamp = beijing_text(self.clock.now(), "%Y%m%d-%H%M")
        return export.render(export.table(rows, masks), fmt, stamp)

    def progress(self, actor, query):
        """Counts by status per organisation of the scope: per district for the city, per unit below."""
        scope = scope_of(actor)
        where = queue_queries.conditions(scope, {"review_year": query.get("review_year")})
        with self.engine.connect() as connection:
            grouped = queue_queries.counts_by_group(connection, where, grouping(scope))
            overdue = self._overdue_by_group(connection, where, grouping(scope))
        groups = {}
        for org_id, name, status, number in grouped:
            groups.setdefault(org_id, {"org_id": org_id, "org_name": name, "counts": {}})["counts"][status] = number
        totals = {}
        for group in groups.values():
            for status, number in group["counts"].items():
                totals[status] = totals.get(status, 0) + number
            group.update(_counts_view(group["counts"]), overdue=overdue.get(group["org_id"], 0))
        return {"grouping": grouping(scope), "review_year": query.get("review_year"),
                "groups": list(groups.values()), **_counts_view(totals), "overdue": sum(overdue.values())}

    def masked_id_numbers(self, applicant_ids):
        """Masked ID numbers from identity, cached in review's database (identity down: left empty)."""
        wanted = {str(applicant_id) for applicant_id in applicant_ids}
        with self.engine.connect() as connection:
            known = dict(connection.execute(select(applicant_masks.c.applicant_id, applicant_masks.c.id_number_masked)
                                            .where(applicant_masks.c.applicant_id.in_(wanted))).all())
        missing = sorted(wanted - set(known))
        if missing:
            fetched = self.identity.masked_id_numbers(missing)
            if fetched:
                with self.engine.begin() as connection:
                    connection.execute(insert(applicant_masks).values([
                        {"applicant_id": key, "id_number_masked": value, "fetched_at": self.clock.now()}
                        for key, value in fetched.items()]).on_conflict_do_nothing())
            known.update(fetched)
        return known


def _counts_view(counts):
    ordered = {status: counts.get(status, 0) for status in st.ALL_STATUSES if counts.get(status)}
    return {"counts": ordered, "labels": {status: st.STATUS_LABELS[status] for status in ordered},
            "total": sum(ordered.values())}
