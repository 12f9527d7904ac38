"""Payment's use cases at the application layer: the real Payments application and provider simulator
on PostgreSQL, the dossier service replaced by an in-memory fake that subclasses payment's DossierPort.
No broker and no nameko: events are handed to the application as the consumer hands them on."""
import copy
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from services.payment.dependencies import build_payments
from services.payment.exceptions import PaymentNotAllowedError
from services.payment.ports import ALREADY, RECORDED, REFUSED, DossierPort
from services.payment.tables import orders as orders_table
from shared.clock import utc_now
from shared.config import load_config
from shared.contracts import dossier as st
from shared.contracts import payment as published
from shared.contracts.year_policy import effective_policy
from shared.roles import APPLICANT, Actor
from tests.integration.shared.event_failure_support import dossier_event

CONFIG_PATH = Path(__file__).resolve().parents[3] / "services" / "payment" / "config.yaml"


class FakeDossierPort(DossierPort):
    """The dossier as payment sees it: records a fee once, refuses it once the dossier moved on; and
    the year's notice, whose policy (the published defaults unless a test overrides some) prices orders."""

    def __init__(self):
        self.statuses, self.fees = {}, {}
        self.reachable = True
        self.policies = {}  # review year -> (notice version, policy overrides)

    def notice(self, review_year):
        version, overrides = self.policies.get(review_year, (1, {}))
        return {"review_year": review_year, "version": version, "policy": effective_policy(overrides)}

    def record_fee_paid(self, dossier_id, order_id, amount_fen):
        if not self.reachable:
            raise TimeoutError("RPC record_fee_paid did not answer")
        if self.fees.get(dossier_id, {}).get("order_id") == order_id:
            return ALREADY
        if self.statuses.get(dossier_id) != st.ACCEPTED:
            return REFUSED
        self.statuses[dossier_id] = st.FEE_PAID
        self.fees[dossier_id] = {"order_id": order_id, "amount_fen": amount_fen}
        return RECORDED


@pytest.fixture(scope="module")
def payments(database_url):
    config = copy.deepcopy(load_config(CONFIG_PATH))
    config.pop("LOGGING", None)
    config["DATABASE_URL"] = database_url("payment_cases")
    config["SIMULATOR"].update(ENABLED=True, DATABASE_URL=database_url("paysim_cases"), SEED="use-case-seed",
                               REFUND_DELAY_SECONDS=0, NOTIFY_URL=None)
    app, simulator = build_payments(config)
    yield app
    app.close()
    simulator.close()


@pytest.fixture
def dossier():
    return FakeDossierPort()


def city_approved(dossier, **overrides):
    """A dossier the city just accepted, as the fake dossier and its event both say."""
    event = dossier_event("dossier_city_approved", status=st.ACCEPTED, **overrides)
    dossier.statuses[event["dossier_id"]] = st.ACCEPTED
    return event


def later_event(event, event_type, status, **data):
    version = event["version"] + 1
    return dict(event, event_type=event_type, status=status, version=version, notification_id=version,
                event_id=f"{event['dossier_id']}:{version}", data=data)


def applicant_of(event):
    return Actor(account_id=event["dossier"]["applicant_id"], role=APPLICANT)


def only_order(payments, dossier_id):
    (order,) = payments.orders_of_dossier(dossier_id)
    return order


def pay(payments, event, dossier):
    """The applicant pays the dossier's order at the simulator's cashier; the signed notification arrives."""
    order = only_order(payments, event["dossier_id"])
    started = payments.start_payment(applicant_of(event), order["order_id"])
    signed = payments.simulator.pay(started["payment"]["payment_id"])
    return payments.handle_notification("simulator", signed.headers, signed.body, dossier=dossier)


