"""Concurrent applicants writing through the gateway while a fault happens, and the log of every request.

Each client is one applicant of 演示单位甲 going round the same cycle: create a draft, fill every
section, add an achievement, upload a PDF, submit, withdraw (which frees the year's one active
dossier for the next lap). Each step is one *operation* with an id of its own, sent as both
``X-Request-Id`` (recorded with the event as its correlation id, so the audit can find it) and
``Idempotency-Key`` (today ignored; with idempotency keys a retry must not record twice). A client
retries an operation with the same id when it got no answer or a 5xx, as a browser user pressing
the button again would, and gives up after ``attempts`` tries. After a failure it looks at its own
dossier list, like a person reloading the page, and carries on from what is really there.
"""
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from shared.clock import utc_now
from tests.factories import (
    annual_assessments, basic_info, continuing_education, education, mobile_phone, resident_id, review_form,
    work_experience,
)

from .api import Reply, login

PASSWORD = "Faults2026ok"
CREATE = {"review_year": 2026, "series": "engineering", "specialty": "电气工程", "level": "intermediate"}
CYCLE = ("create", "basic_info", "education", "work_experience", "continuing_education", "annual_assessments",
         "review_form", "commitment", "achievement", "material", "submit", "withdraw")
ACTIVE = ("draft", "submitted", "returned")
NAME_PARTS = "甲乙丙丁戊己庚辛壬癸"


@dataclass
class RetryPolicy:
    attempts: int = 4
    timeout: float = 10.0
    backoff: float = 1.0  # seconds before the 2nd attempt, doubled before each further one


@dataclass
class Op:
    """One client request (possibly sent several times) and how it ended for the client."""

    cid: str
    client: int
    kind: str
    dossier_id: str | None
    started: float  # time.monotonic()
    finished: float = 0.0
    status: int | None = None
    attempts: int = 0
    acked: bool = False
    gave_up_at: datetime | None = None  # UTC, when the client stopped trying (not acknowledged)
    error: str = ""
    request: tuple | None = None  # (method, path, body, upload), as sent: a confirmation re-sends exactly it
    api: object = None  # the applicant's signed-in client that sent it
    confirmed: bool = False  # in doubt during the fault, answered 2xx when re-sent with its key afterwards

    @property
    def in_doubt(self):
        """The client never learnt whether it happened: no answer or a 5xx at its last try."""
        return not self.acked and (self.status is None or self.status >= 500)


@dataclass
class Applicant:
    index: int
    name: str
    phone: str
    api: object
    dossier_id: str | None = None
    step: int = 0
    needs_sync: bool = False


