"""What payment needs from the dossier service, as a small port; the RPC adapter lives here too.

Besides recording fees, the dossier service is where the review year's policy is read
(``get_notice``): every amount payment charges comes from it.

The adapter wraps any nameko proxy to the dossier service (the service's ``RpcProxy`` dependency,
or a standalone ``ClusterRpcProxy``'s ``proxy.dossier``), so the application and tests use one
code path. Payment acts on dossiers as the system, never as a person.
"""
from abc import ABC, abstractmethod

from nameko.exceptions import RemoteError

from shared.errors import Conflict
from shared.rpc_ports import ALREADY, RECORDED, REFUSED, SYSTEM_ACTOR, TimedProxy, is_state_refusal  # noqa: F401
from shared.year_notice import notice_or_none

class DossierPort(ABC):
    @abstractmethod
    def record_fee_paid(self, dossier_id, order_id, amount_fen) -> str:
        """RECORDED, ALREADY (this order's payment is on the dossier) or REFUSED (dossier moved on)."""

    @abstractmethod
    def notice(self, review_year) -> dict | None:
        """The year's notice with its policy in force (``{version, policy, ...}``), None if unpublished."""


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

    def notice(self, review_year):
        return notice_or_none(self.remote.call, review_year)
