"""A non-zero 证书工本费 (docs/domain-rules.md R8.3, R8.4): when publicity ends, the real payment service
creates an order of its own (kind certificate_fee) at the fee of the year's policy, and the real
certificate service issues the certificate only once that order is paid; with a fee of 0 there is no
order and the certificate is issued at once, as before.

The payment service runs here beside the dossier, identity and certificate services; its queues are
deleted afterwards, so the other modules' dossier events do not pile up for it."""
import copy
from pathlib import Path

import pytest
from kombu import Connection
from nameko.standalone.rpc import ClusterRpcProxy

from services.certificate.exceptions import CertificateNotFound
from services.certificate.ports import RpcPaymentPort
from services.payment import exceptions as payment_errors  # noqa: F401  (remote errors come back typed)
from services.payment.dependencies import build_payments
from services.payment.service import PaymentService
from shared.config import load_config
from shared.contracts import dossier as st
from shared.contracts import payment as published
from shared.contracts.notification import FEE_ORDER_OPENED, FEE_ORDER_PAID, PAYMENT_SOURCE, FeeOrderEvent
from shared.contracts.year_policy import certificate_fee_fen
from tests.event_tap import EventTap
from tests.factories import notice_document
from tests.integration.certificate.test_certificate_issuing import certificate_of
from tests.integration.dossier.conftest import CITY_ADMIN
from tests.integration.payment.dossier_journey import dossier_in, running, wait_for

ROOT = Path(__file__).resolve().parents[3]
YEAR = 2028  # a review year of this module's own: its notice charges the certificate fee
PAYMENT_HANDLERS = {"city_approved": "handle_dossier_city_approved", "withdrawn": "handle_dossier_withdrawn",
                    "fee_paid": "handle_dossier_fee_paid", "publicity_ended": "handle_dossier_publicity_ended",
                    "title_revoked": "handle_dossier_title_revoked"}


@pytest.fixture(scope="module")
def payment_config(database_url, amqp_uri):
    config = copy.deepcopy(load_config(ROOT / "services" / "payment" / "config.yaml"))
    config.pop("LOGGING")
    config.update(AMQP_URI=amqp_uri, DATABASE_URL=database_url("certificate_payment"))
    config["TIMERS"] = {"sweep_seconds": 0, "simulator_seconds": 0}
    config["SIMULATOR"].update(ENABLED=True, DATABASE_URL=database_url("certificate_paysim"),
                               SEED="certificate-fee-seed", REFUND_DELAY_SECONDS=0, NOTIFY_URL=None)
    return config


@pytest.fixture(scope="module")
def with_payment(services, payment_config):
    """The certificate module's services plus the payment service, and an RPC proxy to them all."""
    with running((PaymentService, payment_config)):
        with ClusterRpcProxy({"AMQP_URI": payment_config["AMQP_URI"]}, timeout=30) as proxy:
            yield proxy
    with Connection(payment_config["AMQP_URI"]) as connection:
        for event, method in PAYMENT_HANDLERS.items():
            connection.default_channel.queue_delete(f"evt-dossier-dossier_{event}--payment.{method}")


@pytest.fixture(scope="module")
def payments(payment_config):
    app, simulator = build_payments(payment_config)
    yield app
    app.close()
    simulator.close()


def publish(dossiers, certificate_fen):
    policy = {"max_active_dossiers": 10, "fees": {"certificate_fen": certificate_fen}}
    return dossiers.publish_notice(CITY_ADMIN, notice_document(YEAR, policy=policy))


def certificate_orders(proxy, dossier_id):
    return [order for order in proxy.payment.orders_of_dossier(dossier_id) if order["kind"] == "certificate_fee"]


def pay_at_the_cashier(proxy, applicant, order):
    started = proxy.payment.start_payment(applicant.to_dict(), order["order_id"])
    signed = proxy.payment.cashier_confirm(started["payment"]["payment_id"])
    return proxy.payment.handle_notification("simulator", signed["headers"], signed["body"])


