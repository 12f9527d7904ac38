"""A dossier-event consumer declared with shared/event_handlers.py, its handler called as nameko would
call it, against real PostgreSQL: a payload that breaks the contract is recorded and parked at once,
a failing handling is recorded and retried until the policy's bound parks it, and a later success
resolves the record. (What the decorator declares to nameko: tests/unit/shared/test_shared_event_handler_declarations.py.)"""
import uuid

import pytest

from shared.event_failures import AttemptPolicy, unresolved_count
from shared.event_handlers import dossier_event_consumer
from shared.contracts.dossier_events import DossierEventV1, dossier_event_type
from tests.integration.shared.event_failure_support import dossier_event, failure_records_engine, records

NO_PAUSE = AttemptPolicy(max_attempts=2, retry_pause_seconds=0)


class Consumer:
    """A consumer of ``dossier_submitted`` that fails while ``broken`` is set and keeps what it applied;
    each test's instance has a service name of its own, so it counts only its own records."""

    def __init__(self, engine):
        self.name = f"handlers_{uuid.uuid4().hex[:8]}"
        self.engine, self.broken, self.applied = engine, False, []

    @dossier_event_consumer(lambda service: service.engine, "submitted")
    def handle_dossier_submitted(self, event):
        if self.broken:
            raise RuntimeError("projection store unavailable")
        self.applied.append(event)
        return "applied"


@pytest.fixture
def consumer(database_url):
    with failure_records_engine(database_url("event_handlers")) as engine:
        yield Consumer(engine)


def test_a_valid_event_is_applied_as_the_contract_loads_it_and_leaves_no_record(consumer):
    payload = dossier_event(dossier_event_type("submitted"))
    assert Consumer.handle_dossier_submitted(consumer, payload, attempt_policy=NO_PAUSE) == "applied"
    assert consumer.applied == [DossierEventV1().load(payload)]
    assert records(consumer.engine, payload["event_id"]) == []


def test_a_payload_that_breaks_the_contract_is_recorded_and_parked_at_once_never_applied(consumer):
    payload = dossier_event(dossier_event_type("submitted"))
    del payload["dossier"]
    # Returning (not raising) is what lets nameko acknowledge the message: the queue moves on.
    assert Consumer.handle_dossier_submitted(consumer, payload, attempt_policy=NO_PAUSE) is None
    (record,) = records(consumer.engine, payload["event_id"])
    assert record["parked_at"] and record["attempts"] == 1 and record["error"].startswith("ContractBroken")
    assert "dossier" in record["error"] and record["payload"] == payload  # kept exactly as it arrived
    assert consumer.applied == [] and unresolved_count(consumer.engine, consumer.name) == 1


def test_a_failing_handling_is_recorded_and_retried_until_the_bound_parks_it(consumer):
    payload = dossier_event(dossier_event_type("submitted"))
    consumer.broken = True
    with pytest.raises(RuntimeError):  # raised: nameko puts the message back on the queue
        Consumer.handle_dossier_submitted(consumer, payload, attempt_policy=NO_PAUSE)
    (record,) = records(consumer.engine, payload["event_id"])
    assert (record["attempts"], record["parked_at"]) == (1, None)
    assert record["error"] == "RuntimeError: projection store unavailable"
    for _ in range(NO_PAUSE.max_attempts - 1):
        assert Consumer.handle_dossier_submitted(consumer, payload, attempt_policy=NO_PAUSE) is None
    (record,) = records(consumer.engine, payload["event_id"])
    assert record["attempts"] == NO_PAUSE.max_attempts and record["parked_at"]


def test_a_later_success_resolves_the_record_of_the_earlier_failure(consumer):
    payload = dossier_event(dossier_event_type("submitted"))
    consumer.broken = True
    with pytest.raises(RuntimeError):
        Consumer.handle_dossier_submitted(consumer, payload, attempt_policy=NO_PAUSE)
    consumer.broken = False
    assert Consumer.handle_dossier_submitted(consumer, payload, attempt_policy=NO_PAUSE) == "applied"
    (record,) = records(consumer.engine, payload["event_id"])
    assert record["resolved_at"] and unresolved_count(consumer.engine, consumer.name) == 0
