"""Recording a failed handling survives the bytes that made it fail, and only errors about the event
itself park it (shared/event_failures.py)."""
import json

import pytest
from sqlalchemy.exc import DataError, OperationalError

from shared.event_failures import Handling, cannot_be_applied, error_text, original_payload, storable_payload

POISONED = {"event_id": "d-1:5", "dossier": {"specialty": "给排水\u0000工程", "unit_name": "单位\ud800"}}


class TestStorablePayloads:
    def test_an_ordinary_payload_is_kept_as_it_is(self):
        payload = {"event_id": "d-1:5", "dossier": {"specialty": "给排水工程 👷"}}
        assert storable_payload(payload) is payload

    def test_a_payload_with_a_nul_or_a_lone_surrogate_is_kept_escaped_and_given_back_exactly(self):
        stored = storable_payload(POISONED)
        text = json.dumps(stored, ensure_ascii=False)
        assert "\u0000" not in text and "\ud800" not in text  # what PostgreSQL JSONB refuses is gone
        assert original_payload(stored) == POISONED

    def test_the_error_and_the_key_are_written_with_the_bad_bytes_escaped(self):
        assert error_text(ValueError("值 给排水\u0000工程")) == "ValueError: 值 给排水\\x00工程"
        handling = Handling("review", "handle", "dossier", "dossier_submitted", {"event_id": "d\u0000:1"})
        assert handling.event_key == "d\\x00:1"


class TestWhatCannotBeApplied:
    @pytest.mark.parametrize("error", [
        ValueError("A string literal cannot contain NUL (0x00) characters."),
        UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"),
        DataError("INSERT", {}, Exception("value too long for type character varying(64)")),
        KeyError("dossier"), TypeError("bad"),
    ])
    def test_errors_about_the_events_own_data_park_it(self, error):
        assert cannot_be_applied(error)

    @pytest.mark.parametrize("error", [
        OperationalError("SELECT 1", {}, Exception("server closed the connection")),
        ConnectionError("broker unreachable"), RuntimeError("projection store unavailable"),
    ])
    def test_faults_of_the_surroundings_are_retried(self, error):
        assert not cannot_be_applied(error)
