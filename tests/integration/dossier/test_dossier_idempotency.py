"""Exactly once in effect, on real RabbitMQ and PostgreSQL: a request carrying an idempotency key is
recorded once however often it arrives — replayed on the wire, sent twice at once, or redelivered by
RabbitMQ after the instance that saved it was killed before it could answer."""
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import eventlet
import pytest
import yaml
from kombu import Connection, Exchange, Queue
from nameko.standalone.rpc import ClusterRpcProxy

from services.dossier.exceptions import StaleVersionError
from services.dossier.service import DossierService
from shared.idempotency import IDEMPOTENCY_KEY, IdempotencyKeyReused
from shared.rpc import register_platform_errors
from tests.factories import Cast, fill_eligible

register_platform_errors()
ROOT = Path(__file__).resolve().parents[3]


def new_key():
    return f"test-{uuid.uuid4()}"


def filled(dossiers, submitted=False):
    cast = Cast()
    dossier = dossiers.create(cast.applicant, **cast.creation_fields())
    loaded = dossiers.load(dossier.id)
    fill_eligible(loaded, cast)
    dossiers.save(loaded)
    if submitted:
        dossiers.submit(loaded.id, cast.applicant)
    return str(loaded.id), cast


def achievement(title):
    return {"kind": "论文", "title": title, "date": "2024-06-01"}


def event_types(dossiers, dossier_id):
    return [entry["type"] for entry in dossiers.history(dossier_id)]


@pytest.fixture
def service(run_services, dossier_config):
    run_services((DossierService, dossier_config))
    return dossier_config


def keyed_proxy(config, key):
    return ClusterRpcProxy({"AMQP_URI": config["AMQP_URI"]}, timeout=30, context_data={IDEMPOTENCY_KEY: key})


def replay(amqp_uri, routing_key, args, headers, times=2, timeout=30):
    """Publish the very same RPC request message *times* times; the replies, in order."""
    exchange = Exchange("nameko-rpc", type="topic", durable=True)
    reply_key = f"test-replay-{uuid.uuid4().hex}"
    queue = Queue(reply_key, exchange=exchange, routing_key=reply_key, auto_delete=True)
    body = json.dumps({"args": args, "kwargs": {}})
    replies = []
    with Connection(amqp_uri) as connection:
        with connection.SimpleQueue(queue) as simple:
            producer = connection.Producer()
            for number in range(times):
                producer.publish(body, exchange=exchange, routing_key=routing_key, reply_to=reply_key,
                                 correlation_id=f"replay-{number}", headers=headers,
                                 content_type="application/json", content_encoding="utf-8")
                message = simple.get(block=True, timeout=timeout)
                replies.append(message.payload)
                message.ack()
    return replies


