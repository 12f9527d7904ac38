"""The access log's use cases: store a batch of reads once, find reads for an auditor, and sweep out
what is older than the retention period."""
from datetime import timedelta

from sqlalchemy import and_, delete, func, select, text
from sqlalchemy.dialects.postgresql import insert

from shared.clock import utc_now
from shared.contracts.accesslog import MINIMUM_RETENTION_DAYS
from shared.db import ensure_database, make_engine
from shared.errors import PermissionDenied
from shared.roles import AUDITOR

from .tables import access_records, guard_statements, metadata

_CREATE_TABLES_LOCK = 0x4B4D_4143  # pg advisory lock: one instance creates the tables at a time
PURGE_BATCH = 5000


class RetentionTooShort(ValueError):
    pass


def checked_retention(days):
    days = int(days)
    if days < MINIMUM_RETENTION_DAYS:
        raise RetentionTooShort(f"访问记录保存期限不得少于 {MINIMUM_RETENTION_DAYS} 天(等级保护三级要求),"
                                f"当前设置为 {days} 天")
    return days


class AccessLog:
    def __init__(self, database_url, *, retention_days=MINIMUM_RETENTION_DAYS, clock=utc_now, pool_size=5):
        self.retention_days = checked_retention(retention_days)
        ensure_database(database_url)
        self.engine = make_engine(database_url, pool_size=pool_size)
        self.clock = clock
        with self.engine.begin() as connection:
            connection.execute(select(func.pg_advisory_xact_lock(_CREATE_TABLES_LOCK)))
            metadata.create_all(connection)
            for statement in guard_statements(self.retention_days):
                connection.execute(text(statement))

    def close(self):
        self.engine.dispose()

    def record(self, records):
        """Store *records* (loaded by AccessBatchSchema); one already stored (same id) is not stored again.
        ``{received, stored}``."""
        with self.engine.begin() as connection:
            result = connection.execute(
                insert(access_records).values([_row(record) for record in records])
                .on_conflict_do_nothing(index_elements=["id"]).returning(access_records.c.id))
            stored = len(result.fetchall())
        return {"received": len(records), "stored": stored}

    def search(self, actor, query):
        """The reads *query* selects, newest first: ``{items, total, page, per_page}`` (auditors only)."""
        if actor.role != AUDITOR:
            raise PermissionDenied("访问记录仅供审计/纪检人员查阅")
        conditions = _conditions(query)
        page, per_page = query["page"], query["per_page"]
        with self.engine.connect() as connection:
            total = connection.execute(select(func.count()).select_from(access_records).where(*conditions)).scalar()
            rows = connection.execute(
                select(access_records).where(*conditions)
                .order_by(access_records.c.at.desc(), access_records.c.id)
                .limit(per_page).offset((page - 1) * per_page)).mappings().all()
        return {"items": [_item(row) for row in rows], "total": total, "page": page, "per_page": per_page}

    def purge(self):
        """Delete the records stored longer ago than the retention period, in batches; the number deleted.
        The table's trigger refuses anything younger whatever this code asks."""
        cutoff = self.clock() - timedelta(days=self.retention_days)
        deleted = 0
        while True:
            with self.engine.begin() as connection:
                oldest = (select(access_records.c.id).where(access_records.c.stored_at < cutoff)
                          .limit(PURGE_BATCH).scalar_subquery())
                count = connection.execute(delete(access_records).where(access_records.c.id.in_(oldest))).rowcount
            deleted += count
            if count < PURGE_BATCH:
                return deleted

    def health(self):
        with self.engine.connect() as connection:
            count, oldest = connection.execute(
                select(func.count(), func.min(access_records.c.stored_at)).select_from(access_records)).one()
        return {"records": count, "oldest_stored_at": oldest, "retention_days": self.retention_days}


def _row(record):
    return {key: record[key] for key in (
        "id", "at", "account_id", "name", "roles", "kind", "dossier_id", "target", "method", "path", "status",
        "address", "correlation_id", "user_agent", "instance")}


def _conditions(query):
    table, conditions = access_records, []
    for name in ("dossier_id", "account_id", "kind"):
        if query.get(name):
            conditions.append(table.c[name] == query[name])
    if query.get("name"):
        conditions.append(table.c.name.contains(query["name"], autoescape=True))
    if query.get("since"):
        conditions.append(table.c.at >= query["since"])
    if query.get("until"):
        conditions.append(table.c.at < query["until"])
    return [and_(*conditions)] if conditions else []


def _item(row):
    return {key: row[key] for key in (
        "id", "at", "stored_at", "account_id", "name", "roles", "kind", "dossier_id", "target", "method", "path",
        "status", "address", "correlation_id", "user_agent", "instance")}
