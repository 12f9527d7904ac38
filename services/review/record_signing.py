"""The review service's own Ed25519 key for meeting records, and the PDFs' place in object storage.

The key is found as certificate finds its own (shared/signing_keys.py): the setting
REVIEW_SIGNING_PRIVATE_KEY, else one generated once and kept in the review database (development
only). It is loaded on first use, with the engine of the instance's state: review's tables are
created by the state, and a record is only ever signed after they exist.
"""
from shared.objectstore import PdfStore
from shared.signing_keys import DocumentSigner, load_signer

from .committee_tables import record_signing_keys
from .domain import record_content

_KEY_LOCK = 0x7E_71E3_0010


class RecordSigner(DocumentSigner):
    def sign_content(self, content):
        return self.sign_bytes(record_content.canonical(content))

    def verify_content(self, content, signature_b64, key_id):
        return self.verify_bytes(record_content.canonical(content), signature_b64, key_id)

    def sign_file(self, number, content_sha256, pdf_sha256):
        return self.sign_bytes(record_content.file_seal(number, content_sha256, pdf_sha256))

    def verify_file(self, number, content_sha256, pdf_sha256, signature_b64, key_id):
        return self.verify_bytes(record_content.file_seal(number, content_sha256, pdf_sha256), signature_b64, key_id)


class RecordKeys:
    """The record signer of one instance, loaded once on first use (``RecordSettings`` name the key)."""

    def __init__(self, settings):
        self.settings = settings
        self._signer = None

    def signer(self, engine) -> RecordSigner:
        if self._signer is None:
            self._signer = load_signer(engine, record_signing_keys, lock_key=_KEY_LOCK,
                                       setting_name="REVIEW_SIGNING_PRIVATE_KEY",
                                       private_key_setting=self.settings.private_key,
                                       previous_public_keys=self.settings.previous_public_keys,
                                       signer_class=RecordSigner)
        return self._signer


class RecordStore(PdfStore):
    """Record PDFs; keys are made from the record number, never from input."""

    DEFAULT_BUCKET = "kunming-meeting-records"

    @staticmethod
    def key_for(year, number):
        return f"meeting-records/{int(year)}/{number}.pdf"
