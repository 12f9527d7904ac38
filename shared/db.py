"""PostgreSQL helpers: each service owns one database, created on first start if missing."""
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def ensure_database(url):
    """Create the database named in *url* if the server does not have it yet (idempotent)."""
    target = make_url(url)
    admin_engine = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin_engine.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
            ).scalar()
            if not exists:
                # Identifiers cannot be bound parameters; the name comes from our own config.
                connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin_engine.dispose()


def drop_database(url):
    """Drop the database named in *url*, disconnecting its sessions first (used by tests only)."""
    target = make_url(url)
    admin_engine = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin_engine.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": target.database},
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}"'))
    finally:
        admin_engine.dispose()


def make_engine(url, pool_size=10):
    """An engine for a service's own database; pre-ping so a restarted server is survived."""
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, future=True)
