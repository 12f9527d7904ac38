"""Evidence files in object storage (MinIO in production, any S3-compatible server in dev and tests).

Object keys are generated here from the dossier and a random id, never from a file name, so an
upload can never choose where it lands. The store is a thin adapter with domain verbs.
"""
import io
import uuid

from minio import Minio
from minio.error import S3Error


class EvidenceStore:
    def __init__(self, endpoint, access_key, secret_key, bucket, *, secure=False, region="us-east-1"):
        self.client = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region)
        self.bucket = bucket

    @classmethod
    def from_config(cls, settings):
        return cls(settings["endpoint"], settings["access_key"], settings["secret_key"], settings["bucket"],
                   secure=bool(settings.get("secure", False)), region=settings.get("region", "us-east-1"))

    def ensure_bucket(self):
        if not self.client.bucket_exists(self.bucket):
            try:
                self.client.make_bucket(self.bucket)
            except S3Error as error:  # another instance created it first
                if error.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise

    @staticmethod
    def new_material_key(dossier_id):
        """A fresh ``(material_id, object_key)`` for a dossier's evidence file."""
        material_id = uuid.uuid4().hex
        return material_id, f"dossiers/{uuid.UUID(str(dossier_id))}/materials/{material_id}.pdf"

    def put_pdf(self, key, data: bytes, sha256):
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

    def remove(self, key):
        self.client.remove_object(self.bucket, key)

    def keys(self, prefix=""):
        return [item.object_name for item in self.client.list_objects(self.bucket, prefix=prefix, recursive=True)]
