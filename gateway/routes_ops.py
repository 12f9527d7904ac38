"""Operations: /health asks every service concurrently; the OpenAPI document of the API."""
import eventlet

from .errors import json_response
from .http import http
from .openapi import openapi_document

CHECKED_SERVICES = ("identity", "dossier")
HEALTH_TIMEOUT_SECONDS = 5


class OpsRoutes:
    @http("GET", "/health")
    def health(self, request):
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
        healthy = all(report.get("status") == "ok" for report in reports.values())
        return json_response({"status": "ok" if healthy else "degraded", "services": reports},
                             200 if healthy else 503)

    @http("GET", "/api/v1/openapi.json")
    def openapi(self, request):
        return json_response(openapi_document(type(self)))
