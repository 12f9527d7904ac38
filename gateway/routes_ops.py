"""Operations: /health asks every service concurrently, /metrics for Prometheus, the OpenAPI document."""
import eventlet
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from werkzeug import Response

from .errors import json_response
from .http import http
from .metrics import REGISTRY, record_health
from .openapi import openapi_document

CHECKED_SERVICES = ("identity", "dossier", "review", "payment", "certificate")
HEALTH_TIMEOUT_SECONDS = 5


class OpsRoutes:
    def service_reports(self):
        """Every service's health answer, asked concurrently; a silent service is reported, not waited on."""
        reports, pending = {}, {}
        for name in CHECKED_SERVICES:
            try:
                pending[name] = getattr(self, name).health.call_async()
            except Exception as error:  # no instance consuming: exactly what /health is for
                reports[name] = {"status": "error", "error": type(error).__name__}
        for name, reply in pending.items():
            reports[name] = {"status": "error", "error": "timeout"}
            try:
                with eventlet.Timeout(HEALTH_TIMEOUT_SECONDS, False):
                    reports[name] = reply.result()
            except Exception as error:
                reports[name] = {"status": "error", "error": type(error).__name__}
        return reports

    @http("GET", "/health")
    def health(self, request):
        """Each service's health; 200 when all answer ok, else 503 naming the ones that do not."""
        reports = self.service_reports()
        healthy = all(report.get("status") == "ok" for report in reports.values())
        return json_response({"status": "ok" if healthy else "degraded", "services": reports},
                             200 if healthy else 503)

    @http("GET", "/metrics")
    def metrics(self, request):
        """Prometheus text format; service gauges are refreshed from their health answers on each scrape."""
        record_health(self.service_reports())
        return Response(generate_latest(REGISTRY), mimetype=CONTENT_TYPE_LATEST)

    @http("GET", "/api/v1/openapi.json")
    def openapi(self, request):
        return json_response(openapi_document(type(self)))
