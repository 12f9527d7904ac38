"""Daily reconciliation: the ledger's payments and refunds of a day against the provider's statement.

Movements are matched by kind and reference (the provider's trade number for payments, our refund
id for refunds). A movement only one side knows, or known to both with different amounts, is a
mismatch; the CSV lists every mismatch for the finance office (UTF-8 with BOM so Excel opens it).
"""
import csv
import io
from dataclasses import dataclass

from .domain import PAYMENT, REFUND, yuan

MISSING_IN_LEDGER = "missing_in_ledger"
MISSING_AT_PROVIDER = "missing_at_provider"
AMOUNT_MISMATCH = "amount_mismatch"
MISMATCH_LABELS = {
    MISSING_IN_LEDGER: "渠道有记录,本方账簿无记录",
    MISSING_AT_PROVIDER: "本方账簿有记录,渠道对账单无记录",
    AMOUNT_MISMATCH: "金额不一致",
}
KIND_LABELS = {PAYMENT: "收款", REFUND: "退款"}
CSV_HEADER = ["对账日期", "支付渠道", "类型", "差异类型", "差异说明", "订单号", "流水号", "本方金额(元)", "渠道金额(元)"]


@dataclass(frozen=True)
class Mismatch:
    kind: str
    problem: str
    order_id: str
    reference: str
    ledger_fen: int | None
    provider_fen: int | None

    def to_dict(self):
        return {
            "kind": self.kind, "problem": self.problem, "problem_label": MISMATCH_LABELS[self.problem],
            "order_id": self.order_id, "reference": self.reference,
            "ledger_fen": self.ledger_fen, "provider_fen": self.provider_fen,
        }


def compare(ledger_rows, statement_lines):
    """``(mismatches, matched_count)`` for one provider and one day.

    *ledger_rows* are ledger entries (dicts with kind, reference, order_id, amount_fen);
    *statement_lines* are the provider's (objects with kind, reference, order_id, amount_fen).
    """
    ours = {}
    for row in ledger_rows:
        if row["kind"] in (PAYMENT, REFUND):
            key = (row["kind"], row["reference"])
            previous = ours.get(key)
            ours[key] = (row["order_id"], row["amount_fen"] + (previous[1] if previous else 0))
    theirs = {}
    for line in statement_lines:
        key = (line.kind, line.reference)
        previous = theirs.get(key)
        theirs[key] = (line.order_id, line.amount_fen + (previous[1] if previous else 0))
    mismatches, matched = [], 0
    for key in sorted(set(ours) | set(theirs)):
        kind, reference = key
        if key not in theirs:
            mismatches.append(Mismatch(kind, MISSING_AT_PROVIDER, ours[key][0], reference, ours[key][1], None))
        elif key not in ours:
            mismatches.append(Mismatch(kind, MISSING_IN_LEDGER, theirs[key][0], reference, None, theirs[key][1]))
        elif ours[key][1] != theirs[key][1]:
            mismatches.append(Mismatch(kind, AMOUNT_MISMATCH, ours[key][0], reference, ours[key][1], theirs[key][1]))
        else:
            matched += 1
    return mismatches, matched


def summary(ledger_rows, statement_lines, mismatches, matched):
    def total(items, kind, amount):
        return sum(amount(item) for item in items if (item["kind"] if isinstance(item, dict) else item.kind) == kind)

    return {
        "matched": matched,
        "mismatches": len(mismatches),
        "ledger_payments_fen": total(ledger_rows, PAYMENT, lambda row: row["amount_fen"]),
        "ledger_refunds_fen": total(ledger_rows, REFUND, lambda row: row["amount_fen"]),
        "provider_payments_fen": total(statement_lines, PAYMENT, lambda line: line.amount_fen),
        "provider_refunds_fen": total(statement_lines, REFUND, lambda line: line.amount_fen),
    }


def to_csv(day, provider, mismatches):
    """The mismatches as CSV text (with a BOM); a header-only file means the day reconciles."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for item in mismatches:
        writer.writerow([
            day.isoformat(), provider, KIND_LABELS[item.kind], item.problem, MISMATCH_LABELS[item.problem],
            item.order_id, item.reference,
            "" if item.ledger_fen is None else yuan(item.ledger_fen),
            "" if item.provider_fen is None else yuan(item.provider_fen),
        ])
    return buffer.getvalue()
