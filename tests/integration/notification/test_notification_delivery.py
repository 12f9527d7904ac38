"""SMS delivery: held in the quiet hours and sent at 08:00 Beijing (codes at once, at any hour);
through the HTTP sender against a local SMS gateway that fails and then succeeds, with back-off;
a delivery that keeps failing is ``failed`` in health and deliveries until a city admin retries it;
no log line shows a full phone number."""
import json
import logging
import threading
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from shared.contracts import dossier as st
from shared.contracts.notification import FAILED, HELD, PENDING, SENT
from shared.contracts.notification_errors import DeliveryNotRetryableError, NotificationNotAllowedError
from tests.integration.notification.notification_support import TODAY, dossier_event, new_phone, snapshot
from tests.waiting import wait_until

CITY = {"account_id": "city-1", "role": "city_admin", "org_id": None}


def one_sms(system, person):
    wait_until(lambda: system.sms_of(account_id=person["account_id"]), what="the SMS row")
    (delivery,) = system.sms_of(account_id=person["account_id"])
    return delivery


class TestQuietHours:
    def test_an_sms_queued_at_night_is_held_and_sent_at_eight_beijing(self, system, people, caplog):
        system.clock.at(23, 30)
        try:
            me = people.person()
            system.publish(dossier_event("fee_paid", str(uuid.uuid4()), 8, st.FEE_PAID, snapshot(me, people.unit()),
                                         {"order_id": "o", "amount_fen": 16000}))
            held = one_sms(system, me)
            assert held["status"] == HELD
            assert held["next_attempt_at"].isoformat() == f"{TODAY + timedelta(days=1)}T00:00:00+00:00"  # 08:00 Beijing
            assert len(system.messages_of(me["account_id"])) == 1  # in-app at once

            caplog.set_level(logging.INFO)
            system.app.worker.deliver_due()
            system.clock.at(7, 59, day=TODAY + timedelta(days=1))
            system.app.worker.deliver_due()
            assert system.sms_of(account_id=me["account_id"])[0]["status"] == HELD
            system.clock.at(8, 0, day=TODAY + timedelta(days=1))
            system.app.worker.deliver_due()
            (sent,) = system.sms_of(account_id=me["account_id"])
            assert sent["status"] == SENT and sent["attempts"] == 1
            assert me["phone"] not in caplog.text and f"{me['phone'][:3]}****{me['phone'][-4:]}" in caplog.text
        finally:
            system.clock.at(10)

    def test_a_retry_that_falls_in_the_night_waits_for_the_morning_too(self, system, people):
        me = people.person()
        system.publish(dossier_event("publicity_ended", str(uuid.uuid4()), 13, st.APPROVED,
                                     snapshot(me, people.unit()), {}))
        assert one_sms(system, me)["status"] == PENDING
        system.clock.at(22, 0)
        try:
            system.app.worker.deliver_due()
            (held,) = system.sms_of(account_id=me["account_id"])
            assert held["status"] == HELD and held["attempts"] == 0
        finally:
            system.clock.at(10)

    def test_a_code_is_sent_at_once_even_at_night_and_once_per_reference(self, system):
        system.clock.at(2, 15)
        try:
            phone, reference = new_phone(), str(uuid.uuid4())
            request = {"phone": phone, "template": "password_reset_code", "params": {"code": "428913", "minutes": "10"},
                       "reference": reference}
            with system.rpc() as rpc:
                first = rpc.notification.send_code(request)
                again = rpc.notification.send_code(request)
                assert first == again
                wait_until(lambda: system.sms_of(phone=phone)[0]["status"] == SENT, what="the code sent")
                outbox = rpc.notification.outbox({"phone": phone})["items"]
            assert len(outbox) == 1 and "428913" in outbox[0]["body"] and outbox[0]["body"].startswith("【昆明人社】")
        finally:
            system.clock.at(10)

    def test_a_password_change_notice_at_night_waits_for_the_morning(self, system):
        system.clock.at(23, 40)
        try:
            phone = new_phone()
            request = {"phone": phone, "template": "password_changed", "params": {"time": "2026-12-03 23:40（北京时间）"},
                       "reference": str(uuid.uuid4())}
            with system.rpc() as rpc:
                rpc.notification.send_code(request)
            system.app.worker.deliver_due()
            (held,) = system.sms_of(phone=phone)
            assert held["status"] == HELD and held["attempts"] == 0
            system.clock.travel(hours=8, minutes=21)  # 08:01 the next morning
            system.app.worker.deliver_due()
            assert system.sms_of(phone=phone)[0]["status"] == SENT
        finally:
            system.clock.at(10)


