"""Poison on real RabbitMQ and PostgreSQL: an event the review service cannot handle is tried the
configured number of times, recorded once and parked — acknowledged, not redelivered — while other
events go on; ``health`` says ``degraded`` with the count; the replay tool lists it, safely rendered,
and after the repair replays it (issue 13, item 6)."""
import json
import uuid
from pathlib import Path

import eventlet
import pytest
from sqlalchemy import select, text

from services.review.service import ReviewService
from services.review.tables import review_queue
from shared.event_failures import original_payload
from shared.event_replay import main as event_replay
from tests.integration.payment.dossier_journey import publish
from tests.integration.shared.event_failure_support import dossier_event, health_of, records, wait_until
from tests.service_configs import QUIET_REVIEW_TIMERS, engine_on, isolated_config, service_config

ROOT = Path(__file__).resolve().parents[3]
ATTEMPTS = 3


@pytest.fixture
def review_config(database_url, amqp_vhost):
    return isolated_config(service_config("services/review/config.yaml"), database_url, amqp_vhost, "review_poison",
                           TIMERS=QUIET_REVIEW_TIMERS, EVENT_HANDLING={"max_attempts": ATTEMPTS, "retry_pause_seconds": 0.2})


@pytest.fixture
def review_db(review_config):
    with engine_on(review_config["DATABASE_URL"]) as engine:
        yield engine


@pytest.fixture
def store_rule(review_db):
    """A rule of the store the consumer's code knows nothing of (as a constraint a migration added):
    a trigger refusing any queue row whose specialty holds the marker. Dropped at the end."""
    name = f"refuse_marker_{uuid.uuid4().hex[:8]}"

    def install(marker):
        with review_db.begin() as connection:
            connection.execute(text(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF NEW.specialty LIKE '%{marker}%' THEN RAISE EXCEPTION 'store rule refuses %', NEW.specialty; "
                "END IF; RETURN NEW; END $$"))
            connection.execute(text(f"CREATE TRIGGER {name} BEFORE INSERT OR UPDATE ON review_queue "
                                    f"FOR EACH ROW EXECUTE FUNCTION {name}()"))

    def remove():
        with review_db.begin() as connection:
            connection.execute(text(f"DROP TRIGGER IF EXISTS {name} ON review_queue"))
            connection.execute(text(f"DROP FUNCTION IF EXISTS {name}()"))

    yield install, remove
    remove()


def queued_version(engine, dossier_id):
    with engine.connect() as connection:
        return connection.execute(select(review_queue.c.version).where(review_queue.c.dossier_id == dossier_id)).scalar()


def config_file(tmp_path, config):
    path = tmp_path / "review.yaml"
    path.write_text(f"AMQP_URI: {config['AMQP_URI']}\nDATABASE_URL: {config['DATABASE_URL']}\n")
    return str(path)


def test_a_poisoned_event_is_tried_n_times_recorded_once_parked_and_replayed_after_the_repair(
        run_services, review_config, review_db, store_rule, tmp_path, capsys):
    install, remove = store_rule
    run_services((ReviewService, review_config))  # its tables exist once it runs
    install("毒丸")
    amqp_uri = review_config["AMQP_URI"]
    poisoned = dossier_event("dossier_submitted")
    poisoned["dossier"]["specialty"] = "毒丸工程"
    publish(amqp_uri, poisoned)
    healthy = [dossier_event("dossier_submitted") for _ in range(3)]
    for event in healthy:
        publish(amqp_uri, event)

    (record,) = wait_until(lambda: [r for r in records(review_db, poisoned["event_id"]) if r["parked_at"]],
                           what="the poison to be parked")
    assert record["attempts"] == ATTEMPTS and "store rule refuses 毒丸工程" in record["error"]
    assert all(queued_version(review_db, event["dossier_id"]) == 5 for event in healthy)  # the rest went on
    eventlet.sleep(1.0)  # five retry pauses: a redelivery would have come by now
    (record,) = records(review_db, poisoned["event_id"])
    assert record["attempts"] == ATTEMPTS and record["resolved_at"] is None
    report = health_of(amqp_uri, "review")
    assert (report["status"], report["failed_event_handlings"]) == ("degraded", 1)

    assert event_replay(["--config", config_file(tmp_path, review_config), "--service", "review", "list"]) == 0
    (line,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (line["id"], line["handler"], line["attempts"]) == (record["id"], "handle_dossier_submitted", ATTEMPTS)

    remove()  # the repair
    assert event_replay(["--config", config_file(tmp_path, review_config), "--service", "review", "replay",
                         "--all"]) == 0
    wait_until(lambda: queued_version(review_db, poisoned["dossier_id"]) == 5, what="the replay to be applied")
    wait_until(lambda: health_of(amqp_uri, "review")["status"] == "ok", what="health to be ok again")
    assert records(review_db, poisoned["event_id"])[0]["resolved_at"] is not None


def test_a_message_that_breaks_the_contract_is_recorded_with_its_bad_bytes_rendered_safely(
        run_services, review_config, review_db, tmp_path, capsys):
    """Once logged and dropped unseen; now parked at its first attempt (it can never be applied), and
    neither the record nor the listing fails on the NUL, the bidi override or the lone surrogate."""
    run_services((ReviewService, review_config))
    amqp_uri = review_config["AMQP_URI"]
    broken = {"event_type": "dossier_submitted", "event_id": "坏\u202e\u0000:1", "dossier": {"specialty": "\ud800"}}
    publish(amqp_uri, broken)
    key = "坏\\u202e\\x00:1"
    (record,) = wait_until(lambda: records(review_db, key), what="the broken message to be recorded")
    # Broken against the bus contract (shared/event_handlers.py raises ContractBroken naming the schema).
    assert record["parked_at"] and record["attempts"] == 1 and record["error"].startswith("ContractBroken")
    assert "DossierEventV1" in record["error"]
    assert original_payload(record["payload"]) == broken  # kept exactly, for the repair

    later = dossier_event("dossier_submitted")
    publish(amqp_uri, later)
    wait_until(lambda: queued_version(review_db, later["dossier_id"]) == 5, what="a later event to project")
    assert health_of(amqp_uri, "review")["status"] == "degraded"

    assert event_replay(["--config", config_file(tmp_path, review_config), "--service", "review", "list",
                         "--payload"]) == 0
    out = capsys.readouterr().out
    assert not any(ch in out for ch in "\u0000\u202e\ud800")  # nothing a terminal or a log could be fooled by
    (line,) = [json.loads(line) for line in out.splitlines()]
    assert line["event_key"] == key and line["payload"] == broken
