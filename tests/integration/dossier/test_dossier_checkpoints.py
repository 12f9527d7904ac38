"""Tamper evidence that holds against a database writer (issue 13, item 7): signed checkpoints of every
dossier's chain head in an S3 bucket of their own, on real PostgreSQL, RabbitMQ and an S3 server.

The attack: rewrite an event's data straight in PostgreSQL and recompute every later hash, so the chain
itself checks. The rewriting code is the test's own (``rewrite``), written as an insider would.
"""
import base64
import copy
import json
import uuid

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import text

from services.dossier.application import Dossiers
from services.dossier.checkpoint_verify import main as verify_offline
from services.dossier.checkpoints import CheckpointDamaged, Checkpoints
from services.dossier.checkpoints_keys import ensure_signing_key, load_signing_key, public_key_pem, sign
from services.dossier.checkpoints_store import LATEST, CheckpointStore, checkpoint_key, encode
from services.dossier.hashchain import event_hash
from services.dossier.service import DossierService
from services.dossier.exceptions import ActorNotAllowedError
from shared.rpc import register_platform_errors
from tests.factories import Cast, basic_info, education, work_experience
from tests.integration.dossier.conftest import ensure_open_notice
from tests.integration.shared.event_failure_support import wait_until

AUDITOR = {"account_id": "auditor-checkpoints", "role": "auditor", "org_id": "city"}


@pytest.fixture
def store(database_url):
    app = Dossiers(database_url(f"dossier_checkpoints_{uuid.uuid4().hex[:8]}"))
    ensure_open_notice(app)
    yield app
    app.close()


@pytest.fixture
def settings(store, s3_settings, amqp_vhost, tmp_path):
    """The service's config: its own database and virtual host, a key file, a bucket of its own."""
    key = ensure_signing_key(tmp_path / "keys" / "checkpoint.pem")
    s3 = {**s3_settings, "bucket": f"audit-checkpoints-{uuid.uuid4().hex[:8]}"}
    return {"AMQP_URI": amqp_vhost("dossier_checkpoints"),
            "DATABASE_URL": store.read_engine.url.render_as_string(hide_password=False),
            "CHECKPOINTS": {"interval_seconds": 0, "signing_key": str(key), "S3": s3}}


@pytest.fixture
def checkpoints(store, settings):
    return Checkpoints.from_config(store, settings)


@pytest.fixture
def rpc(run_services, settings):
    register_platform_errors()
    run_services((DossierService, settings))
    with ClusterRpcProxy({"AMQP_URI": settings["AMQP_URI"]}, timeout=30) as proxy:
        yield proxy.dossier


def new_dossier(app):
    cast = Cast()
    dossier = app.create(cast.applicant, **cast.creation_fields())
    app.edit_section(dossier.id, cast.applicant, "update_basic_info", data=basic_info())
    app.edit_section(dossier.id, cast.applicant, "record_education", entries=education())
    return str(dossier.id), cast


def more_events(app, dossier_id, cast):
    app.edit_section(dossier_id, cast.applicant, "record_work_experience", entries=work_experience())
    app.edit_section(dossier_id, cast.applicant, "record_education", entries=education())
    app.edit_section(dossier_id, cast.applicant, "record_continuing_education", entries=[])


def rewrite(app, dossier_id, version, change):
    """The insider's attack: change the data of event *version* in place, then recompute its hash and
    the prev_hash and hash of every later event, and write them back, so the chain checks again."""
    table, transcoder = f"{app.name.lower()}_events", app.mapper.transcoder
    with app.read_engine.begin() as connection:
        rows = connection.execute(text(f"SELECT originator_version, topic, state FROM {table} WHERE originator_id = :id "
                                       "ORDER BY originator_version"), {"id": dossier_id}).all()
        previous = None
        for number, topic, raw in rows:
            state = transcoder.decode(bytes(raw))
            if number < version:
                previous = state["hash"]
                continue
            if number == version:
                change(state)
            state["prev_hash"] = previous
            body = {name: value for name, value in state.items() if name not in ("hash", "class_version")}
            state["hash"] = event_hash(topic=topic, originator_id=uuid.UUID(dossier_id), version=number,
                                       class_version=state.get("class_version", 1), state=body)
            previous = state["hash"]
            connection.execute(text(f"UPDATE {table} SET state = :state WHERE originator_id = :id "
                                    "AND originator_version = :v"),
                               {"state": transcoder.encode(state), "id": dossier_id, "v": number})


