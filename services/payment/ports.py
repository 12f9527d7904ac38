"""What payment needs from the dossier service, as a small port; the RPC adapter lives here too.

The adapter wraps any nameko proxy to the dossier service (the service's ``RpcProxy`` dependency,
or a standalone ``ClusterRpcProxy``'s ``proxy.dossier``), so the application and tests use one
code path. Payment acts on dossiers as the system, never as a person.
"""
from abc import ABC, abstractmethod

import eventlet
from nameko.exceptions import RemoteError

from shared.errors import Conflict

SYSTEM_ACTOR = {"account_id": "system", "role": "system"}
RECORDED, ALREADY, REFUSED = "recorded", "already", "refused"
# Dossier refusals that mean "not in a state to do this": typed (codes) or untyped (remote type names).
_STATE_REFUSAL_CODES = {"illegal_transition", "rule_violation"}
_STATE_REFUSAL_TYPES = {"IllegalTransitionError", "RuleViolationError"}


def is_state_refusal(error):
    """True when the dossier refused because of its status (retrying would not help)."""
    if isinstance(error, RemoteError):
        return error.exc_type in _STATE_REFUSAL_TYPES
    return isinstance(error, Conflict) and error.code in _STATE_REFUSAL_CODES


class TimedProxy:
    """Calls through a nameko proxy with a time limit, so a service that is down cannot hang a worker.

    A call that runs out of time raises TimeoutError (an ordinary exception the sweeps retry).
    """

    def __init__(self, proxy, timeout=30.0):
        self.proxy = proxy
        self.timeout = timeout

    def call(self, method, *args):
        reply = getattr(self.proxy, method).call_async(*args)
        try:
            with eventlet.Timeout(self.timeout):
                return reply.result()
        except eventlet.Timeout:
            raise TimeoutError(f"RPC {method} did not answer within {self.timeout} seconds") from None


class DossierPort(ABC):
    @abstractmethod
    def record_fee_paid(self, dossier_id, order_id, amount_fen) -> str:
        """RECORDED, ALREADY (this order's payment is on the dossier) or REFUSED (dossier moved on)."""


class RpcDossierPort(DossierPort):
    def __init__(self, proxy, timeout=30.0):
        self.remote = TimedProxy(proxy, timeout)

    def record_fee_paid(self, dossier_id, order_id, amount_fen):
        try:
            self.remote.call("record_fee_paid", SYSTEM_ACTOR, dossier_id, order_id, amount_fen)
            return RECORDED
        except (Conflict, RemoteError) as error:
            if not is_state_refusal(error):
                raise
        fee = self.remote.call("get", dossier_id).get("fee") or {}
        return ALREADY if fee.get("order_id") == str(order_id) else REFUSED
