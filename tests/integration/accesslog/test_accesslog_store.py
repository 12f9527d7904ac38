"""The access log end to end below the pages: records spooled by the gateway's AccessLog dependency are
handed over to the real access-log service over the real broker and stored once; while the service
cannot be reached nothing is lost (the spool keeps it, a later instance hands over a dead one's file);
the store refuses any change and any early deletion, whoever asks."""
import json
import uuid
from datetime import timedelta

import eventlet
import pytest
from nameko.containers import ServiceContainer
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from gateway.access_log import AccessLog
from services.accesslog.application import AccessLog as AccessStore, RetentionTooShort
from services.accesslog.service import AccessLogService
from shared.clock import utc_now
from shared.rpc import register_platform_errors
from tests.service_configs import service_config
from tests.waiting import wait_until

register_platform_errors()

AUDITOR = {"account_id": "auditor-1", "role": "auditor", "org_id": None}


def a_record(**changes):
    record = {"id": str(uuid.uuid4()), "at": utc_now().isoformat(), "account_id": "acct-1", "name": "张三",
              "roles": [{"role": "unit_admin", "org_id": "unit-1"}], "kind": "dossier", "dossier_id": "d-1",
              "target": "", "method": "GET", "path": "/dossiers/d-1", "status": 200, "address": "10.0.0.7",
              "correlation_id": "corr-1", "user_agent": "pytest", "instance": "gw-test"}
    record.update(changes)
    return record


class Container:
    """What the AccessLog dependency asks of its nameko container: the config and a managed thread."""

    def __init__(self, config):
        self.config = config
        self.threads = []

    def spawn_managed_thread(self, fn, identifier=None):
        thread = eventlet.spawn(fn)
        self.threads.append(thread)
        return thread


def gateway_access_log(amqp_uri, spool_dir):
    dependency = AccessLog()
    dependency.container = Container({"AMQP_URI": amqp_uri, "ACCESS_LOG": {
        "SPOOL_DIR": str(spool_dir), "SHIP_SECONDS": 0.05, "BATCH": 50, "RPC_SECONDS": 3}})
    dependency.setup()
    return dependency


@pytest.fixture(scope="module")
def accesslog(database_url, amqp_vhost):
    config = service_config("services/accesslog/config.yaml")
    config.update(AMQP_URI=amqp_vhost("accesslog"), DATABASE_URL=database_url("accesslog"))
    container = ServiceContainer(AccessLogService, config)
    container.start()
    yield config
    container.stop()


@pytest.fixture
def engine(accesslog):
    engine = create_engine(accesslog["DATABASE_URL"])
    yield engine
    engine.dispose()


def stored(engine, **where):
    clause = " AND ".join(f"{name} = :{name}" for name in where) or "true"
    with engine.connect() as connection:
        return connection.execute(text(f"SELECT * FROM access_records WHERE {clause}"), where).mappings().all()


def test_a_batch_sent_twice_is_stored_once_and_a_bad_record_is_set_aside_alone(accesslog, engine):
    good, other = a_record(dossier_id="twice"), a_record(dossier_id="twice")
    bad = a_record(dossier_id="twice", kind="not-a-kind")
    with ClusterRpcProxy({"AMQP_URI": accesslog["AMQP_URI"]}) as rpc:
        first = rpc.accesslog.record([good, bad, other])
        again = rpc.accesslog.record([good, other])
    assert (first["received"], first["stored"]) == (3, 2)
    assert [item["id"] for item in first["refused"]] == [bad["id"]]
    assert "kind" in first["refused"][0]["problem"]
    assert (again["stored"], again["refused"]) == (0, [])
    assert sorted(row["id"] for row in stored(engine, dossier_id="twice")) == sorted([good["id"], other["id"]])


def test_the_store_refuses_changes_and_early_deletion_for_every_role(accesslog, engine):
    record = a_record(dossier_id="kept")
    with ClusterRpcProxy({"AMQP_URI": accesslog["AMQP_URI"]}) as rpc:
        rpc.accesslog.record([record])
    for statement in ("UPDATE access_records SET name = '李四' WHERE id = :id",
                      "DELETE FROM access_records WHERE id = :id", "TRUNCATE access_records"):
        with pytest.raises(DBAPIError, match="append-only"):
            with engine.begin() as connection:
                connection.execute(text(statement), {"id": record["id"]})
    (row,) = stored(engine, id=record["id"])
    assert row["name"] == "张三"


