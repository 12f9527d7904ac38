"""Reconciliation compares ledger movements with the provider's statement and lists every mismatch."""
import csv
import io
from datetime import date, datetime, timezone

from services.payment import reconciliation as r
from services.payment.provider import StatementLine

AT = datetime(2026, 3, 1, 2, tzinfo=timezone.utc)


def ours(kind, reference, amount, order="PO1"):
    return {"kind": kind, "reference": reference, "amount_fen": amount, "order_id": order}


def theirs(kind, reference, amount, order="PO1"):
    return StatementLine(kind=kind, order_id=order, reference=reference, amount_fen=amount, occurred_at=AT)


def test_books_that_agree_have_no_mismatch():
    mismatches, matched = r.compare([ours("payment", "T1", 16000), ours("refund", "RF1", 16000),
                                     ours("charge", None, 16000)],
                                    [theirs("payment", "T1", 16000), theirs("refund", "RF1", 16000)])
    assert mismatches == [] and matched == 2


def test_each_kind_of_mismatch_is_found():
    mismatches, matched = r.compare(
        [ours("payment", "T1", 16000), ours("payment", "T2", 36000, "PO2")],
        [theirs("payment", "T1", 100), theirs("payment", "T3", 10000, "PO3")],
    )
    found = {(item.reference, item.problem) for item in mismatches}
    assert found == {("T1", r.AMOUNT_MISMATCH), ("T2", r.MISSING_AT_PROVIDER), ("T3", r.MISSING_IN_LEDGER)}
    assert matched == 0


def test_the_csv_lists_the_mismatches_in_chinese_with_yuan_amounts():
    mismatches, _ = r.compare([ours("payment", "T1", 16000)], [theirs("payment", "T1", 100)])
    text = r.to_csv(date(2026, 3, 1), "simulator", mismatches)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == r.CSV_HEADER
    assert rows[1] == ["2026-03-01", "simulator", "收款", "amount_mismatch", "金额不一致", "PO1", "T1", "160.00", "1.00"]


def test_the_summary_totals_both_sides():
    ledger_rows = [ours("payment", "T1", 16000), ours("refund", "RF1", 16000)]
    statement = [theirs("payment", "T1", 16000)]
    mismatches, matched = r.compare(ledger_rows, statement)
    summary = r.summary(ledger_rows, statement, mismatches, matched)
    assert summary == {"matched": 1, "mismatches": 1, "ledger_payments_fen": 16000, "ledger_refunds_fen": 16000,
                       "provider_payments_fen": 16000, "provider_refunds_fen": 0}
