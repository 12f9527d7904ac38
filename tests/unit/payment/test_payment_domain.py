"""Payment rules with no I/O: fees, money in words, what a notification may change, who may act."""
from datetime import datetime, timedelta, timezone

import pytest

from services.payment import domain as d
from services.payment.exceptions import InvalidFeeScheduleError, PaymentNotAllowedError
from shared.roles import Actor


class TestFeeSchedules:
    def test_defaults_follow_domain_section_8_in_fen(self):
        schedule = d.FeeSchedule(review_year=2026)
        assert [schedule.review_fee(level) for level in ("primary", "intermediate", "associate_senior", "senior")] == [
            10000, 16000, 36000, 36000]
        assert schedule.certificate_fee_fen == 0 and schedule.configured is False

    def test_a_complete_schedule_of_whole_fen_is_accepted(self):
        fees = {"primary": 0, "intermediate": 20000, "associate_senior": 40000, "senior": 50000}
        assert d.check_fee_schedule(fees, 0) is None  # no refusal
        with pytest.raises(InvalidFeeScheduleError):  # and the same schedule less one level is refused
            d.check_fee_schedule({level: fen for level, fen in fees.items() if level != "senior"}, 0)

    def test_every_problem_is_named_per_level(self):
        with pytest.raises(InvalidFeeScheduleError) as raised:
            d.check_fee_schedule({"primary": -1, "intermediate": 160.5, "associate_senior": True, "bogus": 1}, 10 ** 9)
        fields = raised.value.fields
        assert set(fields) == {"primary", "intermediate", "associate_senior", "senior", "bogus", "certificate_fee_fen"}
        assert "整数" in fields["primary"][0] and "请填写" in fields["senior"][0]

    def test_the_schedule_shows_yuan_for_people(self):
        view = d.FeeSchedule(review_year=2026).to_dict()
        assert view["review_fees_yuan"]["intermediate"] == "160.00"
        assert view["level_labels"]["associate_senior"] == "副高级"


class TestMoneyInWords:
    @pytest.mark.parametrize("fen, words", [
        (16000, "人民币壹佰陆拾元整"),
        (36000, "人民币叁佰陆拾元整"),
        (10000, "人民币壹佰元整"),
        (100500, "人民币壹仟零伍元整"),
        (1000100, "人民币壹万零壹元整"),
        (1234, "人民币壹拾贰元叁角肆分"),
        (105, "人民币壹元零伍分"),
        (5, "人民币伍分"),
        (0, "人民币零元整"),
    ])
    def test_capital_numerals_as_on_receipts(self, fen, words):
        assert d.yuan_in_words(fen) == words

    def test_figures_keep_two_decimals(self):
        assert (d.yuan(16000), d.yuan(5), d.yuan(-1234)) == ("160.00", "0.05", "-12.34")


class TestPaymentDecisions:
    def decide(self, status, recorded=False, awaits=True, other=False):
        return d.decide_payment(status, trade_already_recorded=recorded, dossier_awaits_payment=awaits,
                                other_open_order=other)

    def test_a_pending_order_is_marked_paid(self):
        assert self.decide(d.PENDING) is d.PaymentDecision.MARK_PAID

    @pytest.mark.parametrize("status", [d.PENDING, d.PAID, d.EXPIRED, d.CANCELLED, d.REFUNDING, d.REFUNDED])
    def test_a_trade_already_in_the_ledger_changes_nothing_whatever_the_order_status(self, status):
        assert self.decide(status, recorded=True) is d.PaymentDecision.DUPLICATE

    def test_late_money_for_an_expired_order_is_taken_while_the_dossier_still_awaits_payment(self):
        assert self.decide(d.EXPIRED) is d.PaymentDecision.REVIVE_AND_MARK_PAID

    def test_late_money_is_paid_back_when_the_dossier_moved_on_or_a_new_order_exists(self):
        assert self.decide(d.EXPIRED, awaits=False) is d.PaymentDecision.ACCEPT_AND_REFUND
        assert self.decide(d.EXPIRED, other=True) is d.PaymentDecision.ACCEPT_AND_REFUND
        assert self.decide(d.CANCELLED) is d.PaymentDecision.ACCEPT_AND_REFUND

    def test_a_second_payment_of_a_paid_order_is_paid_back(self):
        assert self.decide(d.PAID) is d.PaymentDecision.ACCEPT_AND_REFUND

    def test_a_refund_confirmed_twice_is_recorded_once(self):
        assert d.decide_refund(d.REFUND_SUBMITTED) is d.RefundDecision.MARK_REFUNDED
        assert d.decide_refund(d.REFUND_SUCCEEDED) is d.RefundDecision.DUPLICATE


class TestLedgerBalance:
    def entries(self, *kinds):
        return [{"kind": kind, "amount_fen": 16000} for kind in kinds]

    @pytest.mark.parametrize("kinds, due", [
        ((d.CHARGE,), 16000),
        ((d.CHARGE, d.PAYMENT), 0),
        ((d.CHARGE, d.CHARGE_VOID), 0),
        ((d.CHARGE, d.PAYMENT, d.CHARGE_VOID), -16000),  # withdrawn after paying: we owe the refund
        ((d.CHARGE, d.PAYMENT, d.CHARGE_VOID, d.REFUND), 0),
        ((d.CHARGE, d.PAYMENT, d.PAYMENT, d.REFUND), 0),  # paid twice, the second paid back
        ((d.CHARGE, d.CHARGE_VOID, d.CHARGE, d.PAYMENT), 0),  # expired, then paid late and revived
    ])
    def test_every_order_story_balances(self, kinds, due):
        assert d.balance_due(self.entries(*kinds)) == due


class TestNotificationWindow:
    def test_timestamps_within_the_window_either_side_count(self):
        now = datetime(2026, 3, 1, 10, tzinfo=timezone.utc)
        assert d.within_window(now - timedelta(seconds=300), now, 300)
        assert d.within_window(now + timedelta(seconds=299), now, 300)
        assert not d.within_window(now - timedelta(seconds=301), now, 300)
        assert not d.within_window(now + timedelta(hours=1), now, 300)


class TestWhoMayAct:
    order = {"applicant_id": "a-1"}

    def test_only_the_city_admin_sets_fees(self):
        d.check_city_admin(Actor(account_id="c", role="city_admin"))
        with pytest.raises(PaymentNotAllowedError):
            d.check_city_admin(Actor(account_id="u", role="unit_admin"))

    def test_only_the_applicant_pays_their_order(self):
        d.check_payer(Actor(account_id="a-1", role="applicant"), self.order)
        for actor in (Actor(account_id="a-2", role="applicant"), Actor(account_id="a-1", role="unit_admin")):
            with pytest.raises(PaymentNotAllowedError):
                d.check_payer(actor, self.order)

    def test_receipts_for_the_payer_city_admins_and_auditors(self):
        for actor in (Actor(account_id="a-1", role="applicant"), Actor(account_id="x", role="auditor"),
                      Actor(account_id="y", role="city_admin")):
            d.check_receipt_reader(actor, self.order)
        with pytest.raises(PaymentNotAllowedError):
            d.check_receipt_reader(Actor(account_id="a-2", role="applicant"), self.order)

    def test_books_for_city_admins_and_auditors(self):
        d.check_finance_reader(Actor(account_id="x", role="auditor"))
        with pytest.raises(PaymentNotAllowedError):
            d.check_finance_reader(Actor(account_id="a-1", role="applicant"))