def test_the_sweep_deletes_only_what_is_past_the_retention_period(accesslog, engine):
    store = AccessStore(accesslog["DATABASE_URL"], retention_days=180)
    try:
        old, young = a_record(dossier_id="sweep"), a_record(dossier_id="sweep")
        store.record([young])
        with engine.begin() as connection:  # a record stored 181 days ago, as the database would have it
            connection.execute(text(
                "INSERT INTO access_records (id, at, stored_at, account_id, name, roles, kind, dossier_id, target, "
                "method, path, status, address, correlation_id, user_agent, instance) VALUES (:id, :at, :stored_at, "
                "'a', 'n', '[]', 'dossier', 'sweep', '', 'GET', '/x', 200, '', NULL, '', '')"),
                {"id": old["id"], "at": utc_now() - timedelta(days=181), "stored_at": utc_now() - timedelta(days=181)})
        assert store.purge() >= 1
        assert [row["id"] for row in stored(engine, dossier_id="sweep")] == [young["id"]]
    finally:
        store.close()


def test_a_retention_under_180_days_refuses_to_start(accesslog):
    with pytest.raises(RetentionTooShort, match="不得少于 180 天"):
        AccessStore(accesslog["DATABASE_URL"], retention_days=179)


def test_the_search_is_the_auditors_and_filters_by_dossier_account_kind_and_name(accesslog):
    marker = uuid.uuid4().hex[:8]
    records = [a_record(dossier_id=marker, account_id=f"{marker}-a", name="王审计", kind="audit"),
               a_record(dossier_id=marker, account_id=f"{marker}-b", name="赵单位", kind="material"),
               a_record(dossier_id="elsewhere", account_id=f"{marker}-a", name="王审计", kind="export")]
    with ClusterRpcProxy({"AMQP_URI": accesslog["AMQP_URI"]}) as rpc:
        rpc.accesslog.record(records)
        by_dossier = rpc.accesslog.search(AUDITOR, {"dossier_id": marker})
        by_account = rpc.accesslog.search(AUDITOR, {"account_id": f"{marker}-a"})
        by_kind = rpc.accesslog.search(AUDITOR, {"dossier_id": marker, "kind": "material"})
        by_name = rpc.accesslog.search(AUDITOR, {"account_id": f"{marker}-b", "name": "赵"})
        with pytest.raises(Exception, match="审计"):
            rpc.accesslog.search({"account_id": "x", "role": "city_admin", "org_id": None}, {"dossier_id": marker})
    assert by_dossier["total"] == 2 and {item["name"] for item in by_dossier["items"]} == {"王审计", "赵单位"}
    assert {item["dossier_id"] for item in by_account["items"]} == {marker, "elsewhere"}
    assert [item["name"] for item in by_kind["items"]] == ["赵单位"]
    assert by_name["total"] == 1


def test_records_survive_an_unreachable_service_and_a_dead_instance(accesslog, tmp_path, engine):
    marker = uuid.uuid4().hex[:8]
    # An instance whose broker cannot be reached: the reads are spooled, nothing is handed over.
    cut_off = gateway_access_log("pyamqp://guest:guest@127.0.0.1:1/", tmp_path)
    for number in range(3):
        cut_off.spool.append(a_record(dossier_id=marker, target=f"n={number}"))
    with pytest.raises(OSError):  # the broker refuses the connection
        cut_off.ship_once()
    assert cut_off.spool.backlog_bytes() > 0
    assert stored(engine, dossier_id=marker) == []
    cut_off.kill()  # dies with its backlog: the file is left, unlocked

    survivor = gateway_access_log(accesslog["AMQP_URI"], tmp_path)
    survivor.spool.append(a_record(dossier_id=marker, target="n=survivor"))
    survivor.start()
    try:
        wait_until(lambda: len(stored(engine, dossier_id=marker)) == 4, seconds=20, what="the spooled records stored")
    finally:
        survivor.stop()
    assert sorted(row["target"] for row in stored(engine, dossier_id=marker)) == ["n=0", "n=1", "n=2", "n=survivor"]
    assert [path.name for path in tmp_path.glob("*.jsonl")] == [survivor.spool.own.path.name]
    assert survivor.health()["handed_over"] == 4 and survivor.spool.backlog_bytes() == 0


def test_an_unreadable_spool_line_is_skipped_not_retried_for_ever(accesslog, tmp_path, engine):
    marker = uuid.uuid4().hex[:8]
    log = gateway_access_log(accesslog["AMQP_URI"], tmp_path)
    try:
        log.spool.append(a_record(dossier_id=marker, target="before"))
        with open(log.spool.own.path, "ab") as spool:
            spool.write(b'{"cut short by a full disk\n')
        log.spool.append(a_record(dossier_id=marker, target="after"))
        log.ship_once()
        assert sorted(row["target"] for row in stored(engine, dossier_id=marker)) == ["after", "before"]
        assert log.spool.backlog_bytes() == 0
        json.dumps(log.health())  # health stays reportable
    finally:
        log.kill()