def forge_school(state):
    state["entries"] = [dict(entry, school="清华大学") for entry in state["entries"]]


class TestCheckpointsOfTheChainHeads:
    def test_an_untouched_dossier_verifies_against_its_checkpoint_and_none_is_made_without_change(
            self, store, checkpoints, rpc):
        dossier_id, _ = new_dossier(store)
        first = checkpoints.make()
        assert (first.sequence, first.document["tree_size"], first.document["previous"]) == (1, 1, None)
        assert checkpoints.make() is None  # the log did not grow

        report = rpc.verify(dossier_id)
        assert (report["ok"], report["first_bad_version"]) == (True, None)
        assert report["checkpoint"] == {"sequence": 1, "created_at": first.created_at, "version": 3, "ok": True}

        new_dossier(store)
        second = checkpoints.make()
        assert second.document["previous"]["root"] == first.document["root"]  # a chain of checkpoints
        assert second.document["tree_size"] == 2 and second.document["created_at"].endswith("Z")

    def test_a_history_rewritten_with_every_later_hash_recomputed_fails_against_the_checkpoints(
            self, store, checkpoints, rpc):
        target, cast = new_dossier(store)
        untouched, _ = new_dossier(store)
        checkpoints.make()  # signs the target at version 3
        more_events(store, target, cast)
        checkpoints.make()  # signs it at version 6

        rewrite(store, target, 4, lambda state: state.update(entries=[{**work_experience()[0], "employer": "伪造单位"}]))
        assert store.history(target)[3]["data"]["entries"][0]["employer"] == "伪造单位"
        assert store.verify(target)["ok"] is True  # the chain alone is fooled

        report = rpc.verify(target)
        assert (report["ok"], report["first_bad_version"], report["events"]) == (False, 4, 6)
        assert report["checkpoint"]["ok"] is False and report["checkpoint"]["version"] == 6
        assert "第 2 号签名检查点" in report["reason"] and "第 4 版至第 6 版" in report["reason"]
        assert rpc.verify(untouched)["ok"] is True

        # The next checkpoint will not sign the rewritten chain: it keeps the signed head, names the dossier.
        store.edit_section(target, cast.applicant, "record_education", entries=education())
        third = checkpoints.make()
        (refused,) = third.document["unverified"]
        assert refused["dossier_id"] == target and checkpoints.trusted_leaves(third).get(target)[0] == 6
        assert rpc.verify(target)["first_bad_version"] == 4

    def test_a_rewrite_before_the_first_checkpoint_was_missed_is_reported_from_version_one(
            self, store, checkpoints, rpc):
        target, cast = new_dossier(store)
        checkpoints.make()
        rewrite(store, target, 3, forge_school)
        report = rpc.verify(target)
        assert (report["ok"], report["first_bad_version"]) == (False, 1)  # no earlier checkpoint vouches

    def test_events_deleted_with_their_summary_are_found_missing_against_the_checkpoint(self, store, checkpoints, rpc):
        target, _ = new_dossier(store)
        checkpoints.make()
        with store.read_engine.begin() as connection:
            connection.execute(text(f"DELETE FROM {store.name.lower()}_events WHERE originator_id = :id"), {"id": target})
            connection.execute(text("DELETE FROM dossier_summary WHERE dossier_id = :id"), {"id": target})
        report = rpc.verify(target)
        assert (report["ok"], report["events"], report["first_bad_version"]) == (False, 0, 1)
        assert "事件被删除" in report["reason"]


class TestForgedCheckpoints:
    def test_a_checkpoint_signed_by_another_key_is_refused(self, store, checkpoints, rpc, settings):
        dossier_id, _ = new_dossier(store)
        genuine = checkpoints.make()
        # The forger can write the bucket and copies the real key id, but signs with a key of their own.
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        forged = sign(Ed25519PrivateKey.generate(), dict(genuine.document, sequence=2, log_position=10 ** 6))
        forged["key_id"] = genuine.document["key_id"]
        bucket = CheckpointStore.from_config(settings["CHECKPOINTS"]["S3"])
        bucket.put(checkpoint_key(2), encode(forged))
        bucket.put(LATEST, encode(forged))

        report = rpc.verify(dossier_id)
        assert report["ok"] is False and report["checkpoint"]["sequence"] == 2
        assert report["checkpoint"]["ok"] is False and "签名无效" in report["reason"]
        with pytest.raises(CheckpointDamaged, match="签名无效"):
            checkpoints.make()  # never chained onto
        assert rpc.latest_checkpoint(AUDITOR)["signature_ok"] is False


