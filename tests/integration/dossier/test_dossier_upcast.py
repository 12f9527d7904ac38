"""Old events still read (issue 16, item 8): a ``material_detached`` row written by a version 1 writer —
the material's id only, hashed as class version 1 — stored directly in the PostgreSQL event store, is
upcast to version 2 when read. History, ``state_at``, later commands and ``verify`` all work across it,
and its stored bytes stay as written; new detach events are stored as version 2 and name their file."""
import json

import pytest
from eventsourcing.utils import get_topic
from sqlalchemy import text

from services.dossier.domain import MaterialDetached
from services.dossier.hashchain import event_hash
from shared.clock import utc_now
from tests.factories import Cast, fill_everything, material


def stored_rows(app, dossier_id):
    with app.read_engine.connect() as connection:
        return connection.execute(text(f"SELECT originator_version, topic, state FROM {app.name.lower()}_events "
                                       "WHERE originator_id = :id ORDER BY originator_version"),
                                  {"id": str(dossier_id)}).all()


def store_version_1_detach(app, dossier, actor, material_id):
    """Insert, as a version 1 writer did, the event detaching *material_id* from *dossier* (next version)."""
    version = dossier.version + 1
    state = {"material_id": material_id, "actor": actor.to_dict(), "prev_hash": dossier.head_hash,
             "timestamp": utc_now()}
    state["hash"] = event_hash(topic=get_topic(MaterialDetached), originator_id=dossier.id, version=version,
                               class_version=1, state=state)
    with app.read_engine.begin() as connection:
        connection.execute(text(f"INSERT INTO {app.name.lower()}_events (originator_id, originator_version, topic, state) "
                                "VALUES (:id, :version, :topic, :state)"),
                           {"id": str(dossier.id), "version": version, "topic": get_topic(MaterialDetached),
                            "state": app.mapper.transcoder.encode(state)})
    return version


@pytest.fixture
def with_old_detach(dossiers):
    """A filled draft with two materials whose first was detached by a version 1 event:
    ``(app, cast, dossier id, the old event's version, the detached material)``."""
    cast = Cast()
    created = dossiers.create(cast.applicant, **cast.creation_fields())
    dossier = dossiers.load(created.id)
    fill_everything(dossier, cast)
    kept = material(filename="学位证书.pdf", category="degree", sha256="d" * 64)
    dossier.attach_material(cast.applicant, **kept)
    dossiers.save(dossier)
    detached = next(item for item in dossier.materials.values() if item["material_id"] != kept["material_id"])
    version = store_version_1_detach(dossiers, dossier, cast.applicant, detached["material_id"])
    return dossiers, cast, str(created.id), version, detached


class TestAVersion1Event:
    def test_is_upcast_in_the_history_with_the_file_unknown(self, with_old_detach):
        app, _, dossier_id, version, detached = with_old_detach
        entry = app.history(dossier_id)[version - 1]
        assert (entry["version"], entry["type"]) == (version, "material_detached")
        assert entry["data"] == {"material_id": detached["material_id"], "filename": None, "category": None,
                                 "size": None, "sha256": None}

    def test_folds_into_the_dossier_at_its_version_and_after(self, with_old_detach):
        app, _, dossier_id, version, detached = with_old_detach
        before = app.state_at(dossier_id, version=version - 1)
        at = app.state_at(dossier_id, version=version)
        assert detached["material_id"] in {item["material_id"] for item in before["materials"]}
        assert [item["filename"] for item in at["materials"]] == ["学位证书.pdf"]
        assert at["version"] == version and at["last_event"] == "material_detached"

    def test_keeps_its_stored_bytes_and_the_chain_still_verifies(self, with_old_detach):
        app, _, dossier_id, version, _ = with_old_detach
        row = stored_rows(app, dossier_id)[version - 1]
        assert "class_version" not in json.loads(bytes(row.state)) and "filename" not in json.loads(bytes(row.state))
        assert app.verify(dossier_id) == {"ok": True, "events": version, "first_bad_version": None}

    def test_is_followed_by_new_commands_whose_detach_is_stored_as_version_2(self, with_old_detach):
        app, cast, dossier_id, version, _ = with_old_detach
        dossier = app.load(dossier_id)
        (remaining,) = dossier.materials
        dossier.detach_material(cast.applicant, remaining)
        app.save(dossier)
        newest = json.loads(bytes(stored_rows(app, dossier_id)[-1].state))
        assert (newest["class_version"], newest["filename"], newest["category"], newest["sha256"]) == \
            (2, "学位证书.pdf", "degree", "d" * 64)
        assert app.history(dossier_id)[-1]["data"]["filename"] == "学位证书.pdf"
        assert app.verify(dossier_id) == {"ok": True, "events": version + 1, "first_bad_version": None}
        assert app.state_at(dossier_id, version=version + 1)["materials"] == []

    def test_is_still_detected_when_its_stored_bytes_are_altered(self, with_old_detach):
        app, _, dossier_id, version, _ = with_old_detach
        with app.read_engine.begin() as connection:
            connection.execute(text(
                f"UPDATE {app.name.lower()}_events SET state = convert_to(replace(convert_from(state, 'UTF8'), "
                "'\"material_id\":\"', '\"material_id\":\"x'), 'UTF8') WHERE originator_id = :id AND originator_version = :v"),
                {"id": dossier_id, "v": version})
        answer = app.verify(dossier_id)
        assert (answer["ok"], answer["first_bad_version"]) == (False, version)
