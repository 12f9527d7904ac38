"""For operators and auditors: health, the identity audit log, and the SMS outbox of the demo console."""
from sqlalchemy import select, text

from shared.roles import AUDITOR, SYSADMIN

from ..domain import require_role
from ..exceptions import ActionNotAllowedError
from ..tables import AuditEntry, OutboxMessage
from .records import acting_account
from .views import audit_view, outbox_view


class Operations:
    """What runs the service and checks on it; *expose_outbox* is config SMS.EXPOSE_OUTBOX (demo only)."""

    def __init__(self, database, expose_outbox):
        self.database, self.expose_outbox = database, expose_outbox

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

    def outbox_messages(self, recipient=None, limit=20):
        """Recent outbox messages, for the demo console; off unless SMS.EXPOSE_OUTBOX is set."""
        if not self.expose_outbox:
            raise ActionNotAllowedError("未开放短信发件箱查询（仅演示环境可开启 SMS.EXPOSE_OUTBOX）")
        query = select(OutboxMessage).order_by(OutboxMessage.created_at.desc()).limit(limit)
        if recipient:
            query = query.where(OutboxMessage.recipient == recipient)
        with self.database.transaction() as session:
            return [outbox_view(message) for message in session.scalars(query)]
