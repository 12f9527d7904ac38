"""The tamper-evident chain over a dossier's events.

Each event stores ``prev_hash`` (the previous event's hash, or GENESIS) and ``hash``:
SHA-256 over a canonical JSON encoding of the event's topic, dossier id, version, class version
and stored state (everything but the hash itself). The aggregate computes it when it records an
event; ``verify`` recomputes it from the raw stored rows, before any upcasting, so that a hash
written years ago still checks after the event class has evolved.
"""
import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

GENESIS = "0" * 64


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    raise TypeError(f"cannot encode {type(value).__name__} canonically")


def canonical(document):
    """Deterministic bytes for *document*: sorted keys, no spaces, UTF-8, tuples as lists."""
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_plain).encode()


def event_hash(*, topic, originator_id, version, class_version, state):
    """The hash of one event. *state* holds ``prev_hash`` and every payload field, not ``hash``."""
    document = {
        "topic": topic,
        "originator_id": str(originator_id),
        "version": version,
        "class_version": class_version,
        "state": state,
    }
    return hashlib.sha256(canonical(document)).hexdigest()


def verify_chain(records):
    """Check stored records ``(version, topic, originator_id, class_version, state)`` in version order.

    Returns ``(ok, count, first_bad_version)``. A record is bad when its version is not the next one,
    its ``prev_hash`` is not the hash of the record before, or its ``hash`` does not match its content.
    """
    expected_prev, expected_version, count = GENESIS, 1, 0
    for version, topic, originator_id, class_version, state in records:
        count += 1
        state = dict(state)
        stored_hash = state.pop("hash", None)
        recomputed = event_hash(
            topic=topic, originator_id=originator_id, version=version, class_version=class_version, state=state
        )
        if version != expected_version or state.get("prev_hash") != expected_prev or stored_hash != recomputed:
            return False, count, version
        expected_prev, expected_version = stored_hash, version + 1
    return True, count, None
