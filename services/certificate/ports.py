"""What certificate needs from the dossier, identity and payment services, as small ports with RPC adapters.

The adapters wrap any nameko proxy (the service's ``RpcProxy`` dependencies, or a standalone
``ClusterRpcProxy``'s attributes), so the application and tests share one code path. Issuing is
done as the system; revoking passes on the city administrator who decided it. The review year's
policy (certificate fee, fraud bar) is read from the dossier service's ``get_notice``; whether a
certificate fee is paid, from the payment service; a fraud sanction is recorded in identity.
"""
import uuid
from abc import ABC, abstractmethod

from nameko.exceptions import RemoteError

from shared.contracts import dossier as st
from shared.contracts.identity import FRAUD
from shared.errors import Conflict
from shared.rpc_ports import ALREADY, RECORDED, REFUSED, SYSTEM_ACTOR, TimedProxy, is_state_refusal  # noqa: F401
from shared.year_notice import notice_or_none

# identity takes account ids as UUIDs only: certificate acting as the system has this fixed one there.
IDENTITY_SYSTEM_ACTOR = {
    "account_id": str(uuid.uuid5(uuid.NAMESPACE_URL, "https://kunming-title.invalid/certificate/system")),
    "role": SYSTEM_ACTOR["role"]}


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

    @abstractmethod
    def notice(self, review_year) -> dict | None:
        """The year's notice with its policy in force (``{version, policy, ...}``), None if unpublished."""


class IdentityPort(ABC):
    @abstractmethod
    def get_account(self, account_id) -> dict:
        """The account: name, gender, masked ID number."""

    @abstractmethod
    def record_sanction(self, account_id, reason, sanctioned_on, bar_years, reference) -> dict:
        """Record a fraud sanction barring *bar_years* from *sanctioned_on*; once per *reference*."""


class PaymentPort(ABC):
    @abstractmethod
    def certificate_fee(self, dossier_id) -> dict:
        """``{state, amount_fen, ...}`` (states of shared/contracts/payment.py) of the dossier's certificate fee."""


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

    def notice(self, review_year):
        return notice_or_none(self.remote.call, review_year)


class RpcIdentityPort(IdentityPort):
    def __init__(self, proxy, timeout=30.0):
        self.remote = TimedProxy(proxy, timeout)

    def get_account(self, account_id):
        return self.remote.call("get_account", account_id)

    def record_sanction(self, account_id, reason, sanctioned_on, bar_years, reference):
        return self.remote.call("record_sanction", IDENTITY_SYSTEM_ACTOR, {
            "account_id": account_id, "kind": FRAUD, "reason": reason, "sanctioned_on": sanctioned_on,
            "bar_years": bar_years, "reference": reference})


class RpcPaymentPort(PaymentPort):
    def __init__(self, proxy, timeout=30.0):
        self.remote = TimedProxy(proxy, timeout)

    def certificate_fee(self, dossier_id):
        return self.remote.call("certificate_fee", dossier_id)
