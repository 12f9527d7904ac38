"""Provider notifications end to end: the applicant pays at the simulator's cashier, the signed
notification reaches ``payment.handle_notification`` as the gateway will forward it, and the dossier
records fee_paid. Duplicates, reordering, bad signatures, wrong amounts and replays change nothing."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from shared.contracts import dossier as st
from services.payment.exceptions import (
    BadSignatureError, NotificationMismatchError, ReplayedNotificationError, SimulatorPaymentClosedError,
    StaleNotificationError, UnknownProviderError,
)
from services.payment.domain import balance_due
from services.payment.provider import PaymentStatus
from services.payment.signatures import key_from_seed, sign
from services.payment.simulator_adapter import SimulatorProvider
from services.payment.tables import ledger_entries, notification_log, orders, refunds
from tests.integration.payment.dossier_journey import dossier_in, wait_for
from shared.clock import utc_now


class LaggingProvider(SimulatorProvider):
    """The simulator seen through a query that lags behind its payments (as real providers' may)."""

    def __init__(self, adapter):
        super().__init__(adapter.simulator, adapter.public_keys)

    def query(self, order_id):
        return PaymentStatus(order_id=order_id, state="open")


def state(payment_db, dossiers, dossier_id):
    """Everything a notification could change: the dossier's orders, ledger, refunds and its events."""
    with payment_db.connect() as connection:
        order_rows = [dict(row) for row in connection.execute(
            select(orders).where(orders.c.dossier_id == dossier_id).order_by(orders.c.order_id)).mappings()]
        ledger_rows = [dict(row) for row in connection.execute(
            select(ledger_entries).where(ledger_entries.c.dossier_id == dossier_id).order_by(ledger_entries.c.entry_id)).mappings()]
        refund_rows = [dict(row) for row in connection.execute(
            select(refunds).where(refunds.c.dossier_id == dossier_id)).mappings()]
    events = [entry["type"] for entry in dossiers.history(dossier_id)]
    return {"orders": order_rows, "ledger": ledger_rows, "refunds": refund_rows, "events": events}


@pytest.fixture
def order(services, dossiers, payment_db):
    """A city-approved dossier's pending order: ``(order, dossier_id, cast)``."""
    dossier_id, cast = dossier_in(dossiers, st.ACCEPTED)
    (pending,) = wait_for(lambda: services.payment.orders_of_dossier(dossier_id))
    return pending, dossier_id, cast


def pay_at_cashier(services, order, cast):
    """What the applicant and the cashier page do: start the payment, confirm it; the signed notification."""
    started = services.payment.start_payment(cast.applicant.to_dict(), order["order_id"])
    assert started["payment"]["cashier_url"].endswith("/" + started["payment"]["payment_id"])
    view = services.payment.cashier_view(started["payment"]["payment_id"])
    assert (view["amount_yuan"], view["payable"]) == ("160.00", True)
    return started["payment"]["payment_id"], services.payment.cashier_confirm(started["payment"]["payment_id"])


def notify(services, signed):
    return services.payment.handle_notification("simulator", signed["headers"], signed["body"])


class TestPaying:
    def test_a_confirmed_payment_marks_the_order_paid_and_the_dossier_records_fee_paid(self, services, order, dossiers,
                                                                                       payment_db):
        pending, dossier_id, cast = order
        _, signed = pay_at_cashier(services, pending, cast)
        answer = notify(services, signed)
        assert (answer["accepted"], answer["outcome"], answer["order_id"]) == (True, "paid", pending["order_id"])
        paid = services.payment.get_order(pending["order_id"])
        assert paid["status"] == "paid" and paid["trade_no"] and paid["dossier_recorded_at"]
        dossier = dossiers.get(dossier_id)
        assert dossier["status"] == st.FEE_PAID
        assert dossier["fee"] == {"order_id": pending["order_id"], "amount_fen": 16000}
        fee_event = dossiers.history(dossier_id)[-1]
        assert (fee_event["actor"]["account_id"], fee_event["actor"]["role"]) == ("system", "system")
        kinds = [row["kind"] for row in state(payment_db, dossiers, dossier_id)["ledger"]]
        assert kinds == ["charge", "payment"]

    def test_a_duplicate_notification_is_acknowledged_and_changes_nothing(self, services, order, dossiers, simulator,
                                                                          payment_db):
        pending, dossier_id, cast = order
        payment_id, signed = pay_at_cashier(services, pending, cast)
        notify(services, signed)
        before = state(payment_db, dossiers, dossier_id)
        for _ in range(3):  # the provider retries: new nonce and time, same payment
            assert notify(services, simulator.renotify(payment_id).to_dict())["outcome"] == "duplicate"
        assert state(payment_db, dossiers, dossier_id) == before
        assert before["events"].count("fee_paid") == 1

    def test_notifications_arriving_in_reverse_order_record_the_payment_once(self, services, order, dossiers,
                                                                             simulator, payment_db):
        pending, dossier_id, cast = order
        payment_id, first = pay_at_cashier(services, pending, cast)
        paid_row = simulator.payment_of_order(pending["order_id"])
        earlier = simulator.payment_notification(paid_row, signed_at=utc_now() - timedelta(seconds=60))
        later = simulator.renotify(payment_id)
        assert notify(services, later.to_dict())["outcome"] == "paid"
        after_first = state(payment_db, dossiers, dossier_id)
        assert notify(services, earlier.to_dict())["outcome"] == "duplicate"
        assert notify(services, first)["outcome"] == "duplicate"
        assert state(payment_db, dossiers, dossier_id) == after_first
        assert after_first["events"].count("fee_paid") == 1

    def test_money_that_arrives_after_the_order_expired_is_taken_while_the_dossier_awaits_it(
            self, services, order, dossiers, payments, payment_db):
        pending, dossier_id, cast = order
        _, signed = pay_at_cashier(services, pending, cast)  # paid at the provider just before the deadline
        # ... but the provider's query still said "open" when our sweep closed the order
        payments.providers["simulator"] = LaggingProvider(payments.providers["simulator"])
        with payment_db.begin() as connection:
            connection.execute(text("UPDATE orders SET expires_at = now() WHERE order_id = :id"),
                               {"id": pending["order_id"]})
        assert payments.expire_due_orders() == [pending["order_id"]]
        assert notify(services, signed)["outcome"] == "revived"
        assert services.payment.get_order(pending["order_id"])["status"] == "paid"
        assert dossiers.get(dossier_id)["status"] == st.FEE_PAID
        ledger = state(payment_db, dossiers, dossier_id)["ledger"]
        assert [row["kind"] for row in ledger] == ["charge", "charge_void", "charge", "payment"]
        assert balance_due(ledger) == 0

    def test_the_cashier_refuses_to_take_money_twice(self, services, order):
        pending, _, cast = order
        payment_id, _ = pay_at_cashier(services, pending, cast)
        with pytest.raises(SimulatorPaymentClosedError):
            services.payment.cashier_confirm(payment_id)


class TestRefusals:
    """Each refusal raises, is logged for audit, and leaves orders, ledger, refunds and the dossier as they were."""

    def refused(self, services, payment_db, dossiers, dossier_id, signed, error_type):
        before = state(payment_db, dossiers, dossier_id)
        with pytest.raises(error_type):
            notify(services, signed)
        assert state(payment_db, dossiers, dossier_id) == before
        return before

    def test_a_tampered_body_is_a_bad_signature(self, services, order, dossiers, payment_db):
        pending, dossier_id, cast = order
        _, signed = pay_at_cashier(services, pending, cast)
        tampered = dict(signed, body=signed["body"].replace('"amount_fen":16000', '"amount_fen":16001'))
        before = self.refused(services, payment_db, dossiers, dossier_id, tampered, BadSignatureError)
        assert before["orders"][0]["status"] == "pending" and "fee_paid" not in before["events"]
        assert notify(services, signed)["outcome"] == "paid"  # the genuine one still counts

    def test_a_notification_signed_by_another_key_is_refused(self, services, order, dossiers, simulator, payment_db):
        pending, dossier_id, cast = order
        _, signed = pay_at_cashier(services, pending, cast)
        forged = sign(key_from_seed("somebody-else"), signed["body"], timestamp=int(utc_now().timestamp()))
        self.refused(services, payment_db, dossiers, dossier_id, forged.to_dict(), BadSignatureError)
        stolen_kid = dict(forged.headers, **{"X-Paysim-Key-Id": signed["headers"]["X-Paysim-Key-Id"]})
        self.refused(services, payment_db, dossiers, dossier_id, {"headers": stolen_kid, "body": forged.body},
                     BadSignatureError)
        unsigned = {"headers": {"Content-Type": "application/json"}, "body": signed["body"]}
        self.refused(services, payment_db, dossiers, dossier_id, unsigned, BadSignatureError)

    def test_a_correctly_signed_notification_with_the_wrong_amount_is_refused(self, services, order, dossiers,
                                                                             simulator, payment_db):
        pending, dossier_id, cast = order
        _, signed = pay_at_cashier(services, pending, cast)
        body = dict(json.loads(signed["body"]), amount_fen=1)
        wrong = simulator.sign(body).to_dict()
        self.refused(services, payment_db, dossiers, dossier_id, wrong, NotificationMismatchError)
        assert notify(services, signed)["outcome"] == "paid"

    def test_a_notification_for_an_order_we_never_made_is_refused(self, services, order, dossiers, simulator,
                                                                 payment_db):
        pending, dossier_id, cast = order
        _, signed = pay_at_cashier(services, pending, cast)
        body = dict(json.loads(signed["body"]), merchant_order_id="PO20990101NOSUCHORDER")
        self.refused(services, payment_db, dossiers, dossier_id, simulator.sign(body).to_dict(),
                     NotificationMismatchError)

    def test_a_replayed_notification_is_refused(self, services, order, dossiers, payment_db):
        pending, dossier_id, cast = order
        _, signed = pay_at_cashier(services, pending, cast)
        notify(services, signed)
        before = self.refused(services, payment_db, dossiers, dossier_id, signed, ReplayedNotificationError)
        assert before["events"].count("fee_paid") == 1

    def test_a_replay_before_the_original_was_processed_cannot_win_twice(self, services, order, dossiers, payment_db):
        pending, dossier_id, cast = order
        _, signed = pay_at_cashier(services, pending, cast)
        attempts = [services.payment.handle_notification.call_async("simulator", signed["headers"], signed["body"])
                    for _ in range(5)]
        outcomes = []
        for attempt in attempts:
            try:
                outcomes.append(attempt.result()["outcome"])
            except ReplayedNotificationError:
                outcomes.append("replay")
        assert sorted(outcomes) == ["paid", "replay", "replay", "replay", "replay"]
        assert state(payment_db, dossiers, dossier_id)["events"].count("fee_paid") == 1

    @pytest.mark.parametrize("offset", [timedelta(minutes=-10), timedelta(minutes=10)])
    def test_a_notification_outside_the_time_window_is_refused(self, services, order, dossiers, simulator, payment_db,
                                                               offset):
        pending, dossier_id, cast = order
        pay_at_cashier(services, pending, cast)
        paid_row = simulator.payment_of_order(pending["order_id"])
        stale = simulator.payment_notification(paid_row, signed_at=utc_now() + offset)
        self.refused(services, payment_db, dossiers, dossier_id, stale.to_dict(), StaleNotificationError)

    def test_an_unknown_provider_is_refused(self, services, order, dossiers, payment_db):
        pending, dossier_id, cast = order
        _, signed = pay_at_cashier(services, pending, cast)
        before = state(payment_db, dossiers, dossier_id)
        with pytest.raises(UnknownProviderError):
            services.payment.handle_notification("wechat", signed["headers"], signed["body"])
        assert state(payment_db, dossiers, dossier_id) == before

    def test_refusals_are_kept_in_the_notification_log(self, services, order, payment_db):
        pending, _, cast = order
        _, signed = pay_at_cashier(services, pending, cast)
        with pytest.raises(BadSignatureError):
            notify(services, dict(signed, body=signed["body"] + " "))
        notify(services, signed)
        with payment_db.connect() as connection:
            outcomes = [row.outcome for row in connection.execute(
                select(notification_log).where(notification_log.c.body.contains(pending["order_id"]))
                .order_by(notification_log.c.id))]
        assert outcomes == ["bad_signature", "paid"]
