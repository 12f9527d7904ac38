"""Public verification and revocation: a revoked title shows revoked everywhere, with date and reason;
a wrong code finds nothing; a certificate altered in the database fails its signature."""
import pytest
from sqlalchemy import text

from services.certificate.exceptions import CertificateNotAllowedError, CertificateNotFound
from shared.contracts import dossier as st
from shared.errors import ValidationFailed
from tests.factories import Cast
from tests.integration.certificate.test_certificate_issuing import certificate_of
from tests.integration.payment.dossier_journey import dossier_in, wait_for

CITY_ADMIN = {"account_id": "city-admin-revoker", "role": "city_admin", "org_id": "city"}


@pytest.fixture
def certified(services, dossiers, registered_cast):
    cast = registered_cast()
    dossier_id, _ = dossier_in(dossiers, st.APPROVED, cast)
    view = wait_for(lambda: certificate_of(services, dossier_id))
    assert view, "no certificate was issued"
    return view, dossier_id, cast


class TestVerification:
    def test_a_wrong_code_finds_nothing_and_says_nothing_about_the_holder(self, services, certified):
        view, _, _ = certified
        answer = services.certificate.verify(view["number"], "0000-0000")
        assert answer["found"] is False and answer["valid"] is False and "holder" not in answer
        assert services.certificate.verify("20269999999999999", view["verification_code"])["found"] is False

    def test_the_code_may_be_typed_loosely(self, services, certified):
        view, _, _ = certified
        typed = view["verification_code"].replace("-", " ").lower()
        assert services.certificate.verify(f" {view['number']} ", typed)["valid"] is True

    def test_blank_input_gets_a_chinese_field_error(self, services):
        with pytest.raises(ValidationFailed) as raised:
            services.certificate.verify("", None)
        assert raised.value.fields == {"number": ["此项不能为空"], "code": ["此项不能为空"]}

    def test_a_certificate_altered_in_the_database_fails_its_signature(self, services, certified, certificate_db):
        view, _, _ = certified
        with certificate_db.begin() as connection:
            connection.execute(text("UPDATE certificates SET fields = jsonb_set(fields, '{qualification}', "
                                    "'\"高级工程师\"') WHERE number = :number"), {"number": view["number"]})
        answer = services.certificate.verify(view["number"], view["verification_code"])
        assert (answer["found"], answer["valid"], answer["signature_valid"]) == (True, False, False)
        assert "签名" in answer["message"]

    def test_looking_up_by_number_is_for_city_admins_and_auditors(self, services, certified):
        view, _, cast = certified
        assert services.certificate.get(CITY_ADMIN, view["number"])["verification_code"] == view["verification_code"]
        with pytest.raises(CertificateNotAllowedError):
            services.certificate.get(cast.applicant.to_dict(), view["number"])

    def test_the_public_keys_are_published(self, services, certified):
        keys = services.certificate.public_keys()
        assert keys["algorithm"] == "Ed25519" and certified[0]["key_id"] in keys["keys"]


class TestRevocation:
    def test_a_title_revoked_on_the_dossier_revokes_the_certificate_everywhere(self, services, dossiers, certified):
        view, dossier_id, cast = certified
        dossiers.revoke_title(dossier_id, Cast().city_admin, reason="学历造假", fraud=True)
        answer = wait_for(lambda: (lambda a: a if a["revoked"] else None)(
            services.certificate.verify(view["number"], view["verification_code"])))
        assert answer and (answer["valid"], answer["reason"]) == (False, "学历造假")
        assert answer["revoked_at"].endswith("+08:00") and answer["message"] == "该证书已被撤销"
        assert answer["holder"]["name"] == "李明" and answer["title"] == "工程师"
        assert services.certificate.get_by_dossier(dossier_id)["status"] == "revoked"
        with pytest.raises(CertificateNotAllowedError):
            services.certificate.pdf(cast.applicant.to_dict(), dossier_id)
        assert services.certificate.pdf({"account_id": "aud", "role": "auditor"}, dossier_id)["revoked"] is True

    def test_the_city_admin_revokes_by_number_and_the_dossier_records_title_revoked_once(self, services, dossiers,
                                                                                          certified):
        view, dossier_id, _ = certified
        with pytest.raises(CertificateNotAllowedError):
            services.certificate.revoke(Cast().unit_admin.to_dict(), view["number"], "弄虚作假")
        revoked = services.certificate.revoke(CITY_ADMIN, view["number"], "论文抄袭", True)
        assert (revoked["status"], revoked["revoked_reason"]) == ("revoked", "论文抄袭")
        again = services.certificate.revoke(CITY_ADMIN, view["number"], "论文抄袭", True)
        assert again["revoked_at"] == revoked["revoked_at"]
        history = dossiers.history(dossier_id)
        assert [entry["type"] for entry in history].count("title_revoked") == 1
        assert history[-1]["data"] == {"reason": "论文抄袭", "fraud": True}
        assert dossiers.get(dossier_id)["status"] == st.REVOKED
        answer = services.certificate.verify(view["number"], view["verification_code"])
        assert (answer["valid"], answer["revoked"], answer["reason"]) == (False, True, "论文抄袭")

    def test_revoking_needs_a_reason_and_an_existing_number(self, services):
        with pytest.raises(ValidationFailed) as raised:
            services.certificate.revoke(CITY_ADMIN, "x", "  ")
        assert raised.value.fields == {"reason": ["此项不能为空"]}
        with pytest.raises(CertificateNotFound):
            services.certificate.revoke(CITY_ADMIN, "20260000000000000", "理由")