class TestPayingTheReviewFee:
    def test_a_city_approved_dossier_gets_one_order_for_its_levels_fee(self, payments, dossier):
        event = city_approved(dossier)
        payments.on_city_approved(event, dossier)
        payments.on_city_approved(event, dossier)  # redelivered: still one order

        order = only_order(payments, event["dossier_id"])
        assert (order["status"], order["amount_fen"], order["payable"]) == (published.PENDING, 16000, True)

    def test_a_paid_notification_pays_the_order_and_the_dossier_is_told(self, payments, dossier):
        event = city_approved(dossier)
        payments.on_city_approved(event, dossier)

        outcome = pay(payments, event, dossier)

        order = only_order(payments, event["dossier_id"])
        assert outcome["outcome"] == "paid" and order["status"] == published.PAID
        assert dossier.statuses[event["dossier_id"]] == st.FEE_PAID
        assert dossier.fees[event["dossier_id"]] == {"order_id": order["order_id"], "amount_fen": 16000}

    def test_a_fee_the_dossier_could_not_hear_is_told_again_by_the_sweep(self, payments, dossier):
        event = city_approved(dossier)
        payments.on_city_approved(event, dossier)
        dossier.reachable = False
        pay(payments, event, dossier)
        assert event["dossier_id"] not in dossier.fees and dossier.statuses[event["dossier_id"]] == st.ACCEPTED

        dossier.reachable = True
        payments.record_fees(dossier)

        order = only_order(payments, event["dossier_id"])
        assert dossier.fees[event["dossier_id"]]["order_id"] == order["order_id"]

    def test_only_the_applicant_may_pay_their_order(self, payments, dossier):
        event = city_approved(dossier)
        payments.on_city_approved(event, dossier)
        order = only_order(payments, event["dossier_id"])
        stranger = Actor(account_id=str(uuid.uuid4()), role=APPLICANT)

        with pytest.raises(PaymentNotAllowedError):
            payments.start_payment(stranger, order["order_id"])
        assert only_order(payments, event["dossier_id"])["status"] == published.PENDING


class TestWithdrawal:
    def test_withdrawing_before_paying_cancels_the_order(self, payments, dossier):
        event = city_approved(dossier)
        payments.on_city_approved(event, dossier)

        result = payments.on_withdrawn(later_event(event, "dossier_withdrawn", st.WITHDRAWN))

        order = only_order(payments, event["dossier_id"])
        assert result["cancelled"] == [order["order_id"]] and order["status"] == published.CANCELLED

    def test_a_paid_fee_is_refunded_after_withdrawal(self, payments, dossier):
        event = city_approved(dossier)
        payments.on_city_approved(event, dossier)
        pay(payments, event, dossier)

        result = payments.on_withdrawn(later_event(event, "dossier_withdrawn", st.WITHDRAWN))
        refunding = only_order(payments, event["dossier_id"])
        assert refunding["status"] == published.REFUNDING and len(result["refunds"]) == 1

        (confirmation,) = [note for note in payments.simulator.settle_refunds() if refunding["order_id"] in note.body]
        assert payments.handle_notification("simulator", confirmation.headers, confirmation.body)["outcome"] == "refunded"
        refunded = only_order(payments, event["dossier_id"])
        assert refunded["status"] == published.REFUNDED and refunded["status"] in published.MONEY_RECEIVED
        assert refunded["refunds"][0]["amount_fen"] == 16000

    def test_an_older_withdrawal_than_what_payment_knows_changes_nothing(self, payments, dossier):
        event = city_approved(dossier, version=9)
        payments.on_city_approved(event, dossier)

        stale = dict(later_event(event, "dossier_withdrawn", st.WITHDRAWN), version=3)
        assert payments.on_withdrawn(stale) == {"cancelled": [], "refunds": []}
        assert only_order(payments, event["dossier_id"])["status"] == published.PENDING


