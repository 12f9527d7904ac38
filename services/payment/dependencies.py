"""Composition root of the payment service: the application and its providers (timers: shared/timers.py)."""
from nameko.extensions import DependencyProvider

from shared.clock import configured_clock
from shared.tokens import load_public_key, key_id

from .application import Payments, PaymentSettings
from .simulator import PaymentSimulator
from .simulator_adapter import SimulatorProvider


def simulator_public_keys(settings, simulator):
    """The keys that verify simulator notifications: a configured PEM, else the simulator's own."""
    configured = settings.get("PUBLIC_KEY")
    public_key = load_public_key(configured) if configured else simulator.public_key
    return {key_id(public_key): public_key}


def build_payments(config, clock=None):
    """``(Payments, simulator or None)`` for *config*; the caller closes both."""
    simulator_settings = config.get("SIMULATOR") or {}
    providers, simulator = {}, None
    if str(simulator_settings.get("ENABLED", False)).lower() in ("true", "1", "yes"):
        simulator = PaymentSimulator.from_config(simulator_settings, **({"clock": clock} if clock else {}))
        providers["simulator"] = SimulatorProvider(simulator, simulator_public_keys(simulator_settings, simulator))
    payments = Payments(config["DATABASE_URL"], providers=providers,
                        default_provider=config.get("PROVIDER") or "simulator",
                        settings=PaymentSettings.from_config(config), **({"clock": clock} if clock else {}))
    # The simulator's cashier and background work are reached through the application's attribute.
    payments.simulator = simulator
    return payments, simulator


class PaymentApplication(DependencyProvider):
    """One Payments application (and simulator, when enabled) per container, closed in stop()."""

    def setup(self):
        self.payments, self.simulator = build_payments(self.container.config,
                                                       clock=configured_clock(self.container.config))

    def stop(self):
        self.payments.close()
        if self.simulator is not None:
            self.simulator.close()

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        return self.payments
