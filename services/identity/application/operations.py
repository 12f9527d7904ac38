"""For operators and auditors: health and the identity audit log."""
from sqlalchemy import select, text

from shared.roles import AUDITOR, SYSADMIN

from ..domain import require_role
from ..tables import AuditEntry
from .records import acting_account
from .views import audit_view


class Operations:
    """What runs the service and checks on it."""

    def __init__(self, database):
        self.database = database

    def health(self):
        try:
            with self.database.transaction() as session:
                session.execute(text("SELECT 1"))
            return {"service": "identity", "status": "ok", "database": "ok"}
        except Exception:  # health reports, it does not raise
            return {"service": "identity", "status": "degraded", "database": "unavailable"}

    def audit_log(self, actor, account_id=None, action=None, limit=100):
        with self.database.transaction() as session:
            acting_account(session, actor)
            require_role(actor, AUDITOR, SYSADMIN)
            query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
            if account_id:
                query = query.where(AuditEntry.account_id == account_id)
            if action:
                query = query.where(AuditEntry.action == action)
            return [audit_view(entry) for entry in session.scalars(query)]
