"""AccessLogService: the store of who read what (访问记录).

The gateway records each read locally first and hands records over in batches (``record``), so a read
never waits for this service and a broker outage delays records without losing them; a batch sent
twice stores once (each record carries the gateway's id). Auditors read records back by dossier, by
account, or all (``search``). A daily sweep deletes what is older than the retention period, which the
table's own trigger enforces as a floor (tables.py).
"""
import json
import logging
import socket

from marshmallow import ValidationError

from shared.contracts.accesslog import AccessBatchSchema, AccessQuerySchema, AccessRecordSchema
from shared.deadlines import rpc  # nameko's @rpc, refusing calls whose deadline passed
from shared.errors import PlatformError
from shared.observability import CorrelationId
from shared.roles import Actor
from shared.schemas import ActorSchema, dump, load_or_raise
from shared.timers import configured_timer

from . import schemas
from .dependencies import AccessLogApplication

log = logging.getLogger(__name__)


def _actor(data):
    return Actor.from_dict(load_or_raise(ActorSchema(), data, "操作人信息无效"))


class AccessLogService:
    name = "accesslog"

    access_log = AccessLogApplication()
    correlation_id = CorrelationId()

    @rpc(expected_exceptions=PlatformError)
    def record(self, records):
        """Store a batch of reads (shared/contracts/accesslog.py): ``{received, stored, refused}``.

        Each record is checked on its own: one the contract refuses is named in ``refused`` (id and
        problem) and the others are stored, so one bad record never holds back those behind it."""
        batch = load_or_raise(AccessBatchSchema(), {"records": records}, "访问记录格式有误")["records"]
        good, refused = [], []
        for record in batch:
            try:
                good.append(AccessRecordSchema().load(record))
            except ValidationError as error:
                refused.append({"id": str(record.get("id") if isinstance(record, dict) else "")[:36],
                                "problem": json.dumps(error.messages, ensure_ascii=False)[:500]})
        answer = self.access_log.record(good) if good else {"received": 0, "stored": 0}
        return dump(schemas.RecordedOut, {**answer, "received": len(batch), "refused": refused})

    @rpc(expected_exceptions=PlatformError)
    def search(self, actor, query):
        """``{items, total, page, per_page}``: the reads *query* selects, newest first (auditors only)."""
        loaded = load_or_raise(AccessQuerySchema(), query, "检索条件有误")
        return dump(schemas.AccessPageOut, self.access_log.search(_actor(actor), loaded))

    @configured_timer("RETENTION.sweep_seconds", 86400)
    def sweep_expired(self):
        deleted = self.access_log.purge()
        if deleted:
            log.info("access log: %d records past the %d-day retention deleted", deleted, self.access_log.retention_days)

    @rpc
    def health(self):
        report = {"service": self.name, "status": "ok", "instance": socket.gethostname()}
        try:
            report.update(self.access_log.health())
        except Exception as error:
            report.update(status="error", error=str(error))
        return dump(schemas.HealthOut, report)
