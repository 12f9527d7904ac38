"""Certificate's RPC answers go through answer schemas and stay the JSON they were: each case is built by
the view that made the answer before (projections.py) and ``dump`` must give it back unchanged."""
import base64
import json
from datetime import datetime, timedelta, timezone

import pytest

from services.certificate import projections as views
from services.certificate import schemas as s
from services.certificate.domain import verification_code
from services.certificate.signing import CertificateSigner
from shared.schemas import AnswerShapeError, dump
from shared.tokens import SigningKey
from tests.unit.certificate.certificate_samples import FIELDS

ISSUED = datetime(2026, 3, 10, 1, 0, tzinfo=timezone.utc)
VERIFY_BASE = "http://127.0.0.1:8000/certificates/verify"
SIGNER = CertificateSigner(SigningKey.generate(), {})


def certificate_row(**overrides):
    """A certificates row as the database hands it over (times as datetimes, fields as signed)."""
    signature = SIGNER.sign(FIELDS)
    row = {
        "number": FIELDS.number, "dossier_id": "d-1", "dossier_version": 13, "applicant_id": "a-1",
        "review_year": 2026, "series": "engineering", "level": "intermediate", "serial": 1,
        "counter_key": {"year": 2026}, "fields": FIELDS.to_dict(), "signature": signature, "key_id": SIGNER.key_id,
        "verification_code": verification_code(signature), "object_key": f"2026/{FIELDS.number}.pdf",
        "pdf_sha256": "ab" * 32, "issued_at": ISSUED, "pdf_stored_at": ISSUED, "dossier_recorded_at": ISSUED,
        "revoked_at": None, "revoked_reason": None, "revoked_by": None,
    }
    return {**row, **overrides}


def revoked_row():
    return certificate_row(revoked_at=ISSUED + timedelta(days=30), revoked_reason="学历造假", revoked_by="city-1")


def assert_answers_unchanged(schema, old):
    """``dump`` gives back *old* itself, and the JSON on the wire is the same text."""
    new = dump(schema, old)
    assert new == old
    assert json.dumps(new, ensure_ascii=False, sort_keys=True) == json.dumps(old, ensure_ascii=False, sort_keys=True)


class TestCertificates:
    def test_a_valid_certificate_answers_as_its_view(self):
        assert_answers_unchanged(s.CertificateOut, views.certificate_view(certificate_row(), VERIFY_BASE))

    def test_a_revoked_certificate_answers_its_revocation_in_beijing_time(self):
        answer = dump(s.CertificateOut, views.certificate_view(revoked_row(), VERIFY_BASE))
        assert answer["status"] == "revoked" and answer["revoked_at"] == "2026-04-09T09:00:00+08:00"
        assert_answers_unchanged(s.CertificateOut, views.certificate_view(revoked_row(), VERIFY_BASE))

    def test_a_certificate_still_being_completed_answers_as_its_view(self):
        row = certificate_row(pdf_stored_at=None, pdf_sha256=None, dossier_recorded_at=None)
        assert_answers_unchanged(s.CertificateOut, views.certificate_view(row, VERIFY_BASE))

    def test_the_pdf_travels_as_base64_text_with_its_digest(self):
        data = b"%PDF-1.4 certificate"
        pdf = {"number": FIELDS.number, "filename": f"职称证书-{FIELDS.number}.pdf", "content_type": "application/pdf",
               "content_base64": base64.b64encode(data).decode("ascii"), "object_key": f"2026/{FIELDS.number}.pdf",
               "sha256": "ab" * 32, "size": len(data), "revoked": False}
        assert_answers_unchanged(s.CertificatePdfOut, pdf)

    def test_the_issuers_public_keys_answer_as_they_did(self):
        keys = {"algorithm": "Ed25519", "keys": SIGNER.public_key_pems(), "current": SIGNER.key_id}
        assert_answers_unchanged(s.PublicKeysOut, keys)

    def test_a_certificate_with_a_key_the_schema_does_not_declare_is_refused(self):
        view = dict(views.certificate_view(certificate_row(), VERIFY_BASE), revoked_by="city-1")
        with pytest.raises(AnswerShapeError, match="CertificateOut does not declare revoked_by"):
            dump(s.CertificateOut, view)


class TestPublicVerification:
    def test_a_valid_certificate_is_verified_with_its_holder_masked(self):
        answer = views.verification_answer(certificate_row(), signature_valid=True)
        assert answer["valid"] is True and answer["holder"]["id_number_masked"] == FIELDS.id_number_masked
        assert_answers_unchanged(s.VerificationOut, answer)

    def test_a_revoked_certificate_is_verified_as_revoked(self):
        answer = views.verification_answer(revoked_row(), signature_valid=True)
        assert (answer["valid"], answer["revoked"], answer["reason"]) == (False, True, "学历造假")
        assert_answers_unchanged(s.VerificationOut, answer)

    def test_a_certificate_whose_signature_fails_is_not_valid(self):
        assert_answers_unchanged(s.VerificationOut, views.verification_answer(certificate_row(), signature_valid=False))

    def test_an_unknown_number_or_wrong_code_answers_found_false_and_nothing_more(self):
        assert_answers_unchanged(s.VerificationOut, dict(views.NOT_FOUND_ANSWER))


@pytest.mark.parametrize("report", [
    {"service": "certificate", "status": "degraded", "certificates": 3, "queued": 1, "key_id": "k1",
     "failed_event_handlings": 2},
    {"service": "certificate", "status": "error", "error": "connection refused"},
])
def test_health_answers_as_it_did(report):
    assert_answers_unchanged(s.HealthOut, report)
