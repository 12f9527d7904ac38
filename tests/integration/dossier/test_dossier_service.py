"""DossierService over real RabbitMQ RPC and PostgreSQL, and its events reaching a nameko consumer."""
import time

import pytest
from nameko.events import SERVICE_POOL, event_handler
from nameko.standalone.rpc import ClusterRpcProxy

from shared.contracts import dossier as st
from services.dossier.exceptions import ActorNotAllowedError, IllegalTransitionError
from services.dossier.relay import OutboxRelay, run
from services.dossier.service import DossierService
from shared.errors import ValidationFailed
from shared.rpc import register_platform_errors
from tests.factories import (
    Cast, annual_assessments, attach_required_over_rpc, basic_info, continuing_education, education, material,
    review_form, work_experience,
)

register_platform_errors()


@pytest.fixture
def rpc(run_services, dossier_config):
    run_services((DossierService, dossier_config))
    with ClusterRpcProxy({"AMQP_URI": dossier_config["AMQP_URI"]}, timeout=30) as proxy:
        yield proxy.dossier


def complete_dossier(rpc, cast):
    dossier = rpc.create(cast.applicant.to_dict(), cast.creation_fields())
    actor, dossier_id = cast.applicant.to_dict(), dossier["id"]
    rpc.update_section(actor, dossier_id, "basic_info", basic_info())
    rpc.update_section(actor, dossier_id, "education", {"entries": education()})
    rpc.update_section(actor, dossier_id, "work_experience", {"entries": work_experience()})
    rpc.update_section(actor, dossier_id, "annual_assessments", {"entries": annual_assessments()})
    rpc.update_section(actor, dossier_id, "continuing_education", {"entries": continuing_education()})
    rpc.update_section(actor, dossier_id, "review_form", review_form())
    rpc.update_section(actor, dossier_id, "commitment", {"statement_version": "2026-1", "signed_name": "李明"})
    rpc.attach_material(actor, dossier_id, material())
    attach_required_over_rpc(rpc, actor, dossier_id)
    return dossier_id


class TestCommandsOverRpc:
    def test_applicant_fills_submits_and_the_unit_admin_approves(self, rpc):
        cast = Cast()
        dossier_id = complete_dossier(rpc, cast)
        submitted = rpc.submit(cast.applicant.to_dict(), dossier_id)
        assert submitted["status"] == st.SUBMITTED
        approved = rpc.decide(cast.unit_admin.to_dict(), dossier_id, {"action": "approve", "opinion": "同意推荐",
                                                                       "expected_version": submitted["version"]})
        assert approved["status"] == st.UNIT_APPROVED
        listed = rpc.list({"unit_id": cast.unit_id, "status": [st.UNIT_APPROVED]})
        assert [item["dossier_id"] for item in listed["items"]] == [dossier_id]
        assert [entry["type"] for entry in rpc.history(dossier_id)][-2:] == ["submitted", "unit_approved"]
        assert rpc.verify(dossier_id)["ok"] is True
        assert rpc.state_at(dossier_id, version=1)["status"] == st.DRAFT

    def test_bad_section_data_gets_chinese_field_errors_and_records_nothing(self, rpc):
        cast = Cast()
        dossier = rpc.create(cast.applicant.to_dict(), cast.creation_fields())
        with pytest.raises(ValidationFailed) as raised:
            rpc.update_section(cast.applicant.to_dict(), dossier["id"], "basic_info",
                               basic_info(employer_type="unknown", work_start_date="1988-13-45", extra="x",
                                          birth_date="1988-05-01"))
        fields = raised.value.fields
        assert "请选择单位性质" in fields["employer_type"][0]
        assert fields["work_start_date"] == ["日期格式应为 YYYY-MM-DD"]
        assert fields["birth_date"] == ["出生日期由身份证号码自动生成,不能填写或修改"]
        assert fields["extra"] == ["不允许的字段"]
        assert len(rpc.history(dossier["id"])) == 1

    def test_domain_errors_cross_the_wire_as_their_own_types(self, rpc):
        cast = Cast()
        dossier_id = complete_dossier(rpc, cast)
        with pytest.raises(IllegalTransitionError) as raised:
            rpc.decide(cast.unit_admin.to_dict(), dossier_id, {"action": "approve", "opinion": "同意",
                                                               "expected_version": rpc.get(dossier_id)["version"]})
        assert "草稿" in raised.value.message
        submitted = rpc.submit(cast.applicant.to_dict(), dossier_id)
        with pytest.raises(ActorNotAllowedError):
            rpc.decide(cast.district_admin.to_dict(), dossier_id, {"action": "approve", "opinion": "同意",
                                                                   "expected_version": submitted["version"]})

    def test_creating_with_missing_fields_lists_them(self, rpc):
        with pytest.raises(ValidationFailed) as raised:
            rpc.create(Cast().applicant.to_dict(), {"review_year": 2026, "series": "magic"})
        assert {"applicant_name", "unit_id", "series", "level"} <= set(raised.value.fields)

    def test_health_reports_the_database_and_the_relay_backlog(self, rpc):
        report = rpc.health()
        assert report["status"] == "ok"
        assert report["events"] >= 0 and report["relay_backlog"] >= 0


class Recorder:
    received = []

    name = "test_dossier_consumer"

    @event_handler("dossier", "dossier_submitted", handler_type=SERVICE_POOL)
    def handle_dossier_submitted(self, payload):
        Recorder.received.append(payload)


class TestEventsOnTheBus:
    def test_a_submitted_dossier_reaches_a_nameko_event_handler_with_its_state(self, rpc, run_services,
                                                                                 dossier_config):
        import eventlet

        from services.dossier.application import Dossiers

        run_services((Recorder, {"AMQP_URI": dossier_config["AMQP_URI"]}))
        cast = Cast()
        dossier_id = complete_dossier(rpc, cast)
        rpc.submit(cast.applicant.to_dict(), dossier_id)

        app = Dossiers(dossier_config["DATABASE_URL"])
        relay = OutboxRelay(app, dossier_config["AMQP_URI"])
        stop = []
        runner = eventlet.spawn(run, app, [relay], poll_interval=0.05, should_stop=lambda: bool(stop))
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not any(p["dossier_id"] == dossier_id for p in Recorder.received):
                eventlet.sleep(0.1)
        finally:
            stop.append(True)
            runner.wait()
            relay.close()
            app.close()
        (payload,) = [p for p in Recorder.received if p["dossier_id"] == dossier_id]
        assert payload["event_type"] == "dossier_submitted"
        assert payload["status"] == st.SUBMITTED
        assert payload["dossier"]["unit_id"] == cast.unit_id
        assert payload["actor"]["account_id"] == cast.applicant.account_id
        assert payload["version"] == len(rpc.history(dossier_id))


class TestCorrelation:
    def test_the_callers_correlation_id_is_recorded_with_the_events_it_causes(self, rpc, dossier_config):
        cast = Cast()
        with ClusterRpcProxy({"AMQP_URI": dossier_config["AMQP_URI"]}, timeout=30,
                             context_data={"correlation_id": "req-correlation-0001"}) as traced:
            dossier = traced.dossier.create(cast.applicant.to_dict(), cast.creation_fields())
        (created,) = rpc.history(dossier["id"])
        assert created["actor"]["correlation_id"] == "req-correlation-0001"
        assert rpc.verify(dossier["id"])["ok"] is True
