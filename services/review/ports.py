"""The other services review talks to, as small objects with domain verbs (RPC underneath).

Review decides; the dossier service records (and refuses anything illegal). Every call has a time
limit, so a service that is down gives a clear 503-style error instead of a request that hangs.
Dossier and identity errors come back as their own types (``shared.rpc.register_platform_errors``).
"""
import time
import uuid

from shared.idempotency import derived_key
from shared.roles import SYSTEM
from shared.rpc_ports import SYSTEM_ACTOR, TimedProxy  # noqa: F401 (review acts as the system for timers)

from .exceptions import RemoteServiceUnavailable

# identity takes account ids as UUIDs only: review acting as the system has this fixed one there.
IDENTITY_SYSTEM_ACTOR = {
    "account_id": str(uuid.uuid5(uuid.NAMESPACE_URL, "https://kunming-title.invalid/review/system")), "role": SYSTEM}
SERVICE_LABELS = {"dossier": "申报材料服务", "identity": "身份认证服务"}


class Remote:
    """Calls one service through a nameko proxy (``RpcProxy`` in a worker, or a standalone one), each
    call time-limited (``shared.rpc_ports.TimedProxy``): a service that is down or slow answers
    RemoteServiceUnavailable instead of hanging the request."""

    def __init__(self, proxy, service, timeout=30.0):
        self.service = service
        self.timeout = timeout
        self.remote = TimedProxy(proxy, timeout, unavailable=self._unavailable)

    def call(self, method, *args, timeout=None):
        return self.remote.call(method, *args, timeout=timeout)

    def write(self, method, subject, *args):
        """A state-changing call under its own key derived from the request's (shared/idempotency.py):
        one request may ask for many writes (a step for each dossier of a meeting), each recorded once,
        and a redelivered request derives the same keys, so the service answers what it recorded first."""
        with derived_key(method, subject):
            return self.call(method, *args)

    def start(self, method, *args):
        """Send the call now and return a handle whose ``wait()`` gives the answer (concurrent fan-out)."""
        return self.remote.start(method, *args)

    def _unavailable(self):
        return RemoteServiceUnavailable(f"{SERVICE_LABELS.get(self.service, self.service)}暂时无法访问,请稍后重试")


class DossierPort(Remote):
    """The dossier service's commands and queries review needs."""

    def __init__(self, proxy, timeout=30.0):
        super().__init__(proxy, "dossier", timeout)

    def get(self, dossier_id):
        return self.call("get", dossier_id)

    def get_many(self, dossier_ids):
        """``{dossier_id: dossier}``, asked concurrently (a batch of hundreds costs one round trip)."""
        pending = {dossier_id: self.start("get", dossier_id) for dossier_id in dossier_ids}
        return {dossier_id: call.wait() for dossier_id, call in pending.items()}

    def get_notice(self, review_year):
        return self.call("get_notice", review_year)

    def decide(self, actor, dossier_id, decision):
        return self.write("decide", dossier_id, actor, dossier_id, decision)

    def record_unit_publicity(self, actor, dossier_id, start, end):
        return self.write("record_unit_publicity", dossier_id, actor, dossier_id, {"start": start, "end": end})

    def recommend_batch(self, actor, dossier_ids, batch_id, today, expected_versions=None):
        return self.write("recommend_batch", batch_id, actor, {
            "dossier_ids": dossier_ids, "batch_id": batch_id, "today": today,
            "expected_versions": expected_versions or {}})

    def send_to_committee(self, actor, dossier_id, committee_id, meeting_id, committee_name):
        return self.write("send_to_committee", dossier_id, actor, dossier_id, committee_id, meeting_id, committee_name)

    def recall_from_committee(self, actor, dossier_id, meeting_id, reason):
        return self.write("recall_from_committee", dossier_id, actor, dossier_id, meeting_id, reason)

    def start_review(self, actor, dossier_id, meeting_id):
        return self.write("start_review", dossier_id, actor, dossier_id, meeting_id)

    def record_vote_result(self, actor, dossier_id, tally):
        return self.write("record_vote_result", dossier_id, actor, dossier_id, tally)

    def start_publicity(self, actor, dossier_id, publicity_id, start, end):
        return self.write("start_publicity", dossier_id, actor, dossier_id, publicity_id, {"start": start, "end": end})

    def raise_objection(self, dossier_id, objection_id, summary):
        return self.write("raise_objection", dossier_id, SYSTEM_ACTOR, dossier_id, objection_id, summary)

    def resolve_objection(self, actor, dossier_id, objection_id, outcome, reason, fraud):
        return self.write("resolve_objection", dossier_id, actor, dossier_id, objection_id, outcome, reason, fraud)

    def end_publicity(self, dossier_id):
        return self.write("end_publicity", dossier_id, SYSTEM_ACTOR, dossier_id)

    def abandon(self, dossier_id, reason):
        return self.write("abandon", dossier_id, SYSTEM_ACTOR, dossier_id, reason)


class IdentityPort(Remote):
    """Identity: accounts (masked ID numbers, experts' units) and sanctions."""

    def __init__(self, proxy, timeout=30.0, lookup_timeout=5.0):
        super().__init__(proxy, "identity", timeout)
        self.lookup_timeout = lookup_timeout

    def get_account(self, account_id):
        return self.call("get_account", account_id)

    def get_org(self, org_id):
        return self.call("get_org", org_id)

    def masked_id_numbers(self, account_ids):
        """``{account_id: masked ID number}`` for those identity knows; missing or slow ones are left out."""
        pending = {}
        for account_id in account_ids:
            try:
                pending[account_id] = self.start("get_account", account_id)
            except RemoteServiceUnavailable:
                return {}
        found, deadline = {}, time.monotonic() + self.lookup_timeout
        for account_id, call in pending.items():
            try:
                account = call.wait(max(deadline - time.monotonic(), 0.01))
            except Exception:  # unknown account, identity down: the export shows the column empty
                continue
            if account.get("id_number_masked"):
                found[account_id] = account["id_number_masked"]
        return found

    def record_sanction(self, account_id, reason, sanctioned_on, bar_years, reference):
        return self.write("record_sanction", reference, IDENTITY_SYSTEM_ACTOR, {
            "account_id": account_id, "kind": "fraud", "reason": reason,
            "sanctioned_on": sanctioned_on, "bar_years": bar_years, "reference": reference})
