"""Fees come from the review year's policy (docs/domain-rules.md R0.1, R8.1, R8.2, R8.4): the real dossier
service keeps the notices, the real payment service reads them when it creates an order and records
the notice version it priced the order by. A review fee of 0 creates no order and the dossier still
goes on to the committee. Payment keeps no fee schedule of its own and refuses to be given one."""
import pytest
from sqlalchemy import select

from services.payment.exceptions import FeesSetByNoticeError
from services.payment.tables import zero_fees
from shared.contracts import dossier as st
from shared.contracts import payment as published
from shared.contracts.year_policy import DEFAULT_POLICY, review_fee_fen
from tests.factories import Cast, notice_document
from tests.integration.dossier.conftest import CITY_ADMIN, ensure_open_notice
from tests.integration.payment.dossier_journey import REACHES, dossier_in, drive, wait_for

YEAR = 2027


def publish(dossiers, year, **fees):
    """Publish the year's notice (window open now) with *fees* overriding the policy's defaults."""
    policy = {"max_active_dossiers": 10, **({"fees": fees} if fees else {})}
    return dossiers.publish_notice(CITY_ADMIN, notice_document(year, policy=policy))


@pytest.fixture
def notice_2027(dossiers):
    """The 2027 notice as a test publishes it; afterwards 2027 is back on the default fees."""
    yield lambda **fees: publish(dossiers, YEAR, **fees)
    publish(dossiers, YEAR)


def accepted_order(services, dossiers, review_year):
    dossier_id, _ = dossier_in(dossiers, st.ACCEPTED, review_year=review_year)
    (order,) = wait_for(lambda: services.payment.orders_of_dossier(dossier_id))
    return order


class TestOrdersArePricedByTheYearsNotice:
    def test_a_2027_notice_with_its_own_review_fee_prices_2027_orders_only(self, services, dossiers, notice_2027):
        ensure_open_notice(dossiers, 2026)
        default_2026 = review_fee_fen(dossiers.get_notice(2026)["policy"], "intermediate")
        fee_2027 = default_2026 + 7300
        published_2027 = notice_2027(review_fen={"intermediate": fee_2027})

        order_2027 = accepted_order(services, dossiers, YEAR)
        order_2026 = accepted_order(services, dossiers, 2026)

        assert (order_2027["amount_fen"], order_2027["notice_version"]) == (fee_2027, published_2027["version"])
        assert (order_2026["amount_fen"], order_2026["notice_version"]) == (
            default_2026, dossiers.get_notice(2026)["version"])
        shown = services.payment.get_fee_schedule(YEAR)
        assert (shown["review_fees_fen"]["intermediate"], shown["notice_version"], shown["configured"]) == (
            fee_2027, published_2027["version"], True)

    def test_a_new_version_prices_orders_created_after_it_and_earlier_orders_keep_their_amount(
            self, services, dossiers, notice_2027):
        first = notice_2027(review_fen={"intermediate": 21000})
        before = accepted_order(services, dossiers, YEAR)
        second = notice_2027(review_fen={"intermediate": 22500})
        after = accepted_order(services, dossiers, YEAR)

        assert second["version"] == first["version"] + 1
        assert (after["amount_fen"], after["notice_version"]) == (22500, second["version"])
        kept = services.payment.get_order(before["order_id"])
        assert (kept["amount_fen"], kept["notice_version"]) == (21000, first["version"])

    def test_a_year_without_a_notice_shows_the_policy_defaults_unconfigured(self, services):
        shown = services.payment.get_fee_schedule(2039)
        assert (shown["configured"], shown["notice_version"]) == (False, 0)
        assert shown["review_fees_fen"] == DEFAULT_POLICY["fees"]["review_fen"]
        assert shown["certificate_fee_fen"] == DEFAULT_POLICY["fees"]["certificate_fen"]


class TestAZeroReviewFee:
    def test_no_order_is_created_and_the_dossier_still_goes_to_the_committee(self, services, dossiers, payment_db,
                                                                             notice_2027):
        published_2027 = notice_2027(review_fen={"intermediate": 0})
        dossier_id, cast = dossier_in(dossiers, st.ACCEPTED, review_year=YEAR)

        recorded = wait_for(lambda: dossiers.get(dossier_id)["status"] == st.FEE_PAID)
        assert recorded, "the dossier should be told it owes no review fee"
        assert dossiers.get(dossier_id)["fee"] == {"order_id": published.ZERO_FEE_REFERENCE, "amount_fen": 0}
        assert services.payment.orders_of_dossier(dossier_id) == []
        with payment_db.connect() as connection:
            noted = connection.execute(select(zero_fees).where(zero_fees.c.dossier_id == dossier_id)).mappings().one()
        assert (noted["kind"], noted["notice_version"]) == ("review_fee", published_2027["version"])
        assert noted["dossier_recorded_at"] is not None

        # The chain goes on exactly as after a payment: to the committee, the vote, the result.
        assert drive(dossiers, dossier_id, cast, st.PASSED, start=REACHES[st.FEE_PAID])["status"] == st.PASSED
        assert services.payment.orders_of_dossier(dossier_id) == []

    def test_a_zero_fee_the_dossier_could_not_hear_is_told_by_the_sweep(self, services, dossiers, payments,
                                                                      payment_db, notice_2027):
        """Told at once normally; if that call fails the zero_fees row stays unrecorded for the sweep."""
        notice_2027(review_fen={"intermediate": 0})
        dossier_id, _ = dossier_in(dossiers, st.ACCEPTED, review_year=YEAR)
        wait_for(lambda: dossiers.get(dossier_id)["status"] == st.FEE_PAID)
        with payment_db.begin() as connection:  # as if the first telling had failed
            connection.execute(zero_fees.update().where(zero_fees.c.dossier_id == dossier_id)
                               .values(dossier_recorded_at=None))

        class Port:  # the dossier answers that it has the fee already (it does)
            def record_fee_paid(self, dossier_id, order_id, amount_fen):
                assert (order_id, amount_fen) == (published.ZERO_FEE_REFERENCE, 0)
                return "already"

        assert payments.record_zero_fees(Port(), [dossier_id]) == [(dossier_id, "already")]
        assert payments.record_zero_fees(Port(), [dossier_id]) == []


def test_fees_are_set_in_the_notice_and_payment_refuses_a_schedule(services):
    fees = {"primary": 100, "intermediate": 200, "associate_senior": 300, "senior": 400}
    with pytest.raises(FeesSetByNoticeError) as raised:
        services.payment.set_fee_schedule(Cast().city_admin.to_dict(), {"review_year": YEAR, "review_fees_fen": fees})
    assert "年度评审通知" in raised.value.message and "/admin/notices" in raised.value.message
    assert services.payment.get_fee_schedule(YEAR)["review_fees_fen"]["primary"] != 100
