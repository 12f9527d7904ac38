"""Event classes evolve with class_version and upcasters; the hash chain checks what was stored."""
import uuid
from datetime import datetime, timezone

from eventsourcing.persistence import DatetimeAsISO, JSONTranscoder, Mapper, StoredEvent, UUIDAsHex
from eventsourcing.utils import get_topic

from services.dossier.domain import DossierEvent
from services.dossier.hashchain import GENESIS, event_hash, verify_chain


class NoteAdded(DossierEvent):
    """A test-only event at version 2: version 1 had no ``priority``."""

    class_version = 2
    note: str
    priority: int

    @staticmethod
    def upcast_v1_v2(state):
        state["priority"] = 0


def mapper():
    transcoder = JSONTranscoder()
    transcoder.register(UUIDAsHex())
    transcoder.register(DatetimeAsISO())
    return Mapper(transcoder=transcoder)


def stored_v1_event(originator_id):
    """A row as a version-1 writer stored it: no priority, no class_version, hashed as version 1."""
    state = {"note": "旧格式", "actor": {"account_id": "a", "role": "applicant", "org_id": None},
             "prev_hash": GENESIS, "timestamp": datetime(2025, 3, 1, tzinfo=timezone.utc)}
    state["hash"] = event_hash(topic=get_topic(NoteAdded), originator_id=originator_id, version=1,
                               class_version=1, state=state)
    return StoredEvent(originator_id=originator_id, originator_version=1, topic=get_topic(NoteAdded),
                       state=mapper().transcoder.encode(state))


def test_an_old_event_is_upcast_when_read():
    event = mapper().to_domain_event(stored_v1_event(uuid.uuid4()))
    assert event.priority == 0 and event.note == "旧格式"


def test_the_hash_of_an_old_event_still_verifies_from_the_stored_bytes():
    originator_id = uuid.uuid4()
    row = stored_v1_event(originator_id)
    state = mapper().transcoder.decode(row.state)
    class_version = state.pop("class_version", 1)
    assert verify_chain([(1, row.topic, originator_id, class_version, state)]) == (True, 1, None)
