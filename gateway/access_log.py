"""The access log's gateway half: every read of a dossier, its materials, exports and audit pages is
recorded — who (account, name, roles and organisations), when, what, from which address, with which
answer and correlation id — after the answer is made, into this instance's local spool
(gateway/access_spool.py), and handed to the access-log service in batches by a background thread.

So a read costs one local file append (measured in bench/access_log.py), a broker or access-log
outage only delays the hand-over (the spool keeps everything and retries with back-off), and a record
the service refuses is set aside in ``<instance>.refused.jsonl`` instead of stalling those behind it.
Which routes are reads is gateway/access_rules.py.
"""
import json
import logging
import os
import re
import socket
import uuid
from urllib.parse import unquote

import eventlet
from nameko.extensions import DependencyProvider
from nameko.standalone.rpc import ClusterRpcProxy
from werkzeug import Response

from shared.clock import utc_now
from shared.contracts.accesslog import BATCH_LIMIT
from shared.idnumbers import mask_resident_id
from shared.observability import CORRELATION_KEY
from shared.text_rules import line_problem

from .access_rules import access_kind
from .access_spool import Spool
from .errors import error_body
from .pages.session import PRINCIPAL_KEY
from .web import client_address

log = logging.getLogger(__name__)

DEFAULT_SPOOL_DIR = ".run/access-spool"
LONGEST_PAUSE = 30.0  # seconds between hand-over attempts while the service cannot be reached


def clean(text, limit):
    """*text* fit for the store: characters a line may not hold written as escapes, cut at *limit*."""
    text = "" if text is None else str(text)
    if line_problem(text) is not None:
        text = "".join(ch if line_problem(ch) is None else f"\\u{ord(ch):04x}" for ch in text)
    return text[:limit]


# A full resident ID number typed into a search (``?id_number=…``) is kept masked, as everywhere else.
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


def masked_numbers(text):
    return ID_NUMBER.sub(lambda found: mask_resident_id(found.group()), text)


def record_of(worker_ctx, result, exc_info, instance):
    """The access record of a finished request, or None when the route is not a read the log keeps."""
    entrypoint = worker_ctx.entrypoint
    template = getattr(entrypoint, "page_url", None) or getattr(entrypoint, "url", None)
    request = worker_ctx.args[0] if worker_ctx.args else None
    if template is None or request is None or not hasattr(request, "environ"):
        return None
    kind = access_kind(template, request.method)
    if kind is None:
        return None
    if isinstance(result, Response):
        status = result.status_code
    elif exc_info is not None:
        status = error_body(exc_info[1])[0]
    else:
        status = 200
    principal = request.environ.get(PRINCIPAL_KEY)
    path_values = dict(worker_ctx.kwargs or {})
    dossier_id = path_values.pop("dossier_id", None)
    query = masked_numbers(unquote(request.query_string.decode("latin-1")))
    return {
        "id": str(uuid.uuid4()),
        "at": utc_now().isoformat(),
        "account_id": principal.account_id if principal else None,
        "name": clean(principal.name if principal else "", 64),
        "roles": [{"role": role, "org_id": org} for role, org in (principal.roles if principal else ())][:20],
        "kind": kind,
        "dossier_id": clean(dossier_id, 64) if dossier_id else None,
        "target": clean("; ".join(f"{key}={value}" for key, value in path_values.items()), 300),
        "method": request.method,
        "path": clean(request.path + (f"?{query}" if query else ""), 1000),
        "status": status,
        "address": clean(client_address(request), 64),
        "correlation_id": clean(worker_ctx.data.get(CORRELATION_KEY), 128) or None,
        "user_agent": clean(request.headers.get("User-Agent", ""), 300),
        "instance": clean(instance, 128),
    }


