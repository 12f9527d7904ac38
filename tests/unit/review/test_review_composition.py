"""Review's published contract, the wiring of its use cases, and the answers its RPC edge dumps."""
import ast
import inspect
import textwrap
from types import SimpleNamespace

import pytest

from services.review import schemas as s
from services.review.application import Review
from services.review.context import Clock
from services.review.domain import ballots, committees, publicity
from services.review.projections import DOSSIER_EVENT_TYPES, PROJECTIONS, clear_unit_publicity_period
from services.review.service import ReviewService
from services.review.settings import Settings
from shared.contracts import dossier as st
from shared.contracts import dossier_access, review, review_schemas
from shared.errors import ValidationFailed
from shared.schemas import load_or_raise


class FakeProxy:
    """Stands in for a nameko proxy: these tests never call another service."""


def wired_review():
    state = SimpleNamespace(engine=object(), settings=Settings(), clock=Clock(), instance="test-instance")
    return Review.connect(state, FakeProxy(), FakeProxy())


def rpc_calls():
    """``(rpc name, area, use case)`` for every ``self.review.<area>.<use case>(`` in the service's methods."""
    found = []
    for name, function in inspect.getmembers(ReviewService, inspect.isfunction):
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute)
                    and isinstance(node.value.value, ast.Attribute) and node.value.value.attr == "review"):
                found.append((name, node.value.attr, node.attr))
            elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute)
                  and isinstance(node.value.value, ast.Name) and node.value.value.id == "review"):
                found.append((name, node.value.attr, node.attr))
    return found


class TestThePublishedContract:
    def test_review_speaks_the_words_it_publishes(self):
        assert ballots.CHOICES is review.CHOICES
        assert committees.ORGANISED_BY is review.ORGANISED_BY and committees.BAND_LABELS is review.BAND_LABELS
        assert publicity.OBJECTION_STATES is review.OBJECTION_STATES

    def test_the_service_loads_with_the_published_schemas(self):
        assert s.DecisionSchema is review_schemas.DecisionSchema
        assert s.QueueQuerySchema is review_schemas.QueueQuerySchema

    def test_a_queue_may_be_filtered_by_every_status_a_queue_holds_and_never_by_draft(self):
        loaded = load_or_raise(s.QueueQuerySchema(), {"status": list(dossier_access.QUEUE_STATUSES)})
        assert loaded["status"] == list(dossier_access.QUEUE_STATUSES)
        with pytest.raises(ValidationFailed) as raised:
            load_or_raise(s.QueueQuerySchema(), {"status": [st.DRAFT]})
        assert "status" in raised.value.fields

    def test_the_contract_imports_only_shared(self):
        for module in (review, review_schemas):
            imported = {node.module for node in ast.walk(ast.parse(inspect.getsource(module)))
                        if isinstance(node, ast.ImportFrom)}
            assert all(name.split(".")[0] in ("shared", "marshmallow") for name in imported), imported


class TestTheUseCasesAreWired:
    def test_every_rpc_calls_a_use_case_the_application_has(self):
        review_app = wired_review()
        calls = rpc_calls()
        entrypoints = {name for name, function in inspect.getmembers(ReviewService, inspect.isfunction)
                       if getattr(function, "nameko_entrypoints", None) and not name.startswith("handle_dossier_")}
        assert entrypoints - {name for name, _, _ in calls} == {"health"}
        for name, area, case in calls:
            assert callable(getattr(getattr(review_app, area), case)), f"{name} calls review.{area}.{case}"

    def test_cases_of_one_area_share_the_collaborators_they_build_on(self):
        review_app = wired_review()
        assert review_app.experts.meetings is review_app.meetings
        assert review_app.ballots.committees is review_app.committees is review_app.meetings.committees
        assert review_app.timers.objections is review_app.objections
        assert review_app.objections.publicity is review_app.publicity
        assert review_app.timers.instance == "test-instance"


class TestProjectionsFollowTheDossiersContract:
    def test_review_projects_every_event_the_dossier_publishes(self):
        assert set(DOSSIER_EVENT_TYPES) == {f"dossier_{name}" for name in st.EVENTS}

    def test_the_event_that_returns_a_dossier_clears_its_unit_publicity(self):
        clearing = {event_type for event_type, steps in PROJECTIONS.items() if clear_unit_publicity_period in steps}
        assert clearing == {f"dossier_{name}" for name, status in st.EVENT_STATUS.items() if status == st.RETURNED}


class TestTheMeetingOutcome:
    def test_a_tally_reaching_the_required_agreements_passes_and_one_short_fails(self):
        passing = ballots.tally([ballots.AGREE] * 6 + [ballots.DISAGREE] * 3, 9, "2/3")
        failing = ballots.tally([ballots.AGREE] * 5 + [ballots.ABSTAIN] * 4, 9, "2/3")
        assert (ballots.outcome(passing), ballots.outcome(failing)) == (ballots.PASSED, ballots.FAILED)

    def test_nobody_able_to_vote_fails(self):
        assert ballots.outcome(ballots.tally([], 0, "2/3")) == ballots.FAILED


class TestDumpedAnswers:
    def test_a_ballot_receipt_never_carries_a_choice(self):
        answer = {"meeting_id": "m", "dossier_id": "d", "recorded": True, "choice": ballots.AGREE}
        assert s.dump(s.BallotReceiptOut, answer) == {"meeting_id": "m", "dossier_id": "d", "recorded": True}

    def test_a_quorum_is_dumped_from_its_rule_object_or_its_plain_form_alike(self):
        quorum = ballots.quorum(9, 6, "2/3")
        assert s.dump(s.QuorumOut, quorum) == s.dump(s.QuorumOut, quorum.to_dict()) == quorum.to_dict()

    def test_the_small_answers_keep_every_field_they_had(self):
        conflict = {"meeting_id": "m", "expert_id": "e", "dossier_id": "*", "reason": "亲属"}
        receipt = {"objection_id": "o", "state": publicity.OPEN, "message": "异议已受理"}
        assert s.dump(s.ConflictOut, conflict) == conflict
        assert s.dump(s.ObjectionReceiptOut, receipt) == receipt
        assert s.dump(s.DeletedOut, {"deleted": "c"}) == {"deleted": "c"}
