"""``verify`` through the real dossier service when the middle of a history is damaged in PostgreSQL:
an unreadable, deleted or moved event is ``ok: false`` with the first bad version and a Chinese
reason — never an exception (it once reached the auditor as a 502). Issue 13, item 7 (i)."""
import uuid

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import text

from services.dossier.application import Dossiers
from services.dossier.service import DossierService
from shared.rpc import register_platform_errors
from tests.factories import Cast, fill_everything
from tests.integration.dossier.conftest import ensure_open_notice


@pytest.fixture(scope="module")
def store(database_url):
    app = Dossiers(database_url("dossier_verify_damage"))
    ensure_open_notice(app)
    yield app
    app.close()


@pytest.fixture
def rpc(run_services, store, amqp_vhost):
    register_platform_errors()
    config = {"AMQP_URI": amqp_vhost("dossier_verify_damage"),
              "DATABASE_URL": store.read_engine.url.render_as_string(hide_password=False)}
    run_services((DossierService, config))
    with ClusterRpcProxy({"AMQP_URI": config["AMQP_URI"]}, timeout=30) as proxy:
        yield proxy.dossier


def filled(app):
    cast = Cast()
    dossier = app.create(cast.applicant, **cast.creation_fields())
    loaded = app.load(dossier.id)
    fill_everything(loaded, cast)
    app.save(loaded)
    return str(dossier.id)


def sql(app, statement, **values):
    with app.read_engine.begin() as connection:
        connection.execute(text(statement.format(events=f"{app.name.lower()}_events")), values)


def unreadable(app, dossier_id, version):
    sql(app, "UPDATE {events} SET state = '\\x00ff'::bytea WHERE originator_id = :id AND originator_version = :v",
        id=dossier_id, v=version)


def deleted(app, dossier_id, version):
    sql(app, "DELETE FROM {events} WHERE originator_id = :id AND originator_version = :v", id=dossier_id, v=version)


def swapped(app, dossier_id, version):
    for old, new in ((version, 1000), (version + 1, version), (1000, version + 1)):
        sql(app, "UPDATE {events} SET originator_version = :new WHERE originator_id = :id AND originator_version = :old",
            id=dossier_id, old=old, new=new)


def edited(app, dossier_id, version):
    sql(app, "UPDATE {events} SET state = convert_to(replace(convert_from(state, 'UTF8'), '昆明理工大学', '清华大学'), "
             "'UTF8') WHERE originator_id = :id AND originator_version = :v", id=dossier_id, v=version)


@pytest.mark.parametrize("damage, version, first_bad, words", [
    (unreadable, 4, 4, "无法读取"),
    (deleted, 4, 4, "缺少第 4 版"),
    (swapped, 3, 3, "不符"),
])
def test_a_damaged_middle_event_is_reported_at_its_version(store, rpc, damage, version, first_bad, words):
    dossier_id = filled(store)
    events = len(store.history(dossier_id))
    damage(store, dossier_id, version)
    report = rpc.verify(dossier_id)
    assert (report["ok"], report["first_bad_version"]) == (False, first_bad)
    assert words in report["reason"] and report["checkpoint"] is None
    assert report["events"] == (events - 1 if damage is deleted else events)


def test_the_first_bad_version_is_the_earliest_whatever_else_is_damaged_after_it(store, rpc):
    dossier_id = filled(store)
    edited(store, dossier_id, 3)  # the education event names the school
    unreadable(store, dossier_id, 6)
    report = rpc.verify(dossier_id)
    assert (report["ok"], report["first_bad_version"]) == (False, 3)


def test_every_event_deleted_while_the_summary_remembers_them(store, rpc):
    dossier_id = filled(store)
    sql(store, "DELETE FROM {events} WHERE originator_id = :id", id=dossier_id)
    report = rpc.verify(dossier_id)
    assert (report["ok"], report["events"], report["first_bad_version"]) == (False, 0, 1)


def test_an_untouched_dossier_still_verifies_and_an_unknown_one_is_not_found(store, rpc):
    from services.dossier.exceptions import DossierNotFound

    report = rpc.verify(filled(store))
    assert (report["ok"], report["first_bad_version"], report["checkpoint"]) == (True, None, None)
    with pytest.raises(DossierNotFound):
        rpc.verify(str(uuid.uuid4()))
