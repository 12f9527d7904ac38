"""The certificate service's config.yaml loads into its settings and numbering; RPC input is bounded."""
from pathlib import Path

import pytest

from services.certificate import schemas
from services.certificate.application import CertificateSettings
from services.certificate.numbering import Numbering
from shared.config import load_config
from shared.errors import ValidationFailed
from shared.schemas import load_or_raise

CONFIG = Path(__file__).resolve().parents[3] / "services" / "certificate" / "config.yaml"


def test_the_config_file_gives_the_default_number_format_and_texts():
    config = load_config(CONFIG)
    numbering = Numbering.from_config(config["NUMBERING"])
    assert numbering.render(year=2026, issue_year=2026, series="health", level="senior", serial=12) == "20265301024000012"
    settings = CertificateSettings.from_config(config)
    assert settings.issuing_body == "昆明市人力资源和社会保障局"
    assert settings.verify_url == "http://127.0.0.1:8000/certificates/verify"
    # The committee printed is the one that reviewed the dossier, never a configured name (R9.6).
    assert "COMMITTEE_NAME_FORMAT" not in config and not hasattr(settings, "committee_name_format")
    assert config["S3"]["bucket"] == "kunming-certificates" and config["SIGNING"]["PRIVATE_KEY"] is None


def test_revoking_needs_a_reason_and_verification_input_is_bounded():
    with pytest.raises(ValidationFailed) as raised:
        load_or_raise(schemas.RevokeSchema(), {"number": "1", "reason": ""})
    assert raised.value.fields == {"reason": ["此项不能为空"]}
    with pytest.raises(ValidationFailed) as raised:
        load_or_raise(schemas.VerifySchema(), {"number": "1" * 41, "code": "x" * 21})
    assert raised.value.fields == {"number": ["不能超过 40 个字符"], "code": ["不能超过 20 个字符"]}
