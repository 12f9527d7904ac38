"""Signed checkpoints: every dossier's chain head, anchored outside the event database.

The hash chain (hashchain.py) shows a row changed, removed or moved — but whoever can write the
database can also rewrite a chain from the edited event on, consistently. So every few minutes, when
the event log has grown, a checkpoint is made: each dossier's ``(id, version, head hash)`` becomes a
leaf of a Merkle tree (checkpoints_merkle.py), and the checkpoint — its sequence number, time (UTC),
log position, tree size and root, the SHA-256 of its leaves object and the previous checkpoint's
sequence, root and digest (a chain of checkpoints) — is signed with an Ed25519 key that lives in a file,
not in any database (checkpoints_keys.py), and written to an S3 bucket of its own (checkpoints_store.py).
``verify`` then holds each dossier against the newest checkpoint that has it (checkpoints_audit.py).

A checkpoint never signs a chain it cannot vouch for: only the dossiers with events since the last
checkpoint are read again, and a new head is signed only when the chain verifies and still passes
through the head signed before. A dossier that fails keeps its earlier leaf, and is named in the
checkpoint's ``unverified`` list. One instance makes a checkpoint at a time (a PostgreSQL advisory
lock); a numbered object is never overwritten.

``python -m services.dossier.checkpoints [--config …] [--once]`` makes checkpoints from a process of its
own; the dossier service's timer (``CHECKPOINTS.interval_seconds``) does the same inside the service.
"""
from shared.green import monkey_patch

monkey_patch()

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import logging.config  # noqa: E402
import zlib  # noqa: E402
from collections import OrderedDict  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import eventlet  # noqa: E402
from sqlalchemy import distinct, select, text  # noqa: E402

from shared.clock import utc_now  # noqa: E402
from shared.config import load_config, service_config  # noqa: E402
from shared.observability import logging_config  # noqa: E402

from .checkpoint_verify import FORMAT, signature_problem  # noqa: E402
from .checkpoints_keys import load_signing_key, public_key_pem, public_keys, sign  # noqa: E402
from .checkpoints_merkle import inclusion_path, leaf, leaf_hash, root  # noqa: E402
from .checkpoints_store import (  # noqa: E402
    LATEST, CheckpointStore, checkpoint_key, encode, leaves_key,
)

log = logging.getLogger(__name__)
LEAVES_FORMAT = "kunming-dossier-checkpoint-leaves/1"
LOCK_KEY = zlib.crc32(b"kunming-dossier-checkpoints")


class CheckpointDamaged(Exception):
    """A checkpoint or its leaves do not check (forged, altered or missing); ``str()`` says why, in Chinese."""


@dataclass(frozen=True)
class Checkpoint:
    document: dict
    raw: bytes

    @property
    def sequence(self):
        return self.document["sequence"]

    @property
    def created_at(self):
        return self.document["created_at"]

    @property
    def log_position(self):
        return self.document["log_position"]

    @property
    def previous_sequence(self):
        return (self.document.get("previous") or {}).get("sequence")

    @classmethod
    def from_bytes(cls, raw):
        try:
            document = json.loads(raw)
            if not isinstance(document, dict) or not isinstance(document.get("sequence"), int):
                raise ValueError("no sequence")
        except ValueError:
            raise CheckpointDamaged("检查点无法解析") from None
        return cls(document, raw)


