"""The idempotency key at the edge and inside a worker: what a client may send, what a request's
fingerprint covers, and how one request's key is derived for each of its writes."""
import uuid
from types import SimpleNamespace

import pytest
from nameko.events import EventHandler
from nameko.rpc import Rpc

from shared import idempotency as keys
from shared.errors import ValidationFailed


def worker(entrypoint_class=Rpc, **data):
    return SimpleNamespace(entrypoint=entrypoint_class.__new__(entrypoint_class), data=dict(data))


@pytest.fixture
def in_worker():
    """Run a block as a worker of a service with the IdempotencyKey dependency (set up, then torn down)."""
    provider = keys.IdempotencyKey()
    started = []

    def enter(worker_ctx):
        provider.worker_setup(worker_ctx)
        started.append(worker_ctx)
        return worker_ctx

    yield enter
    for worker_ctx in started:
        provider.worker_teardown(worker_ctx)


class TestTheClientsKey:
    def test_a_uuid_is_a_good_key(self):
        key = str(uuid.uuid4())
        assert keys.check_client_key(f"  {key} ") == key

    @pytest.mark.parametrize("bad", ["short", "x" * 129, "审核决定-0123456789abcdef", "abc\x00def0123456789",
                                     "line\nbreak-0123456789", ""])
    def test_other_keys_get_a_chinese_field_error(self, bad):
        with pytest.raises(ValidationFailed) as raised:
            keys.check_client_key(bad)
        (message,) = raised.value.fields["Idempotency-Key"]
        assert "可打印 ASCII" in message and "16–128" in message


class TestFingerprints:
    def test_json_bodies_are_compared_by_content_not_by_key_order(self):
        first = keys.request_fingerprint("POST", "/api/v1/x", b'{"a": 1, "b": [1, 2]}')
        assert keys.request_fingerprint("POST", "/api/v1/x", b'{"b":[1,2],"a":1}') == first

    def test_another_body_path_or_method_is_another_request(self):
        first = keys.request_fingerprint("POST", "/api/v1/x", b'{"action": "approve"}')
        assert keys.request_fingerprint("POST", "/api/v1/x", b'{"action": "return"}') != first
        assert keys.request_fingerprint("POST", "/api/v1/y", b'{"action": "approve"}') != first
        assert keys.request_fingerprint("PUT", "/api/v1/x", b'{"action": "approve"}') != first


class TestInsideAWorker:
    def test_an_rpc_worker_makes_the_requests_key_current(self, in_worker):
        in_worker(worker(**{keys.IDEMPOTENCY_KEY: "k" * 20, keys.REQUEST_FINGERPRINT: "f" * 64}))
        keyed = keys.KeyedCommand.current("approve", "dossier-1", "reviewer-1")
        assert keyed == keys.KeyedCommand("k" * 20, "approve", "dossier-1", "reviewer-1", "f" * 64)

    def test_without_a_key_there_is_nothing_to_store(self, in_worker):
        in_worker(worker())
        assert keys.KeyedCommand.current("approve", "dossier-1") is None
        assert keys.keyed_id("batch") != keys.keyed_id("batch")  # fresh ids

    def test_an_event_handler_drops_the_key_an_event_carried(self, in_worker):
        worker_ctx = in_worker(worker(EventHandler, **{keys.IDEMPOTENCY_KEY: "k" * 20}))
        assert keys.IDEMPOTENCY_KEY not in worker_ctx.data and keys.current_key() is None

    def test_ids_made_under_a_key_are_the_same_on_every_redelivery(self, in_worker):
        in_worker(worker(**{keys.IDEMPOTENCY_KEY: "k" * 20}))
        assert keys.keyed_id("batch") == keys.keyed_id("batch") != keys.keyed_id("meeting")

    def test_each_write_of_a_fan_out_gets_its_own_derived_key(self, in_worker):
        worker_ctx = in_worker(worker(**{keys.IDEMPOTENCY_KEY: "k" * 20}))
        with keys.derived_key("start_review", "dossier-1"):
            assert worker_ctx.data[keys.IDEMPOTENCY_KEY] == f"{'k' * 20}/start_review/dossier-1"
        assert worker_ctx.data[keys.IDEMPOTENCY_KEY] == "k" * 20

    def test_a_reused_key_is_a_409(self):
        assert keys.IdempotencyKeyReused("x").http_status == 409


def test_a_hostile_body_is_fingerprinted_as_it_came_never_parsed_to_the_end():
    nested = b"[" * 100_000 + b"]" * 100_000
    assert keys.request_fingerprint("POST", "/api/v1/x", nested) == keys.request_fingerprint("POST", "/api/v1/x", nested)