class TestReplayedRequests:
    def test_the_same_rpc_message_twice_records_one_event_and_answers_the_first_result(self, service, dossiers):
        dossier_id, cast = filled(dossiers)
        before = event_types(dossiers, dossier_id)
        headers = {"nameko.idempotency_key": new_key(), "nameko.correlation_id": "replay-correlation-01"}
        first, second = replay(service["AMQP_URI"], "dossier.add_achievement",
                               [cast.applicant.to_dict(), dossier_id, achievement("重复送达的成果")], headers)
        assert first["error"] is None and second["error"] is None, (first, second)
        assert second["result"] == first["result"]
        assert event_types(dossiers, dossier_id) == [*before, "achievement_added"]

    def test_a_keyed_creation_sent_twice_opens_one_dossier(self, service, dossiers):
        cast, key = Cast(), new_key()
        with keyed_proxy(service, key) as proxy:
            first = proxy.dossier.create(cast.applicant.to_dict(), cast.creation_fields())
            second = proxy.dossier.create(cast.applicant.to_dict(), cast.creation_fields())
        assert second == first
        mine = dossiers.list(filters={"applicant_id": cast.applicant.account_id})
        assert [item["dossier_id"] for item in mine["items"]] == [first["id"]]

    def test_a_repeated_decision_answers_the_first_instead_of_a_conflict(self, service, dossiers):
        dossier_id, cast = filled(dossiers, submitted=True)
        version = dossiers.load(dossier_id).version
        decision = {"action": "approve", "opinion": "同意推荐", "expected_version": version}
        with keyed_proxy(service, new_key()) as proxy:
            first = proxy.dossier.decide(cast.unit_admin.to_dict(), dossier_id, decision)
            second = proxy.dossier.decide(cast.unit_admin.to_dict(), dossier_id, decision)
        assert second == first and first["status"] == "unit_approved"
        assert event_types(dossiers, dossier_id).count("unit_approved") == 1

    def test_twins_arriving_at_once_at_two_instances_record_once(self, run_services, dossier_config, dossiers):
        run_services((DossierService, dossier_config), (DossierService, dossier_config))
        dossier_id, cast = filled(dossiers)
        before = event_types(dossiers, dossier_id)
        with keyed_proxy(dossier_config, new_key()) as proxy:
            replies = [proxy.dossier.add_achievement.call_async(cast.applicant.to_dict(), dossier_id,
                                                                achievement("同时到达")) for _ in range(6)]
            answers = [reply.result() for reply in replies]
        assert len({answer["achievement_id"] for answer in answers}) == 1
        assert event_types(dossiers, dossier_id) == [*before, "achievement_added"]

    def test_a_key_reused_for_another_dossier_or_command_is_refused(self, service, dossiers):
        first_id, cast = filled(dossiers)
        other_id, other_cast = filled(dossiers)
        other_before = event_types(dossiers, other_id)
        key = new_key()
        with keyed_proxy(service, key) as proxy:
            proxy.dossier.add_achievement(cast.applicant.to_dict(), first_id, achievement("第一次"))
            with pytest.raises(IdempotencyKeyReused) as raised:
                proxy.dossier.add_achievement(other_cast.applicant.to_dict(), other_id, achievement("另一件"))
            assert "已用于另一项操作" in raised.value.message and raised.value.http_status == 409
            with pytest.raises(IdempotencyKeyReused):
                proxy.dossier.update_section(cast.applicant.to_dict(), first_id, "review_form",
                                             {"work_summary": "改写", "main_achievements": "改写"})
        assert event_types(dossiers, other_id) == other_before

    def test_a_keyed_batch_sent_twice_moves_each_dossier_once_under_one_batch(self, service, dossiers):
        ids, cast = [], Cast()
        for _ in range(2):
            dossier = dossiers.create(cast.applicant, **cast.creation_fields())
            loaded = dossiers.load(dossier.id)
            fill_eligible(loaded, cast)
            dossiers.save(loaded)
            dossiers.submit(loaded.id, cast.applicant)
            dossiers.approve(loaded.id, cast.unit_admin, opinion="同意")
            dossiers.record_unit_publicity(loaded.id, cast.unit_admin, start="2026-01-05", end="2026-01-09")
            ids.append(str(loaded.id))
        request = {"dossier_ids": ids, "today": "2026-01-12"}
        with keyed_proxy(service, new_key()) as proxy:
            first = proxy.dossier.recommend_batch(cast.unit_admin.to_dict(), request)
            second = proxy.dossier.recommend_batch(cast.unit_admin.to_dict(), request)
        assert first["saved"] and second == first
        for dossier_id in ids:
            assert event_types(dossiers, dossier_id).count("recommended") == 1
            assert dossiers.get(dossier_id)["batch_id"] == first["batch_id"]


