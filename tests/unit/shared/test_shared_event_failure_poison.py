"""Poison without I/O: the safe rendering of bad bytes, the attempt policy a service configures, what
is parked at once, and the second, fully escaped form of a record (shared/event_failures.py). What the
dossier-event decorator declares: test_shared_event_handler_declarations.py."""
import json

import pytest
from marshmallow import ValidationError

from shared.event_failures import (
    MAX_ATTEMPTS, RETRY_PAUSE_SECONDS, AttemptPolicy, ContractBroken, Handling, cannot_be_applied, error_text,
    json_rendering, original_payload, rendered,
)

HOSTILE = "名\x00\x1b[31m\x85\u202e\u200b\ufeff\ud800\u2028尾"


class TestSafeRendering:
    def test_every_control_surrogate_and_invisible_character_is_written_as_an_escape(self):
        assert rendered(HOSTILE) == "名\\x00\\x1b[31m\\x85\\u202e\\u200b\\ufeff\\ud800\\u2028尾"
        assert rendered("给排水工程 👷\u200d") == "给排水工程 👷\\u200d"  # only what hides or breaks is escaped

    def test_the_escaped_text_can_be_encoded_for_any_store_or_terminal(self):
        assert rendered(HOSTILE).encode("utf-8").decode("utf-8") == rendered(HOSTILE)  # a lone surrogate would raise
        assert error_text(ValueError(HOSTILE)).startswith("ValueError: 名\\x00")

    def test_a_json_rendering_is_one_safe_line_that_decodes_to_the_original(self):
        document = {"payload": {"specialty": HOSTILE, "note": "第一行\n第二行"}}
        line = json_rendering(document)
        assert "\n" not in line and not any(ch in line for ch in "\x00\x1b\x85\u202e\ud800")
        assert json.loads(line) == document and "名" in line


class TestAttemptPolicy:
    def test_a_config_without_the_section_keeps_the_defaults(self):
        assert AttemptPolicy.from_config({}) == AttemptPolicy(MAX_ATTEMPTS, RETRY_PAUSE_SECONDS)

    def test_the_service_config_sets_the_bound_and_the_pause_within_sense(self):
        config = {"EVENT_HANDLING": {"max_attempts": "3", "retry_pause_seconds": "0.25"}}
        assert AttemptPolicy.from_config(config) == AttemptPolicy(3, 0.25)
        assert AttemptPolicy.from_config({"EVENT_HANDLING": {"max_attempts": 0, "retry_pause_seconds": -1}}) == \
            AttemptPolicy(1, 0.0)


class TestWhatIsParkedAtOnce:
    @pytest.mark.parametrize("error", [ValidationError({"dossier": ["缺少"]}), ContractBroken("不符")])
    def test_a_message_that_breaks_the_contract_cannot_be_applied(self, error):
        assert cannot_be_applied(error)


def test_the_fully_escaped_form_is_the_same_record_with_a_payload_any_database_takes():
    payload = {"event_id": "d-1:5", "dossier_id": "d-1", "version": 5, "dossier": {"specialty": HOSTILE}}
    handling = Handling("review", "handle_dossier_submitted", "dossier", "dossier_submitted", payload)
    escaped = handling.fully_escaped()
    assert (escaped.event_key, escaped.dossier_id, escaped.event_version) == ("d-1:5", "d-1", 5)
    assert json.dumps(escaped.payload).isascii() and original_payload(escaped.payload) == payload
