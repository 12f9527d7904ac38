"""The dossier's event store: eventsourcing_sqlalchemy's PostgreSQL recorder, plus the command key.

A command that carries an idempotency key (shared/idempotency.py) stores the key, with what rebuilds
its answer, in the very transaction that inserts its events: the library's recorder passes the
keyword arguments of ``Application.save`` down to ``_insert_stored_events`` inside its transaction,
so the key row is written after the events, under the events table's lock, and committed (or rolled
back) with them. A crash between save and reply therefore leaves either the events and the key, or
neither — the redelivered request finds the key and answers the first result without recording.
"""
from eventsourcing_sqlalchemy.factory import SQLAlchemyFactory
from eventsourcing_sqlalchemy.recorders import SQLAlchemyApplicationRecorder

from shared.idempotency import claim


class DuplicateCommand(Exception):
    """Raised inside the insert transaction when the command's key is stored already (a twin won)."""


class KeyedApplicationRecorder(SQLAlchemyApplicationRecorder):
    """Inserts events, then the command key, in one transaction (``save(..., command_key=(keyed, answer))``)."""

    def _insert_stored_events(self, session, stored_events, **kwargs):
        notification_ids = super()._insert_stored_events(session, stored_events, **kwargs)
        command_key = kwargs.get("command_key")
        if command_key is not None:
            keyed, answer = command_key
            if not claim(session.connection(), keyed, answer):
                raise DuplicateCommand(keyed.key)
        return notification_ids


class Factory(SQLAlchemyFactory):
    """The persistence module named in ``PERSISTENCE_MODULE`` (application.persistence_env)."""

    application_recorder_class = KeyedApplicationRecorder