class AccessLog(DependencyProvider):
    """Records reads into the spool (``worker_result``, after the answer) and ships the spool."""

    def setup(self):
        settings = self.container.config.get("ACCESS_LOG") or {}
        self.instance = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.spool = Spool(settings.get("SPOOL_DIR") or DEFAULT_SPOOL_DIR, self.instance)
        self.refused_path = self.spool.directory / f"{self.spool.own.path.stem}.refused.jsonl"
        self.pause = float(settings.get("SHIP_SECONDS") or 1.0)
        self.batch = min(int(settings.get("BATCH") or 200), BATCH_LIMIT)
        self.rpc_timeout = float(settings.get("RPC_SECONDS") or 10)
        self.state = {"recorded": 0, "handed_over": 0, "refused": 0, "spool_errors": 0, "last_error": None,
                      "last_handed_over_at": None}
        self._proxy = None
        self._thread = None
        self._stopping = False

    def start(self):
        self._thread = self.container.spawn_managed_thread(self._ship_forever)

    def stop(self):
        self._stopping = True
        try:
            self.ship_once()  # what the last requests recorded, if the service can be reached now
        except Exception as error:
            log.warning("access log: last hand-over before stopping failed, the spool keeps it: %r", error)
        if self._thread is not None:
            self._thread.kill()
        self._close_proxy()
        self.spool.close()

    def kill(self):
        if self._thread is not None:
            self._thread.kill()
        self._close_proxy()
        self.spool.close()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        try:
            record = record_of(worker_ctx, result, exc_info, self.instance)
            if record is not None:
                self.spool.append(record)
                self.state["recorded"] += 1
        except Exception as error:  # never the reader's problem; ops see it in health and the log
            self.state["spool_errors"] += 1
            log.exception("access log: a read could not be recorded: %r", error)

    def get_dependency(self, worker_ctx):
        return self

    def health(self):
        """``{status, backlog_bytes, recorded, handed_over, refused, spool_errors, last_error, …}``."""
        report = dict(self.state, backlog_bytes=self.spool.backlog_bytes())
        report["status"] = "degraded" if report["spool_errors"] or report["last_error"] else "ok"
        return report

    # -- the hand-over ------------------------------------------------------------------------

    def _ship_forever(self):
        pause = self.pause
        while not self._stopping:
            try:
                shipped = self.ship_once()
                self.state["last_error"] = None
                pause = 0 if shipped >= self.batch else self.pause  # a backlog goes out without waiting
            except Exception as error:
                self.state["last_error"] = f"{type(error).__name__}: {error}"[:300]
                log.warning("access log: hand-over failed, the spool keeps the records: %r", error)
                self._close_proxy()
                pause = min(max(pause, self.pause) * 2, LONGEST_PAUSE)
            eventlet.sleep(pause)

    def ship_once(self):
        """Hand over one batch of this instance's records, then any dead instance's; the count handed over."""
        records, end = self.spool.pending(self.batch)
        shipped = 0
        if records:
            self._hand_over(records)
            self.spool.mark_handed_over(end)
            shipped += len(records)
        for orphan in self.spool.orphans():
            try:
                while True:
                    records, end = orphan.pending(self.batch)
                    if not records:
                        break
                    self._hand_over(records)
                    orphan.mark_handed_over(end)
                    shipped += len(records)
            except Exception:
                orphan.release()  # kept, offset and all, for the next attempt
                raise
            orphan.remove()
        return shipped

    def _hand_over(self, records):
        answer = self._service().record(records)
        refused = answer.get("refused") or []
        if refused:
            problems = {item["id"]: item["problem"] for item in refused}
            with open(self.refused_path, "a", encoding="utf-8") as aside:
                for record in records:
                    if record.get("id") in problems:
                        aside.write(json.dumps({"record": record, "problem": problems[record["id"]]},
                                               ensure_ascii=False) + "\n")
            self.state["refused"] += len(refused)
            log.error("access log: %d records refused by the store, set aside in %s", len(refused), self.refused_path)
        self.state["handed_over"] += len(records) - len(refused)
        self.state["last_handed_over_at"] = utc_now().isoformat()

    def _service(self):
        if self._proxy is None:
            config = {"AMQP_URI": self.container.config["AMQP_URI"]}
            self._proxy_context = ClusterRpcProxy(config, timeout=self.rpc_timeout)
            self._proxy = self._proxy_context.start()
        return self._proxy.accesslog

    def _close_proxy(self):
        if self._proxy is not None:
            try:
                self._proxy_context.stop()
            except Exception:
                pass
            self._proxy = None
