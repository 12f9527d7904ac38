"""Withdrawal before review: the fee goes back through the provider, confirmed by its refund
notification; money that arrives after withdrawal is recorded and paid back too."""
import copy
import json

from sqlalchemy import select

from shared.contracts import dossier as st
from services.payment.domain import balance_due
from services.payment.service import PaymentService
from services.payment.tables import ledger_entries
from tests.integration.payment.dossier_journey import dossier_in, wait_for
from shared.clock import beijing_today


def ledger_kinds(payment_db, order_id):
    with payment_db.connect() as connection:
        rows = connection.execute(select(ledger_entries).where(ledger_entries.c.order_id == order_id)
                                  .order_by(ledger_entries.c.entry_id)).mappings().all()
    return [row["kind"] for row in rows], balance_due(rows)


def paid_order(services, dossiers):
    dossier_id, cast = dossier_in(dossiers, st.ACCEPTED)
    (order,) = wait_for(lambda: services.payment.orders_of_dossier(dossier_id))
    started = services.payment.start_payment(cast.applicant.to_dict(), order["order_id"])
    signed = services.payment.cashier_confirm(started["payment"]["payment_id"])
    assert services.payment.handle_notification("simulator", signed["headers"], signed["body"])["outcome"] == "paid"
    return order, dossier_id, cast


def notify(services, signed):
    return services.payment.handle_notification("simulator", signed.headers, signed.body)


class TestRefundOnWithdrawal:
    def test_a_paid_fee_is_refunded_through_the_provider_and_confirmed_by_its_notification(
            self, services, dossiers, simulator, payment_db):
        order, dossier_id, cast = paid_order(services, dossiers)
        withdrawn = dossiers.withdraw(dossier_id, cast.applicant, reason="工作调动")
        assert withdrawn.refund_due is True
        # the dossier_withdrawn event reaches payment, which asks the provider for the money back
        refunding = wait_for(lambda: (lambda o: o if o["refunds"] and o["refunds"][0]["status"] == "submitted" else None)(
            services.payment.orders_of_dossier(dossier_id)[0]))
        assert refunding["status"] == "refunding" and refunding["refunds"][0]["amount_fen"] == 16000
        assert ledger_kinds(payment_db, order["order_id"]) == (["charge", "payment", "charge_void"], -16000)
        # the provider completes the refund and notifies us
        (confirmation,) = [note for note in simulator.settle_refunds() if order["order_id"] in note.body]
        assert notify(services, confirmation)["outcome"] == "refunded"
        refunded = services.payment.orders_of_dossier(dossier_id)[0]
        assert refunded["status"] == "refunded" and refunded["refunds"][0]["status"] == "succeeded"
        assert ledger_kinds(payment_db, order["order_id"]) == (["charge", "payment", "charge_void", "refund"], 0)
        # a second copy of the refund notification (newly signed, as a provider retry) is a duplicate
        assert notify(services, simulator.sign(json.loads(confirmation.body)))["outcome"] == "duplicate"
        assert ledger_kinds(payment_db, order["order_id"])[0].count("refund") == 1
        today = beijing_today()
        assert [(line["kind"], line["amount_fen"]) for line in simulator.statement(today)
                if line["order_id"] == order["order_id"]] == [("payment", 16000), ("refund", 16000)]

    def test_withdrawing_before_paying_cancels_the_order(self, services, dossiers, payment_db):
        dossier_id, cast = dossier_in(dossiers, st.ACCEPTED)
        (order,) = wait_for(lambda: services.payment.orders_of_dossier(dossier_id))
        dossiers.withdraw(dossier_id, cast.applicant, reason="个人原因")
        cancelled = wait_for(lambda: services.payment.get_order(order["order_id"])["status"] == "cancelled")
        assert cancelled
        assert ledger_kinds(payment_db, order["order_id"]) == (["charge", "charge_void"], 0)

    def test_a_fee_recorded_offline_cancels_the_order_and_later_money_is_paid_back(self, services, dossiers,
                                                                                   simulator, payment_db):
        dossier_id, cast = dossier_in(dossiers, st.ACCEPTED)
        (order,) = wait_for(lambda: services.payment.orders_of_dossier(dossier_id))
        started = services.payment.start_payment(cast.applicant.to_dict(), order["order_id"])
        dossiers.record_fee_paid(dossier_id, cast.city_admin, order_id="offline-receipt-1", amount_fen=16000)
        assert wait_for(lambda: services.payment.get_order(order["order_id"])["status"] == "cancelled")
        signed = services.payment.cashier_confirm(started["payment"]["payment_id"])
        answer = services.payment.handle_notification("simulator", signed["headers"], signed["body"])
        assert answer["outcome"] == "refund_started"
        (confirmation,) = [note for note in simulator.settle_refunds() if order["order_id"] in note.body]
        assert notify(services, confirmation)["outcome"] == "refunded"
        assert ledger_kinds(payment_db, order["order_id"]) == (["charge", "charge_void", "payment", "refund"], 0)
        assert [e["type"] for e in dossiers.history(dossier_id)].count("fee_paid") == 1

    def test_money_arriving_after_withdrawal_is_recorded_and_paid_back(self, services, dossiers, simulator, payment_db):
        dossier_id, cast = dossier_in(dossiers, st.ACCEPTED)
        (order,) = wait_for(lambda: services.payment.orders_of_dossier(dossier_id))
        started = services.payment.start_payment(cast.applicant.to_dict(), order["order_id"])
        dossiers.withdraw(dossier_id, cast.applicant, reason="个人原因")
        wait_for(lambda: services.payment.get_order(order["order_id"])["status"] == "cancelled")
        # the payer had the cashier open and confirms anyway
        signed = services.payment.cashier_confirm(started["payment"]["payment_id"])
        answer = services.payment.handle_notification("simulator", signed["headers"], signed["body"])
        assert answer["outcome"] == "refund_started"
        assert services.payment.get_order(order["order_id"])["status"] == "refunding"
        assert "fee_paid" not in [entry["type"] for entry in dossiers.history(dossier_id)]
        (confirmation,) = [note for note in simulator.settle_refunds() if order["order_id"] in note.body]
        assert notify(services, confirmation)["outcome"] == "refunded"
        assert ledger_kinds(payment_db, order["order_id"]) == (["charge", "charge_void", "payment", "refund"], 0)


def test_with_timers_on_the_simulator_settles_and_delivers_the_refund_by_itself(
        run_services, services, payment_config, dossiers, payment_db):
    """The whole refund flow with nobody driving it: event, refund request, settlement, notification."""
    timed = copy.deepcopy(payment_config)
    timed["TIMERS"] = {"sweep_seconds": 0.5, "simulator_seconds": 0.2}
    run_services((PaymentService, timed))
    order, dossier_id, cast = paid_order(services, dossiers)
    dossiers.withdraw(dossier_id, cast.applicant, reason="工作调动")
    assert wait_for(lambda: services.payment.get_order(order["order_id"])["status"] == "refunded", seconds=30)
    assert ledger_kinds(payment_db, order["order_id"]) == (["charge", "payment", "charge_void", "refund"], 0)
