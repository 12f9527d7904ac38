"""Review's writes, exactly once in effect: a decision, a batch, a ballot or a new meeting sent again
with the same idempotency key answers the first result and records nothing more, here and in the
dossier service behind it; and a decision made on a version that moved is refused, not stacked."""
import uuid
from datetime import timedelta

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import func, select

from shared.contracts import dossier as st
from services.dossier.exceptions import StaleVersionError
from services.review.committee_tables import ballot_receipts, meetings
from services.review.tables import batches, decisions
from shared.clock import beijing_today
from shared.idempotency import IDEMPOTENCY_KEY, IdempotencyKeyReused
from tests.integration.review.review_support import SECRETARY, expert
from tests.ballot_casting import sealed


def keyed(system, key=None):
    return ClusterRpcProxy({"AMQP_URI": system.amqp_uri}, timeout=60,
                           context_data={IDEMPOTENCY_KEY: key or f"review-test-{uuid.uuid4()}"})


def rows(system, table, *where):
    with system.review_engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table).where(*where)).scalar()


def events(system, dossier_id, event_type):
    return [entry["type"] for entry in system.dossier.history(dossier_id)].count(event_type)


class TestRepeatedRequests:
    def test_a_decision_sent_twice_is_recorded_once_in_review_and_in_the_dossier(self, system):
        cast = system.new_cast()
        dossier_id = system.submitted(cast)
        decision = {"action": "approve", "opinion": "同意推荐", "expected_version": system.dossier.get(dossier_id)["version"]}
        with keyed(system) as proxy:
            first = proxy.review.decide(cast.unit_admin.to_dict(), dossier_id, decision)
            second = proxy.review.decide(cast.unit_admin.to_dict(), dossier_id, decision)
        assert second == first and first["dossier"]["status"] == st.UNIT_APPROVED
        assert rows(system, decisions, decisions.c.dossier_id == dossier_id) == 1
        assert events(system, dossier_id, "unit_approved") == 1

    def test_the_same_key_for_another_dossier_is_refused(self, system):
        cast = system.new_cast()
        first_id, other_id = system.submitted(cast), system.submitted(cast)
        key = f"review-test-{uuid.uuid4()}"
        with keyed(system, key) as proxy:
            version = system.dossier.get(first_id)["version"]
            proxy.review.decide(cast.unit_admin.to_dict(), first_id,
                                {"action": "approve", "opinion": "同意", "expected_version": version})
            with pytest.raises(IdempotencyKeyReused):
                proxy.review.decide(cast.unit_admin.to_dict(), other_id, {
                    "action": "approve", "opinion": "同意", "expected_version": system.dossier.get(other_id)["version"]})
        assert system.dossier.get(other_id)["status"] == st.SUBMITTED

    def test_a_batch_sent_twice_goes_up_once_under_one_batch(self, system):
        cast = system.new_cast()
        ids = system.unit_approved(cast, count=2)
        with system.unit_publicity_over(system.publicised_in_unit(cast, ids)):
            versions = {dossier_id: system.dossier.get(dossier_id)["version"] for dossier_id in ids}
            with keyed(system) as proxy:
                request = {"dossier_ids": ids, "expected_versions": versions}
                first = proxy.review.submit_batch(cast.unit_admin.to_dict(), request)
                second = proxy.review.submit_batch(cast.unit_admin.to_dict(), request)
        assert first["saved"] and second == first
        assert rows(system, batches, batches.c.id == first["batch_id"]) == 1
        for dossier_id in ids:
            assert events(system, dossier_id, "recommended") == 1
            assert system.dossier.get(dossier_id)["batch_id"] == first["batch_id"]

    def test_a_ballot_and_a_new_meeting_sent_twice_count_once(self, system):
        cast = system.new_cast()
        (dossier_id,) = system.fee_paid(cast)
        meeting = system.open_meeting([dossier_id])
        ballot = sealed(system.review, expert(1).to_dict(), meeting["id"], dossier_id, "agree")  # the same bytes twice
        with keyed(system) as proxy:
            first = proxy.review.cast_ballot(expert(1).to_dict(), meeting["id"], ballot)
            assert proxy.review.cast_ballot(expert(1).to_dict(), meeting["id"], ballot) == first == {
                "meeting_id": meeting["id"], "dossier_id": dossier_id, "recorded": True}
        assert rows(system, ballot_receipts, ballot_receipts.c.meeting_id == meeting["id"]) == 1
        committee_id = meeting["committee_id"]
        request = {"committee_id": committee_id, "meeting_date": (beijing_today() + timedelta(days=7)).isoformat(),
                   "expert_count": 9}
        with keyed(system) as proxy:
            created = proxy.review.create_meeting(SECRETARY.to_dict(), request)
            assert proxy.review.create_meeting(SECRETARY.to_dict(), request)["id"] == created["id"]
        assert rows(system, meetings, meetings.c.committee_id == committee_id) == 2  # the first meeting and this one


class TestStaleDecisions:
    def test_a_reviewer_deciding_on_a_version_that_moved_is_told_who_moved_it(self, system):
        cast = system.new_cast()
        dossier_id = system.submitted(cast)
        seen = system.dossier.get(dossier_id)["version"]
        system.review.decide(cast.unit_admin.to_dict(), dossier_id,
                             {"action": "return", "reason": "请补充材料", "sections": ["materials"], "expected_version": seen})
        with pytest.raises(StaleVersionError) as raised:
            system.review.decide(cast.unit_admin.to_dict(), dossier_id,
                                 {"action": "approve", "opinion": "同意推荐", "expected_version": seen})
        assert "「退回修改」" in raised.value.message and f"第 {seen} 版" in raised.value.message
        assert rows(system, decisions, decisions.c.dossier_id == dossier_id) == 1
        assert system.dossier.get(dossier_id)["status"] == st.RETURNED