def applicant_name(index):
    return "测试" + NAME_PARTS[index % 10] + NAME_PARTS[(index // 10) % 10] + NAME_PARTS[(index // 100) % 10]


def register(anon, unit_admin, unit_id, index, seconds=60):
    """A new applicant, confirmed in the unit and signed in (setup: retried until it works)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        id_number, phone = resident_id(), mobile_phone()
        name = applicant_name(index)
        reply = anon.post("/api/v1/auth/register", {"name": name, "id_number": id_number, "phone": phone, "password": PASSWORD})
        if not reply.ok:
            time.sleep(0.5)
            continue
        api, _ = login(anon, phone, PASSWORD)
        membership = api.post("/api/v1/memberships", {"unit_id": unit_id})
        confirmed = unit_admin.post(f"/api/v1/memberships/{membership.field('id')}/confirm") if membership.ok else membership
        if confirmed.ok:
            return Applicant(index, name, phone, api)
        time.sleep(0.5)
    raise RuntimeError(f"could not register applicant {index}")


def request_for(kind, applicant, pdf):
    """(method, path, json body or None, upload or None) of the cycle step *kind*."""
    base = f"/api/v1/dossiers/{applicant.dossier_id}"
    sections = {
        "basic_info": basic_info(), "education": {"entries": education()},
        "work_experience": {"entries": work_experience()}, "continuing_education": {"entries": continuing_education()},
        "annual_assessments": {"entries": annual_assessments()}, "review_form": review_form(),
        "commitment": {"statement_version": "2026-1", "signed_name": applicant.name},
    }
    if kind == "create":
        return "POST", "/api/v1/dossiers", CREATE, None
    if kind in sections:
        return "PUT", f"{base}/sections/{kind}", sections[kind], None
    if kind == "achievement":
        return "POST", f"{base}/achievements", {"kind": "项目", "title": "某变电站改造工程", "date": "2021-06-01"}, None
    if kind == "material":
        return "POST", f"{base}/materials", None, pdf
    if kind == "submit":
        return "POST", f"{base}/submit", {}, None
    return "POST", f"{base}/withdraw", {"reason": "故障测试:撤回后重新申报"}, None


def send_once(api, method, path, body, upload, cid, timeout):
    headers = {"X-Request-Id": cid, "Idempotency-Key": cid}
    if upload is not None:
        return api.upload(path, {"category": "diploma"}, "学历证书.pdf", upload, headers=headers, timeout=timeout)
    return api.request(method, path, body=body, headers=headers, timeout=timeout)


def perform(api, request, cid, policy):
    """Send one operation, retrying with the same id; returns (final reply, attempts)."""
    method, path, body, upload = request
    reply, attempt = Reply(None), 0
    while attempt < policy.attempts:
        if attempt:
            time.sleep(policy.backoff * 2 ** (attempt - 1))
        attempt += 1
        reply = send_once(api, method, path, body, upload, cid, policy.timeout)
        if not reply.retryable:
            break
    return reply, attempt


class Client(threading.Thread):
    """One applicant's loop: the next step of the cycle, then a short pause, until told to stop."""

    def __init__(self, applicant, tag, policy, think, pdf, stop, sink):
        super().__init__(daemon=True, name=f"client-{applicant.index}")
        self.applicant, self.tag, self.policy, self.think = applicant, tag, policy, think
        self.pdf, self.stop, self.sink, self.seq = pdf, stop, sink, 0

    def run(self):
        while not self.stop.is_set():
            if self.applicant.needs_sync and not resync(self.applicant):
                self.stop.wait(0.5)
                continue
            self.sink.append(self.step())
            self.stop.wait(self.think)

    def step(self):
        applicant = self.applicant
        kind = CYCLE[applicant.step]
        self.seq += 1
        op = Op(f"flt-{self.tag}-{applicant.index:02d}-{self.seq:05d}", applicant.index, kind, applicant.dossier_id,
                time.monotonic())
        op.request, op.api = request_for(kind, applicant, self.pdf), applicant.api
        reply, op.attempts = perform(applicant.api, op.request, op.cid, self.policy)
        op.finished, op.status, op.acked, op.error = time.monotonic(), reply.status, reply.ok, reply.error
        if op.acked:
            advance(applicant, kind, reply)
            op.dossier_id = op.dossier_id or reply.field("id")
        else:
            op.gave_up_at = utc_now()
            applicant.needs_sync = True
        return op


def confirm_in_doubt(ops, timeout=15.0):
    """After the platform is back, re-send each in-doubt operation once with its own Idempotency-Key,
    as the API tells a client to do after a 503/504: a request that was recorded must answer with its
    first result (and record nothing more); one that was not may run now. Returns how many answered 2xx."""
    confirmed = 0
    for op in ops:
        if op.in_doubt and op.request is not None:
            method, path, body, upload = op.request
            op.confirmed = send_once(op.api, method, path, body, upload, op.cid, timeout).ok
            confirmed += op.confirmed
    return confirmed


def advance(applicant, kind, reply):
    if kind == "create":
        applicant.dossier_id = reply.field("id")
    applicant.step = (applicant.step + 1) % len(CYCLE)
    if kind == "withdraw":
        applicant.dossier_id = None


def own_dossiers(applicant, timeout=10.0):
    """Every dossier in the applicant's own list (all pages), or None when it cannot be read."""
    items, page = [], 1
    while True:
        reply = applicant.api.get(f"/api/v1/dossiers?per_page=200&page={page}", timeout=timeout)
        if not reply.ok:
            return None
        batch = reply.field("items", [])
        items.extend(batch)
        if len(batch) < 200:
            return items
        page += 1


def resync(applicant):
    """Set the applicant's next step from what the platform really holds; False if it cannot be read."""
    items = own_dossiers(applicant)
    if items is None:
        return False
    active = [item for item in items if item.get("status") in ACTIVE]
    if not active:
        applicant.dossier_id, applicant.step = None, 0
    else:
        item = active[0]
        found = item.get("dossier_id") or item.get("id")
        if found != applicant.dossier_id:
            applicant.dossier_id, applicant.step = found, 1
        if item["status"] == "submitted":
            applicant.step = CYCLE.index("withdraw")
        elif applicant.step == 0:
            applicant.step = 1
    applicant.needs_sync = False
    return True


class Load:
    """Many clients at once; ``stop()`` lets each finish its current operation and returns them all."""

    def __init__(self, applicants, tag, policy, think, pdf):
        self.stop_event, self.ops = threading.Event(), []
        self.clients = [Client(applicant, tag, policy, think, pdf, self.stop_event, self.ops) for applicant in applicants]

    def start(self):
        for client in self.clients:
            client.start()
        return self

    def stop(self, seconds=60):
        self.stop_event.set()
        deadline = time.monotonic() + seconds
        for client in self.clients:
            client.join(max(0.1, deadline - time.monotonic()))
        self.still_busy = sum(client.is_alive() for client in self.clients)
        return list(self.ops)

    def first_ack_after(self, moment):
        """When the first operation acknowledged after *moment* (monotonic) finished, or None."""
        finished = [op.finished for op in list(self.ops) if op.acked and op.finished > moment]
        return min(finished) if finished else None


def parallel(function, items, workers, stop=None):
    """``[function(item) for item in items]`` on *workers* threads. On Ctrl-C the waiting items are
    dropped and *stop* is set, so the running ones can end early instead of holding up the exit."""
    executor = ThreadPoolExecutor(max(1, workers))
    try:
        return list(executor.map(function, items))
    except BaseException:
        if stop is not None:
            stop.set()
        raise
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