class LeafSet:
    """A checkpoint's leaves, ordered by dossier id: ``[(dossier_id, version, head_hash), …]``."""

    def __init__(self, entries):
        self.entries = sorted((str(dossier_id), int(version), str(head)) for dossier_id, version, head in entries)
        self.position = {entry[0]: index for index, entry in enumerate(self.entries)}
        self.hashes = [leaf_hash(leaf(*entry)) for entry in self.entries]

    def root_hex(self):
        return root(self.hashes).hex()

    def get(self, dossier_id):
        """``(version, head_hash)`` signed for *dossier_id*, or None."""
        index = self.position.get(str(dossier_id))
        return None if index is None else self.entries[index][1:]

    def as_dict(self):
        return {dossier_id: (version, head) for dossier_id, version, head in self.entries}

    def proof(self, dossier_id, checkpoint):
        """The inclusion proof of *dossier_id*'s leaf in *checkpoint* (checkpoint_verify.PROOF_FORMAT)."""
        index = self.position[str(dossier_id)]
        return {"format": "kunming-dossier-inclusion-proof/1", "sequence": checkpoint.sequence,
                "tree_size": len(self.entries), "leaf_index": index, "leaf": leaf(*self.entries[index]),
                "path": [node.hex() for node in inclusion_path(self.hashes, index)],
                "root": checkpoint.document["root"]}

    def to_bytes(self, sequence):
        return encode({"format": LEAVES_FORMAT, "sequence": sequence, "leaves": [list(entry) for entry in self.entries]})

    @classmethod
    def from_bytes(cls, data, checkpoint):
        """The leaves of *checkpoint*, checked against the digest and root it signs."""
        expected = checkpoint.document.get("leaves") or {}
        if data is None:
            raise CheckpointDamaged(f"第 {checkpoint.sequence} 号检查点的叶子对象缺失")
        if hashlib.sha256(data).hexdigest() != expected.get("sha256"):
            raise CheckpointDamaged(f"第 {checkpoint.sequence} 号检查点的叶子对象被改动(摘要不符)")
        leaves = cls(json.loads(data)["leaves"])
        if leaves.root_hex() != checkpoint.document.get("root") or len(leaves.entries) != checkpoint.document.get(
                "tree_size"):
            raise CheckpointDamaged(f"第 {checkpoint.sequence} 号检查点的叶子与其签名的根不符")
        return leaves


class Checkpoints:
    """Makes, finds and checks the checkpoints of one dossier application (*app*: Dossiers)."""

    def __init__(self, app, store, *, signing_key=None, verify_keys=None, clock=utc_now, walk_back=20):
        self.app, self.store, self.signing_key, self.clock = app, store, signing_key, clock
        self.verify_keys = dict(verify_keys or public_keys(signing_key))
        self.walk_back = walk_back
        self._leaves = OrderedDict()  # sequence -> LeafSet, the few most recent

    @classmethod
    def from_config(cls, app, config, clock=utc_now):
        """From the config's ``CHECKPOINTS`` section; None when it names neither a signing nor a public key."""
        return configured(config)(app, clock)

    # -- reading ----------------------------------------------------------------------------

    def latest(self):
        raw = self.store.latest_bytes()
        return Checkpoint.from_bytes(raw) if raw else None

    def at(self, sequence):
        raw = self.store.read(checkpoint_key(sequence))
        return Checkpoint.from_bytes(raw) if raw else None

    def signature_problem(self, checkpoint):
        return signature_problem(checkpoint.document, self.verify_keys)

    def trusted_leaves(self, checkpoint):
        """The leaves of a checkpoint whose signature verifies; CheckpointDamaged otherwise."""
        problem = self.signature_problem(checkpoint)
        if problem:
            raise CheckpointDamaged(f"第 {checkpoint.sequence} 号{problem}")
        cached = self._leaves.get(checkpoint.sequence)
        if cached is None:
            cached = LeafSet.from_bytes(self.store.read(leaves_key(checkpoint.sequence)), checkpoint)
            self._leaves[checkpoint.sequence] = cached
            while len(self._leaves) > 3:
                self._leaves.popitem(last=False)
        return cached

    def public_key(self, kid):
        key = self.verify_keys.get(kid)
        return public_key_pem(key) if key is not None else None

    # -- making -----------------------------------------------------------------------------

    def make(self):
        """Make the next checkpoint if the log grew since the last; the Checkpoint, or None (nothing
        changed, another instance is at it, or no signing key here)."""
        if self.signing_key is None:
            return None
        with self.app.read_engine.connect() as connection:
            # Polled, never waited for: a blocking lock would stop the whole process under eventlet.
            got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}).scalar()
            connection.commit()
            if not got:
                return None
            try:
                return self._make()
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
                connection.commit()

    def _make(self):
        previous = self.latest()
        signed = self.trusted_leaves(previous).as_dict() if previous else {}
        start = previous.log_position if previous else 0
        position = self.app.recorder.max_notification_id() or 0
        if position <= start:
            return None
        unverified = []
        for dossier_id in self._changed_since(start, position):
            head, problem = self._new_head(dossier_id, signed.get(dossier_id))
            if problem:
                unverified.append(problem)
            elif head:
                signed[dossier_id] = head
            eventlet.sleep(0)  # a long first checkpoint must not starve the service's other work
        leaves = LeafSet((dossier_id, version, head) for dossier_id, (version, head) in signed.items())
        return self._publish(previous, leaves, position, unverified)

    def _changed_since(self, start, position):
        """The dossiers with an event in the log after *start*, up to *position*, in id order."""
        table = self.app.recorder.events_record_cls.__table__
        with self.app.read_engine.connect() as connection:
            rows = connection.execute(select(distinct(table.c.originator_id)).where(
                table.c.id > start, table.c.id <= position))
            return sorted(str(row[0]) for row in rows)

    def _new_head(self, dossier_id, signed_before):
        """``((version, head), None)`` to sign for a dossier, or ``(None, problem)`` when its chain does
        not verify or no longer passes through the head signed before."""
        count, chain = self.app.chain(dossier_id)
        problem = None
        if not chain.ok:
            problem = {"dossier_id": dossier_id, "first_bad_version": chain.first_bad_version, "reason": chain.reason}
        elif signed_before and (count < signed_before[0] or chain.hashes[signed_before[0]] != signed_before[1]):
            problem = {"dossier_id": dossier_id, "first_bad_version": min(count + 1, signed_before[0]),
                       "reason": f"与上一检查点签名的第 {signed_before[0]} 版不符:历史在其后被改写或删减"}
        if problem:
            log.error("checkpoint: dossier %s is not signed anew: %s", dossier_id, problem["reason"])
            return None, problem
        return ((count, chain.hashes[count]) if count else None), None

    def _publish(self, previous, leaves, position, unverified):
        sequence = previous.sequence + 1 if previous else 1
        leaves_bytes = leaves.to_bytes(sequence)
        document = {
            "format": FORMAT, "sequence": sequence,
            "created_at": self.clock().strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "log_position": position, "tree_size": len(leaves.entries), "root": leaves.root_hex(),
            "leaves": {"object": leaves_key(sequence), "sha256": hashlib.sha256(leaves_bytes).hexdigest()},
            "previous": {"sequence": previous.sequence, "root": previous.document["root"],
                         "sha256": hashlib.sha256(previous.raw).hexdigest()} if previous else None,
            "unverified": unverified,
        }
        checkpoint = Checkpoint.from_bytes(encode(sign(self.signing_key, document)))
        self.store.put_new(leaves_key(sequence), leaves_bytes)
        self.store.put_new(checkpoint_key(sequence), checkpoint.raw)
        self.store.put(LATEST, checkpoint.raw)
        self._leaves[sequence] = leaves
        log.info("checkpoint %s: %s dossiers up to notification %s, root %s", sequence, len(leaves.entries),
                 position, document["root"])
        return checkpoint


