"""Payment rules with no I/O: fees, money in words, what a notification may change, who may act."""
from datetime import datetime, timedelta, timezone

import pytest

from services.payment import domain as d
from services.payment.exceptions import PaymentNotAllowedError
from shared.contracts import year_policy
from shared.roles import Actor


class TestTheYearsFees:
    """Fees are read from the year's policy (docs/domain-rules.md R8.2): the notice's answer, never a copy."""

    def notice(self, version=4, **fees):
        policy = year_policy.effective_policy({"fees": fees})
        return {"review_year": 2027, "version": version, "policy": policy}

    def test_without_a_notice_the_published_defaults_are_shown_unconfigured(self):
        fees = d.YearFees.from_notice(2035, None)
        defaults = year_policy.DEFAULT_POLICY["fees"]
        assert fees.review_fees_fen == defaults["review_fen"] and fees.certificate_fee_fen == defaults["certificate_fen"]
        assert fees.to_dict()["configured"] is False and fees.notice_version == 0

    def test_the_notices_policy_prices_each_kind_and_its_version_is_kept(self):
        fees = d.YearFees.from_notice(2027, self.notice(review_fen={"intermediate": 20050}, certificate_fen=1500))
        assert fees.amount(d.REVIEW_FEE, "intermediate") == 20050
        assert fees.amount(d.REVIEW_FEE, "senior") == year_policy.DEFAULT_POLICY["fees"]["review_fen"]["senior"]
        assert fees.amount(d.CERTIFICATE_FEE, "intermediate") == 1500
        view = fees.to_dict()
        assert (view["configured"], view["notice_version"], view["review_fees_yuan"]["intermediate"],
                view["certificate_fee_yuan"]) == (True, 4, "200.50", "15.00")
        assert view["level_labels"]["associate_senior"] == "副高级"

    def test_each_kind_is_owed_in_its_own_dossier_status(self):
        assert d.AWAITING == {d.REVIEW_FEE: "accepted", d.CERTIFICATE_FEE: "approved"}
        assert d.KIND_LABELS[d.CERTIFICATE_FEE] == "证书工本费"


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
