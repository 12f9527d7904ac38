"""Certificate PDFs in object storage (MinIO in production, any S3-compatible server in dev and tests).

Keys are made from the certificate number, never from input; writing the same certificate again
writes the same bytes (rendering is deterministic), so a retried issue is harmless.
"""
import io

from minio import Minio
from minio.error import S3Error


class CertificateStore:
    def __init__(self, endpoint, access_key, secret_key, bucket, *, secure=False, region="us-east-1"):
        self.client = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region)
        self.bucket = bucket
        self._bucket_ready = False

    @classmethod
    def from_config(cls, settings):
        return cls(settings["endpoint"], settings["access_key"], settings["secret_key"], settings["bucket"],
                   secure=str(settings.get("secure", False)).lower() in ("true", "1", "yes"),
                   region=settings.get("region") or "us-east-1")

    @staticmethod
    def key_for(review_year, number):
        return f"certificates/{int(review_year)}/{number}.pdf"

    def ensure_bucket(self):
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
            if error.code in ("NoSuchKey", "NoSuchObject", "NotFound"):
                return False
            raise
