"""The payment RPC edge: money must be whole fen, every level priced, errors named in Chinese;
the service's config.yaml loads with sensible defaults."""
from pathlib import Path

import pytest

from services.payment import schemas
from services.payment.application import PaymentSettings
from shared.config import load_config
from shared.errors import ValidationFailed
from shared.schemas import load_or_raise

CONFIG = Path(__file__).resolve().parents[3] / "services" / "payment" / "config.yaml"
FEES = {"primary": 10000, "intermediate": 16000, "associate_senior": 36000, "senior": 36000}


def test_a_complete_schedule_loads_with_a_default_certificate_fee():
    loaded = load_or_raise(schemas.FeeScheduleSchema(), {"review_year": 2026, "review_fees_fen": FEES})
    assert loaded == {"review_year": 2026, "review_fees_fen": FEES, "certificate_fee_fen": 0}


@pytest.mark.parametrize("value, message", [
    (160.5, "应为整数"), ("16000", "应为整数"), (-1, "应在 0 到 1000000 之间"), (10 ** 7, "应在 0 到 1000000 之间"),
])
def test_fees_must_be_whole_fen_within_bounds(value, message):
    with pytest.raises(ValidationFailed) as raised:
        load_or_raise(schemas.FeeScheduleSchema(), {"review_year": 2026, "review_fees_fen": dict(FEES, senior=value)})
    assert raised.value.fields == {"review_fees_fen": {"senior": [message]}}


def test_unknown_levels_and_fields_are_refused():
    with pytest.raises(ValidationFailed) as raised:
        load_or_raise(schemas.FeeScheduleSchema(), {"review_year": 1999, "review_fees_fen": dict(FEES, expert=1),
                                                    "discount": 1})
    assert raised.value.fields == {"review_year": ["应在 2000 到 2100 之间"],
                                   "review_fees_fen": {"expert": ["不允许的字段"]}, "discount": ["不允许的字段"]}


def test_a_notification_keeps_headers_and_the_exact_body_text():
    body = '{"amount_fen": 16000}\n'
    loaded = load_or_raise(schemas.NotificationSchema(), {"provider": "simulator", "headers": {"X-A": "1"}, "body": body})
    assert loaded["body"] == body


def test_the_config_file_loads_with_its_defaults():
    config = load_config(CONFIG)
    settings = PaymentSettings.from_config(config)
    assert (settings.order_ttl_seconds, settings.notification_window_seconds) == (72 * 3600, 300)
    assert settings.payee == "昆明市人力资源和社会保障局" and config["PROVIDER"] == "simulator"
    assert config["SIMULATOR"]["DATABASE_URL"].endswith("/kunming_paysim")