class Gateway:
    """A local SMS gateway: answers 500 to the first *failures* posts, then 200; keeps what it got."""

    def __init__(self, failures=0):
        self.failures, self.received = failures, []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                gateway.received.append({"body": body, "authorization": self.headers.get("Authorization")})
                failing = len(gateway.received) <= gateway.failures
                self.send_response(500 if failing else 200)
                self.end_headers()
                self.wfile.write(f"gateway busy for {body['phone']}".encode() if failing else b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway():
    served = Gateway()
    yield served
    served.close()


def http_system(make_system, gateway, name, max_attempts):
    return make_system(name, SMS={"SENDER": "http", "HTTP_URL": gateway.url, "HTTP_TOKEN": "secret-token",
                                  "HTTP_TIMEOUT_SECONDS": 2},
                       DELIVERY={"interval_seconds": 0.1, "retry_base_seconds": 0.3, "retry_cap_seconds": 1,
                                 "max_attempts": max_attempts})


class TestHttpSender:
    def test_a_failing_gateway_is_retried_with_back_off_until_it_takes_the_sms(self, make_system, gateway, people,
                                                                               caplog):
        caplog.set_level(logging.INFO)
        gateway.failures = 2
        system = http_system(make_system, gateway, "notification_http_backoff", max_attempts=5)
        me = people.person()
        system.publish(dossier_event("sent_to_committee", str(uuid.uuid4()), 9, st.SENT_TO_COMMITTEE,
                                     snapshot(me, people.unit()), {}))
        wait_until(lambda: [d["status"] for d in system.sms_of(account_id=me["account_id"])] == [SENT], seconds=20,
                   what="the SMS sent on the third attempt")
        (sent,) = system.sms_of(account_id=me["account_id"])
        assert sent["attempts"] == 3 and sent["last_error"] is None
        assert len(gateway.received) == 3
        post = gateway.received[-1]
        assert post["authorization"] == "Bearer secret-token"
        assert post["body"]["phone"] == me["phone"] and post["body"]["template"] == "sent_to_review"
        assert post["body"]["text"] == sent["body"] and set(post["body"]["params"]) >= {"subject", "link"}
        # Back-off: the second wait is longer than the first (0.3 s, then 0.6 s), counted on the service's clock.
        assert sent["sent_at"] - sent["created_at"] >= timedelta(seconds=0.9)
        # The gateway's error echoed the number; no log line repeats it.
        assert "HTTP 500" in caplog.text and me["phone"] not in caplog.text

    def test_a_delivery_that_keeps_failing_shows_in_health_and_deliveries_and_a_city_admin_retries_it(
            self, make_system, gateway, people):
        gateway.failures = 10 ** 6
        system = http_system(make_system, gateway, "notification_http_failing", max_attempts=2)
        me = people.person()
        system.publish(dossier_event("publicity_ended", str(uuid.uuid4()), 13, st.APPROVED,
                                     snapshot(me, people.unit()), {}))
        wait_until(lambda: [d["status"] for d in system.sms_of(account_id=me["account_id"])] == [FAILED],
                   seconds=20, what="the SMS given up")
        with system.rpc() as rpc:
            health = rpc.notification.health()
            assert health["status"] == "degraded" and health["backlog"]["failed"] == 1
            assert "HTTP 500" in health["last_send_error"] and me["phone"] not in health["last_send_error"]
            assert health["sender"] == "http"
            (failed,) = rpc.notification.deliveries(CITY, {"status": FAILED})["items"]
            assert failed["attempts"] == 2 and failed["recipient_masked"] == f"{me['phone'][:3]}****{me['phone'][-4:]}"
            assert me["phone"] not in str(failed)
            with pytest.raises(NotificationNotAllowedError):
                rpc.notification.retry_delivery({**CITY, "role": "auditor"}, {"delivery_id": failed["delivery_id"]})

            gateway.failures = 0
            retried = rpc.notification.retry_delivery(CITY, {"delivery_id": failed["delivery_id"]})
            assert retried["status"] == PENDING and retried["attempts"] == 0
            wait_until(lambda: system.sms_of(account_id=me["account_id"])[0]["status"] == SENT, seconds=20,
                       what="the retried SMS sent")
            with pytest.raises(DeliveryNotRetryableError):
                rpc.notification.retry_delivery(CITY, {"delivery_id": failed["delivery_id"]})
            after = rpc.notification.health()
        assert after["backlog"] == {"pending": 0, "held": 0, "failed": 0} and after["status"] == "ok"