class TestStaleDecisions:
    def test_a_decision_on_a_version_that_moved_is_refused_naming_who_moved_it(self, service, dossiers):
        dossier_id, cast = filled(dossiers, submitted=True)
        seen = dossiers.load(dossier_id).version
        with ClusterRpcProxy({"AMQP_URI": service["AMQP_URI"]}, timeout=30) as proxy:
            proxy.dossier.decide(cast.unit_admin.to_dict(), dossier_id,
                                 {"action": "approve", "opinion": "同意", "expected_version": seen})
            with pytest.raises(StaleVersionError) as raised:
                proxy.dossier.decide(cast.unit_admin.to_dict(), dossier_id, {
                    "action": "return", "reason": "材料不清", "sections": ["materials"], "expected_version": seen})
        message = raised.value.message
        assert raised.value.http_status == 409
        assert f"第 {seen} 版" in message and "「单位审核通过」" in message and "单位管理员" in message
        assert cast.unit_admin.account_id in message and "未记录" in message
        assert event_types(dossiers, dossier_id)[-1] == "unit_approved"

    def test_a_decision_without_the_version_it_was_made_on_is_refused_in_chinese(self, service, dossiers):
        dossier_id, cast = filled(dossiers, submitted=True)
        from shared.errors import ValidationFailed

        with ClusterRpcProxy({"AMQP_URI": service["AMQP_URI"]}, timeout=30) as proxy:
            with pytest.raises(ValidationFailed) as raised:
                proxy.dossier.decide(cast.unit_admin.to_dict(), dossier_id, {"action": "approve", "opinion": "同意"})
        assert "版本号" in raised.value.fields["expected_version"][0]
        assert event_types(dossiers, dossier_id)[-1] == "submitted"


# -- a dossier instance killed between save and acknowledgement ------------------------------------


def consumers_of(amqp_uri, queue_name):
    with Connection(amqp_uri) as connection:
        try:
            return connection.default_channel.queue_declare(queue=queue_name, passive=True).consumer_count
        except Exception:  # not declared yet
            return 0


@pytest.fixture
def crash_config(database_url, amqp_vhost, dossier_config, tmp_path):
    """A vhost of its own (no other dossier instance may take the request first) on the dossier database."""
    config = {"AMQP_URI": amqp_vhost("dossier_crash"), "DATABASE_URL": dossier_config["DATABASE_URL"],
              "max_workers": 4}
    path = tmp_path / "dying.yaml"
    path.write_text(yaml.safe_dump(config))
    return config, str(path)


def start_dying_instance(config_path):
    environment = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([str(Path(sys.executable).with_name("nameko")), "run", "--config", config_path,
                             "tests.integration.dossier.crashing_dossier:DyingDossierService"],
                            cwd=str(ROOT), env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.mark.parametrize("command", ["add_achievement", "decide"])
def test_a_request_redelivered_after_its_instance_died_between_save_and_ack_is_recorded_once(
        command, crash_config, run_services, dossiers):
    config, path = crash_config
    dossier_id, cast = filled(dossiers, submitted=command == "decide")
    before = event_types(dossiers, dossier_id)
    if command == "decide":
        args = (cast.unit_admin.to_dict(), dossier_id,
                {"action": "approve", "opinion": "同意", "expected_version": len(before)})
        recorded = "unit_approved"
    else:
        args, recorded = (cast.applicant.to_dict(), dossier_id, achievement("保存后实例被杀")), "achievement_added"
    dying = start_dying_instance(path)
    try:
        deadline = time.monotonic() + 60
        while consumers_of(config["AMQP_URI"], "rpc-dossier") < 1:
            assert dying.poll() is None, dying.stderr.read().decode(errors="replace")
            assert time.monotonic() < deadline, "the dying instance never started consuming"
            eventlet.sleep(0.2)
        with keyed_proxy(config, new_key()) as proxy:
            reply = getattr(proxy.dossier, command).call_async(*args)
            assert dying.wait(timeout=60) == -signal.SIGKILL  # it saved, then died without answering
            assert event_types(dossiers, dossier_id) == [*before, recorded]
            run_services((DossierService, config))  # RabbitMQ hands the unacknowledged request to it
            with eventlet.Timeout(60):
                answer = reply.result()
    finally:
        if dying.poll() is None:
            dying.kill()
            print(dying.communicate()[1].decode(errors="replace")[-5000:])
    assert event_types(dossiers, dossier_id) == [*before, recorded]  # 0 duplicates
    dossier = answer["dossier"] if command == "add_achievement" else answer
    assert dossier["version"] == len(before) + 1
