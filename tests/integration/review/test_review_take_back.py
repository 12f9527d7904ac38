"""撤回申报 and the unit's work queue, through the real bus: a submission the applicant takes back leaves the
unit's queue and its counts, a reviewer acting on it is told why, and the resubmission comes back."""
import pytest

from services.review.exceptions import OutOfScopeError, TakenBackError
from shared.contracts import dossier as st
from shared.event_handlers import loaded_dossier_event
from services.review.application import apply_dossier_event
from services.review.context import ReviewState
from tests.integration.review.test_review_queues import dossier_payloads, rows_of


def awaiting_ids(system, cast):
    page = system.review.queue(cast.unit_admin.to_dict(), {"awaiting": True})
    return [item["dossier_id"] for item in page["items"]]


def submitted_count(system, actor):
    return system.review.queue_counts(actor.to_dict(), {})["counts"].get(st.SUBMITTED, 0)


class TestTheQueueFollowsATakeBack:
    def test_a_taken_back_dossier_leaves_the_unit_queue_and_comes_back_when_resubmitted(self, system):
        cast = system.new_cast()
        kept = system.submitted(cast)
        dossier_id = system.submitted(cast)
        system.wait_projected(kept)
        system.wait_projected(dossier_id)
        assert set(awaiting_ids(system, cast)) == {kept, dossier_id}
        assert submitted_count(system, cast.unit_admin) == 2
        assert submitted_count(system, cast.district_admin) == 2
        seen = system.dossier.get(dossier_id)["version"]

        taken_back = system.dossier.take_back(cast.applicant.to_dict(), dossier_id, {"reason": "补充业绩"})
        assert taken_back["status"] == st.DRAFT
        system.wait_projected(dossier_id)  # delivered by the bus only: review got no command answer
        assert awaiting_ids(system, cast) == [kept]
        assert submitted_count(system, cast.unit_admin) == 1
        assert submitted_count(system, cast.district_admin) == 1
        assert system.review.queue_counts(cast.unit_admin.to_dict(), {})["total"] == 1
        queue_row, _ = rows_of(system.review_engine, dossier_id)
        assert (queue_row["status"], queue_row["last_event"], queue_row["submitted_at"]) == (
            st.DRAFT, "dossier_submission_taken_back", None)

        # The unit admin who opened it before it was taken back is told what happened, not "not found".
        with pytest.raises(TakenBackError) as raised:
            system.review.decide(cast.unit_admin.to_dict(), dossier_id,
                                 {"action": "approve", "opinion": "同意推荐", "expected_version": seen})
        assert raised.value.http_status == 409 and "申报人已撤回" in raised.value.message
        with pytest.raises(TakenBackError):
            system.review.queue_item(cast.unit_admin.to_dict(), dossier_id)
        # Another unit's admin learns nothing about it.
        stranger = system.new_cast()
        with pytest.raises(OutOfScopeError):
            system.review.queue_item(stranger.unit_admin.to_dict(), dossier_id)
        assert system.dossier.history(dossier_id)[-1]["type"] == "submission_taken_back"

        system.dossier.submit(cast.applicant.to_dict(), dossier_id)
        system.wait_projected(dossier_id)
        assert set(awaiting_ids(system, cast)) == {kept, dossier_id}
        assert submitted_count(system, cast.unit_admin) == 2
        decided = system.decide(cast.unit_admin.to_dict(), dossier_id, {"action": "approve", "opinion": "同意推荐"})
        assert decided["dossier"]["status"] == st.UNIT_APPROVED
        assert submitted_count(system, cast.unit_admin) == 1

        # Once the unit has acted, taking back is refused.
        from services.dossier.exceptions import IllegalTransitionError

        with pytest.raises(IllegalTransitionError) as refused:
            system.dossier.take_back(cast.applicant.to_dict(), dossier_id, {})
        assert refused.value.message.startswith("单位已审核,不能撤回")

    def test_the_take_back_projects_the_same_rows_in_any_order_of_delivery(self, system, database_url):
        cast = system.new_cast()
        dossier_id = system.submitted(cast)
        system.dossier.take_back(cast.applicant.to_dict(), dossier_id, {})
        payloads = dossier_payloads(system, dossier_id)
        assert [payload["event_type"] for payload in payloads][-2:] == ["dossier_submitted",
                                                                         "dossier_submission_taken_back"]
        state = ReviewState(database_url("review_take_back_projection"))
        try:
            for payload in [payloads[-1], *payloads, payloads[-2], payloads[-1]]:
                apply_dossier_event(state, loaded_dossier_event(payload))
            row, _ = rows_of(state.engine, dossier_id)
        finally:
            state.close()
        assert (row["status"], row["version"], row["submitted_at"]) == (st.DRAFT, len(payloads), None)
