"""Tables that are only ever inserted into (the payment ledger, the review room's views, a meeting's
dossier changes): a PostgreSQL trigger refuses UPDATE, DELETE and TRUNCATE for every role, so neither a
bug nor a careless hand in psql can rewrite the record; corrections are new rows."""


def append_only_statements(table, hint="Record a new row instead of changing or removing one."):
    """The SQL that makes *table* append-only (idempotent: ``CREATE OR REPLACE``). Wrapped in SQLAlchemy's
    ``DDL``, which %-formats its text, each ``%`` must be doubled first."""
    function = f"{table}_refuse_change"
    return [
        f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION '{table} is append-only: % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege', HINT = '{hint}';
        END;
        $$ LANGUAGE plpgsql""",
        f"""CREATE OR REPLACE TRIGGER {table}_no_update_or_delete BEFORE UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION {function}()""",
        f"""CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION {function}()""",
    ]