class TestFeesOfTheYearsPolicy:
    """Amounts from the notice's policy (docs/domain-rules.md R8.2–R8.4), with the fake dossier's notice."""

    def test_a_zero_review_fee_creates_no_order_and_tells_the_dossier_it_owes_nothing(self, payments, dossier):
        event = city_approved(dossier)
        dossier.policies[2026] = (3, {"fees": {"review_fen": {"intermediate": 0}}})

        assert payments.on_city_approved(event, dossier) is None
        assert payments.orders_of_dossier(event["dossier_id"]) == []
        assert dossier.fees[event["dossier_id"]] == {"order_id": published.ZERO_FEE_REFERENCE, "amount_fen": 0}
        assert dossier.statuses[event["dossier_id"]] == st.FEE_PAID

    def test_a_zero_fee_the_dossier_could_not_hear_is_told_by_the_sweep_once(self, payments, dossier):
        event = city_approved(dossier)
        dossier.policies[2026] = (3, {"fees": {"review_fen": {"intermediate": 0}}})
        dossier.reachable = False
        payments.on_city_approved(event, dossier)
        assert event["dossier_id"] not in dossier.fees

        dossier.reachable = True
        assert (event["dossier_id"], RECORDED) in payments.record_zero_fees(dossier)
        assert event["dossier_id"] not in [done for done, _ in payments.record_zero_fees(dossier)]


class TestTheCertificateFee:
    """A non-zero 证书工本费 is its own order once publicity ends; 0 creates none (R8.3, R8.4)."""

    def publicity_ended(self, dossier, certificate_fen, version=12):
        event = dossier_event("dossier_publicity_ended", status=st.APPROVED, version=version)
        dossier.statuses[event["dossier_id"]] = st.APPROVED
        dossier.policies[2026] = (4, {"fees": {"certificate_fen": certificate_fen}})
        return event

    def test_a_charged_fee_is_an_order_of_its_own_and_paying_it_lets_the_certificate_be_issued(self, payments,
                                                                                                 dossier):
        event = self.publicity_ended(dossier, 2500)
        assert payments.certificate_fee(event["dossier_id"])["state"] == published.FEE_UNDECIDED
        order = payments.on_publicity_ended(event, dossier)
        assert payments.on_publicity_ended(event, dossier) is None  # redelivered: still one order

        assert (order["kind"], order["amount_fen"], order["notice_version"], order["kind_label"]) == (
            "certificate_fee", 2500, 4, "证书工本费")
        assert payments.certificate_fee(event["dossier_id"])["state"] == published.FEE_UNPAID
        outcome = pay(payments, event, dossier)
        assert outcome["outcome"] == "paid"
        answer = payments.certificate_fee(event["dossier_id"])
        assert (answer["state"], answer["order_id"], answer["amount_fen"]) == (published.FEE_PAID, order["order_id"], 2500)
        # Nothing is recorded on the dossier for it: the certificate service asks.
        assert event["dossier_id"] not in dossier.fees

    def test_a_zero_fee_creates_no_order_and_is_not_required(self, payments, dossier):
        event = self.publicity_ended(dossier, 0)
        assert payments.on_publicity_ended(event, dossier) is None
        assert payments.orders_of_dossier(event["dossier_id"]) == []
        answer = payments.certificate_fee(event["dossier_id"])
        assert (answer["state"], answer["amount_fen"], answer["notice_version"]) == (published.FEE_NOT_REQUIRED, 0, 4)

    def test_a_revoked_title_cancels_the_unpaid_certificate_fee(self, payments, dossier):
        event = self.publicity_ended(dossier, 2500)
        order = payments.on_publicity_ended(event, dossier)
        assert payments.on_title_revoked(later_event(event, "dossier_title_revoked", st.REVOKED,
                                                     reason="弄虚作假", fraud=True)) == [order["order_id"]]
        assert only_order(payments, event["dossier_id"])["status"] == published.CANCELLED

    def test_an_expired_certificate_fee_order_is_reopened_at_the_fee_in_force(self, payments, dossier):
        event = self.publicity_ended(dossier, 2500)
        order = payments.on_publicity_ended(event, dossier)
        with payments.engine.begin() as connection:
            connection.execute(orders_table.update().where(orders_table.c.order_id == order["order_id"])
                               .values(expires_at=utc_now() - timedelta(seconds=1)))
        dossier.policies[2026] = (5, {"fees": {"certificate_fen": 3000}})
        reopened = payments.reopen_order(applicant_of(event), event["dossier_id"], dossier)
        assert (reopened["kind"], reopened["amount_fen"], reopened["notice_version"]) == ("certificate_fee", 3000, 5)
