"""Certificate PDFs in object storage (shared/objectstore.py).

Keys are made from the certificate number, never from input; writing the same certificate again
writes the same bytes (rendering is deterministic), so a retried issue is harmless.
"""
from shared.objectstore import PdfStore


class CertificateStore(PdfStore):
    @staticmethod
    def key_for(review_year, number):
        return f"certificates/{int(review_year)}/{number}.pdf"
