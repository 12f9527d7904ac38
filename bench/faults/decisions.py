"""Conflicting decisions: the unit admin's approve and return on the same submitted dossier, sent at
the same moment, N times. At most one of them may be recorded per trial: approve moves the dossier to
``unit_approved``, where a return is legal again, so a return that merely waited for the approve to
commit and then applied to the new state is a second decision nobody saw coming. ``expected_version``
(the version the reviewer looked at) is what lets the platform refuse it; it is sent only when the
gateway's OpenAPI document says the decision route accepts it (a schema without it refuses unknown
fields with 422).

Dossiers are reused, ``--trials-per-dossier`` trials each: after each trial the dossier is brought
back to ``submitted`` (returned by the unit admin if it was approved, then resubmitted by its
applicant). Trials of different dossiers run in parallel; those of one dossier one after another.
"""
import math
import threading
import time
from collections import Counter

from .api import Reply
from .audit import read
from .load import CYCLE, RetryPolicy, parallel, perform, register, request_for
from .report import Row, verdict

DECISIONS_PATH = "/api/v1/dossiers/{dossier_id}/decisions"
DECISION_EVENTS = ("unit_approved", "returned", "rejected")


def decision_takes_expected_version(anon):
    """Whether the decision route's request schema (OpenAPI) has an ``expected_version`` property."""
    document = anon.get("/api/v1/openapi.json", timeout=30).body or {}
    operation = (document.get("paths", {}).get(DECISIONS_PATH) or {}).get("post") or {}
    schema = ((operation.get("requestBody") or {}).get("content", {}).get("application/json") or {}).get("schema") or {}
    if "$ref" in schema:
        schema = document.get("components", {}).get("schemas", {}).get(schema["$ref"].rsplit("/", 1)[-1], {})
    return "expected_version" in (schema.get("properties") or {})


def submitted_dossier(ctx, index, tag):
    """A new applicant with a complete dossier, submitted (setup, retried step by step)."""
    applicant = register(ctx.anon, ctx.unit_admin, ctx.unit_id, index)
    policy = RetryPolicy(attempts=5, timeout=20, backoff=1)
    for number, kind in enumerate(CYCLE[:CYCLE.index("submit") + 1]):
        reply, _ = perform(applicant.api, request_for(kind, applicant, ctx.pdf), f"flt-{tag}-p{index:03d}-{number:02d}", policy)
        if not reply.ok:
            raise RuntimeError(f"decision pool: {kind} failed: {reply.status} {reply.body}")
        if kind == "create":
            applicant.dossier_id = reply.field("id")
    return applicant


def state(applicant):
    reply = applicant.api.get(f"/api/v1/dossiers/{applicant.dossier_id}", timeout=15)
    dossier = reply.field("dossier") or {}
    return dossier.get("status"), dossier.get("version")


def decision_body(action, cid, version, with_version):
    body = {"action": "approve", "opinion": f"同意推荐({cid})"} if action == "approve" else \
        {"action": "return", "reason": f"请补充基本信息({cid})", "sections": ["basic_info"]}
    if with_version:
        body["expected_version"] = version
    return body


def decide(ctx, applicant, action, cid, version):
    path = DECISIONS_PATH.format(dossier_id=applicant.dossier_id)
    return ctx.unit_admin.post(path, decision_body(action, cid, version, ctx.decisions_version),
                               headers={"X-Request-Id": cid, "Idempotency-Key": cid}, timeout=30)


def back_to_submitted(ctx, applicant, cid_prefix):
    """Return an approved dossier and resubmit it, so the next trial starts from ``submitted``."""
    for attempt in range(5):
        status, version = state(applicant)
        if status == "submitted":
            return version
        if status == "unit_approved":
            decide(ctx, applicant, "return", f"{cid_prefix}-x{attempt}", version)
        elif status == "returned":
            cid = f"{cid_prefix}-s{attempt}"
            applicant.api.post(f"/api/v1/dossiers/{applicant.dossier_id}/submit", {}, timeout=30,
                               headers={"X-Request-Id": cid, "Idempotency-Key": cid})
        else:
            time.sleep(0.5)
    return None


