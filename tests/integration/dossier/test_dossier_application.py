"""Dossiers on the real PostgreSQL event store: audit queries, tamper detection, races, read model."""
import eventlet
import pytest
from sqlalchemy import text

from shared.contracts import dossier as st
from services.dossier.exceptions import ConcurrentModificationError, DossierNotFound, IllegalTransitionError
from services.dossier.projections import all_summaries
from services.dossier.rebuild import rebuild_summaries
from tests.factories import Cast, basic_info, fill_eligible


def filled_dossier(dossiers, cast=None, **overrides):
    """A complete, eligible draft, built through the application so every event is stored."""
    cast = cast or Cast()
    dossier = dossiers.create(cast.applicant, **cast.creation_fields(**overrides))
    loaded = dossiers.load(dossier.id)
    fill_eligible(loaded, cast)
    dossiers.save(loaded)
    return loaded.id, cast


def submitted_dossier(dossiers, **overrides):
    dossier_id, cast = filled_dossier(dossiers, **overrides)
    dossiers.submit(dossier_id, cast.applicant)
    return dossier_id, cast


def events_table(dossiers):
    return f"{dossiers.name.lower()}_events"


class TestAuditQueries:
    def test_history_lists_every_event_with_actor_time_and_hash(self, dossiers):
        dossier_id, cast = submitted_dossier(dossiers)
        dossiers.approve(dossier_id, cast.unit_admin, opinion="同意推荐")
        history = dossiers.history(dossier_id)
        assert [entry["version"] for entry in history] == list(range(1, len(history) + 1))
        assert history[0]["type"] == "created" and history[-1]["type"] == "unit_approved"
        assert history[-1]["actor"]["role"] == "unit_admin"
        assert history[-1]["data"] == {"opinion": "同意推荐"}
        assert all(later["prev_hash"] == earlier["hash"] for earlier, later in zip(history, history[1:], strict=False))

    def test_state_at_a_version_and_at_a_moment_shows_the_dossier_as_it_was(self, dossiers):
        dossier_id, cast = submitted_dossier(dossiers)
        history = dossiers.history(dossier_id)
        submitted_version = history[-1]["version"]
        dossiers.return_for_changes(dossier_id, cast.unit_admin, reason="缺学位证", sections=["education"])
        assert dossiers.state_at(dossier_id, version=1)["status"] == st.DRAFT
        assert dossiers.state_at(dossier_id, version=submitted_version)["status"] == st.SUBMITTED
        from datetime import datetime

        moment = datetime.fromisoformat(history[-1]["at"])
        assert dossiers.state_at(dossier_id, at=moment)["version"] == submitted_version
        assert dossiers.get(dossier_id)["status"] == st.RETURNED

    def test_unknown_dossier_is_not_found(self, dossiers):
        with pytest.raises(DossierNotFound):
            dossiers.get("00000000-0000-0000-0000-000000000000")
        with pytest.raises(DossierNotFound):
            dossiers.history("not-a-uuid")


