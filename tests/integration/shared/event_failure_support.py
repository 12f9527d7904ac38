"""Helpers for the failed-event-handling tests: a bus event, a real database fault, the records.

The fault is a PostgreSQL trigger that refuses every write to one table, so a consumer's handler
fails the way it would on a real database problem; dropping the trigger heals it.
"""
import uuid
from contextlib import contextmanager

from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import text

from shared.clock import utc_now
from shared.db import ensure_database, make_engine
from shared.event_failures import failed_event_handlings, metadata
from tests.waiting import wait_until  # noqa: F401  re-exported: the services' poison tests import it from here


def dossier_event(event_type, **overrides):
    """A ``dossier_*`` bus payload that satisfies DossierEventV1 (a dossier of a fresh id, version 5)."""
    dossier_id = overrides.pop("dossier_id", str(uuid.uuid4()))
    version = overrides.pop("version", 5)
    now = utc_now().isoformat()
    snapshot = {"applicant_id": f"applicant-{dossier_id[:8]}", "applicant_name": "李明", "unit_id": "unit-failures",
                "unit_name": "演示单位甲", "district_id": "district-failures", "district_name": "五华区人社局",
                "review_year": 2026, "series": "engineering", "specialty": "土木工程", "level": "intermediate",
                "submitted_at": now}
    return {"schema_version": 1, "event_id": f"{dossier_id}:{version}", "event_type": event_type,
            "notification_id": version, "dossier_id": dossier_id, "version": version, "status": "submitted",
            "occurred_at": now, "actor": {"account_id": snapshot["applicant_id"], "role": "applicant"},
            "data": {}, "dossier": snapshot, **overrides}


@contextmanager
def failure_records_engine(url):
    """An engine on the database at *url* (created if missing) holding the failed-handling records table."""
    ensure_database(url)
    engine = make_engine(url, pool_size=2)
    metadata.create_all(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def refusing_writes(engine, table):
    """While the block runs, every INSERT or UPDATE on *table* fails with an 'injected fault' error."""
    name = f"inject_fault_{uuid.uuid4().hex[:8]}"
    with engine.begin() as connection:
        connection.execute(text(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION 'injected fault on {table}'; END $$"))
        connection.execute(text(f"CREATE TRIGGER {name} BEFORE INSERT OR UPDATE ON {table} "
                                f"FOR EACH ROW EXECUTE FUNCTION {name}()"))
    try:
        yield
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"DROP TRIGGER {name} ON {table}"))
            connection.execute(text(f"DROP FUNCTION {name}()"))


def records(engine, event_key):
    """The failed-handling records of one event, as dicts."""
    table = failed_event_handlings
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(
            table.select().where(table.c.event_key == event_key).order_by(table.c.id)).mappings()]


def health_of(amqp_uri, service):
    """The service's answer to its ``health`` RPC."""
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=15) as proxy:
        return getattr(proxy, service).health()
