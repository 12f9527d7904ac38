"""What certificate needs from the dossier and identity services, as small ports with RPC adapters.

The adapters wrap any nameko proxy (the service's ``RpcProxy`` dependencies, or a standalone
``ClusterRpcProxy``'s attributes), so the application and tests share one code path. Issuing is
done as the system; revoking passes on the city administrator who decided it.
"""
from abc import ABC, abstractmethod

import eventlet
from nameko.exceptions import RemoteError

from shared.errors import Conflict

SYSTEM_ACTOR = {"account_id": "system", "role": "system"}
RECORDED, ALREADY, REFUSED = "recorded", "already", "refused"
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
    def get(self, dossier_id) -> dict:
        """The dossier as plain data (status, applicant, unit, series, level, committee, ...)."""

    @abstractmethod
    def history(self, dossier_id) -> list:
        """Every event of the dossier with its time."""

    @abstractmethod
    def issue_certificate(self, dossier_id, number) -> str:
        """RECORDED, ALREADY (this number is on the dossier) or REFUSED (the dossier moved on)."""

    @abstractmethod
    def revoke_title(self, actor, dossier_id, reason, fraud) -> str:
        """RECORDED, or ALREADY when the dossier's title is revoked already."""


class IdentityPort(ABC):
    @abstractmethod
    def get_account(self, account_id) -> dict:
        """The account: name, gender, masked ID number."""


class RpcDossierPort(DossierPort):
    def __init__(self, proxy, timeout=30.0):
        self.remote = TimedProxy(proxy, timeout)

    def get(self, dossier_id):
        return self.remote.call("get", dossier_id)

    def history(self, dossier_id):
        return self.remote.call("history", dossier_id)

    def issue_certificate(self, dossier_id, number):
        try:
            self.remote.call("issue_certificate", SYSTEM_ACTOR, dossier_id, number)
            return RECORDED
        except (Conflict, RemoteError) as error:
            if not is_state_refusal(error):
                raise
        return ALREADY if self.remote.call("get", dossier_id).get("certificate_number") == number else REFUSED

    def revoke_title(self, actor, dossier_id, reason, fraud):
        try:
            self.remote.call("revoke_title", actor, dossier_id, reason, fraud)
            return RECORDED
        except (Conflict, RemoteError) as error:
            if not is_state_refusal(error) or self.remote.call("get", dossier_id).get("status") != "revoked":
                raise
        return ALREADY


class RpcIdentityPort(IdentityPort):
    def __init__(self, proxy, timeout=30.0):
        self.remote = TimedProxy(proxy, timeout)

    def get_account(self, account_id):
        return self.remote.call("get_account", account_id)
