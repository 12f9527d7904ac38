"""撤回申报 over real RabbitMQ RPC and PostgreSQL: a submitted dossier taken back to draft by its applicant,
recorded as its own event, the summary no longer submitted; refused once the unit has acted, for anyone
else, and on a version that moved; a keyed repeat recorded once; a resubmission taken back keeps its
resubmission deadline."""
import uuid
from datetime import timedelta

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.dossier.exceptions import (
    ActorNotAllowedError, IllegalTransitionError, OutsideApplicationWindowError, StaleVersionError,
)
from services.dossier.service import DossierService
from shared.contracts import dossier as st
from shared.errors import ValidationFailed
from shared.idempotency import IDEMPOTENCY_KEY
from shared.roles import Actor
from shared.rpc import register_platform_errors
from tests.factories import Cast, material
from tests.integration.dossier.test_dossier_idempotency import event_types, filled
from tests.integration.dossier.test_dossier_notices import city_admin, fixed_window
from tests.integration.dossier.test_dossier_notices import filled as filled_for_year
from tests.integration.dossier.test_dossier_notices import year  # noqa: F401 (a fixture)

register_platform_errors()


@pytest.fixture
def rpc(run_services, dossier_config):
    run_services((DossierService, dossier_config))
    with ClusterRpcProxy({"AMQP_URI": dossier_config["AMQP_URI"]}, timeout=30) as proxy:
        yield proxy.dossier


def summary_of(dossiers, dossier_id, cast):
    (item,) = [item for item in dossiers.list(filters={"applicant_id": cast.applicant.account_id})["items"]
               if item["dossier_id"] == dossier_id]
    return item


class TestTakingBackOverRpc:
    def test_the_applicant_takes_a_submission_back_edits_and_submits_again(self, rpc, dossiers):
        dossier_id, cast = filled(dossiers, submitted=True)
        applicant = cast.applicant.to_dict()
        submitted = rpc.get(dossier_id)
        assert "take_back" in submitted["allowed_commands"] and submitted["submitted_at"]
        assert summary_of(dossiers, dossier_id, cast)["submitted_at"] is not None

        taken_back = rpc.take_back(applicant, dossier_id, {"reason": "补充一篇论文", "expected_version": submitted["version"]})
        assert taken_back["status"] == st.DRAFT and taken_back["version"] == submitted["version"] + 1
        assert taken_back["submitted_at"] is None and taken_back["last_event"] == "submission_taken_back"
        assert "update_basic_info" in taken_back["allowed_commands"] and "take_back" not in taken_back["allowed_commands"]
        last = rpc.history(dossier_id)[-1]
        assert last["type"] == "submission_taken_back" and last["data"] == {"reason": "补充一篇论文"}
        assert last["actor"]["account_id"] == cast.applicant.account_id and last["actor"]["role"] == "applicant"
        summary = summary_of(dossiers, dossier_id, cast)
        assert (summary["status"], summary["submitted_at"], summary["version"]) == (st.DRAFT, None, taken_back["version"])
        assert rpc.verify(dossier_id)["ok"] is True

        added = rpc.add_achievement(applicant, dossier_id, {"kind": "论文", "title": "补充的论文", "date": "2024-06-01"})
        # A new achievement needs its proof (the materials checklist) before the dossier is complete again.
        rpc.attach_material(applicant, dossier_id, material(category="achievement", sha256="e" * 64,
                                                            achievement_id=added["achievement_id"]))
        again = rpc.submit(applicant, dossier_id)
        assert again["status"] == st.SUBMITTED and again["submitted_at"]
        assert rpc.history(dossier_id)[-1]["data"] == {"resubmission": False,
                                                       "notice_version": rpc.get_notice(2026)["version"]}
        approved = rpc.decide(cast.unit_admin.to_dict(), dossier_id, {"action": "approve", "opinion": "同意推荐",
                                                                       "expected_version": again["version"]})
        assert approved["status"] == st.UNIT_APPROVED

        with pytest.raises(IllegalTransitionError) as raised:
            rpc.take_back(applicant, dossier_id, {})
        assert raised.value.http_status == 409
        assert raised.value.message.startswith("单位已审核,不能撤回")
        assert "如需修改请联系单位管理员退回" in raised.value.message
        assert event_types(dossiers, dossier_id)[-1] == "unit_approved"

    def test_nobody_else_takes_it_back_and_a_long_reason_is_refused(self, rpc, dossiers):
        dossier_id, cast = filled(dossiers, submitted=True)
        before = event_types(dossiers, dossier_id)
        for stranger in (Actor(account_id="someone-else", role="applicant"), cast.unit_admin):
            with pytest.raises(ActorNotAllowedError) as raised:
                rpc.take_back(stranger.to_dict(), dossier_id, {})
            assert raised.value.message == "只有申报人本人可以执行此操作"
        with pytest.raises(ValidationFailed) as raised:
            rpc.take_back(cast.applicant.to_dict(), dossier_id, {"reason": "长" * 501})
        assert "reason" in raised.value.fields
        with pytest.raises(ValidationFailed) as raised:
            rpc.take_back(cast.applicant.to_dict(), dossier_id, {"expected_version": "第三版"})
        assert raised.value.fields["expected_version"] == ["应为整数"]
        assert event_types(dossiers, dossier_id) == before

    def test_a_take_back_on_a_version_the_unit_has_moved_is_refused_naming_who(self, rpc, dossiers):
        dossier_id, cast = filled(dossiers, submitted=True)
        seen = rpc.get(dossier_id)["version"]
        rpc.decide(cast.unit_admin.to_dict(), dossier_id, {"action": "return", "reason": "补充学历证明",
                                                            "sections": ["education"], "expected_version": seen})
        with pytest.raises(StaleVersionError) as raised:
            rpc.take_back(cast.applicant.to_dict(), dossier_id, {"expected_version": seen})
        assert raised.value.http_status == 409 and "「退回修改」" in raised.value.message
        with pytest.raises(IllegalTransitionError, match="无需撤回申报"):
            rpc.take_back(cast.applicant.to_dict(), dossier_id, {})
        assert event_types(dossiers, dossier_id)[-1] == "returned"

    def test_a_keyed_take_back_sent_twice_is_recorded_once(self, dossier_config, run_services, dossiers):
        run_services((DossierService, dossier_config))
        dossier_id, cast = filled(dossiers, submitted=True)
        with ClusterRpcProxy({"AMQP_URI": dossier_config["AMQP_URI"]}, timeout=30,
                             context_data={IDEMPOTENCY_KEY: f"test-{uuid.uuid4()}"}) as proxy:
            first = proxy.dossier.take_back(cast.applicant.to_dict(), dossier_id, {"reason": "改一下"})
            second = proxy.dossier.take_back(cast.applicant.to_dict(), dossier_id, {"reason": "改一下"})
        assert second == first and first["status"] == st.DRAFT
        assert event_types(dossiers, dossier_id).count("submission_taken_back") == 1


