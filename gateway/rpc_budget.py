"""How long the gateway waits for the services, and what it answers when it cannot reach them.

Every RPC has a time limit by kind of call — queries, commands, slow ones (PDFs, exports, sweeps),
health checks — set in gateway/config.yaml ``RPC`` (environment-overridable). The call carries its
deadline (shared/deadlines.py), so a service that gets it late refuses to start it; the gateway
answers a call out of time with 504 (``UpstreamTimeout``).

The broker itself: sending a call may take at most ``BROKER_SECONDS``. A broker that refuses,
resets or does not answer, or a reply consumer that is disconnected (no answer could come back),
is answered at once with 503 and ``Retry-After`` (``ServiceUnavailable``); after a failure the gate
refuses for ``RECHECK_SECONDS`` without trying, so a flood of requests during an outage costs
nothing, then tries again. Never a 500, never a hang.
"""
import logging
import time

import eventlet
from nameko.extensions import SharedExtension
from nameko.messaging import QueueConsumer

from shared import amqp_resilience
from shared.errors import PlatformError

log = logging.getLogger(__name__)

QUERY, COMMAND, SLOW, HEALTH = "query", "command", "slow", "health"
DEFAULTS = {"QUERY_SECONDS": 5.0, "COMMAND_SECONDS": 10.0, "SLOW_SECONDS": 30.0, "HEALTH_SECONDS": 2.0,
            "BROKER_SECONDS": 1.5, "RECHECK_SECONDS": 1.0, "RETRY_AFTER_SECONDS": 5}

# Read-only calls; anything not named here is a command (the longer wait is the safe default).
QUERIES = {
    "identity": {"authenticate", "token_public_keys", "can_apply", "get_account", "get_org", "list_orgs",
                 "role_requests", "sanctions_of", "unit_members", "audit_log", "in_scope",
                 "scope_of", "units_under", "org_ancestors"},
    "dossier": {"get", "get_notice", "history", "list", "list_notices", "state_at", "check_eligibility",
                "required_materials",
                "get_notice_draft", "list_notice_drafts", "list_notice_versions", "get_notice_version"},
    "review": {"calendar_year", "decisions_of", "expert_meetings", "get_batch", "get_committee", "get_meeting",
               "get_publicity", "list_batches", "list_committees", "list_meetings", "list_objections",
               "list_publicities", "progress", "publicity_detail", "queue", "queue_counts", "queue_item",
               "replay_draw", "working_days"},
    "payment": {"cashier_view", "get_fee_schedule", "get_order", "ledger", "orders_of_dossier"},
    "certificate": {"get", "get_by_dossier", "public_keys", "verify"},
    "notification": {"inbox", "unread_count", "preferences", "deliveries", "outbox"},
}
# Calls that render documents, walk whole tables or act on many dossiers at once.
SLOW_CALLS = {"certificate.pdf", "payment.receipt_pdf", "payment.reconciliation_report", "review.export_queue",
              "review.run_timers", "review.submit_batch", "dossier.verify"}


class ServiceUnavailable(PlatformError):
    """Raised when the gateway cannot reach the broker: 503, with when to try again."""

    code = "service_unavailable"
    http_status = 503

    def __init__(self, message="系统繁忙,暂时无法连接后台服务,请稍后重试", fields=None, retry_after=5):
        super().__init__(message, fields)
        self.retry_after = retry_after


class UpstreamTimeout(PlatformError):
    """Raised when a service did not answer within the call's time limit: 504."""

    code = "upstream_timeout"
    http_status = 504

    def __init__(self, message="后台服务未能及时响应,请稍后重试;如刚提交了修改,请先刷新查看是否已生效", fields=None):
        super().__init__(message, fields)


def settings(config):
    """The ``RPC`` section of the gateway's config with defaults for what it leaves out, as numbers."""
    section = config.get("RPC") or {}
    return {name: float(section.get(name) if section.get(name) not in (None, "") else default)
            for name, default in DEFAULTS.items()}


def kind_of(service, method):
    if method == "health":
        return HEALTH
    if f"{service}.{method}" in SLOW_CALLS:
        return SLOW
    return QUERY if method in QUERIES.get(service, ()) else COMMAND


def seconds_for(limits, service, method):
    return limits[f"{kind_of(service, method).upper()}_SECONDS"]


class BrokerGate(SharedExtension):
    """One per gateway container: sends calls within the broker budget, refuses fast while it is down."""

    queue_consumer = QueueConsumer()  # the container's one consumer, through which every reply comes

    def setup(self):
        self.limits = settings(self.container.config)
        self.refusing_until = 0.0
        self.last_failure = None

    def unavailable(self):
        return ServiceUnavailable(retry_after=int(self.limits["RETRY_AFTER_SECONDS"]))

    def problem(self):
        """Why calls cannot go out now (a short English reason), or None when the broker looks reachable."""
        if amqp_resilience.broker_connected(self.queue_consumer) is False:
            return "reply consumer disconnected"
        if time.monotonic() < self.refusing_until:
            return f"unreachable: {self.last_failure}"
        return None

    def send(self, publish):
        """Run *publish* (sending one call); ServiceUnavailable when the broker cannot take it in time.

        The send runs in a greenthread of its own, and is left to finish there when it runs out of
        time: interrupting kombu mid-publish makes it close the connection politely, which waits
        for the very broker that does not answer — the request would hang after all. The send ends
        when the broker answers or the connection dies. Such a call may still reach its service if
        the broker recovers before the call's deadline (as after a 504); never after it.
        """
        if self.problem():
            raise self.unavailable()
        sending = eventlet.spawn(publish)
        timer = eventlet.Timeout(self.limits["BROKER_SECONDS"])
        try:
            return sending.wait()
        except eventlet.Timeout as fired:
            if fired is not timer:
                raise
            self._trip(f"no answer within {self.limits['BROKER_SECONDS']} s")
        except amqp_resilience.BROKER_ERRORS as error:
            self._trip(repr(error))
        finally:
            timer.cancel()
        raise self.unavailable()

    def _trip(self, reason):
        self.last_failure = reason
        self.refusing_until = time.monotonic() + self.limits["RECHECK_SECONDS"]
        log.warning("broker unreachable (%s): answering 503 for %.1f s before trying again", reason,
                    self.limits["RECHECK_SECONDS"])
