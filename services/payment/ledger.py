"""The ledger: one immutable row per money movement (charge, charge void, payment, refund).

Rows are only ever inserted. A PostgreSQL trigger refuses UPDATE, DELETE and TRUNCATE on the table
for every role, so a bug or a careless hand in psql cannot rewrite the books; corrections are new
rows. Each row's ``entry_key`` is unique, so recording the same movement twice fails loudly.
"""
from sqlalchemy import func, insert, select, text

from shared.append_only import append_only_statements

from .tables import ledger_entries

IMMUTABLE_LEDGER_DDL = append_only_statements(
    "ledger_entries", hint="Record a correcting entry instead of changing or removing one.")


def install_immutability(connection):
    for statement in IMMUTABLE_LEDGER_DDL:
        connection.execute(text(statement))


def append(connection, *, entry_key, kind, order, amount_fen, occurred_at, provider=None, reference=None, note=""):
    """Record one money movement of *order* (a row mapping with order_id and dossier_id)."""
    connection.execute(insert(ledger_entries).values(
        entry_key=entry_key, kind=kind, order_id=order["order_id"], dossier_id=order["dossier_id"],
        amount_fen=int(amount_fen), provider=provider, reference=reference, occurred_at=occurred_at, note=note,
    ))


def count_of_kind(connection, order_id, kind):
    """How many entries of *kind* the order has (numbers the next charge or void key)."""
    return connection.execute(
        select(func.count()).select_from(ledger_entries)
        .where(ledger_entries.c.order_id == order_id, ledger_entries.c.kind == kind)
    ).scalar()


def entries(connection, *, order_id=None, dossier_id=None, start=None, end=None, kinds=None):
    """Ledger rows in entry order, filtered by order, dossier, occurrence time [start, end) and kinds."""
    query = select(ledger_entries).order_by(ledger_entries.c.entry_id)
    if order_id:
        query = query.where(ledger_entries.c.order_id == order_id)
    if dossier_id:
        query = query.where(ledger_entries.c.dossier_id == dossier_id)
    if start is not None:
        query = query.where(ledger_entries.c.occurred_at >= start)
    if end is not None:
        query = query.where(ledger_entries.c.occurred_at < end)
    if kinds:
        query = query.where(ledger_entries.c.kind.in_(kinds))
    return [dict(row) for row in connection.execute(query).mappings()]