class TestTheWindow:
    def test_a_resubmission_taken_back_may_be_submitted_until_the_resubmission_deadline(self, dossiers, year):  # noqa: F811
        document, inside = fixed_window(year)
        document["deadlines"] = {"resubmission": (inside + timedelta(days=60)).isoformat()}
        dossiers.publish_notice(city_admin(), document)
        cast = Cast()
        dossier_id = filled_for_year(dossiers, cast, year, now=inside)
        dossiers.submit(dossier_id, cast.applicant, now=inside)
        dossiers.return_for_changes(dossier_id, cast.unit_admin, reason="学历证书不清晰", sections=["materials"])
        after_the_window = inside + timedelta(days=40)  # the window closed; the resubmission deadline has not
        dossiers.submit(dossier_id, cast.applicant, now=after_the_window)
        assert dossiers.take_back(dossier_id, cast.applicant).status == st.DRAFT
        assert dossiers.submit(dossier_id, cast.applicant, now=after_the_window).status == st.SUBMITTED
        assert dossiers.history(dossier_id)[-1]["data"] == {"resubmission": True,
                                                            "notice_version": dossiers.get_notice(year)["version"]}

    def test_a_first_submission_taken_back_after_the_window_cannot_be_submitted_again(self, dossiers, year):  # noqa: F811
        document, inside = fixed_window(year)
        document["deadlines"] = {"resubmission": (inside + timedelta(days=60)).isoformat()}
        dossiers.publish_notice(city_admin(), document)
        cast = Cast()
        dossier_id = filled_for_year(dossiers, cast, year, now=inside)
        dossiers.submit(dossier_id, cast.applicant, now=inside)
        dossiers.take_back(dossier_id, cast.applicant)
        with pytest.raises(OutsideApplicationWindowError, match="申报已截止"):
            dossiers.submit(dossier_id, cast.applicant, now=inside + timedelta(days=40))
        assert dossiers.get(dossier_id)["status"] == st.DRAFT
