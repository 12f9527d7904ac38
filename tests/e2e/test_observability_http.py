"""Observability through the gateway: the request id follows a request into the events it causes,
and /metrics reports routes, RPC latency and the dossier service's backlog gauges."""
import uuid

from tests.e2e.conftest import login
from tests.e2e.test_applicant_journey_http import join_unit, register_and_login


def test_the_request_id_is_recorded_with_the_events_the_request_caused(system):
    client = system["client"]
    applicant, _ = register_and_login(client, "周八")
    join_unit(client, applicant)
    request_id = f"req-{uuid.uuid4().hex}"
    answer = applicant.post("/api/v1/dossiers", headers={"X-Request-Id": request_id},
                            json_body={"review_year": 2026, "series": "engineering", "specialty": "测绘工程",
                                       "level": "intermediate"})
    assert answer.status == 201, answer
    history = applicant.get(f"/api/v1/dossiers/{answer.json['id']}/history").json["items"]
    assert history[0]["actor"]["correlation_id"] == request_id


def test_metrics_report_routes_rpc_latency_and_dossier_gauges(system):
    client = system["client"]
    login(client, "city_admin").get("/api/v1/dossiers")
    client.get("/api/v1/dossiers")  # a 401, counted under its route template
    text = client.get("/metrics").text
    assert 'gateway_http_requests_total{method="GET",route="/api/v1/dossiers",status="200"}' in text
    assert 'gateway_http_requests_total{method="GET",route="/api/v1/dossiers",status="401"}' in text
    assert 'gateway_rpc_seconds_count{method="list",outcome="ok",service="dossier"}' in text
    assert "dossier_relay_backlog_events" in text and "dossier_projection_lag_events" in text
    assert 'service_up{service="dossier"} 1.0' in text
