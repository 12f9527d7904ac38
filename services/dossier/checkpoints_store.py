"""Where signed checkpoints are kept: an S3 bucket of their own, outside the event database.

Objects: ``checkpoints/<sequence, 12 digits>.json`` (the signed checkpoint), ``leaves/<sequence>.json``
(its leaves, whose SHA-256 the checkpoint signs) and ``latest.json`` (a copy of the newest checkpoint,
so finding it costs one read rather than a listing of years of checkpoints). A numbered object is
never overwritten. In production the bucket belongs to other credentials than the database's, with
versioning or object lock (WORM) on, so a database writer can neither reach it nor quietly rewrite it.
"""
import json

from shared.objectstore import ObjectStore

CHECKPOINTS, LEAVES, LATEST = "checkpoints/", "leaves/", "latest.json"


class CheckpointExists(Exception):
    """A numbered checkpoint object is there already: another writer made it (or ``latest.json`` is stale)."""


def checkpoint_key(sequence):
    return f"{CHECKPOINTS}{int(sequence):012d}.json"


def leaves_key(sequence):
    return f"{LEAVES}{int(sequence):012d}.json"


def encode(document):
    """The stored bytes of a JSON document (readable; the signature covers canonical JSON, not these bytes)."""
    return json.dumps(document, ensure_ascii=False, sort_keys=True, indent=1).encode()


class CheckpointStore(ObjectStore):
    """From ``CHECKPOINTS.S3`` (shared/objectstore.py): endpoint, access_key, secret_key, bucket, secure,
    region, timeout_seconds. The client waits *timeout_seconds* (default 10), not minio's five minutes:
    ``verify`` asks the store on every call and must answer, store or no store."""

    DEFAULT_BUCKET = "kunming-audit-checkpoints"
    DEFAULT_TIMEOUT_SECONDS = 10

    def read(self, key):
        """The object's bytes, or None when there is no such object (or no bucket yet)."""
        return self.read_if_present(key)

    def put(self, key, data):
        super().put(key, data, "application/json")

    def put_new(self, key, data):
        """Write *key* unless it exists (a numbered object is written once)."""
        self.ensure_bucket()
        if self.read(key) is not None:
            raise CheckpointExists(key)
        self.put(key, data)

    def latest_bytes(self):
        """The newest checkpoint's bytes: ``latest.json``, unless a numbered checkpoint after it exists
        (a writer that stopped between the two writes, or a pointer set back); None before the first."""
        latest = self.read(LATEST)
        start_after = checkpoint_key(sequence_of_document(latest)) if latest else None
        newer = self.last_key_after(CHECKPOINTS, start_after)
        return self.read(newer) if newer else latest


def sequence_of_document(data):
    return int(json.loads(data)["sequence"])
