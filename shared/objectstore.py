"""Files in object storage (MinIO in production, any S3-compatible server in dev and tests).

One adapter for every service that keeps objects: ``ObjectStore`` (bucket, reads, writes, listings),
``PdfStore`` for PDFs (the gateway's evidence, the certificate service's certificates), and the
dossier's checkpoint store builds on it too. Each subclass adds only how its keys are made; keys never
come from user input.
"""
import io

import urllib3
from minio import Minio
from minio.error import S3Error

MISSING_OBJECT_CODES = ("NoSuchKey", "NoSuchObject", "NotFound")
MISSING_BUCKET_CODE = "NoSuchBucket"
_BUCKET_THERE_CODES = ("BucketAlreadyOwnedByYou", "BucketAlreadyExists")


def _flag(value):
    """A config flag that may arrive as a YAML bool or as environment text ("false", "1", …)."""
    return str(value).strip().lower() in ("true", "1", "yes", "on")


def bounded_http_client(timeout_seconds):
    """An HTTP pool whose every connect and read gives up after *timeout_seconds*, not minio's five
    minutes, retrying a server error twice. Certificates are checked against the system's trust store
    (minio's default client uses certifi's)."""
    timeout = float(timeout_seconds)
    return urllib3.PoolManager(timeout=urllib3.Timeout(connect=timeout, read=timeout), maxsize=10,
                               cert_reqs="CERT_REQUIRED",
                               retries=urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]))


def minio_client(settings, timeout_seconds=None):
    """A client from an ``S3`` config section (endpoint, access_key, secret_key, secure, region); with
    *timeout_seconds*, over ``bounded_http_client``, else minio's own pool."""
    http_client = bounded_http_client(timeout_seconds) if timeout_seconds else None
    return Minio(settings["endpoint"], access_key=settings["access_key"], secret_key=settings["secret_key"],
                 secure=_flag(settings.get("secure", False)), region=settings.get("region") or "us-east-1",
                 http_client=http_client)


class ObjectStore:
    """One bucket. Subclasses may set ``DEFAULT_BUCKET`` (used when the config names none) and
    ``DEFAULT_TIMEOUT_SECONDS`` (a store that must answer quickly, whatever the config says)."""

    DEFAULT_BUCKET = None
    DEFAULT_TIMEOUT_SECONDS = None

    def __init__(self, client, bucket):
        self.client, self.bucket = client, bucket
        self._bucket_ready = False

    @classmethod
    def from_config(cls, settings):
        """From an ``S3`` config section: endpoint, access_key, secret_key, bucket, secure, region and,
        optionally, timeout_seconds."""
        bucket = settings.get("bucket") or cls.DEFAULT_BUCKET
        if not bucket:
            raise KeyError("bucket")
        timeout = settings.get("timeout_seconds") or cls.DEFAULT_TIMEOUT_SECONDS
        return cls(minio_client(settings, timeout), bucket)

    def ensure_bucket(self):
        """Create the bucket once per process if it is missing (several instances may race to do it)."""
        if self._bucket_ready:
            return
        if not self.client.bucket_exists(self.bucket):
            try:
                self.client.make_bucket(self.bucket)
            except S3Error as error:  # another instance created it first
                if error.code not in _BUCKET_THERE_CODES:
                    raise
        self._bucket_ready = True

    def put(self, key, data: bytes, content_type, metadata=None):
        self.ensure_bucket()
        self.client.put_object(self.bucket, key, io.BytesIO(data), len(data), content_type=content_type,
                               metadata=metadata)

    def read(self, key):
        """The object's bytes (S3Error when there is none)."""
        return self._get(key)

    def _get(self, key):
        response = self.client.get_object(self.bucket, key)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def read_if_present(self, key):
        """The object's bytes, or None when there is no such object (or no bucket yet)."""
        try:
            return self._get(key)
        except S3Error as error:
            if error.code in MISSING_OBJECT_CODES or error.code == MISSING_BUCKET_CODE:
                return None
            raise

    def exists(self, key):
        try:
            self.client.stat_object(self.bucket, key)
            return True
        except S3Error as error:
            if error.code in MISSING_OBJECT_CODES:
                return False
            raise

    def remove(self, key):
        self.client.remove_object(self.bucket, key)

    def keys(self, prefix=""):
        return [item.object_name for item in self.client.list_objects(self.bucket, prefix=prefix, recursive=True)]

    def last_key_after(self, prefix, start_after=None):
        """The last key (in the store's order) under *prefix* after *start_after*; None when there is
        none, or no bucket yet."""
        last = None
        try:
            for item in self.client.list_objects(self.bucket, prefix=prefix, start_after=start_after):
                last = item.object_name
        except S3Error as error:
            if error.code != MISSING_BUCKET_CODE:
                raise
        return last


class PdfStore(ObjectStore):
    """PDFs, each stored with the SHA-256 of its bytes as metadata."""

    def put_pdf(self, key, data: bytes, sha256):
        self.put(key, data, "application/pdf", metadata={"sha256": sha256})
