"""Every RPC of the running payment service answers what its application answered before the answer
schemas came in: the service's answer over the wire is compared with the application's own answer for
the same thing, read on the same databases (JSON both ways, as RabbitMQ carries it)."""
import json
from datetime import datetime
from zoneinfo import ZoneInfo

from services.payment.dependencies import build_payments
from services.payment.ports import RpcDossierPort
from shared.contracts import dossier as st
from shared.roles import Actor
from tests.integration.payment.dossier_journey import dossier_in, wait_for

AUDITOR = {"account_id": "auditor-answers", "role": "auditor"}


def as_sent(value):
    """*value* as the RPC's JSON carries it."""
    return json.loads(json.dumps(value, ensure_ascii=False))


def without(answer, *keys):
    return {key: value for key, value in answer.items() if key not in keys}


def test_each_answer_of_an_order_paid_through_the_simulator_is_the_applications(services, payments, dossiers):
    dossier_id, cast = dossier_in(dossiers, st.ACCEPTED)
    (order,) = wait_for(lambda: services.payment.orders_of_dossier(dossier_id))
    assert order == as_sent(payments.orders_of_dossier(dossier_id)[0])
    assert services.payment.get_fee_schedule(order["review_year"]) == as_sent(
        payments.fee_schedule(order["review_year"], RpcDossierPort(services.dossier)).to_dict())

    started = services.payment.start_payment(cast.applicant.to_dict(), order["order_id"])
    assert set(started) == {"order", "payment"}
    assert started["order"] == as_sent(payments.get_order(order["order_id"]))
    payment_id = started["payment"]["payment_id"]
    assert services.payment.cashier_view(payment_id) == as_sent(payments.simulator.cashier_view(payment_id))

    signed = services.payment.cashier_confirm(payment_id)  # signed afresh each time: a new nonce
    assert set(signed) == {"headers", "body"} and isinstance(signed["body"], str)
    outcome = services.payment.handle_notification("simulator", signed["headers"], signed["body"])
    assert outcome == {"accepted": True, "outcome": "paid", "order_id": order["order_id"], "message": "缴费成功",
                       "notification_id": json.loads(signed["body"])["notification_id"], "kind": "payment"}

    paid = services.payment.get_order(order["order_id"])
    assert paid["status"] == "paid" and paid == as_sent(payments.get_order(order["order_id"]))
    assert services.payment.orders_of_dossier(dossier_id) == as_sent(payments.orders_of_dossier(dossier_id))

    receipt = services.payment.receipt_pdf(cast.applicant.to_dict(), order["order_id"])
    first = payments.reports.receipt(cast.applicant, order["order_id"])
    # the PDF carries the moment it was printed; everything around it is the same
    assert without(receipt, "content_base64", "size") == as_sent(without(first, "content_base64", "size"))
    assert receipt["content_base64"] and receipt["size"] > 0

    books = services.payment.ledger(AUDITOR, {"order_id": order["order_id"]})
    assert [entry["kind"] for entry in books] == ["charge", "payment"]
    assert books == as_sent(payments.reports.ledger(Actor.from_dict(AUDITOR), order_id=order["order_id"]))


def test_a_reconciliation_report_is_the_applications_made_now_or_stored(services, payments, payment_config):
    day = "2031-07-01"
    made_now = services.payment.reconciliation_report(AUDITOR, day)
    again = payments.reports.reconciliation_report(Actor.from_dict(AUDITOR), datetime.fromisoformat(day).date())
    assert made_now["stored"] is False
    assert without(made_now, "generated_at") == as_sent(without(again, "generated_at"))

    moment = datetime(2031, 7, 2, 3, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    app, simulator = build_payments(payment_config, clock=lambda: moment)
    try:
        app.reports.run_daily()
        stored = services.payment.reconciliation_report(AUDITOR, day)
        assert stored["stored"] is True
        assert stored == as_sent(app.reports.reconciliation_report(Actor.from_dict(AUDITOR),
                                                                   datetime.fromisoformat(day).date()))
    finally:
        app.close()
        simulator.close()


def test_health_answers_its_counts(services):
    report = services.payment.health()
    assert report["service"] == "payment" and report["status"] in ("ok", "degraded")
    assert {"pending_orders", "paid_not_recorded", "providers", "failed_event_handlings"} <= set(report)