class TestTamperDetection:
    """Rows changed directly in PostgreSQL, as an insider with database access would."""

    @pytest.fixture
    def dossiers(self, database_url):
        # A database of its own: the damaged dossiers must not disturb the read-model tests.
        from services.dossier.application import Dossiers

        app = Dossiers(database_url("dossier_tamper"))
        yield app
        app.close()

    def test_an_untouched_dossier_verifies(self, dossiers):
        dossier_id, _ = submitted_dossier(dossiers)
        report = dossiers.verify(dossier_id)
        assert report == {"ok": True, "events": len(dossiers.history(dossier_id)), "first_bad_version": None}

    def test_a_rebuild_reports_a_damaged_dossier_and_carries_on(self, dossiers):
        damaged, _ = submitted_dossier(dossiers)
        intact, _ = submitted_dossier(dossiers)
        with dossiers.read_engine.begin() as connection:
            connection.execute(text(f"DELETE FROM {events_table(dossiers)} WHERE originator_id = :id "
                                    "AND originator_version = 2"), {"id": str(damaged)})
        count, unreadable = rebuild_summaries(dossiers)
        assert str(damaged) in unreadable and str(intact) not in unreadable
        assert dossiers.list(filters={"status": [st.SUBMITTED]}, per_page=200)["total"] == count

    def test_a_changed_event_payload_is_detected(self, dossiers):
        dossier_id, _ = submitted_dossier(dossiers)
        with dossiers.read_engine.begin() as connection:
            connection.execute(
                text(f"UPDATE {events_table(dossiers)} SET state = convert_to(replace(convert_from(state, 'UTF8'), "
                     "'昆明理工大学', '清华大学'), 'UTF8') WHERE originator_id = :id AND originator_version = 3"),
                {"id": str(dossier_id)},
            )
        assert dossiers.history(dossier_id)[2]["data"]["entries"][0]["school"] == "清华大学"
        events = len(dossiers.history(dossier_id))
        assert dossiers.verify(dossier_id) == {"ok": False, "events": events, "first_bad_version": 3,
                                               "reason": "第 3 版事件的内容与其存储的哈希不符(被修改或调换)"}

    def test_a_deleted_event_is_detected(self, dossiers):
        dossier_id, _ = submitted_dossier(dossiers)
        with dossiers.read_engine.begin() as connection:
            connection.execute(text(f"DELETE FROM {events_table(dossiers)} WHERE originator_id = :id "
                                    "AND originator_version = 4"), {"id": str(dossier_id)})
        report = dossiers.verify(dossier_id)
        assert report["ok"] is False and report["first_bad_version"] == 4  # the missing one

    def test_a_deleted_last_event_is_detected_against_the_summary(self, dossiers):
        dossier_id, _ = submitted_dossier(dossiers)
        last = len(dossiers.history(dossier_id))
        with dossiers.read_engine.begin() as connection:
            connection.execute(text(f"DELETE FROM {events_table(dossiers)} WHERE originator_id = :id "
                                    "AND originator_version = :v"), {"id": str(dossier_id), "v": last})
        report = dossiers.verify(dossier_id)
        assert (report["ok"], report["events"], report["first_bad_version"]) == (False, last - 1, last)

    def test_reordered_events_are_detected(self, dossiers):
        dossier_id, _ = submitted_dossier(dossiers)
        table = events_table(dossiers)
        with dossiers.read_engine.begin() as connection:
            # Swap versions 2 and 3 through a temporary number (the pair is unique).
            for old, new in ((2, 1000), (3, 2), (1000, 3)):
                connection.execute(text(f"UPDATE {table} SET originator_version = :new WHERE originator_id = :id "
                                        "AND originator_version = :old"), {"id": str(dossier_id), "old": old, "new": new})
        report = dossiers.verify(dossier_id)
        assert report["ok"] is False and report["first_bad_version"] == 2


class TestConcurrentCommands:
    def test_two_concurrent_decisions_on_one_dossier_have_exactly_one_winner(self, dossiers, dossier_config):
        from services.dossier.application import Dossiers

        dossier_id, cast = submitted_dossier(dossiers)
        before = len(dossiers.history(dossier_id))
        other_instance = Dossiers(dossier_config["DATABASE_URL"], command_retries=6, retry_backoff=0.01)
        try:
            outcomes, messages = [], []

            def decide(app, opinion):
                try:
                    app.approve(dossier_id, cast.unit_admin, opinion=opinion, expected_version=before)
                    outcomes.append("approve")
                except (IllegalTransitionError, ConcurrentModificationError) as error:
                    outcomes.append(type(error).__name__)
                    messages.append(error.message)

            # Two reviewers approve at once, both having seen version *before*: whoever comes second is
            # told the dossier moved since, however the two interleave — never a second decision.
            threads = [eventlet.spawn(decide, dossiers, opinion="同意(甲)"),
                       eventlet.spawn(decide, other_instance, opinion="同意(乙)")]
            for thread in threads:
                thread.wait()
        finally:
            other_instance.close()
        assert sorted(outcomes) == ["StaleVersionError", "approve"], outcomes
        assert "「单位审核通过」" in messages[0] and f"第 {before} 版" in messages[0]
        history = dossiers.history(dossier_id)
        assert len(history) == before + 1
        assert history[-1]["type"] == "unit_approved"

    def test_concurrent_edits_by_the_applicant_are_retried_and_none_is_lost(self, dossiers, dossier_config):
        dossier_id, cast = filled_dossier(dossiers)
        before = len(dossiers.history(dossier_id))
        threads = [
            eventlet.spawn(dossiers.add_achievement, dossier_id, cast.applicant, data={"title": f"成果{n}"})
            for n in range(8)
        ]
        for thread in threads:
            thread.wait()
        titles = {entry["title"] for entry in dossiers.get(dossier_id)["achievements"]}
        assert {f"成果{n}" for n in range(8)} <= titles
        assert len(dossiers.history(dossier_id)) == before + 8

    def test_a_command_that_always_loses_the_race_ends_in_a_conflict_error(self, dossier_config):
        from services.dossier.application import Dossiers

        app = Dossiers(dossier_config["DATABASE_URL"], command_retries=2, retry_backoff=0.001)
        try:
            dossier_id, cast = filled_dossier(app)
            original_load = app.load

            def stale_load(dossier_id, version=None):
                # Someone else writes between our read and our save, every single time.
                dossier = original_load(dossier_id)
                rival = original_load(dossier_id)
                rival.update_basic_info(cast.applicant, basic_info(phone="13900000000"))
                app.save(rival)
                return dossier

            app.load = stale_load
            with pytest.raises(ConcurrentModificationError):
                app.edit_section(dossier_id, cast.applicant, "record_education", entries=[])
        finally:
            app.close()


