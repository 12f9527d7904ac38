"""Failed event handlings without I/O: how an event is identified, how an error is kept, and that
the bookkeeping never changes what a handler returns or raises."""
import logging

import pytest
from nameko.events import SERVICE_POOL

from shared.event_failures import ERROR_TEXT_LIMIT, Handling, error_text, recorded_event_handler
from shared.event_replay import handler_queue


def handling(payload):
    return Handling("review", "handle_dossier_submitted", "dossier", "dossier_submitted", payload)


class TestEventIdentity:
    def test_an_event_is_identified_by_its_event_id(self):
        assert handling({"event_id": "d-1:4", "dossier_id": "d-1", "version": 4}).event_key == "d-1:4"

    def test_without_an_event_id_the_dossier_and_version_identify_it(self):
        found = handling({"dossier_id": "d-2", "version": 7})
        assert (found.event_key, found.dossier_id, found.event_version) == ("d-2:7", "d-2", 7)

    def test_any_other_payload_is_identified_by_a_digest_of_its_content(self):
        first, same = handling({"a": 1, "b": [2]}), handling({"b": [2], "a": 1})
        assert first.event_key.startswith("sha256:") and first.event_key == same.event_key
        assert handling("not a mapping").event_key != first.event_key
        assert (first.dossier_id, first.event_version) == (None, None)

    def test_a_version_that_is_not_a_whole_number_is_not_kept(self):
        assert handling({"dossier_id": "d-3", "version": "7"}).event_version is None


def test_an_error_is_kept_as_its_type_and_message_within_the_limit():
    assert error_text(KeyError("dossier_id")) == "KeyError: 'dossier_id'"
    assert len(error_text(RuntimeError("x" * 5000))) == ERROR_TEXT_LIMIT


def test_a_replay_goes_to_the_queue_nameko_declares_for_the_handler():
    record = {"source_service": "dossier", "event_type": "dossier_submitted", "service": "review",
              "handler": "handle_dossier_submitted"}
    assert handler_queue(record) == "evt-dossier-dossier_submitted--review.handle_dossier_submitted"


def _unreachable_database(service):
    raise ConnectionError("database unreachable")


class Consumer:
    name = "consumer"

    @recorded_event_handler(_unreachable_database, "dossier", "dossier_submitted", handler_type=SERVICE_POOL,
                            requeue_on_error=True)
    def handle_dossier_submitted(self, payload):
        if payload.get("fail"):
            raise ValueError("cannot project")
        return "projected"


class TestBookkeepingNeverChangesTheOutcome:
    def test_the_handler_is_a_service_pool_event_handler_that_requeues_on_error(self):
        (entrypoint,) = Consumer.handle_dossier_submitted.nameko_entrypoints
        assert (entrypoint.source_service, entrypoint.event_type, entrypoint.handler_type) == (
            "dossier", "dossier_submitted", SERVICE_POOL)
        assert entrypoint.requeue_on_error is True
        assert Consumer.handle_dossier_submitted.__name__ == "handle_dossier_submitted"

    def test_a_success_is_returned_even_when_it_cannot_be_noted(self, caplog):
        with caplog.at_level(logging.ERROR, logger="shared.event_failures"):
            assert Consumer().handle_dossier_submitted({"event_id": "d:1"}) == "projected"
        assert "bookkeeping resolve did not work" in caplog.text

    def test_the_handlers_own_error_goes_on_to_nameko_even_when_it_cannot_be_recorded(self, caplog):
        with caplog.at_level(logging.ERROR, logger="shared.event_failures"), pytest.raises(ValueError):
            Consumer().handle_dossier_submitted({"event_id": "d:1", "fail": True})
        assert "bookkeeping record_failure did not work" in caplog.text
