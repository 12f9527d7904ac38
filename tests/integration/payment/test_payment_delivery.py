"""The simulator delivers notifications over HTTP exactly as signed (headers and body untouched),
and re-sends whatever the merchant did not accept."""
import http.server
import threading

import pytest

from shared.contracts import dossier as st
from services.payment.signatures import verify_signed
from services.payment.simulator import HttpDelivery, deliver_due
from shared.errors import PlatformError
from shared.tokens import key_id
from tests.integration.payment.dossier_journey import dossier_in, wait_for


class Merchant(http.server.BaseHTTPRequestHandler):
    """A notify route that records what it got and answers with a configurable status."""

    received = []
    status = 200

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8")
        Merchant.received.append((dict(self.headers), body))
        self.send_response(Merchant.status)
        self.end_headers()

    def log_message(self, *_):
        pass


@pytest.fixture
def notify_url():
    server = http.server.HTTPServer(("127.0.0.1", 0), Merchant)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Merchant.received, Merchant.status = [], 200
    yield f"http://127.0.0.1:{server.server_address[1]}/api/v1/payments/notify/simulator"
    server.shutdown()
    server.server_close()


def test_a_posted_notification_still_verifies_at_the_merchant(simulator, notify_url):
    signed = simulator.sign({"notification_id": "n-http", "event_type": "payment.succeeded"})
    assert HttpDelivery(notify_url)(signed) is True
    (headers, body), = Merchant.received
    keys = {key_id(simulator.public_key): simulator.public_key}
    assert body == signed.body and verify_signed(keys, headers, body)[1] == signed.headers["X-Paysim-Nonce"]


def test_a_refused_or_unreachable_delivery_is_not_acknowledged(simulator, notify_url):
    Merchant.status = 400
    signed = simulator.sign({"notification_id": "n-http-2"})
    assert HttpDelivery(notify_url)(signed) is False
    assert HttpDelivery("http://127.0.0.1:9/nowhere", timeout=2)(signed) is False


def test_unacknowledged_notifications_are_sent_again_until_accepted(services, simulator, dossiers):
    dossier_id, cast = dossier_in(dossiers, st.ACCEPTED)
    (order,) = wait_for(lambda: services.payment.orders_of_dossier(dossier_id))
    started = services.payment.start_payment(cast.applicant.to_dict(), order["order_id"])
    services.payment.cashier_confirm(started["payment"]["payment_id"])  # the gateway never forwarded it
    ours = []

    def deliver_refusing_the_first_of_ours(signed):
        if order["order_id"] in signed.body:
            ours.append(signed)
            if len(ours) == 1:
                return False  # the merchant was down
        try:  # other tests' payments are in the simulator's books too; the merchant may refuse those
            return services.payment.handle_notification("simulator", signed.headers, signed.body)["accepted"]
        except PlatformError:
            return False

    for _ in range(2):
        deliver_due(simulator, deliver_refusing_the_first_of_ours, refund_delay_seconds=3600, redeliver_after_seconds=0)
    assert services.payment.get_order(order["order_id"])["status"] == "paid"
    assert len(ours) == 2 and ours[0].headers["X-Paysim-Nonce"] != ours[1].headers["X-Paysim-Nonce"]
    assert all(order["order_id"] not in note.body for note in simulator.unacknowledged())