class TestSummaryReadModel:
    def test_list_filters_by_unit_status_and_name_with_stable_paging(self, dossiers):
        cast = Cast()
        ids = [filled_dossier(dossiers, cast=cast, applicant_name=f"王{n}")[0] for n in range(5)]
        dossiers.submit(ids[0], cast.applicant)
        everything = dossiers.list(filters={"unit_id": cast.unit_id}, per_page=50)
        assert everything["total"] == 5
        submitted = dossiers.list(filters={"unit_id": cast.unit_id, "status": [st.SUBMITTED]})
        assert [item["dossier_id"] for item in submitted["items"]] == [str(ids[0])]
        assert dossiers.list(filters={"unit_id": cast.unit_id}, q="王3")["total"] == 1
        pages = [dossiers.list(filters={"unit_id": cast.unit_id}, page=p, per_page=2)["items"] for p in (1, 2, 3)]
        paged_ids = [item["dossier_id"] for page in pages for item in page]
        assert sorted(paged_ids) == sorted(str(i) for i in ids) and len(set(paged_ids)) == 5

    def test_rebuild_gives_row_for_row_the_same_table(self, dossiers):
        for _ in range(3):
            dossier_id, cast = submitted_dossier(dossiers)
            dossiers.approve(dossier_id, cast.unit_admin, opinion="同意")
        with dossiers.read_engine.connect() as connection:
            live = all_summaries(connection)
        rebuilt_count, unreadable = rebuild_summaries(dossiers)
        with dossiers.read_engine.connect() as connection:
            rebuilt = all_summaries(connection)
        assert unreadable == []
        assert rebuilt_count == len(live) >= 3
        assert rebuilt == live

    def test_an_older_version_never_overwrites_a_newer_row(self, dossiers):
        from services.dossier.projections import upsert_summaries

        dossier_id, cast = submitted_dossier(dossiers)
        old = dossiers.load(dossier_id, version=2)
        with dossiers.read_engine.begin() as connection:
            upsert_summaries(connection, [old])
        assert dossiers.list(filters={"unit_id": cast.unit_id})["items"][0]["status"] == st.SUBMITTED


class TestBatches:
    def _ready_to_recommend(self, dossiers, cast):
        from tests.factories import PAST_END, PAST_START

        dossier_id, _ = filled_dossier(dossiers, cast=cast)
        dossiers.submit(dossier_id, cast.applicant)
        dossiers.approve(dossier_id, cast.unit_admin, opinion="同意")
        dossiers.record_unit_publicity(dossier_id, cast.unit_admin, start=PAST_START, end=PAST_END)
        return dossier_id

    def test_a_batch_moves_all_dossiers_together(self, dossiers):
        from tests.factories import TODAY

        cast = Cast()
        ids = [self._ready_to_recommend(dossiers, cast) for _ in range(3)]
        saved, results = dossiers.recommend_batch(cast.unit_admin, ids, batch_id="b-1", today=TODAY)
        assert saved and all(result["ok"] for result in results)
        assert {dossiers.get(i)["status"] for i in ids} == {st.RECOMMENDED}

    def test_a_batch_with_one_bad_dossier_moves_none_and_names_it(self, dossiers):
        from tests.factories import TODAY

        cast = Cast()
        ready = [self._ready_to_recommend(dossiers, cast) for _ in range(2)]
        not_ready, _ = filled_dossier(dossiers, cast=cast)
        saved, results = dossiers.recommend_batch(cast.unit_admin, [*ready, not_ready], batch_id="b-2", today=TODAY)
        assert saved is False
        failed = [result for result in results if not result["ok"]]
        assert [result["dossier_id"] for result in failed] == [str(not_ready)]
        assert "草稿" in failed[0]["error"]["message"]
        assert {dossiers.get(i)["status"] for i in ready} == {st.UNIT_APPROVED}
