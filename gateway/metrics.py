"""Prometheus metrics of the gateway process, exposed at ``/metrics``.

Request count and latency per route; RPC latency per service method as the gateway sees it; and,
refreshed on every scrape from the services' health answers, the relay backlog, the projection lag,
failed event handlings and whether each service answers. What each means and its alarm threshold:
docs/operations.md.
"""
import logging
import time

import eventlet
from nameko.amqp.publish import Publisher
from nameko.extensions import DependencyProvider
from nameko.rpc import MethodProxy, RpcProxy
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from werkzeug import Response

from shared.deadlines import DEADLINE_KEY, bounded, deadline_in

from . import rpc_budget
from .edge import check_outgoing
from .errors import error_body
from .rpc_budget import BrokerGate, UpstreamTimeout

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry()
HTTP_REQUESTS = Counter("gateway_http_requests_total", "HTTP requests handled, by route and status",
                        ["route", "method", "status"], registry=REGISTRY)
HTTP_LATENCY = Histogram("gateway_http_request_seconds", "HTTP request latency by route",
                         ["route", "method"], registry=REGISTRY)
# outcome: ok, error (the service refused or failed), timeout (504), unsent (503: broker unreachable).
RPC_LATENCY = Histogram("gateway_rpc_seconds", "RPC latency by service method, seen from the gateway",
                        ["service", "method", "outcome"], registry=REGISTRY)
SERVICE_UP = Gauge("service_up", "1 when the service answered its health RPC at the last scrape",
                   ["service"], registry=REGISTRY)
RELAY_BACKLOG = Gauge("dossier_relay_backlog_events", "Dossier events stored but not yet published on the bus",
                      registry=REGISTRY)
PROJECTION_LAG = Gauge("dossier_projection_lag_events", "Dossier events not yet applied by the summary catch-up",
                       registry=REGISTRY)
FAILED_EVENT_HANDLINGS = Gauge("service_failed_event_handlings", "Event handlings that failed and wait for replay",
                               ["service"], registry=REGISTRY)


class HttpMetrics(DependencyProvider):
    """Times every HTTP worker and counts it by route template (not by concrete path: ids stay out)."""

    def setup(self):
        self.started = {}

    def worker_setup(self, worker_ctx):
        self.started[id(worker_ctx)] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self.started.pop(id(worker_ctx), None)
        entrypoint = worker_ctx.entrypoint
        route, method = getattr(entrypoint, "url", "rpc"), getattr(entrypoint, "method", "-")
        if exc_info:
            status = error_body(exc_info[1])[0]
        elif isinstance(result, Response):
            status = result.status_code
        elif isinstance(result, tuple):
            status = result[0]
        else:
            status = 200
        HTTP_REQUESTS.labels(route, method, str(status)).inc()
        if started is not None:
            HTTP_LATENCY.labels(route, method).observe(time.perf_counter() - started)


class TimedRpcProxy(RpcProxy):
    """An RpcProxy whose every call (plain or call_async) is timed into RPC_LATENCY — and whose
    arguments pass the edge's text rules first (gateway/edge.py), so nothing hostile leaves the gateway.

    Every call is bounded (gateway/rpc_budget.py): it carries its deadline to the service, is sent
    within the broker budget (503 otherwise) and is waited for until that deadline (504 after).
    """

    gate = BrokerGate()

    def setup(self):
        super().setup()
        self.limits = rpc_budget.settings(self.container.config)

    def get_dependency(self, worker_ctx):
        return _TimedService(self, worker_ctx)


class _TimedService:
    def __init__(self, provider, worker_ctx):
        self._provider, self._worker_ctx = provider, worker_ctx
        self._gate = provider.gate  # /health reads the broker's state from here (broker_problem)

    def __getattr__(self, name):
        return _TimedMethod(self._provider, self._worker_ctx, name)


def broker_problem(timed_service):
    """Why the gateway cannot reach the broker now (short English reason), or None."""
    return timed_service._gate.problem()


