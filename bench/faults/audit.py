"""Read back what the platform recorded and hold it against what the clients were told.

Everything is read through the API, as an auditor would: each dossier's history (every event with
the correlation id of the request that caused it), its hash-chain check, and the review service's
work-queue row (built from the bus events: a version behind the dossier's means events did not
arrive). An operation is then

- *lost* when the client got a 2xx and no event carries its id;
- *duplicated* when two or more events carry its id (one request recorded twice);
- *in doubt* when the client's last try got no answer or a 5xx; after recovery each such request is
  sent once more with its Idempotency-Key (what the API asks of a client after a 503/504), and is
  *confirmed* when that answers 2xx;
- a *ghost* when an event carries its id although the client was never told it happened: recorded
  after the client had given up (the command outlived its caller's deadline), or recorded while the
  client was told it failed and the confirmation did not answer with it.
"""
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from .load import own_dossiers


@dataclass
class Findings:
    operations: int = 0
    acknowledged: int = 0
    lost: int = 0
    duplicated: int = 0
    ghost: int = 0
    late_ghost: int = 0  # ghosts recorded after the client had given up
    in_doubt: int = 0  # operations whose last try got no answer or a 5xx
    confirmed: int = 0  # of those, answered 2xx when re-sent with their key after recovery
    refused: int = 0  # final answer a 4xx (the client knows it failed)
    unanswered: int = 0  # final attempt got no HTTP answer at all
    retried: int = 0  # operations that needed more than one try (the clients felt the fault)
    ghost_kinds: Counter = field(default_factory=Counter)
    dossiers: int = 0
    unread: int = 0  # dossiers whose history could not be read back
    unlisted: int = 0  # applicants whose dossier list could not be read (ghost drafts could hide there)
    broken_chain: int = 0
    bus_stale: int = 0
    no_correlation: bool = False
    examples: dict = field(default_factory=lambda: defaultdict(list))


def read(api, path, seconds=30):
    """GET *path* until it answers 2xx (the platform may still be catching up); None after *seconds*."""
    deadline = time.monotonic() + seconds
    while True:
        reply = api.get(path, timeout=15)
        if reply.ok or (reply.status is not None and reply.status < 500 and reply.status != 404):
            return reply.body if reply.ok else None
        if time.monotonic() > deadline:
            return None
        time.sleep(0.5)


def settle(api, seconds):
    """Wait until /health is 200 with no relay backlog and no projection lag: True if it got there."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        reply = api.get("/health", timeout=8)
        dossier = (reply.field("services") or {}).get("dossier") or {}
        if reply.status == 200 and not dossier.get("relay_backlog") and not dossier.get("projection_lag"):
            return True
        time.sleep(0.5)
    return False


def dossier_ids(ops, applicants, already_audited, deadline, findings):
    """The dossiers to read: every one an operation named, and any new one in the applicants' lists
    (a draft created by a request whose client never heard back)."""
    ids = {op.dossier_id for op in ops if op.dossier_id}
    for applicant in applicants:
        listed = own_dossiers(applicant, timeout=15) if time.monotonic() < deadline else None
        if listed is None:
            findings.unlisted += 1
            continue
        ids |= {item.get("dossier_id") for item in listed} - already_audited
    return {dossier_id for dossier_id in ids if dossier_id}


def tagged_events(histories, tag):
    """correlation id -> [event time] for the events caused by this experiment's requests."""
    events = defaultdict(list)
    prefix = f"flt-{tag}-"
    for history in histories.values():
        for event in history:
            cid = (event.get("actor") or {}).get("correlation_id") or ""
            if cid.startswith(prefix):
                events[cid].append(datetime.fromisoformat(event["at"]))
    return events


def classify(ops, events, findings):
    """Count each operation as acknowledged / lost / duplicated / ghost (see the module docstring)."""
    findings.operations, findings.acknowledged = len(ops), sum(op.acked for op in ops)
    for op in ops:
        recorded = events.get(op.cid, [])
        findings.retried += op.attempts > 1
        if op.acked and not recorded:
            findings.lost += 1
            findings.examples["lost"].append(f"{op.kind}:{op.cid}")
        if len(recorded) > 1:
            findings.duplicated += 1
            findings.examples["duplicated"].append(f"{op.kind}:{op.cid}")
        if not op.acked:
            findings.refused += op.status is not None and op.status < 500
            findings.unanswered += op.status is None
            findings.in_doubt += op.in_doubt
            findings.confirmed += op.confirmed
            late = bool(recorded) and any(at > op.gave_up_at for at in recorded)
            if recorded and (late or not op.confirmed):
                findings.ghost += 1
                findings.late_ghost += late
                findings.ghost_kinds[op.kind] += 1
                findings.examples["ghost"].append(f"{op.kind}:{op.cid}({op.status or op.error})")
    return findings


def review_versions_match(city, histories, seconds):
    """Dossiers whose review work-queue row is behind the dossier's last version, after *seconds*.
    Only dossiers that were ever submitted: the queue hides drafts from everyone."""
    pending = {dossier_id: history[-1]["version"] for dossier_id, history in histories.items()
               if any(event.get("type") == "submitted" for event in history)}
    deadline = time.monotonic() + seconds
    while pending and time.monotonic() < deadline:
        for dossier_id, version in list(pending.items()):
            if time.monotonic() > deadline:
                break
            reply = city.get(f"/api/v1/review/queue/{dossier_id}", timeout=5)
            if reply.ok and (reply.field("version") or 0) >= version:
                del pending[dossier_id]
        if pending:
            time.sleep(1)
    return len(pending)


def audit(ctx, ops, tag):
    """Findings for one experiment's operations; reads as ctx.auditor and ctx.city, within
    ``--audit-timeout`` seconds in all (what could not be read by then is counted as unread)."""
    findings = Findings()
    deadline = time.monotonic() + ctx.args.audit_timeout
    ids = dossier_ids(ops, ctx.applicants, ctx.audited, deadline, findings)
    histories = {}
    for dossier_id in sorted(ids):
        left = min(30.0, deadline - time.monotonic())
        body = read(ctx.auditor, f"/api/v1/dossiers/{dossier_id}/history", left) if left > 0 else None
        if body is None:
            findings.unread += 1
            continue
        histories[dossier_id] = body.get("items", [])
        verify = read(ctx.auditor, f"/api/v1/dossiers/{dossier_id}/verify", max(1.0, deadline - time.monotonic())) or {}
        findings.broken_chain += verify.get("ok") is False
    ctx.audited |= set(histories)
    findings.dossiers = len(histories)
    events = tagged_events(histories, tag)
    findings.no_correlation = bool(ops) and not events and any(histories.values())
    classify(ops, events, findings)
    findings.bus_stale = review_versions_match(ctx.city, histories, ctx.args.bus_wait)
    return findings