class TestTheAuditorsExport:
    def test_the_export_checks_offline_and_a_forgery_of_it_does_not(self, store, checkpoints, rpc, tmp_path, settings):
        dossier_id, _ = new_dossier(store)
        new_dossier(store)
        new_dossier(store)
        checkpoints.make()
        export = rpc.checkpoint_proof(AUDITOR, dossier_id)
        assert export["proof"]["tree_size"] == 3 and export["proof"]["leaf"]["version"] == 3
        published = tmp_path / "public.pem"
        published.write_text(public_key_pem(load_signing_key(settings["CHECKPOINTS"]["signing_key"]).public_key()))
        assert export["public_key"] == published.read_text()

        def offline(checkpoint, proof, *extra):
            (tmp_path / "checkpoint.json").write_text(json.dumps(checkpoint, ensure_ascii=False))
            (tmp_path / "proof.json").write_text(json.dumps(proof))
            return verify_offline([str(tmp_path / "checkpoint.json"), str(tmp_path / "proof.json"), str(published),
                                   *extra])

        history = tmp_path / "history.json"
        history.write_text(json.dumps({"items": store.history(dossier_id)}, ensure_ascii=False, default=str))
        assert offline(export["checkpoint"], export["proof"], "--history", str(history)) == 0

        signature = bytearray(base64.b64decode(export["checkpoint"]["signature"]))
        signature[0] ^= 1
        assert offline(dict(export["checkpoint"], signature=base64.b64encode(bytes(signature)).decode()),
                       export["proof"]) == 1
        assert offline(dict(export["checkpoint"], root="00" * 32), export["proof"]) == 1
        other_head = copy.deepcopy(export["proof"])
        other_head["leaf"]["head_hash"] = "ab" * 32
        assert offline(export["checkpoint"], other_head) == 1

        rewrite(store, dossier_id, 2, lambda state: state["data"].update(phone="13900000000"))
        history.write_text(json.dumps({"items": store.history(dossier_id)}, ensure_ascii=False, default=str))
        assert offline(export["checkpoint"], export["proof"], "--history", str(history)) == 1

    def test_only_auditors_and_the_city_office_may_export(self, store, checkpoints, rpc):
        dossier_id, cast = new_dossier(store)
        checkpoints.make()
        with pytest.raises(ActorNotAllowedError):
            rpc.checkpoint_proof(cast.applicant.to_dict(), dossier_id)


def test_the_service_timer_makes_checkpoints_when_the_log_grew(store, run_services, settings):
    settings = copy.deepcopy(settings)
    settings["CHECKPOINTS"]["interval_seconds"] = 0.3
    new_dossier(store)
    run_services((DossierService, settings))
    bucket = CheckpointStore.from_config(settings["CHECKPOINTS"]["S3"])
    wait_until(lambda: bucket.latest_bytes(), seconds=20, what="the timer's first checkpoint")
    assert json.loads(bucket.latest_bytes())["sequence"] == 1


def test_an_unreachable_checkpoint_store_leaves_verify_to_the_chain_and_says_so(store, run_services, settings):
    from tests.conftest import _free_port

    settings = copy.deepcopy(settings)
    settings["CHECKPOINTS"]["S3"].update(endpoint=f"127.0.0.1:{_free_port()}", timeout_seconds=1)
    dossier_id, _ = new_dossier(store)
    register_platform_errors()
    run_services((DossierService, settings))
    with ClusterRpcProxy({"AMQP_URI": settings["AMQP_URI"]}, timeout=30) as proxy:
        report = proxy.dossier.verify(dossier_id)
    assert (report["ok"], report["first_bad_version"]) == (True, None)
    assert report["checkpoint"]["ok"] is None and "无法访问" in report["checkpoint"]["reason"]
