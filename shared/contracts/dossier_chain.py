"""The tamper-evident chain over a dossier's events, as a published contract.

Each event stores ``prev_hash`` (the previous event's hash, or GENESIS) and ``hash``: SHA-256 over a
canonical JSON encoding of the event's topic, dossier id, version, class version and stored state
(everything but the hash itself). The dossier service computes and checks it (services/dossier/
hashchain.py); an outside inspector recomputes it offline from an audit package's event records
(shared/audit_package.py). One function on both sides, so the two can never disagree by a byte.
Pure: only the standard library.
"""
import hashlib
import json
from dataclasses import dataclass
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


UNREADABLE = None  # a record's state that could not be decoded: ``(version, None, None, None, UNREADABLE)``


@dataclass(frozen=True)
class ChainReport:
    """What a walk along a chain found: ``first_bad_version`` is None when every record checks;
    ``hashes`` holds the recomputed hash of every version before it (what checkpoints are compared with)."""

    ok: bool
    count: int
    first_bad_version: int | None
    reason: str | None
    hashes: dict


def chain_report(records):
    """Check stored records ``(version, topic, originator_id, class_version, state)`` in version order.

    A record is bad when it cannot be read (its state is ``UNREADABLE``), when its version is not the
    next one (the missing version is the bad one: a deleted event, or one moved elsewhere), when its
    ``prev_hash`` is not the hash of the record before, or when its ``hash`` does not match its content.
    """
    records = list(records)
    expected_prev, expected_version, hashes = GENESIS, 1, {}
    for version, topic, originator_id, class_version, state in records:
        if version != expected_version:
            reason = f"缺少第 {expected_version} 版事件(被删除或挪动)" if version > expected_version else \
                f"第 {version} 版事件重复或次序错乱"
            return ChainReport(False, len(records), min(version, expected_version), reason, hashes)
        recomputed, stored_hash, problem = _recompute(version, topic, originator_id, class_version, state)
        if problem is None and state.get("prev_hash") != expected_prev:
            problem = f"第 {version} 版事件与前一版的哈希链接不符"
        if problem is None and stored_hash != recomputed:
            problem = f"第 {version} 版事件的内容与其存储的哈希不符(被修改或调换)"
        if problem:
            return ChainReport(False, len(records), version, problem, hashes)
        hashes[version] = recomputed
        expected_prev, expected_version = stored_hash, version + 1
    return ChainReport(True, len(records), None, None, hashes)


def _recompute(version, topic, originator_id, class_version, state):
    """``(recomputed hash, stored hash, problem)`` of one record; a record that cannot be hashed is a problem."""
    if not isinstance(state, dict):
        return None, None, f"第 {version} 版事件无法读取(存储内容已损坏)"
    state = dict(state)
    stored_hash = state.pop("hash", None)
    try:
        recomputed = event_hash(topic=topic, originator_id=originator_id, version=version,
                                class_version=class_version, state=state)
    except (TypeError, ValueError):
        return None, stored_hash, f"第 {version} 版事件无法读取(内容无法规范编码)"
    return recomputed, stored_hash, None


def verify_chain(records):
    """``(ok, count, first_bad_version)`` of ``chain_report``."""
    report = chain_report(records)
    return report.ok, report.count, report.first_bad_version


def plain_state(state):
    """*state* as the plain JSON its hash is computed over (times and ids as the strings ``canonical``
    writes): what an audit package stores, so the hash recomputes from the package alone."""
    return json.loads(canonical(state))
