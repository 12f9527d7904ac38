"""Operations: /health asks every service concurrently, /metrics for Prometheus, the OpenAPI document."""
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from werkzeug import Response

from ..errors import json_response
from ..metrics import REGISTRY, broker_problem, record_health
from ..rpc_budget import ServiceUnavailable, UpstreamTimeout
from .http import http
from .openapi import openapi_document

CHECKED_SERVICES = ("identity", "dossier", "review", "payment", "certificate", "accesslog", "notification")


def _failure(error):
    """What a health report says about a service that did not answer, and why."""
    if isinstance(error, UpstreamTimeout):
        reason = "timeout"  # sent, no answer within RPC.HEALTH_SECONDS: stopped, stuck or overloaded
    elif isinstance(error, ServiceUnavailable):
        reason = "broker_unreachable"  # not even sent
    else:
        reason = type(error).__name__  # UnknownService: no instance has ever consumed its queue
    return {"status": "error", "error": reason}


class OpsRoutes:
    def service_reports(self):
        """Every service's health answer, asked concurrently; a silent service is reported, not waited on.

        Each call carries the health time limit (gateway/config.yaml RPC.HEALTH_SECONDS) from the moment
        it was sent, and all are sent at once: the whole check takes that long at most.
        """
        reports, pending = {}, {}
        for name in CHECKED_SERVICES:
            try:
                pending[name] = getattr(self, name).health.call_async()
            except Exception as error:  # no instance consuming, or no broker: exactly what /health is for
                reports[name] = _failure(error)
        for name, reply in pending.items():
            try:
                reports[name] = reply.result()
            except Exception as error:
                reports[name] = _failure(error)
        return {name: reports[name] for name in CHECKED_SERVICES}

    def broker_report(self):
        problem = broker_problem(self.identity)
        return {"status": "ok"} if problem is None else {"status": "error", "error": problem}

    @http("GET", "/health")
    def health(self, request):
        """The broker's and each service's health; 200 when all answer ok, else 503 naming what does not."""
        reports = self.service_reports()
        broker = self.broker_report()
        access_log = self.access_log.health()  # this instance's spool of reads not yet handed over
        healthy = (broker["status"] == "ok" and access_log["status"] == "ok"
                   and all(report.get("status") == "ok" for report in reports.values()))
        return json_response({"status": "ok" if healthy else "degraded", "broker": broker, "services": reports,
                              "gateway": {"access_log": access_log}}, 200 if healthy else 503)

    @http("GET", "/metrics")
    def metrics(self, request):
        """Prometheus text format; service gauges are refreshed from their health answers on each scrape."""
        record_health(self.service_reports())
        return Response(generate_latest(REGISTRY), mimetype=CONTENT_TYPE_LATEST)

    @http("GET", "/api/v1/openapi.json")
    def openapi(self, request):
        return json_response(openapi_document(type(self)))
