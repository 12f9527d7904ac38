"""The one way a service consumes a dossier event (shared/event_handlers.py), without I/O: what the
decorator declares to nameko, the contract check in front of the handler, and the names it accepts.
Recording and parking on a real database: tests/integration/shared/test_shared_event_handlers.py."""
import pytest
from nameko.events import SERVICE_POOL

from shared.contracts import dossier as st
from shared.event_failures import ContractBroken, RecordedEventHandler, cannot_be_applied
from shared.event_handlers import dossier_event_consumer, event_entering, loaded_dossier_event, published_event
from shared.contracts.dossier_events import DOSSIER_SOURCE_SERVICE, DossierEventV1, dossier_event_type
from tests.integration.shared.event_failure_support import dossier_event


def consumer_of(event_name):
    """A service class with one dossier-event consumer that returns the event it was given."""

    class Consumer:
        name = "consumer"

        @dossier_event_consumer(lambda service: None, event_name)
        def handle_dossier_event(self, event):
            return event

    return Consumer


class TestWhatTheDecoratorDeclares:
    def test_dossier_consumers_are_recorded_service_pool_handlers_that_requeue_on_error(self):
        consumer = consumer_of("submitted")
        (entrypoint,) = consumer.handle_dossier_event.nameko_entrypoints
        assert isinstance(entrypoint, RecordedEventHandler) and entrypoint.handler_type == SERVICE_POOL
        assert entrypoint.requeue_on_error is True
        assert (entrypoint.source_service, entrypoint.event_type) == (DOSSIER_SOURCE_SERVICE,
                                                                      dossier_event_type("submitted"))
        assert consumer.handle_dossier_event.__name__ == "handle_dossier_event"

    def test_a_consumer_of_an_event_the_dossier_does_not_publish_fails_when_it_is_declared(self):
        with pytest.raises(KeyError, match="publishes no event 'submited'"):
            consumer_of("submited")


class TestTheContractCheck:
    def test_a_valid_payload_reaches_the_handler_as_the_bus_contract_loads_it(self):
        payload = dossier_event(dossier_event_type("submitted"), surplus="ignored")
        assert loaded_dossier_event(payload) == DossierEventV1().load(payload)
        assert "surplus" not in loaded_dossier_event(payload)

    def test_a_payload_that_breaks_the_contract_is_refused_naming_the_problem_and_cannot_be_applied(self):
        payload = dossier_event(dossier_event_type("submitted"))
        del payload["dossier"]
        with pytest.raises(ContractBroken, match="DossierEventV1.*dossier") as broken:
            loaded_dossier_event(payload)
        assert cannot_be_applied(broken.value)  # so the decorator parks it at once instead of retrying it

    @pytest.mark.parametrize("payload", [None, "dossier_submitted", ["event"]])
    def test_a_payload_that_is_no_object_is_refused_too(self, payload):
        with pytest.raises(ContractBroken, match="不是对象"):
            loaded_dossier_event(payload)


class TestEventNames:
    def test_every_published_event_is_accepted_by_its_own_name(self):
        assert [published_event(name) for name in st.EVENTS] == list(st.EVENTS)

    def test_a_consumer_names_the_status_and_gets_the_event_that_enters_it(self):
        entering = {status: name for name, status in st.EVENT_STATUS.items()
                    if status is not None and name not in st.STEPS_BACK}
        assert {status: event_entering(status) for status in entering} == entering

    def test_a_step_back_into_a_status_is_not_the_event_that_enters_it(self):
        assert st.EVENT_STATUS["recalled_from_committee"] == st.FEE_PAID
        assert event_entering(st.FEE_PAID) == "fee_paid"