class TestACertificateFee:
    def test_its_order_must_be_paid_before_the_certificate_is_issued(self, with_payment, dossiers, certificates,
                                                                     ports, registered_cast):
        published_notice = publish(dossiers, 2000)
        fee = certificate_fee_fen(published_notice["policy"])
        cast = registered_cast()
        dossier_id, _ = dossier_in(dossiers, st.APPROVED, cast, review_year=YEAR)

        (order,) = wait_for(lambda: certificate_orders(with_payment, dossier_id))
        assert (order["amount_fen"], order["notice_version"], order["kind_label"], order["status"]) == (
            fee, published_notice["version"], "证书工本费", "pending")
        assert with_payment.payment.certificate_fee(dossier_id)["state"] == published.FEE_UNPAID

        # Unpaid: the event's attempt and any sweep leave the request waiting, with no certificate.
        dossier, identity = ports
        payment = RpcPaymentPort(with_payment.payment)
        assert certificates.try_issue(dossier_id, dossier, identity, payment) is None
        certificates.issue_pending(dossier, identity, payment)
        with pytest.raises(CertificateNotFound):
            with_payment.certificate.get_by_dossier(dossier_id)
        assert dossiers.get(dossier_id)["status"] == st.APPROVED

        assert pay_at_the_cashier(with_payment, cast.applicant, order)["outcome"] == "paid"
        assert with_payment.payment.certificate_fee(dossier_id)["state"] == published.FEE_PAID

        queued, _ = certificates.issue_pending(dossier, identity, payment)
        assert dossier_id in queued
        view = wait_for(lambda: certificate_of(with_payment, dossier_id))
        assert view and dossiers.get(dossier_id)["status"] == st.CERTIFIED
        assert [o["order_id"] for o in certificate_orders(with_payment, dossier_id)] == [order["order_id"]]

    def test_payment_announces_the_orders_opening_and_its_payment_once_each(self, with_payment, payment_config,
                                                                            dossiers, registered_cast):
        """The notification service tells the applicant of the fee from these (shared/contracts/notification.py)."""
        taps = {event_type: EventTap(payment_config["AMQP_URI"], PAYMENT_SOURCE, event_type)
                for event_type in (FEE_ORDER_OPENED, FEE_ORDER_PAID)}
        try:
            fee = certificate_fee_fen(publish(dossiers, 3500)["policy"])
            cast = registered_cast()
            dossier_id, _ = dossier_in(dossiers, st.APPROVED, cast, review_year=YEAR)
            (order,) = wait_for(lambda: certificate_orders(with_payment, dossier_id))
            (opened,) = [e for e in wait_for(lambda: taps[FEE_ORDER_OPENED].drain()) if e["dossier_id"] == dossier_id
                         and e["kind"] == published.CERTIFICATE_FEE]
            assert FeeOrderEvent().load(opened) == opened  # the contract's fields, none missing, none extra
            assert (opened["order_id"], opened["amount_fen"], opened["applicant_id"], opened["expires_at"]) == (
                order["order_id"], fee, cast.applicant.account_id, order["expires_at"])
            assert opened["event_id"] == f"{order['order_id']}:opened"

            assert pay_at_the_cashier(with_payment, cast.applicant, order)["outcome"] == "paid"
            (paid,) = [e for e in wait_for(lambda: taps[FEE_ORDER_PAID].drain()) if e["dossier_id"] == dossier_id]
            assert (paid["kind"], paid["order_id"], paid["event_id"]) == (
                published.CERTIFICATE_FEE, order["order_id"], f"{order['order_id']}:paid")
        finally:
            for tap in taps.values():
                tap.close()

    def test_a_zero_fee_creates_no_order_and_the_certificate_is_issued_at_once(self, with_payment, dossiers,
                                                                              registered_cast):
        publish(dossiers, 0)
        cast = registered_cast()
        dossier_id, _ = dossier_in(dossiers, st.APPROVED, cast, review_year=YEAR)

        view = wait_for(lambda: certificate_of(with_payment, dossier_id))
        assert view, "the certificate should be issued without any fee"
        assert wait_for(lambda: with_payment.payment.certificate_fee(dossier_id)["state"] == published.FEE_NOT_REQUIRED)
        assert certificate_orders(with_payment, dossier_id) == []