class _GatewayPublisher(Publisher):
    # A call goes out at once or not at all: one quick reconnect, not kombu's seconds of backoff
    # (nameko's defaults sleep 2 + 3 + 4 s before giving up). The gate bounds the rest.
    transport_options = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
    retry_policy = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


class _GatewayMethodProxy(MethodProxy):
    publisher_cls = _GatewayPublisher


class _CallContext:
    """The worker's context for one call: its context data plus this call's own deadline (the calls a
    page sends concurrently each carry theirs; the worker's shared data is never changed)."""

    def __init__(self, worker_ctx, deadline):
        self._worker_ctx, self._deadline = worker_ctx, deadline

    @property
    def container(self):
        return self._worker_ctx.container

    @property
    def context_data(self):
        data = self._worker_ctx.context_data
        data[DEADLINE_KEY] = self._deadline
        return data

    def __getattr__(self, name):
        return getattr(self._worker_ctx, name)


class _TimedMethod:
    def __init__(self, provider, worker_ctx, name):
        self._provider, self._worker_ctx, self._name = provider, worker_ctx, name
        self._service = provider.target_service

    def __call__(self, *args, **kwargs):
        return self.call_async(*args, **kwargs).result()

    def call_async(self, *args, **kwargs):
        check_outgoing(args, kwargs)
        started = time.perf_counter()
        seconds = rpc_budget.seconds_for(self._provider.limits, self._service, self._name)
        deadline = deadline_in(seconds)
        # expiration: a call nobody takes in time is dropped by the broker too, not queued up for later.
        options = dict(self._provider.options, expiration=seconds)
        method = _GatewayMethodProxy(_CallContext(self._worker_ctx, deadline), self._service, self._name,
                                     self._provider.rpc_reply_listener, **options)
        try:
            reply = self._provider.gate.send(lambda: method.call_async(*args, **kwargs))
        except Exception:
            RPC_LATENCY.labels(self._service, self._name, "unsent").observe(time.perf_counter() - started)
            raise
        return _TimedReply(reply, self, deadline, seconds, started)


class _TimedReply:
    def __init__(self, reply, method, deadline, seconds, started):
        self._reply, self._method, self._deadline, self._seconds = reply, method, deadline, seconds
        self._labels, self._started = (method._service, method._name), started

    def result(self, within=None):
        """The answer, waited for until the call's deadline — or only *within* seconds, for an answer
        a page can do without (the header's unread count): 504 either way, the reply forgotten."""
        outcome = "ok"
        seconds = bounded(within, self._deadline)
        timer = eventlet.Timeout(seconds)
        try:
            return self._reply.result()
        except eventlet.Timeout as fired:
            if fired is not timer:
                raise
            outcome = "timeout"
            _forget(self._method._provider.rpc_reply_listener, self._reply)
            log.warning("RPC %s.%s did not answer within %.1f s: 504", *self._labels,
                        self._seconds if within is None else seconds)
            raise UpstreamTimeout() from None
        except Exception:
            outcome = "error"
            raise
        finally:
            timer.cancel()
            RPC_LATENCY.labels(*self._labels, outcome).observe(time.perf_counter() - self._started)


def _forget(reply_listener, reply):
    """Stop waiting for a reply that came too late (nameko would keep its event until it arrives)."""
    for correlation_id, event in list(reply_listener._reply_events.items()):
        if event is reply.reply_event:
            reply_listener._reply_events.pop(correlation_id, None)
            return


def record_health(reports):
    """Set the gauges from the services' health answers."""
    for service, report in reports.items():
        # "degraded" (events parked for a replay) still answers and works: it is up, and alarmed on by
        # service_failed_event_handlings instead.
        SERVICE_UP.labels(service).set(1 if report.get("status") in ("ok", "degraded") else 0)
        if "failed_event_handlings" in report:
            FAILED_EVENT_HANDLINGS.labels(service).set(report["failed_event_handlings"])
    dossier = reports.get("dossier", {})
    if "relay_backlog" in dossier:
        RELAY_BACKLOG.set(dossier["relay_backlog"])
    if "projection_lag" in dossier:
        PROJECTION_LAG.set(dossier["projection_lag"])