def configured(config):
    """``make(app, clock)`` → Checkpoints (or None) from the config's ``CHECKPOINTS`` section. The keys
    and the store are read here, at once, so a key that is missing or not Ed25519 stops the service at
    its start rather than failing every later call."""
    settings = (config or {}).get("CHECKPOINTS") or {}
    signing_key = load_signing_key(settings["signing_key"]) if settings.get("signing_key") else None
    verify_keys = public_keys(signing_key, settings.get("public_keys") or "")
    if not verify_keys:
        return lambda app, clock=utc_now: None
    store = CheckpointStore.from_config(settings.get("S3") or {})
    walk_back = int(settings.get("verify_walk_back", 20))

    def make(app, clock=utc_now):
        return Checkpoints(app, store, signing_key=signing_key, verify_keys=verify_keys, clock=clock,
                           walk_back=walk_back)

    return make


def main(argv=None):
    parser = argparse.ArgumentParser(description="make signed checkpoints of every dossier's hash chain head")
    parser.add_argument("--config", help="the dossier config.yaml (default: the package's own)")
    parser.add_argument("--once", action="store_true", help="make at most one checkpoint and exit")
    args = parser.parse_args(argv)
    config = load_config(args.config) if args.config else service_config("dossier")
    logging.config.dictConfig(config.get("LOGGING") or logging_config("dossier-checkpoints", config.get("LOG_LEVEL", "INFO")))
    from .application import Dossiers

    app = Dossiers(config["DATABASE_URL"])
    try:
        checkpoints = Checkpoints.from_config(app, config)
        if checkpoints is None or checkpoints.signing_key is None:
            raise SystemExit("CHECKPOINTS.signing_key 未配置:无法签发检查点")
        interval = float((config.get("CHECKPOINTS") or {}).get("interval_seconds") or 300)
        while True:
            made = checkpoints.make()
            print(json.dumps({"sequence": made.sequence, "key_id": made.document["key_id"]} if made else None))
            if args.once:
                return 0
            eventlet.sleep(interval)
    finally:
        app.close()


if __name__ == "__main__":
    raise SystemExit(main())
