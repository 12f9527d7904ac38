"""Review-fee orders from real dossier events: created once per city approval, priced by the year's
policy (test_fees_from_year_policy.py), expired when unpaid (safely with several instances), reopened on request."""
import copy

import eventlet
import pytest
from sqlalchemy import select, text

from shared.contracts import dossier as st
from services.payment.exceptions import (
    OrderNotPayableError, OrderNotReopenableError, PaymentNotAllowedError,
)
from services.payment.ports import RpcDossierPort
from services.payment.service import PaymentService
from services.payment.tables import ledger_entries, orders
from tests.factories import Cast
from tests.integration.payment.dossier_journey import (
    bus_message, dossier_in, publish, queue_depth, wait_for,
)

CITY_APPROVED_QUEUE = "evt-dossier-dossier_city_approved--payment.handle_dossier_city_approved"


def orders_of(payment_db, dossier_id):
    with payment_db.connect() as connection:
        return [dict(row) for row in connection.execute(
            select(orders).where(orders.c.dossier_id == dossier_id).order_by(orders.c.created_at)).mappings()]


def ledger_of(payment_db, dossier_id):
    with payment_db.connect() as connection:
        return [(row.kind, row.amount_fen) for row in connection.execute(
            select(ledger_entries).where(ledger_entries.c.dossier_id == dossier_id).order_by(ledger_entries.c.entry_id))]


class NoticeAsked(RpcDossierPort):
    """The dossier port with the year's notice already read (the racing handlers only price orders)."""

    def __init__(self, notice):
        self.answer = notice

    def notice(self, review_year):
        return self.answer


def drained(amqp_uri):
    wait_for(lambda: queue_depth(amqp_uri, CITY_APPROVED_QUEUE) == 0)
    eventlet.sleep(1.0)  # the last deliveries are handled, not just taken off the queue


class TestOrdersFromCityApproval:
    def test_a_city_approved_dossier_gets_a_pending_order_at_its_level_fee(self, services, dossiers, payment_db):
        dossier_id, cast = dossier_in(dossiers, st.ACCEPTED, level="associate_senior")
        (order,) = wait_for(lambda: services.payment.orders_of_dossier(dossier_id))
        version = dossiers.get(dossier_id)["version"]
        assert order["status"] == "pending" and order["payable"] is True
        assert (order["amount_fen"], order["amount_yuan"], order["level"]) == (36000, "360.00", "associate_senior")
        assert order["applicant_id"] == cast.applicant.account_id and order["origin"] == f"city_approved:{version}"
        assert ledger_of(payment_db, dossier_id) == [("charge", 36000)]

    def test_the_order_is_created_once_however_often_city_approved_arrives(self, services, dossiers, payments,
                                                                        payment_config, payment_db):
        dossier_id, _ = dossier_in(dossiers, st.ACCEPTED)
        wait_for(lambda: orders_of(payment_db, dossier_id))
        message = bus_message(dossiers, payment_config["AMQP_URI"], dossier_id, "dossier_city_approved")
        publish(payment_config["AMQP_URI"], message, times=5)  # redelivered by the broker
        # ... and handled directly, concurrently, as two instances racing would
        # One RPC proxy cannot be read by six greenthreads at once: the year's notice is asked once.
        port = NoticeAsked(services.dossier.get_notice(message["dossier"]["review_year"]))
        results = [eventlet.spawn(payments.on_city_approved, message, port) for _ in range(6)]
        assert [result.wait() for result in results] == [None] * 6
        drained(payment_config["AMQP_URI"])
        assert len(orders_of(payment_db, dossier_id)) == 1
        assert ledger_of(payment_db, dossier_id) == [("charge", 16000)]

    def test_an_older_event_after_a_newer_one_is_ignored(self, services, dossiers, payments, payment_config, payment_db):
        dossier_id, cast = dossier_in(dossiers, st.ACCEPTED)
        wait_for(lambda: orders_of(payment_db, dossier_id))
        dossiers.withdraw(dossier_id, cast.applicant, reason="个人原因")
        wait_for(lambda: orders_of(payment_db, dossier_id)[0]["status"] == "cancelled")
        approved = bus_message(dossiers, payment_config["AMQP_URI"], dossier_id, "dossier_city_approved")
        assert payments.on_city_approved(approved, RpcDossierPort(services.dossier)) is None
        assert [order["status"] for order in orders_of(payment_db, dossier_id)] == ["cancelled"]


