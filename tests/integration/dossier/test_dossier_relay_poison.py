"""The outbox relay and a poisoned row, on real PostgreSQL and RabbitMQ (issue 13, item 6).

A stored event whose bytes no longer decode once stopped the relay at that row for good, and a
follower's failure made the whole loop sleep. Now the row is recorded and parked, the batch goes on,
and the relay publishes a log holding poisoned rows at the pace of a clean one. After the repair the
replay tool publishes the parked events and projects their summaries.
"""
import time
import uuid

import eventlet
import pytest
import yaml
from sqlalchemy import select, text

from services.dossier.application import Dossiers
from services.dossier.catchup import SummaryCatchUp
from services.dossier.logfollower import OUTBOX_RELAY, SUMMARY_PROJECTOR
from services.dossier.projections import failed_event_handlings
from services.dossier.relay import OutboxRelay, run
from shared.event_failures import unresolved_count
from shared.event_replay import main as event_replay
from tests.factories import Cast
from tests.integration.dossier.conftest import ensure_open_notice

DOSSIERS_PER_ROUND, POISONED = 40, 8


@pytest.fixture
def store(database_url):
    app = Dossiers(database_url(f"dossier_relay_poison_{uuid.uuid4().hex[:8]}"))
    ensure_open_notice(app)
    yield app
    app.close()


def create_round(app):
    """New dossiers of two events each; their ``(dossier_id, version)`` pairs."""
    pairs = []
    for _ in range(DOSSIERS_PER_ROUND):
        cast = Cast()
        dossier = app.create(cast.applicant, **cast.creation_fields())
        app.edit_section(dossier.id, cast.applicant, "record_education", entries=[])
        pairs += [(str(dossier.id), 1), (str(dossier.id), 2)]
    return pairs


def poison(app, pairs):
    """Overwrite the stored bytes of each event in *pairs* with bytes no decoder reads; the originals."""
    table = f"{app.name.lower()}_events"
    originals = {}
    with app.read_engine.begin() as connection:
        for dossier_id, version in pairs:
            originals[(dossier_id, version)] = connection.execute(text(
                f"SELECT state FROM {table} WHERE originator_id = :id AND originator_version = :v"),
                {"id": dossier_id, "v": version}).scalar()
            connection.execute(text(f"UPDATE {table} SET state = '\\xfffe00'::bytea WHERE originator_id = :id "
                                    "AND originator_version = :v"), {"id": dossier_id, "v": version})
    return originals


def restore(app, originals):
    table = f"{app.name.lower()}_events"
    with app.read_engine.begin() as connection:
        for (dossier_id, version), state in originals.items():
            connection.execute(text(f"UPDATE {table} SET state = :state WHERE originator_id = :id "
                                    "AND originator_version = :v"), {"id": dossier_id, "v": version, "state": state})


def drive_until_caught_up(app, followers, seconds=60):
    """Run the relay loop until every follower has handled the whole log; how long that took."""
    stop, started = [], time.monotonic()
    runner = eventlet.spawn(run, app, followers, poll_interval=0.05, should_stop=lambda: bool(stop))
    try:
        with eventlet.Timeout(seconds):
            while any(follower.backlog() for follower in followers):
                eventlet.sleep(0.02)
        return time.monotonic() - started
    finally:
        stop.append(True)
        runner.wait()


def open_records(app, handler):
    table = failed_event_handlings
    with app.read_engine.connect() as connection:
        return {row.event_key: row for row in connection.execute(select(table).where(
            table.c.handler == handler, table.c.resolved_at.is_(None)))}


def test_a_poisoned_row_is_parked_and_the_relay_keeps_its_pace(store, amqp_uri, bus_tap, tmp_path):
    relay, projector = OutboxRelay(store, amqp_uri, batch_size=10), SummaryCatchUp(store, batch_size=10)
    followers = [relay, projector]
    try:
        clean_round = create_round(store)
        clean_seconds = drive_until_caught_up(store, followers)

        poisoned_round = create_round(store)
        bad = [pair for pair in poisoned_round if pair[1] == 2][:POISONED]
        originals = poison(store, bad)
        poisoned_seconds = drive_until_caught_up(store, followers)
    finally:
        relay.close()
        projector.release()

    # A rest of even one second per poisoned batch would add about POISONED seconds.
    assert poisoned_seconds < clean_seconds + 1.0, (clean_seconds, poisoned_seconds)
    received = {(body["dossier_id"], body["version"]) for body in bus_tap.drain(
        lambda bodies: len(bodies) >= 4 * DOSSIERS_PER_ROUND - POISONED)}
    assert received == set(clean_round) | set(poisoned_round) - set(bad)

    parked = open_records(store, OUTBOX_RELAY)
    assert set(parked) == {f"{dossier_id}:{version}" for dossier_id, version in bad}
    assert all(row.parked_at and row.attempts == 1 for row in parked.values())
    assert set(open_records(store, SUMMARY_PROJECTOR)) == {dossier_id for dossier_id, _ in bad}
    assert unresolved_count(store.read_engine, "dossier") == 2 * POISONED

    restore(store, originals)  # the repair
    config = tmp_path / "dossier.yaml"
    config.write_text(yaml.safe_dump({
        "DATABASE_URL": store.read_engine.url.render_as_string(hide_password=False), "AMQP_URI": amqp_uri,
        "FAILED_HANDLING_REPLAYERS": {SUMMARY_PROJECTOR: "services.dossier.catchup:replay_failed_summaries",
                                      OUTBOX_RELAY: "services.dossier.relay:replay_failed_publications"}}))
    assert event_replay(["--config", str(config), "--service", "dossier", "replay", "--all"]) == 0
    replayed = {(body["dossier_id"], body["version"]) for body in bus_tap.drain(lambda bodies: len(bodies) >= POISONED)}
    assert replayed == set(bad)
    assert unresolved_count(store.read_engine, "dossier") == 0
