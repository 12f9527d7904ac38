"""Old events still read after MaterialAttached and Submitted became version 2 (issue 18): rows written
by a version 1 writer (no ``year``/``achievement_id``, no ``notice_version``), stored directly in the
PostgreSQL event store, are upcast when read; the history, the fold and ``verify`` all work across them."""
import uuid

import pytest
from eventsourcing.utils import get_topic
from sqlalchemy import text

from services.dossier.domain import MaterialAttached, Submitted
from services.dossier.hashchain import event_hash
from shared.clock import utc_now
from shared.contracts import dossier as st
from tests.factories import Cast, fill_everything


def store_version_1(app, dossier, actor, event_class, payload):
    """Insert *payload* as the next event of *dossier*, as a version 1 writer of *event_class* stored it."""
    version = dossier.version + 1
    state = dict(payload, actor=actor.to_dict(), prev_hash=dossier.head_hash, timestamp=utc_now())
    state["hash"] = event_hash(topic=get_topic(event_class), originator_id=dossier.id, version=version,
                               class_version=1, state=state)
    with app.read_engine.begin() as connection:
        connection.execute(text(f"INSERT INTO {app.name.lower()}_events (originator_id, originator_version, topic, state) "
                                "VALUES (:id, :version, :topic, :state)"),
                           {"id": str(dossier.id), "version": version, "topic": get_topic(event_class),
                            "state": app.mapper.transcoder.encode(state)})
    return version


@pytest.fixture
def old_rows(dossiers):
    """A filled draft, then a version 1 ``material_attached`` and a version 1 ``submitted`` row."""
    cast = Cast()
    created = dossiers.create(cast.applicant, **cast.creation_fields())
    dossier = dossiers.load(created.id)
    fill_everything(dossier, cast)
    dossiers.save(dossier)
    material_id = uuid.uuid4().hex
    attached = store_version_1(dossiers, dossier, cast.applicant, MaterialAttached, {
        "material_id": material_id, "object_key": f"dossiers/x/{material_id}.pdf", "sha256": "c" * 64, "size": 10,
        "pages": 1, "category": "annual_assessment", "filename": "考核表.pdf"})
    dossier = dossiers.load(created.id)
    submitted = store_version_1(dossiers, dossier, cast.applicant, Submitted, {"resubmission": False})
    return dossiers, str(created.id), material_id, attached, submitted


def test_old_rows_are_upcast_in_the_history_and_the_fold(old_rows):
    app, dossier_id, material_id, attached, submitted = old_rows
    history = app.history(dossier_id)
    assert history[attached - 1]["data"]["year"] is None and history[attached - 1]["data"]["achievement_id"] is None
    assert history[submitted - 1]["data"] == {"resubmission": False, "notice_version": None}
    state = app.get(dossier_id)
    assert state["status"] == st.SUBMITTED
    folded = next(item for item in state["materials"] if item["material_id"] == material_id)
    assert (folded["year"], folded["achievement_id"], folded["filename"]) == (None, None, "考核表.pdf")


def test_the_chain_over_old_rows_still_verifies(old_rows):
    app, dossier_id, _, _, submitted = old_rows
    assert app.verify(dossier_id) == {"ok": True, "events": submitted, "first_bad_version": None}
