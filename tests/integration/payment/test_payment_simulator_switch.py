"""The provider simulator exists only where it is asked for: with the shipped config (no
PAYMENT_SIMULATOR_ENABLED) there is no cashier to show or confirm, so no deployment can take a
"payment" that moves no money."""
import copy

import pytest

from services.payment.dependencies import build_payments
from services.payment.exceptions import SimulatorPaymentNotFound
from services.payment.service import PaymentService
from shared.config import load_config
from tests.integration.payment.conftest import CONFIG_PATH


def test_the_shipped_config_leaves_the_simulator_off():
    assert str(load_config(CONFIG_PATH)["SIMULATOR"]["ENABLED"]).lower() == "false"


@pytest.fixture
def payment_without_simulator(database_url, amqp_uri):
    config = copy.deepcopy(load_config(CONFIG_PATH))
    config.pop("LOGGING")
    config.update(AMQP_URI=amqp_uri, DATABASE_URL=database_url("payment_nosim"))
    config["TIMERS"] = {"sweep_seconds": 0, "simulator_seconds": 0}
    payments, simulator = build_payments(config)
    assert simulator is None
    service = PaymentService()
    service.payments, service.config = payments, config
    yield service
    payments.close()


@pytest.mark.parametrize("call", ["cashier_view", "cashier_confirm"])
def test_without_the_simulator_the_cashier_is_not_found(payment_without_simulator, call):
    with pytest.raises(SimulatorPaymentNotFound) as refused:
        getattr(payment_without_simulator, call)("8a1f1c9e-6f0e-4c47-9a53-0d8c1c7f2a11")
    assert "未启用模拟支付平台" in refused.value.message
