"""The demo's PDFs in object storage: evidence uploaded as the gateway stores it, and put back
byte for byte when the development store has forgotten them (``make run``'s S3 server keeps its
objects in memory only, so every restart starts empty while the databases remember the keys)."""
import hashlib

from gateway.pdfcheck import inspect_pdf
from gateway.storage import EvidenceStore

from . import paperwork

MAX_BYTES = 20 * 1024 * 1024


class Evidence:
    """Uploads as ``POST /api/v1/dossiers/{id}/materials`` does: checked, stored under a generated key."""

    def __init__(self, s3_settings):
        self.store = EvidenceStore.from_config(s3_settings)

    def upload(self, dossier_id, data, category, filename):
        """Store *data* and return the material as the dossier's ``attach_material`` takes it."""
        info = inspect_pdf(data, MAX_BYTES)
        material_id, key = self.store.new_material_key(dossier_id)
        self.store.put_pdf(key, data, info.sha256)
        return {"material_id": material_id, "object_key": key, "sha256": info.sha256, "size": info.size,
                "pages": info.pages, "category": category, "filename": filename}

    def restore(self, applicant, dossier):
        """Put back the applicant's evidence files the store lost; returns how many it put back.

        A file is put back only when rendering it again gives exactly the bytes the dossier recorded
        (its SHA-256), so nothing the dossier did not attach can ever appear under its keys.
        """
        titles = {filename: title for _, filename, title in paperwork.EVIDENCE}
        restored = 0
        for material in dossier["materials"]:
            # The checklist's files are printed with their file name as title (acts.complete_checklist).
            title = titles.get(material["filename"]) or material["filename"].removesuffix(".pdf")
            if title is None or self.store.exists(material["object_key"]):
                continue
            data = paperwork.evidence_pdf(applicant, title)
            info = inspect_pdf(data, MAX_BYTES)
            if info.sha256 == material["sha256"]:
                self.store.put_pdf(material["object_key"], data, info.sha256)
                restored += 1
        return restored


def restore_certificate(certificate_config, dossier_id):
    """Put back the dossier's certificate PDF if the store lost it; True when it did.

    Rendered again by the certificate service's own code (rendering is deterministic) and put back
    only if it matches the SHA-256 the service recorded when it first stored it.
    """
    from sqlalchemy import select

    from services.certificate.dependencies import build_certificates
    from services.certificate.tables import certificates as certificate_table

    issued = build_certificates(certificate_config)
    try:
        with issued.engine.connect() as connection:
            row = connection.execute(select(certificate_table).where(
                certificate_table.c.dossier_id == str(dossier_id))).mappings().first()
        if row is None or row["pdf_stored_at"] is None or issued.store.exists(row["object_key"]):
            return False
        pdf = issued.render(dict(row))
        if hashlib.sha256(pdf).hexdigest() != row["pdf_sha256"]:
            return False
        issued.store.put_pdf(row["object_key"], pdf, row["pdf_sha256"])
        return True
    finally:
        issued.close()
