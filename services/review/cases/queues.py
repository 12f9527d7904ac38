"""Use cases of the work queues: scoped lists, counts, one dossier by id, exports and progress."""
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from shared.clock import beijing_text
from shared.contracts import dossier as st

from .. import export, queue_queries
from ..context import Clock, QueueRows, row_view
from ..domain.scoping import grouping, scope_of
from ..ports import IdentityPort
from ..settings import Settings
from ..tables import applicant_masks

BULK_SELECTION_LIMIT = 5000


class QueueCases:
    """Read over review's work queue; identity is asked only for masked ID numbers (exports)."""

    def __init__(self, engine, rows: QueueRows, identity: IdentityPort, settings: Settings, clock: Clock):
        self.engine, self.rows, self.identity, self.settings, self.clock = engine, rows, identity, settings, clock

    def queue(self, actor, query):
        """A page of the actor's queue; with ``include_ids`` also every matching id (bulk selection)."""
        scope = scope_of(actor)
        where = queue_queries.conditions(scope, query)
        with self.engine.connect() as connection:
            rows, total = queue_queries.page(connection, where, query["page"], query["per_page"])
            result = {"items": [row_view(row) for row in rows], "total": total, "page": query["page"],
                      "per_page": query["per_page"], "awaiting_statuses": list(scope.awaiting)}
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
        return row_view(self.rows.visible_row(actor, dossier_id))

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
        groups = {}
        for org_id, name, status, number in grouped:
            groups.setdefault(org_id, {"org_id": org_id, "org_name": name, "counts": {}})["counts"][status] = number
        totals = {}
        for group in groups.values():
            for status, number in group["counts"].items():
                totals[status] = totals.get(status, 0) + number
            group.update(_counts_view(group["counts"]))
        return {"grouping": grouping(scope), "review_year": query.get("review_year"),
                "groups": list(groups.values()), **_counts_view(totals)}

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
