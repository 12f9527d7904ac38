"""Prometheus metrics of the gateway process, exposed at ``/metrics``.

Request count and latency per route; RPC latency per service method as the gateway sees it; and,
refreshed on every scrape from the services' health answers, the relay backlog, the projection lag,
failed event handlings and whether each service answers. What each means and its alarm threshold:
docs/operations.md.
"""
import time

from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from werkzeug import Response

from .edge import check_outgoing
from .errors import error_body

REGISTRY = CollectorRegistry()
HTTP_REQUESTS = Counter("gateway_http_requests_total", "HTTP requests handled, by route and status",
                        ["route", "method", "status"], registry=REGISTRY)
HTTP_LATENCY = Histogram("gateway_http_request_seconds", "HTTP request latency by route",
                         ["route", "method"], registry=REGISTRY)
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
    arguments pass the edge's text rules first (gateway/edge.py), so nothing hostile leaves the gateway."""

    def get_dependency(self, worker_ctx):
        return _TimedService(super().get_dependency(worker_ctx), self.target_service)


class _TimedService:
    def __init__(self, proxy, service):
        self._proxy, self._service = proxy, service

    def __getattr__(self, name):
        return _TimedMethod(getattr(self._proxy, name), self._service, name)


class _TimedMethod:
    def __init__(self, method, service, name):
        self._method, self._service, self._name = method, service, name

    def __call__(self, *args, **kwargs):
        return self.call_async(*args, **kwargs).result()

    def call_async(self, *args, **kwargs):
        check_outgoing(args, kwargs)
        started = time.perf_counter()
        return _TimedReply(self._method.call_async(*args, **kwargs), self._service, self._name, started)


class _TimedReply:
    def __init__(self, reply, service, name, started):
        self._reply, self._labels, self._started = reply, (service, name), started

    def result(self):
        outcome = "ok"
        try:
            return self._reply.result()
        except Exception:
            outcome = "error"
            raise
        finally:
            RPC_LATENCY.labels(*self._labels, outcome).observe(time.perf_counter() - self._started)


def record_health(reports):
    """Set the gauges from the services' health answers."""
    for service, report in reports.items():
        SERVICE_UP.labels(service).set(1 if report.get("status") == "ok" else 0)
        if "failed_event_handlings" in report:
            FAILED_EVENT_HANDLINGS.labels(service).set(report["failed_event_handlings"])
    dossier = reports.get("dossier", {})
    if "relay_backlog" in dossier:
        RELAY_BACKLOG.set(dossier["relay_backlog"])
    if "projection_lag" in dossier:
        PROJECTION_LAG.set(dossier["projection_lag"])
