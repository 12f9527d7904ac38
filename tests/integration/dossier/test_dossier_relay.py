"""The outbox relay on real RabbitMQ and PostgreSQL: nothing lost through outages, kills and failover."""
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from services.dossier.logfollower import OUTBOX_RELAY, log_positions
from tests.factories import Cast
from tests.infrastructure import rabbitmqctl

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def create_dossiers(dossiers, count):
    """*count* new drafts with one edit each; returns the expected ``(dossier_id, version)`` pairs."""
    expected = set()
    for _ in range(count):
        cast = Cast()
        dossier = dossiers.create(cast.applicant, **cast.creation_fields())
        dossiers.edit_section(dossier.id, cast.applicant, "record_education", entries=[])
        expected |= {(str(dossier.id), 1), (str(dossier.id), 2)}
    return expected


def received_pairs(bodies):
    return {(body["dossier_id"], body["version"]) for body in bodies}


def until_all(expected):
    return lambda bodies: expected <= received_pairs(bodies)


def start_relay(config_file):
    return subprocess.Popen([sys.executable, "-m", "services.dossier.relay", "--config", config_file], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def stop(process, sig=signal.SIGTERM):
    if process.poll() is None:
        os.killpg(process.pid, sig)
    process.wait(timeout=30)


@pytest.fixture
def relays(dossier_config_file):
    started = []

    def launch():
        process = start_relay(dossier_config_file)
        started.append(process)
        return process

    yield launch
    for process in started:
        stop(process, signal.SIGKILL)


def relay_position(dossiers):
    with dossiers.read_engine.connect() as connection:
        return connection.execute(select(log_positions.c.position).where(log_positions.c.follower == OUTBOX_RELAY)).scalar()


class TestDelivery:
    def test_every_event_reaches_the_bus_in_order_per_dossier(self, dossiers, relays, bus_tap):
        expected = create_dossiers(dossiers, 5)
        relays()
        bodies = bus_tap.drain(until_all(expected))
        assert expected <= received_pairs(bodies)
        for dossier_id, _ in expected:
            versions = [body["version"] for body in bodies if body["dossier_id"] == dossier_id]
            assert versions == sorted(versions)

    @pytest.mark.broker_outage
    def test_commands_succeed_while_rabbitmq_is_down_and_every_event_arrives_after(self, dossiers, relays, bus_tap):
        relays()
        rabbitmqctl("stop_app")
        try:
            expected = create_dossiers(dossiers, 10)  # the event store does not need the broker
            time.sleep(1.0)  # the relay tries, fails and keeps its position
        finally:
            rabbitmqctl("start_app")
            rabbitmqctl("await_startup")
        bodies = bus_tap.drain(until_all(expected), seconds=60)
        assert expected <= received_pairs(bodies)


class TestRelayFailures:
    def test_a_relay_killed_mid_batch_loses_nothing(self, dossiers, relays, bus_tap):
        expected = create_dossiers(dossiers, 120)  # 240 events, batches of 50
        first = relays()
        partial = bus_tap.drain(lambda bodies: len(bodies) >= 30, seconds=60)
        stop(first, signal.SIGKILL)  # no chance to finish the batch or save its position
        relays()
        rest = bus_tap.drain(until_all(expected), seconds=90)
        assert expected <= received_pairs(partial + rest)

    def test_only_one_relay_publishes_and_a_standby_takes_over_when_it_dies(self, dossiers, relays, bus_tap):
        active, standby = relays(), None
        first_batch = create_dossiers(dossiers, 3)
        bodies = bus_tap.drain(until_all(first_batch))
        standby = relays()
        time.sleep(1.0)
        second_batch = create_dossiers(dossiers, 3)
        bodies += bus_tap.drain(until_all(second_batch))
        # Two relays were running: had both published, each event would have arrived twice.
        pairs = [(b["dossier_id"], b["version"]) for b in bodies if (b["dossier_id"], b["version"]) in second_batch]
        assert len(pairs) == len(set(pairs))

        stop(active, signal.SIGKILL)
        killed_at = time.monotonic()
        third_batch = create_dossiers(dossiers, 3)
        bodies = bus_tap.drain(until_all(third_batch), seconds=30)
        assert third_batch <= received_pairs(bodies)
        assert time.monotonic() - killed_at < 15
        assert standby.poll() is None

    def test_the_position_reaches_the_end_of_the_log_once_all_is_published(self, dossiers, relays, bus_tap):
        expected = create_dossiers(dossiers, 2)
        relays()
        bus_tap.drain(until_all(expected))
        time.sleep(0.5)
        assert relay_position(dossiers) == dossiers.recorder.max_notification_id()
