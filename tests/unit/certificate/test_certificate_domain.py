"""Certificate rules with no I/O: numbering format, names, canonical fields, signatures, codes."""
import dataclasses

import pytest

from services.certificate import domain as d
from services.certificate.exceptions import CertificateNotAllowedError
from services.certificate.numbering import ANY, Numbering
from services.certificate.signing import CertificateSigner
from shared.roles import Actor
from shared.tokens import SigningKey
from tests.unit.certificate.certificate_samples import FIELDS

class TestNumbering:
    def test_the_default_is_year_5301_series_level_and_a_six_digit_serial(self):
        number = Numbering().render(year=2026, issue_year=2027, series="engineering", level="associate_senior", serial=42)
        assert number == "2026" + "5301" + "01" + "3" + "000042"

    def test_codes_and_the_city_are_settings(self):
        numbering = Numbering(template="KM{issue_year}-{series_code}{level_digit}-{serial:05d}",
                              series_codes={"health": "H"}, level_digits={"senior": "9"})
        assert numbering.render(year=2026, issue_year=2027, series="health", level="senior", serial=7) == "KM2027-H9-00007"

    @pytest.mark.parametrize("template", ["{year}{city}", "{year}{nonsense}{serial}", "{year}{serial"])
    def test_a_format_without_serial_or_with_unknown_parts_is_refused(self, template):
        with pytest.raises(ValueError):
            Numbering(template=template)

    def test_counters_count_over_what_the_format_shows(self):
        full = Numbering().counter_key(year=2026, issue_year=2027, series="health", level="primary")
        assert full == {"year": 2026, "series_code": "02", "level_digit": "1"}
        yearly = Numbering(template="{issue_year}{serial:06d}").counter_key(
            year=2026, issue_year=2027, series="health", level="primary")
        assert yearly == {"year": 2027, "series_code": ANY, "level_digit": ANY}


class TestNames:
    @pytest.mark.parametrize("series, level, name", [
        ("engineering", "intermediate", "工程师"), ("engineering", "associate_senior", "高级工程师"),
        ("engineering", "senior", "正高级工程师"), ("health", "associate_senior", "副主任医师"),
        ("accounting", "primary", "助理会计师"),
    ])
    def test_qualification_names_per_series_and_level(self, series, level, name):
        assert d.qualification_name(series, level) == name

    def test_a_setting_can_rename_a_qualification(self):
        assert d.qualification_name("health", "primary", {"health": {"primary": "护师"}}) == "护师"

    def test_the_committee_is_the_one_the_dossier_records_as_reviewing_it(self):
        sent = {"committee": {"committee_id": "c-9", "meeting_id": "m-1", "committee_name": " 昆明市卫生系列高级评审委员会 "}}
        assert d.reviewing_committee(sent) == "昆明市卫生系列高级评审委员会"
        # Sent before names travelled with the dossier, or never sent: no name to print.
        for dossier in ({"committee": {"committee_id": "c-9", "meeting_id": "m-1", "committee_name": ""}},
                        {"committee": None}, {}):
            assert d.reviewing_committee(dossier) is None

    def test_the_face_lists_domain_section_9_fields_with_chinese_dates(self):
        labels = [label for label, _ in d.face(FIELDS)]
        assert labels == ["姓名", "性别", "身份证号", "工作单位", "系列", "专业", "资格名称", "级别", "取得方式",
                          "评审委员会", "通过日期", "证书编号", "发证机关", "发证日期"]
        assert dict(d.face(FIELDS))["通过日期"] == "2026年3月1日"


class TestSignature:
    signer = CertificateSigner(SigningKey.generate(), {})

    def test_the_signature_verifies(self):
        signature = self.signer.sign(FIELDS)
        assert self.signer.verify(FIELDS, signature, self.signer.key_id)

    @pytest.mark.parametrize("name", [field.name for field in dataclasses.fields(d.CertificateFields)])
    def test_changing_any_field_breaks_the_signature(self, name):
        signature = self.signer.sign(FIELDS)
        changed = dataclasses.replace(FIELDS, **{name: getattr(FIELDS, name) + "X"})
        assert not self.signer.verify(changed, signature, self.signer.key_id)

    def test_another_key_or_an_unknown_key_id_does_not_verify(self):
        other = CertificateSigner(SigningKey.generate(), {})
        signature = other.sign(FIELDS)
        assert not self.signer.verify(FIELDS, signature, other.key_id)
        assert not self.signer.verify(FIELDS, signature, self.signer.key_id)
        assert not self.signer.verify(FIELDS, "not-base64!", self.signer.key_id)

    def test_a_retired_key_still_verifies_what_it_signed(self):
        old = CertificateSigner(SigningKey.generate(), {})
        signature = old.sign(FIELDS)
        rotated = CertificateSigner(SigningKey.generate(), {old.key_id: old.signing_key.public_key})
        assert rotated.verify(FIELDS, signature, old.key_id)

    def test_the_canonical_form_is_stable_and_sorted(self):
        assert FIELDS.canonical() == d.CertificateFields.from_dict(FIELDS.to_dict()).canonical()
        assert FIELDS.canonical().startswith(d.CANONICAL_PREFIX + b'{"committee":')


class TestVerificationCode:
    signature = CertificateSigner(SigningKey.generate(), {}).sign(FIELDS)

    def test_the_code_is_eight_unambiguous_characters_derived_from_the_signature(self):
        code = d.verification_code(self.signature)
        assert len(code) == 8 and not set(code) & set("ILOU")
        assert d.verification_code(self.signature) == code

    def test_people_may_type_it_loosely(self):
        code = d.verification_code(self.signature)
        typed = f" {code[:4].lower()} - {code[4:]} ".replace("0", "o").replace("1", "l")
        assert d.normalize_code(typed) == code

    def test_the_qr_url_carries_number_and_printed_code(self):
        url = d.verify_url("http://127.0.0.1:8000/certificates/verify", "20265301012000001", "ABCDEFGH")
        assert url == "http://127.0.0.1:8000/certificates/verify?number=20265301012000001&code=ABCD-EFGH"


class TestWhoMayAct:
    def test_only_city_admins_revoke(self):
        d.check_revoker(Actor(account_id="c", role="city_admin"))
        with pytest.raises(CertificateNotAllowedError):
            d.check_revoker(Actor(account_id="a", role="auditor"))

    def test_the_holder_and_admins_download(self):
        d.check_downloader(Actor(account_id="a-1", role="applicant"), "a-1")
        d.check_downloader(Actor(account_id="x", role="auditor"), "a-1")
        with pytest.raises(CertificateNotAllowedError):
            d.check_downloader(Actor(account_id="a-2", role="applicant"), "a-1")
