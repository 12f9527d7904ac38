"""Payment rules with no I/O: the year's fees, order kinds and states, what a provider notification may change.

Money is always an integer number of fen (分). Every decision about an incoming notification is a
pure function of the order as stored and the verified notification, so the rules are unit-tested
without a database or a provider.
"""
from dataclasses import dataclass
from enum import Enum

from shared.contracts.payment import (  # noqa: F401  (order statuses and kinds are published there; re-exported)
    CANCELLED, CERTIFICATE_FEE, EXPIRED, MAX_FEE_FEN, MONEY_RECEIVED, ORDER_STATUS_LABELS, PAID, PENDING, REFUNDED,
    REFUNDING, REVIEW_FEE,
)
from shared.contracts import dossier as st
from shared.contracts import year_policy
from shared.roles import APPLICANT, AUDITOR, CITY_ADMIN
from shared.titles import LEVELS

from .exceptions import PaymentNotAllowedError

# The kinds of order (docs/domain-rules.md R8.1, R8.3). Their amounts come from the review year's
# policy (shared/contracts/year_policy.py ``fees``), never from a table of our own.
KIND_LABELS = {REVIEW_FEE: "职称评审费", CERTIFICATE_FEE: "证书工本费"}
# The dossier status in which a fee of each kind is owed: the review fee after the city's acceptance,
# the certificate fee once publicity has ended and the certificate is due.
AWAITING = {REVIEW_FEE: st.ACCEPTED, CERTIFICATE_FEE: st.APPROVED}

# Ledger entry kinds. Balance due of an order = charge - charge_void - payment + refund.
CHARGE, CHARGE_VOID, PAYMENT, REFUND = "charge", "charge_void", "payment", "refund"
LEDGER_KINDS = (CHARGE, CHARGE_VOID, PAYMENT, REFUND)
LEDGER_KIND_LABELS = {CHARGE: "应收", CHARGE_VOID: "应收冲销", PAYMENT: "收款", REFUND: "退款"}


@dataclass(frozen=True)
class YearFees:
    """A review year's fees as its policy in force sets them; ``notice_version`` 0: no notice yet
    (the published defaults are shown, and no order is priced from them)."""

    review_year: int
    review_fees_fen: dict
    certificate_fee_fen: int
    notice_version: int = 0

    @classmethod
    def from_notice(cls, review_year, notice):
        """From ``dossier.get_notice``'s answer, or the policy defaults when *notice* is None."""
        policy = notice["policy"] if notice else year_policy.effective_policy()
        return cls(review_year=int(review_year),
                   review_fees_fen={level: year_policy.review_fee_fen(policy, level) for level in LEVELS},
                   certificate_fee_fen=year_policy.certificate_fee_fen(policy),
                   notice_version=int(notice["version"]) if notice else 0)

    def amount(self, kind, level):
        return self.review_fees_fen[level] if kind == REVIEW_FEE else self.certificate_fee_fen

    def to_dict(self):
        return {
            "review_year": self.review_year,
            "review_fees_fen": dict(self.review_fees_fen),
            "review_fees_yuan": {level: yuan(amount) for level, amount in self.review_fees_fen.items()},
            "certificate_fee_fen": self.certificate_fee_fen,
            "certificate_fee_yuan": yuan(self.certificate_fee_fen),
            "configured": self.notice_version > 0,
            "notice_version": self.notice_version,
            "level_labels": dict(LEVELS),
        }


# -- money as people read it ----------------------------------------------------------------------

