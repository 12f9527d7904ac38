"""A poisoned event in the real event store never stalls the summary projector (issue 12, H1).

The poison is what the platform once accepted: a specialty holding a NUL byte, stored fine as event
JSON but refused by every PostgreSQL text column. It is written straight into the event store (no
inline projection), as an old request left it; each test has its own database, so the projector's
position is its own.
"""
import uuid

import eventlet
import pytest
import yaml
from sqlalchemy import select, text

from services.dossier.application import Dossiers
from services.dossier.catchup import SummaryCatchUp
from services.dossier.domain import Dossier, events_stamped_by
from services.dossier.logfollower import SUMMARY_PROJECTOR
from services.dossier.projections import dossier_summary, failed_event_handlings
from services.dossier.rebuild import rebuild_summaries
from services.dossier.service import DossierService
from shared.event_failures import unresolved_count
from shared.event_replay import main as event_replay
from tests.factories import Cast
from tests.integration.dossier.conftest import ensure_open_notice
from tests.integration.shared.event_failure_support import health_of

POISON = "给排水\u0000工程"


@pytest.fixture
def store(database_url):
    app = Dossiers(database_url(f"dossier_poison_{uuid.uuid4().hex[:8]}"))
    ensure_open_notice(app)
    yield app
    app.close()


def stored_straight(app, dossier, *commands):
    """Run *commands* ``(name, actor, kwargs)`` on *dossier* and insert its new events with the recorder
    itself: nothing projects them inline, as when a process died after saving."""
    with events_stamped_by(app.clock):
        for name, actor, kwargs in commands:
            getattr(dossier, name)(actor, **kwargs)
    app.recorder.insert_events([app.mapper.to_stored_event(event) for event in dossier.collect_events()])
    return dossier


def new_dossier(app, **fields):
    cast = Cast()
    with events_stamped_by(app.clock):
        dossier = Dossier.create(cast.applicant, **cast.creation_fields(**fields))
    return stored_straight(app, dossier), cast


def catch_up(app):
    projector = SummaryCatchUp(app, batch_size=2)
    for _ in range(50):
        if projector.step() == 0:
            break
    return projector


def summary(app, dossier_id):
    with app.read_engine.connect() as connection:
        return connection.execute(select(dossier_summary).where(
            dossier_summary.c.dossier_id == str(dossier_id))).mappings().first()


def records(app, dossier_id):
    table = failed_event_handlings
    with app.read_engine.connect() as connection:
        return [dict(row) for row in connection.execute(select(table).where(table.c.event_key == str(dossier_id)))
                .mappings()]


class TestTheCatchUpProjector:
    def test_it_moves_past_a_poisoned_event_records_it_and_projects_later_events(self, store):
        before, _ = new_dossier(store)
        poisoned, _ = new_dossier(store, specialty=POISON)
        after, cast = new_dossier(store, applicant_name="王芳")

        projector = catch_up(store)

        assert projector.backlog() == 0  # the position is past the poison
        assert summary(store, before.id) and summary(store, after.id)["applicant_name"] == "王芳"
        assert summary(store, poisoned.id) is None
        (record,) = records(store, poisoned.id)
        assert (record["service"], record["handler"], record["dossier_id"]) == ("dossier", SUMMARY_PROJECTOR, str(poisoned.id))
        assert "NUL" in record["error"] and record["parked_at"] and record["resolved_at"] is None
        assert unresolved_count(store.read_engine, "dossier") == 1

        stored_straight(store, store.load(after.id), ("record_education", cast.applicant, {"entries": []}))
        catch_up(store)
        assert summary(store, after.id)["version"] == 2  # later events still project

    def test_a_position_stalled_by_the_old_projector_recovers_by_itself_when_the_relay_starts(self, store):
        from services.dossier.relay import run

        new_dossier(store)
        poisoned, _ = new_dossier(store, specialty=POISON)
        behind = [new_dossier(store)[0] for _ in range(5)]
        stalled_at = store.recorder.max_notification_id() - 6  # just before the poison, as the old code left it
        SummaryCatchUp(store).save_position(stalled_at)

        stop = []
        runner = eventlet.spawn(run, store, [SummaryCatchUp(store, batch_size=3)], poll_interval=0.05,
                                should_stop=lambda: bool(stop))
        try:
            deadline = eventlet.Timeout(20)
            with deadline:
                while SummaryCatchUp(store).backlog():
                    eventlet.sleep(0.05)
        finally:
            stop.append(True)
            runner.wait()
        assert all(summary(store, dossier.id) for dossier in behind)
        assert records(store, poisoned.id)[0]["resolved_at"] is None

    def test_the_dossier_service_reports_the_failed_summary_in_health(self, store, run_services, amqp_vhost):
        new_dossier(store, specialty=POISON)
        catch_up(store)
        amqp_uri = amqp_vhost("dossier_poison")
        run_services((DossierService, {"AMQP_URI": amqp_uri, "DATABASE_URL": store.read_engine.url.render_as_string(
            hide_password=False)}))
        report = health_of(amqp_uri, "dossier")
        assert report["status"] == "degraded"  # working, with a summary waiting for a repair and a replay
        assert (report["failed_event_handlings"], report["projection_lag"]) == (1, 0)


class TestRebuildAndReplay:
    def test_a_rebuild_carries_on_past_the_poisoned_dossier_and_names_it(self, store):
        good, _ = new_dossier(store)
        poisoned, _ = new_dossier(store, specialty=POISON)
        count, unreadable = rebuild_summaries(store)
        assert (count, unreadable) == (1, [str(poisoned.id)])
        assert summary(store, good.id) and summary(store, poisoned.id) is None
        assert records(store, poisoned.id)[0]["resolved_at"] is None

    def test_the_replay_tool_lists_the_failure_and_after_the_repair_projects_it(self, store, tmp_path, capsys):
        # A unit id longer than its column: refused by the database, repairable by widening the column.
        too_long, _ = new_dossier(store, unit_id="unit-" + "x" * 80)
        catch_up(store)
        config = tmp_path / "dossier.yaml"
        config.write_text(yaml.safe_dump({
            "DATABASE_URL": store.read_engine.url.render_as_string(hide_password=False), "AMQP_URI": "unused://",
            "FAILED_HANDLING_REPLAYERS": {SUMMARY_PROJECTOR: "services.dossier.catchup:replay_failed_summaries"}}))

        assert event_replay(["--config", str(config), "--service", "dossier", "list"]) == 0
        listed = capsys.readouterr().out
        assert str(too_long.id) in listed and "StringDataRightTruncation" in listed

        with store.read_engine.begin() as connection:  # the repair
            connection.execute(text("ALTER TABLE dossier_summary ALTER COLUMN unit_id TYPE text"))
        assert event_replay(["--config", str(config), "--service", "dossier", "replay", "--all"]) == 0
        assert str(too_long.id) in capsys.readouterr().out
        assert summary(store, too_long.id)["unit_id"].startswith("unit-xxx")
        assert records(store, too_long.id)[0]["resolved_at"] is not None
        assert unresolved_count(store.read_engine, "dossier") == 0
