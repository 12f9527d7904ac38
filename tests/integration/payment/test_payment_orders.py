"""Review-fee orders from real dossier events: created once per city approval, priced by the year's
schedule, expired when unpaid (safely with several instances), reopened on request."""
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
from shared.errors import ValidationFailed
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
        results = [eventlet.spawn(payments.on_city_approved, message) for _ in range(6)]
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
        assert payments.on_city_approved(approved) is None
        assert [order["status"] for order in orders_of(payment_db, dossier_id)] == ["cancelled"]


class TestFeeSchedules:
    def test_the_defaults_apply_until_the_city_admin_sets_the_year(self, services):
        schedule = services.payment.get_fee_schedule(2035)
        assert schedule["configured"] is False and schedule["review_fees_fen"]["intermediate"] == 16000

    def test_a_new_schedule_prices_orders_created_after_it(self, services, dossiers, payment_db):
        city_admin = Cast().city_admin.to_dict()
        fees = {"primary": 12000, "intermediate": 20000, "associate_senior": 40000, "senior": 45000}
        saved = services.payment.set_fee_schedule(city_admin, {"review_year": 2031, "review_fees_fen": fees,
                                                               "certificate_fee_fen": 0})
        assert (saved["configured"], saved["revision"], saved["review_fees_yuan"]["intermediate"]) == (True, 1, "200.00")
        dossier_id, _ = dossier_in(dossiers, st.ACCEPTED, review_year=2031)
        (order,) = wait_for(lambda: orders_of(payment_db, dossier_id))
        assert (order["amount_fen"], order["fee_revision"]) == (20000, 1)

    def test_only_the_city_admin_sets_fees_and_bad_amounts_are_named_in_chinese(self, services):
        fees = {"primary": 100, "intermediate": 200, "associate_senior": 300, "senior": 400}
        with pytest.raises(PaymentNotAllowedError):
            services.payment.set_fee_schedule(Cast().unit_admin.to_dict(), {"review_year": 2032, "review_fees_fen": fees})
        with pytest.raises(ValidationFailed) as raised:
            services.payment.set_fee_schedule(Cast().city_admin.to_dict(), {
                "review_year": 2032, "review_fees_fen": {"primary": 160.5, "intermediate": -1, "associate_senior": 1}})
        assert raised.value.fields["review_fees_fen"] == {
            "primary": ["应为整数"], "intermediate": ["应在 0 到 1000000 之间"], "senior": ["此项为必填项"]}
        assert services.payment.get_fee_schedule(2032)["configured"] is False


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
