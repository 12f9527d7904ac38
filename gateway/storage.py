"""Evidence files in object storage (MinIO in production, any S3-compatible server in dev and tests).

Object keys are generated here from the dossier and a random id, never from a file name, so an
upload can never choose where it lands. Storage itself is shared/objectstore.py.
"""
import uuid

from shared.objectstore import PdfStore


class EvidenceStore(PdfStore):
    @staticmethod
    def new_material_key(dossier_id):
        """A fresh ``(material_id, object_key)`` for a dossier's evidence file."""
        material_id = uuid.uuid4().hex
        return material_id, f"dossiers/{uuid.UUID(str(dossier_id))}/materials/{material_id}.pdf"
