"""Failed event handlings on real PostgreSQL and RabbitMQ: recorded while a handler fails, counted
across instances, resolved by a successful redelivery or by a replay of the stored payload."""
import eventlet
import pytest
from kombu import Connection
from nameko.events import SERVICE_POOL
from nameko.extensions import DependencyProvider
from nameko.rpc import rpc
from nameko.standalone.rpc import ClusterRpcProxy

from shared.db import ensure_database, make_engine
from shared.event_failures import (
    Handling, metadata, record_failure, recorded_event_handler, resolve, unresolved_count,
)
from shared.event_replay import handler_queue, main as event_replay
from tests.integration.payment.dossier_journey import publish
from tests.integration.shared.event_failure_support import dossier_event, failure_records_engine, records
from tests.waiting import wait_until


class OwnDatabase(DependencyProvider):
    """The consumer's own database engine, its tables created at start (as the real services do)."""

    def setup(self):
        url = self.container.config["DATABASE_URL"]
        ensure_database(url)
        self.engine = make_engine(url, pool_size=2)
        metadata.create_all(self.engine)

    def stop(self):
        self.engine.dispose()

    kill = stop

    def get_dependency(self, worker_ctx):
        return self.engine


class FlakyConsumer:
    """A dossier-event consumer whose handler fails while ``broken`` is set."""

    name = "flaky_consumer"
    database = OwnDatabase()
    broken = False
    handled = []

    @recorded_event_handler(lambda service: service.database, "dossier", "dossier_submitted",
                            handler_type=SERVICE_POOL, requeue_on_error=True)
    def handle_dossier_submitted(self, payload):
        if FlakyConsumer.broken:
            eventlet.sleep(0.05)  # a failing handler goes straight back to the queue: do not spin
            raise RuntimeError("projection store unavailable")
        FlakyConsumer.handled.append(payload["event_id"])

    @rpc
    def health(self):
        return {"failed_event_handlings": unresolved_count(self.database, self.name)}


@pytest.fixture
def consumer_config(database_url, amqp_vhost):
    return {"AMQP_URI": amqp_vhost("event_failures"), "DATABASE_URL": database_url("event_failures"),
            "max_workers": 4}


@pytest.fixture
def engine(consumer_config):
    with failure_records_engine(consumer_config["DATABASE_URL"]) as engine:
        yield engine


@pytest.fixture(autouse=True)
def healthy_consumer():
    FlakyConsumer.broken, FlakyConsumer.handled = False, []
    yield
    FlakyConsumer.broken = False


def health(config):
    with ClusterRpcProxy({"AMQP_URI": config["AMQP_URI"]}, timeout=10) as proxy:
        return proxy.flaky_consumer.health()["failed_event_handlings"]


class TestRecordingInTheDatabase:
    def test_repeated_failures_of_one_event_make_one_record_counting_the_attempts(self, engine):
        handling = Handling("svc_attempts", "handle_dossier_submitted", "dossier", "dossier_submitted",
                            dossier_event("dossier_submitted", version=3))
        with engine.begin() as connection:
            for _ in range(3):
                record_failure(connection, handling, ValueError("boom"), correlation_id="corr-12345678")
        (record,) = records(engine, handling.event_key)
        assert (record["attempts"], record["event_version"], record["dossier_id"]) == (3, 3, handling.dossier_id)
        assert record["error"] == "ValueError: boom" and record["correlation_id"] == "corr-12345678"
        assert record["resolved_at"] is None and record["first_failed_at"] <= record["last_failed_at"]
        assert unresolved_count(engine, "svc_attempts") == 1

    def test_a_success_resolves_the_record_and_a_later_failure_opens_it_again(self, engine):
        handling = Handling("svc_reopen", "handle_dossier_submitted", "dossier", "dossier_submitted",
                            dossier_event("dossier_submitted"))
        with engine.begin() as connection:
            record_failure(connection, handling, RuntimeError("first"))
            assert resolve(connection, handling) == 1
            assert resolve(connection, handling) == 0
        assert unresolved_count(engine, "svc_reopen") == 0
        with engine.begin() as connection:
            record_failure(connection, handling, RuntimeError("again"))
        (record,) = records(engine, handling.event_key)
        assert (record["attempts"], record["error"], record["resolved_at"]) == (2, "RuntimeError: again", None)

    def test_each_service_counts_only_its_own_open_records(self, engine):
        payload = dossier_event("dossier_submitted")
        with engine.begin() as connection:
            record_failure(connection, Handling("svc_a", "handle", "dossier", "dossier_submitted", payload), OSError())
            record_failure(connection, Handling("svc_b", "handle", "dossier", "dossier_submitted", payload), OSError())
        assert (unresolved_count(engine, "svc_a"), unresolved_count(engine, "svc_b")) == (1, 1)


class TestConsumerOnTheBus:
    def test_failed_handlings_are_counted_across_instances_until_redelivery_succeeds(
            self, run_services, consumer_config, engine):
        run_services((FlakyConsumer, consumer_config), (FlakyConsumer, consumer_config))
        FlakyConsumer.broken = True
        events = [dossier_event("dossier_submitted") for _ in range(3)]
        for event in events:
            publish(consumer_config["AMQP_URI"], event)

        wait_until(lambda: all(r and r[0]["attempts"] >= 2 for r in (records(engine, e["event_id"]) for e in events)),
                   what="every event to fail at least twice")
        assert health(consumer_config) == 3  # one record per event, however many attempts and instances
        (record,) = records(engine, events[0]["event_id"])
        assert (record["service"], record["handler"], record["event_type"]) == (
            "flaky_consumer", "handle_dossier_submitted", "dossier_submitted")
        assert record["payload"] == events[0] and "projection store unavailable" in record["error"]

        FlakyConsumer.broken = False
        wait_until(lambda: health(consumer_config) == 0, what="the redeliveries to succeed")
        assert sorted(FlakyConsumer.handled) == sorted(event["event_id"] for event in events)
        assert all(records(engine, event["event_id"])[0]["resolved_at"] for event in events)

    def test_a_replayed_record_reaches_only_its_handler_and_is_resolved(
            self, run_services, consumer_config, engine, tmp_path, capsys):
        (first,) = run_services((FlakyConsumer, consumer_config))
        FlakyConsumer.broken = True
        event = dossier_event("dossier_submitted")
        publish(consumer_config["AMQP_URI"], event)
        (record,) = wait_until(lambda: records(engine, event["event_id"]), what="the failure to be recorded")
        # The operator stops the poison loop: the consumer goes down and its queue is purged.
        first.stop()
        with Connection(consumer_config["AMQP_URI"]) as connection:
            connection.default_channel.queue_purge(handler_queue(record))
        FlakyConsumer.broken = False
        run_services((FlakyConsumer, consumer_config))
        eventlet.sleep(0.5)
        assert FlakyConsumer.handled == [] and health(consumer_config) == 1

        config_file = tmp_path / "flaky.yaml"
        config_file.write_text(f"AMQP_URI: {consumer_config['AMQP_URI']}\n"
                               f"DATABASE_URL: {consumer_config['DATABASE_URL']}\n")
        assert event_replay(["--config", str(config_file), "--service", "flaky_consumer", "replay", "--all"]) == 0
        assert event["event_id"] in capsys.readouterr().out

        wait_until(lambda: health(consumer_config) == 0, what="the replay to be handled")
        assert FlakyConsumer.handled == [event["event_id"]]