class TestExpiry:
    def expire_now(self, payment_db, order_id):
        with payment_db.begin() as connection:
            connection.execute(text("UPDATE orders SET expires_at = now() - interval '1 second' WHERE order_id = :id"),
                               {"id": order_id})

    def test_an_unpaid_order_expires_and_the_applicant_opens_a_new_one(self, services, dossiers, payments, payment_db):
        dossier_id, cast = dossier_in(dossiers, st.ACCEPTED)
        (order,) = wait_for(lambda: orders_of(payment_db, dossier_id))
        self.expire_now(payment_db, order["order_id"])
        assert payments.expire_due_orders() == [order["order_id"]]
        assert payments.expire_due_orders() == []
        assert ledger_of(payment_db, dossier_id) == [("charge", 16000), ("charge_void", 16000)]
        with pytest.raises(OrderNotPayableError) as raised:
            services.payment.start_payment(cast.applicant.to_dict(), order["order_id"])
        assert "已过期" in raised.value.message
        with pytest.raises(PaymentNotAllowedError):
            services.payment.reopen_order(Cast().applicant.to_dict(), dossier_id)
        reopened = services.payment.reopen_order(cast.applicant.to_dict(), dossier_id)
        assert reopened["status"] == "pending" and reopened["origin"] == "reopened:2"
        with pytest.raises(OrderNotReopenableError):
            services.payment.reopen_order(cast.applicant.to_dict(), dossier_id)
        assert services.payment.start_payment(cast.applicant.to_dict(), reopened["order_id"])["payment"]["cashier_url"]

    def test_an_order_past_its_time_can_be_reopened_before_the_sweep_closes_it(self, services, dossiers, payment_db):
        dossier_id, cast = dossier_in(dossiers, st.ACCEPTED)
        (order,) = wait_for(lambda: orders_of(payment_db, dossier_id))
        self.expire_now(payment_db, order["order_id"])
        reopened = services.payment.reopen_order(cast.applicant.to_dict(), dossier_id)
        assert [row["status"] for row in orders_of(payment_db, dossier_id)] == ["expired", "pending"]
        assert reopened["payable"] is True
        assert ledger_of(payment_db, dossier_id) == [("charge", 16000), ("charge_void", 16000), ("charge", 16000)]

    def test_expiry_takes_a_payment_whose_notification_never_came(self, services, dossiers, payments, simulator,
                                                                   payment_db):
        dossier_id, cast = dossier_in(dossiers, st.ACCEPTED)
        (order,) = wait_for(lambda: orders_of(payment_db, dossier_id))
        started = services.payment.start_payment(cast.applicant.to_dict(), order["order_id"])
        simulator.pay(started["payment"]["payment_id"])  # paid at the provider; the notification is lost
        self.expire_now(payment_db, order["order_id"])
        assert payments.expire_due_orders(RpcDossierPort(services.dossier)) == []
        assert orders_of(payment_db, dossier_id)[0]["status"] == "paid"
        assert dossiers.get(dossier_id)["status"] == st.FEE_PAID

    def test_two_instances_expire_each_order_exactly_once(self, run_services, services, dossiers, payment_config,
                                                          payment_db):
        dossier_ids = [dossier_in(dossiers, st.ACCEPTED)[0] for _ in range(4)]
        due = [wait_for(lambda d=dossier_id: orders_of(payment_db, d))[0]["order_id"] for dossier_id in dossier_ids]
        for order_id in due:
            self.expire_now(payment_db, order_id)
        timed = copy.deepcopy(payment_config)
        timed["TIMERS"] = {"sweep_seconds": 0.1, "simulator_seconds": 0}
        run_services((PaymentService, timed), (PaymentService, timed))
        assert wait_for(lambda: all(orders_of(payment_db, d)[0]["status"] == "expired" for d in dossier_ids))
        eventlet.sleep(0.5)
        for dossier_id in dossier_ids:
            assert ledger_of(payment_db, dossier_id) == [("charge", 16000), ("charge_void", 16000)]


def test_payment_answers_health(services):
    report = services.payment.health()
    assert report["status"] == "ok" and report["providers"] == ["simulator"]


def test_applicants_see_orders_of_their_dossier_only_through_the_gateway_scope(services):
    """The service lists by dossier; scoping is the gateway's job, so an unknown dossier is just empty."""
    assert services.payment.orders_of_dossier("00000000-0000-0000-0000-000000000000") == []
