"""The access-log database: one append-only table of reads.

Nobody changes a record: a trigger refuses every UPDATE and TRUNCATE, for every role, and refuses a
DELETE of any record younger than the retention period, so neither a bug, nor a careless hand in psql,
nor a reader who wants a read forgotten can remove one early. Only the retention sweep deletes, and
only what is older than the period. Times are stored in UTC.
"""
from sqlalchemy import Column, DateTime, Index, Integer, MetaData, String, Table, Text, func
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

access_records = Table(
    "access_records",
    metadata,
    Column("id", String(36), primary_key=True),  # the gateway's id: a batch sent again stores once
    Column("at", DateTime(timezone=True), nullable=False),
    # Set by the database when the record arrives: what retention counts from (never earlier than the read).
    Column("stored_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("account_id", String(64)),
    Column("name", String(64), nullable=False),
    Column("roles", JSONB, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("dossier_id", String(64)),
    Column("target", String(300), nullable=False),
    Column("method", String(8), nullable=False),
    Column("path", Text, nullable=False),
    Column("status", Integer, nullable=False),
    Column("address", String(64), nullable=False),
    Column("correlation_id", String(128)),
    Column("user_agent", String(300), nullable=False),
    Column("instance", String(128), nullable=False),
    Index("access_records_by_dossier", "dossier_id", "at"),
    Index("access_records_by_account", "account_id", "at"),
    Index("access_records_by_time", "at"),
    Index("access_records_by_arrival", "stored_at"),
)


def guard_statements(retention_days):
    """The trigger that keeps records as they were written, with *retention_days* as the youngest age a
    record may be deleted at (``CREATE OR REPLACE``: a new retention takes effect at the next start)."""
    days = int(retention_days)
    return [
        f"""CREATE OR REPLACE FUNCTION access_records_refuse_change() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                IF OLD.stored_at < now() - make_interval(days => {days}) THEN
                    RETURN OLD;
                END IF;
            END IF;
            RAISE EXCEPTION 'access_records is append-only: % refused (records are kept {days} days)', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END;
        $$ LANGUAGE plpgsql""",
        """CREATE OR REPLACE TRIGGER access_records_no_update_or_delete BEFORE UPDATE OR DELETE ON access_records
        FOR EACH ROW EXECUTE FUNCTION access_records_refuse_change()""",
        """CREATE OR REPLACE TRIGGER access_records_no_truncate BEFORE TRUNCATE ON access_records
        FOR EACH STATEMENT EXECUTE FUNCTION access_records_refuse_change()""",
    ]
