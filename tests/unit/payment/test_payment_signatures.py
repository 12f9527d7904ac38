"""Signed notifications: Ed25519 over timestamp, nonce and body; any change makes them fail."""
import json
from datetime import datetime, timezone

import pytest

from services.payment.exceptions import BadSignatureError, MalformedNotificationError
from services.payment.provider import PAYMENT_NOTIFICATION, REFUND_NOTIFICATION
from services.payment.signatures import (
    KEY_ID_HEADER, NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, key_from_seed, sign, verify_signed,
)
from services.payment.simulator_adapter import parse_notification
from shared.clock import utc_now
from shared.tokens import key_id

KEY = key_from_seed("unit-test-seed")
KEYS = {key_id(KEY.public_key()): KEY.public_key()}
BODY = json.dumps({"notification_id": "n-1", "event_type": "payment.succeeded", "merchant_order_id": "PO1",
                   "trade_no": "T1", "amount_fen": 16000, "currency": "CNY",
                   "succeeded_at": "2026-03-01T10:00:00+00:00"}, separators=(",", ":"))
MOMENT = int(datetime(2026, 3, 1, 10, tzinfo=timezone.utc).timestamp())


def signed(body=BODY, key=KEY, timestamp=MOMENT, nonce="a" * 32):
    return sign(key, body, timestamp=timestamp, nonce=nonce)


class TestVerification:
    def test_a_signed_notification_verifies_and_tells_when_it_was_signed(self):
        note = signed()
        signed_at, nonce = verify_signed(KEYS, note.headers, note.body)
        assert signed_at == datetime(2026, 3, 1, 10, tzinfo=timezone.utc) and nonce == "a" * 32

    def test_the_same_seed_gives_the_same_key_in_every_process(self):
        assert key_id(key_from_seed("unit-test-seed").public_key()) == key_id(KEY.public_key())
        assert key_id(key_from_seed("other").public_key()) != key_id(KEY.public_key())

    def test_header_names_are_matched_whatever_their_case(self):
        note = signed()
        lowered = {name.lower(): value for name, value in note.headers.items()}
        upper = {name.upper(): value for name, value in note.headers.items()}
        assert verify_signed(KEYS, lowered, note.body) == verify_signed(KEYS, upper, note.body)

    def test_a_changed_body_fails(self):
        note = signed()
        with pytest.raises(BadSignatureError):
            verify_signed(KEYS, note.headers, note.body.replace("16000", "1"))

    @pytest.mark.parametrize("header, value", [(TIMESTAMP_HEADER, str(MOMENT + 1)), (NONCE_HEADER, "b" * 32)])
    def test_a_changed_timestamp_or_nonce_fails(self, header, value):
        note = signed()
        with pytest.raises(BadSignatureError):
            verify_signed(KEYS, dict(note.headers, **{header: value}), note.body)

    def test_a_signature_by_another_key_fails_even_under_our_key_id(self):
        forged = signed(key=key_from_seed("attacker"))
        with pytest.raises(BadSignatureError):
            verify_signed(KEYS, forged.headers, forged.body)
        with pytest.raises(BadSignatureError):
            verify_signed(KEYS, dict(forged.headers, **{KEY_ID_HEADER: next(iter(KEYS))}), forged.body)

    @pytest.mark.parametrize("missing", [TIMESTAMP_HEADER, NONCE_HEADER, KEY_ID_HEADER, SIGNATURE_HEADER])
    def test_a_missing_header_fails(self, missing):
        note = signed()
        headers = {name: value for name, value in note.headers.items() if name != missing}
        with pytest.raises(BadSignatureError):
            verify_signed(KEYS, headers, note.body)

    def test_garbage_in_the_signature_header_fails_cleanly(self):
        note = signed()
        with pytest.raises(BadSignatureError):
            verify_signed(KEYS, dict(note.headers, **{SIGNATURE_HEADER: "not base64!"}), note.body)


class TestParsing:
    def parse(self, **changes):
        data = dict(json.loads(BODY), **changes)
        return parse_notification("simulator", json.dumps(data), utc_now(), "n" * 32)

    def test_a_payment_notification_becomes_a_notification(self):
        note = self.parse()
        assert (note.kind, note.order_id, note.amount_fen, note.trade_no) == (PAYMENT_NOTIFICATION, "PO1", 16000, "T1")

    def test_a_refund_notification_needs_the_refund_id(self):
        assert self.parse(event_type="refund.succeeded", refund_id="RF1").kind == REFUND_NOTIFICATION
        with pytest.raises(MalformedNotificationError):
            self.parse(event_type="refund.succeeded")

    @pytest.mark.parametrize("changes", [
        {"amount_fen": "16000"}, {"amount_fen": 160.0}, {"amount_fen": -1}, {"currency": "USD"},
        {"event_type": "payment.maybe"}, {"merchant_order_id": ""}, {"succeeded_at": "yesterday"},
        {"succeeded_at": "2026-03-01T10:00:00"},
    ])
    def test_anything_unexpected_is_malformed(self, changes):
        with pytest.raises(MalformedNotificationError):
            self.parse(**changes)

    def test_a_body_that_is_not_json_is_malformed(self):
        with pytest.raises(MalformedNotificationError):
            parse_notification("simulator", "amount=1", utc_now(), "n" * 32)