def yuan(fen):
    """``16000`` -> ``"160.00"``."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_BIG_UNITS = ("", "万", "亿")


def yuan_in_words(fen):
    """The amount in capital Chinese numerals as written on receipts: ``16000`` -> ``"人民币壹佰陆拾元整"``."""
    if fen < 0:
        raise ValueError("amount must not be negative")
    whole, jiao, fen_part = fen // 100, fen // 10 % 10, fen % 10
    text = (_integer_in_words(whole) + "元") if whole else ""
    if not jiao and not fen_part:
        return "人民币" + (text or "零元") + "整"
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif whole:
        text += "零"
    if fen_part:
        text += _DIGITS[fen_part] + "分"
    return "人民币" + text


def _integer_in_words(number):
    groups = []
    while number:
        groups.append(number % 10000)
        number //= 10000
    text, pending_zero = "", False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            pending_zero = bool(text)
            continue
        if text and (pending_zero or group < 1000):
            text += "零"
        text += _group_in_words(group) + _BIG_UNITS[index]
        pending_zero = False
    return text


def _group_in_words(group):
    text, zero = "", False
    for position in range(3, -1, -1):
        digit = group // 10 ** position % 10
        if digit == 0:
            zero = bool(text)
            continue
        if zero:
            text += "零"
            zero = False
        text += _DIGITS[digit] + _SMALL_UNITS[position]
    return text


# -- what an incoming notification may do ---------------------------------------------------------

class PaymentDecision(Enum):
    """What a verified payment notification does to its order."""

    MARK_PAID = "mark_paid"              # the order was waiting for this money
    REVIVE_AND_MARK_PAID = "revive"      # expired, but the dossier still awaits payment: accept it
    DUPLICATE = "duplicate"              # this payment is already recorded: change nothing
    ACCEPT_AND_REFUND = "refund"         # money arrived that is no longer owed: record it, pay it back


def decide_payment(order_status, *, trade_already_recorded, dossier_awaits_payment, other_open_order):
    """The effect of a successful payment on an order in *order_status*.

    A trade already in the ledger is a duplicate (however late or out of order it arrives) and
    changes nothing. Money that arrives for an order that was cancelled, expired while another
    order took its place, or was already paid, did move: it is recorded and paid back.
    """
    if trade_already_recorded:
        return PaymentDecision.DUPLICATE
    if order_status == PENDING:
        return PaymentDecision.MARK_PAID
    if order_status == EXPIRED and dossier_awaits_payment and not other_open_order:
        return PaymentDecision.REVIVE_AND_MARK_PAID
    return PaymentDecision.ACCEPT_AND_REFUND


class RefundDecision(Enum):
    """What a verified refund notification does."""

    MARK_REFUNDED = "mark_refunded"
    DUPLICATE = "duplicate"


REFUND_REQUESTED, REFUND_SUBMITTED, REFUND_SUCCEEDED = "requested", "submitted", "succeeded"
REFUND_STATUS_LABELS = {REFUND_REQUESTED: "待提交", REFUND_SUBMITTED: "退款处理中", REFUND_SUCCEEDED: "已退款"}


def decide_refund(refund_status):
    return RefundDecision.DUPLICATE if refund_status == REFUND_SUCCEEDED else RefundDecision.MARK_REFUNDED


def balance_due(entries):
    """What the payer still owes for the ledger *entries* of one order (negative: we owe them)."""
    signs = {CHARGE: 1, CHARGE_VOID: -1, PAYMENT: -1, REFUND: 1}
    return sum(signs[entry["kind"]] * entry["amount_fen"] for entry in entries)


def within_window(notified_at, now, window_seconds):
    """A notification counts only if its signed timestamp is this close to our clock (either way)."""
    return abs((now - notified_at).total_seconds()) <= window_seconds


# -- who may do what ------------------------------------------------------------------------------

def check_finance_reader(actor):
    """Ledgers and reconciliation reports are for the city administrators and auditors."""
    if actor.role not in (CITY_ADMIN, AUDITOR):
        raise PaymentNotAllowedError("只有市人社局审核员或审计人员可以查看账簿和对账报告")


def check_payer(actor, order):
    """Only the applicant the order belongs to pays it."""
    if actor.role != APPLICANT or actor.account_id != order["applicant_id"]:
        raise PaymentNotAllowedError("只有申报人本人可以缴纳本人的费用")


def check_receipt_reader(actor, order):
    """The payer, the city administrators and auditors may download a receipt."""
    if actor.role in (CITY_ADMIN, AUDITOR):
        return
    if actor.role != APPLICANT or actor.account_id != order["applicant_id"]:
        raise PaymentNotAllowedError("只能下载本人的缴费凭证")