def one_trial(ctx, applicant, tag, number):
    """Approve and return at once; {cid: Reply} of the two, or None if the dossier could not be readied."""
    prefix = f"flt-{tag}-t{number:05d}"
    version = back_to_submitted(ctx, applicant, prefix)
    if version is None:
        return None
    barrier, replies = threading.Barrier(2), {}

    def send(action):
        cid = f"{prefix}-{action[0]}"
        barrier.wait()
        replies[cid] = decide(ctx, applicant, action, cid, version)

    threads = [threading.Thread(target=send, args=(action,)) for action in ("approve", "return")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return {cid: replies.get(cid, Reply(None, None, "no reply")) for cid in (f"{prefix}-a", f"{prefix}-r")}


def run_trials(ctx, pool, tag, trials, stop):
    """Every trial's replies (None: skipped). Trial n uses dossier n mod len(pool); one worker thread
    owns each dossier, so a dossier's trials run one after another while different dossiers overlap."""
    workers = max(1, min(ctx.args.decision_workers, len(pool)))

    def worker(w):
        mine = [n for n in range(trials) if (n % len(pool)) % workers == w]
        return [(n, None if stop.is_set() else one_trial(ctx, pool[n % len(pool)], tag, n)) for n in mine]

    done = [pair for results in parallel(worker, range(workers), workers, stop) for pair in results]
    return [result for _, result in sorted(done, key=lambda pair: pair[0])]


def recorded_decisions(ctx, pool, tag):
    """cid -> number of decision events carrying it, over the pool's dossiers."""
    counts = Counter()
    for applicant in pool:
        body = read(ctx.auditor, f"/api/v1/dossiers/{applicant.dossier_id}/history") or {}
        for event in body.get("items", []):
            cid = (event.get("actor") or {}).get("correlation_id") or ""
            if event.get("type") in DECISION_EVENTS and cid.startswith(f"flt-{tag}-t"):
                counts[cid] += 1
    return counts


def run_decisions(ctx, tag):
    """The decisions row: duplicated = trials in which more than one decision was recorded."""
    row = Row(f"approve vs return at once ×{ctx.args.trials}", recover_applies=False)
    row.notes += [f"before: {note}" for note in ctx.platform.heal()]
    # Long histories make every command slower (the aggregate is replayed from its events), so many
    # trials get more dossiers rather than longer histories.
    size = max(1, math.ceil(ctx.args.trials / ctx.args.trials_per_dossier))
    stop = threading.Event()
    pool = parallel(lambda i: submitted_dossier(ctx, 1000 + i, tag), range(size), ctx.args.decision_workers, stop)
    started = time.monotonic()
    results = run_trials(ctx, pool, tag, ctx.args.trials, stop)
    seconds = time.monotonic() - started
    counts = recorded_decisions(ctx, pool, tag)
    summarize(row, [r for r in results if r is not None], counts, ctx.decisions_version)
    row.notes.append(f"{len(pool)} dossiers, {sum(r is None for r in results)} trials skipped (dossier not "
                     f"back to submitted), {seconds:.1f}s")
    return row


def outcome(recorded, multiple):
    """Which decision a trial left behind: approve, return, both, or none."""
    if multiple:
        return "both"
    if not recorded:
        return "none"
    return "approve" if recorded[0].endswith("-a") else "return"


def summarize(row, trials, counts, with_version):
    outcomes, statuses = Counter(), Counter()
    for replies in trials:
        recorded = [cid for cid in replies if counts.get(cid)]
        row.operations += len(replies)
        for cid, reply in replies.items():
            row.acknowledged += reply.ok
            row.lost += reply.ok and not counts.get(cid)
            row.ghost += (not reply.ok) and bool(counts.get(cid))
            statuses[f"{cid[-1]}:{reply.status}"] += 1
        multiple = sum(counts.get(cid, 0) for cid in replies) > 1
        row.duplicated += multiple
        outcomes[outcome(recorded, multiple)] += 1
    problems = [name for name, count in (("more than one decision", row.duplicated), ("lost", row.lost),
                                         ("ghost", row.ghost)) if count]
    if outcomes["none"]:
        problems.append("no decision recorded")
    row.verdict = verdict(problems)
    row.notes.append("recorded per trial: " + ", ".join(f"{name} {count}" for name, count in sorted(outcomes.items())))
    row.notes.append("answers (a=approve, r=return): " + ", ".join(f"{key} ×{n}" for key, n in sorted(statuses.items())))
    row.notes.append("expected_version sent" if with_version else
                     "expected_version not sent (the decision schema does not list it)")
