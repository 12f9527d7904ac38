"""PDF files in object storage (MinIO in production, any S3-compatible server in dev and tests).

One adapter for every service that keeps PDFs (the gateway's evidence, the certificate service's
certificates); each subclass adds only how its keys are made. Keys never come from user input.
"""
import io

from minio import Minio
from minio.error import S3Error

MISSING_OBJECT_CODES = ("NoSuchKey", "NoSuchObject", "NotFound")


def _flag(value):
    """A config flag that may arrive as a YAML bool or as environment text ("false", "1", …)."""
    return str(value).strip().lower() in ("true", "1", "yes", "on")


class PdfStore:
    def __init__(self, endpoint, access_key, secret_key, bucket, *, secure=False, region="us-east-1"):
        self.client = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region)
        self.bucket = bucket
        self._bucket_ready = False

    @classmethod
    def from_config(cls, settings):
        """From an ``S3`` config section: endpoint, access_key, secret_key, bucket, secure, region."""
        return cls(settings["endpoint"], settings["access_key"], settings["secret_key"], settings["bucket"],
                   secure=_flag(settings.get("secure", False)), region=settings.get("region") or "us-east-1")

    def ensure_bucket(self):
        """Create the bucket once per process if it is missing (several instances may race to do it)."""
        if self._bucket_ready:
            return
        if not self.client.bucket_exists(self.bucket):
            try:
                self.client.make_bucket(self.bucket)
            except S3Error as error:  # another instance created it first
                if error.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise
        self._bucket_ready = True

    def put_pdf(self, key, data: bytes, sha256):
        self.ensure_bucket()
        self.client.put_object(self.bucket, key, io.BytesIO(data), len(data), content_type="application/pdf",
                               metadata={"sha256": sha256})

    def read(self, key):
        response = self.client.get_object(self.bucket, key)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

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
