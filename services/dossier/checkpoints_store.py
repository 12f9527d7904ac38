"""Where signed checkpoints are kept: an S3 bucket of their own, outside the event database.

Objects: ``checkpoints/<sequence, 12 digits>.json`` (the signed checkpoint), ``leaves/<sequence>.json``
(its leaves, whose SHA-256 the checkpoint signs) and ``latest.json`` (a copy of the newest checkpoint,
so finding it costs one read rather than a listing of years of checkpoints). A numbered object is
never overwritten. In production the bucket belongs to other credentials than the database's, with
versioning or object lock (WORM) on, so a database writer can neither reach it nor quietly rewrite it.
"""
import io
import json

import urllib3
from minio import Minio
from minio.error import S3Error

from shared.objectstore import MISSING_OBJECT_CODES

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


def _flag(value):
    """A config flag that may arrive as a YAML bool or as environment text ("false", "1", …)."""
    return str(value).strip().lower() in ("true", "1", "yes", "on")


class CheckpointStore:
    def __init__(self, client, bucket):
        self.client, self.bucket = client, bucket
        self._bucket_ready = False

    @classmethod
    def from_config(cls, settings):
        """From ``CHECKPOINTS.S3``: endpoint, access_key, secret_key, bucket, secure, region, timeout_seconds.

        The client waits *timeout_seconds* (default 10), not minio's five minutes: ``verify`` asks the
        store on every call and must answer, store or no store."""
        timeout = float(settings.get("timeout_seconds") or 10)
        # Certificates are checked against the system's trust store (minio's default client uses certifi's).
        http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=timeout, read=timeout), maxsize=10,
                                   cert_reqs="CERT_REQUIRED",
                                   retries=urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]))
        client = Minio(settings["endpoint"], access_key=settings["access_key"], secret_key=settings["secret_key"],
                       secure=_flag(settings.get("secure", False)), region=settings.get("region") or "us-east-1",
                       http_client=http)
        return cls(client, settings.get("bucket") or "kunming-audit-checkpoints")

    def ensure_bucket(self):
        if self._bucket_ready:
            return
        if not self.client.bucket_exists(self.bucket):
            try:
                self.client.make_bucket(self.bucket)
            except S3Error as error:  # another instance made it first
                if error.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise
        self._bucket_ready = True

    def read(self, key):
        """The object's bytes, or None when there is no such object (or no bucket yet)."""
        try:
            response = self.client.get_object(self.bucket, key)
        except S3Error as error:
            if error.code in MISSING_OBJECT_CODES or error.code == "NoSuchBucket":
                return None
            raise
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def put(self, key, data):
        self.ensure_bucket()
        self.client.put_object(self.bucket, key, io.BytesIO(data), len(data), content_type="application/json")

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
        newer = None
        try:
            for item in self.client.list_objects(self.bucket, prefix=CHECKPOINTS, start_after=start_after):
                newer = item.object_name
        except S3Error as error:
            if error.code != "NoSuchBucket":
                raise
        return self.read(newer) if newer else latest


def sequence_of_document(data):
    return int(json.loads(data)["sequence"])
