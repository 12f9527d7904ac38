"""Payment's writes, exactly once in effect: keyed requests (a payment start) sent twice answer the
first result and record once; refunds, like orders, are naturally once per event."""
import uuid

import eventlet
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import func, select

from shared.contracts import dossier as st
from services.payment.tables import refunds
from shared.idempotency import IDEMPOTENCY_KEY
from tests.integration.payment.dossier_journey import bus_message, dossier_in, publish, wait_for
from tests.integration.payment.test_payment_refunds import paid_order

def keyed(payment_config):
    return ClusterRpcProxy({"AMQP_URI": payment_config["AMQP_URI"]}, timeout=30,
                           context_data={IDEMPOTENCY_KEY: f"payment-test-{uuid.uuid4()}"})


def count(payment_db, table, *where):
    with payment_db.connect() as connection:
        return connection.execute(select(func.count()).select_from(table).where(*where)).scalar()


def test_a_payment_started_twice_with_one_key_opens_one_cashier(services, dossiers, payment_config):
    dossier_id, cast = dossier_in(dossiers, st.ACCEPTED)
    (order,) = wait_for(lambda: services.payment.orders_of_dossier(dossier_id))
    with keyed(payment_config) as proxy:
        first = proxy.payment.start_payment(cast.applicant.to_dict(), order["order_id"])
        second = proxy.payment.start_payment(cast.applicant.to_dict(), order["order_id"])
    assert second == first
    assert services.payment.get_order(order["order_id"])["provider_payment_id"] == first["payment"]["payment_id"]


def test_a_withdrawal_delivered_again_and_again_refunds_once(services, dossiers, payments, payment_config, payment_db):
    """Naturally idempotent, no key needed: the refund is made once per paid order (dossier version)."""
    order, dossier_id, cast = paid_order(services, dossiers)
    dossiers.withdraw(dossier_id, cast.applicant, reason="工作调动")
    wait_for(lambda: count(payment_db, refunds, refunds.c.order_id == order["order_id"]) == 1)
    message = bus_message(dossiers, payment_config["AMQP_URI"], dossier_id, "dossier_withdrawn")
    publish(payment_config["AMQP_URI"], message, times=3)  # redelivered by the broker
    racing = [eventlet.spawn(payments.on_withdrawn, message) for _ in range(4)]  # and two instances racing
    for thread in racing:
        thread.wait()
    eventlet.sleep(1.0)
    assert count(payment_db, refunds, refunds.c.order_id == order["order_id"]) == 1
