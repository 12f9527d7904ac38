"""Recording a failed handling on real PostgreSQL never fails on the bytes that made the handling fail,
and the record counts attempts up to the bound that parks it (shared/event_failures.py)."""
import json
import math

import pytest

from shared.event_failures import Handling, original_payload, record_failure_safely
from tests.integration.shared.event_failure_support import dossier_event, failure_records_engine, records


@pytest.fixture
def engine(database_url):
    with failure_records_engine(database_url("event_failure_records")) as engine:
        yield engine


def test_a_payload_the_database_refuses_even_escaped_is_kept_in_the_second_form(engine, caplog):
    # NaN is no JSON PostgreSQL takes, and the escaping of NUL and surrogates does not touch it.
    payload = dict(dossier_event("dossier_submitted"), score=float("nan"))
    handling = Handling("svc_refused", "handle_dossier_submitted", "dossier", "dossier_submitted", payload)
    assert record_failure_safely(engine, handling, ValueError("坏\x00字节\ud800"), "corr-12345678") == (1, False)
    assert "writing it fully escaped" in caplog.text  # the first form was refused
    (record,) = records(engine, payload["event_id"])
    assert record["error"] == "ValueError: 坏\\x00字节\\ud800" and record["dossier_id"] == payload["dossier_id"]
    kept = original_payload(record["payload"])
    assert math.isnan(kept.pop("score")) and kept == {k: v for k, v in payload.items() if k != "score"}


def test_attempts_are_counted_until_the_bound_parks_the_record(engine):
    handling = Handling("svc_bound", "handle_dossier_submitted", "dossier", "dossier_submitted",
                        dossier_event("dossier_submitted"))
    outcomes = [record_failure_safely(engine, handling, RuntimeError("lasting"), max_attempts=3) for _ in range(4)]
    assert outcomes == [(1, False), (2, False), (3, True), (4, True)]
    (record,) = records(engine, handling.event_key)
    assert record["parked_at"] and json.dumps(record["payload"], ensure_ascii=False)
