"""What certificate needs from the dossier and identity services, as small ports with RPC adapters.

The adapters wrap any nameko proxy (the service's ``RpcProxy`` dependencies, or a standalone
``ClusterRpcProxy``'s attributes), so the application and tests share one code path. Issuing is
done as the system; revoking passes on the city administrator who decided it.
"""
from abc import ABC, abstractmethod

from nameko.exceptions import RemoteError  # noqa: F401  (kept for callers that catch it from here)

from shared.contracts import dossier as st
from shared.errors import Conflict
from shared.rpc_ports import ALREADY, RECORDED, REFUSED, SYSTEM_ACTOR, TimedProxy, is_state_refusal  # noqa: F401

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
            if not is_state_refusal(error) or self.remote.call("get", dossier_id).get("status") != st.REVOKED:
                raise
        return ALREADY


class RpcIdentityPort(IdentityPort):
    def __init__(self, proxy, timeout=30.0):
        self.remote = TimedProxy(proxy, timeout)

    def get_account(self, account_id):
        return self.remote.call("get_account", account_id)
