"""Fault experiments under load: the broker stopped, a process killed with SIGKILL, PostgreSQL restarted.

Each one: make sure the platform is whole, start the clients, let them run ``warmup`` seconds, inject
the fault, watch for recovery (``/health`` 200 and a write acknowledged after the fault's end), let
the clients run ``tail`` more seconds, stop them, wait until the relay has published everything, and
audit (bench/faults/audit.py). All of it is bounded: the recovery watch by ``recover_timeout``, each
client request by its retry policy, the settling and the audit by their own limits.
"""
import time
from dataclasses import dataclass
from typing import Callable

from .api import healthy
from .audit import audit, settle
from .load import Load, confirm_in_doubt
from .report import Row, verdict


@dataclass(frozen=True)
class Fault:
    name: str  # what --only matches
    label: str  # the table's "fault" cell
    inject: Callable  # (ctx) -> (monotonic time the fault ended, [notes], label with the measured length or None)


def broker_outage(ctx):
    """Stop the whole private RabbitMQ node, keep it down, start it again (same data directory)."""
    began = time.monotonic()
    ctx.rabbit.stop()
    stopped = time.monotonic()
    time.sleep(max(0.0, ctx.args.broker_down - (stopped - began)))
    restarting = time.monotonic()
    ctx.rabbit.start()
    end = time.monotonic()
    return end, [f"broker down {end - began:.1f}s (stopping {stopped - began:.1f}s, starting {end - restarting:.1f}s)"], \
        f"broker stopped {end - began:.0f} s"


def postgres_restart(ctx):
    """pg_ctl stop (``--pg-stop-mode``), keep it down, pg_ctl start."""
    began = time.monotonic()
    ctx.postgres.stop(ctx.args.pg_stop_mode)
    stopped = time.monotonic()
    time.sleep(max(0.0, ctx.args.pg_down - (stopped - began)))
    restarting = time.monotonic()
    ctx.postgres.start()
    end = time.monotonic()
    return end, [f"PostgreSQL down {end - began:.1f}s (stop -m {ctx.args.pg_stop_mode} {stopped - began:.1f}s, "
                 f"start {end - restarting:.1f}s)"], f"PostgreSQL restart (-m {ctx.args.pg_stop_mode}, down {end - began:.0f} s)"


def process_kill(name):
    """SIGKILL one platform process; its supervisor (the launcher, or this suite) starts another."""

    def inject(ctx):
        old = ctx.platform.kill(name)
        end = time.monotonic()
        if old is None:
            return end, [f"{name} was not running: nothing killed"], None
        ctx.platform.replace(name)
        new = ctx.platform.wait_replaced(name, old, ctx.args.restart_timeout)
        if new is None:
            return end, [f"pid {old} killed; not restarted within {ctx.args.restart_timeout:g}s by {ctx.platform.supervisor}"], None
        return end, [f"pid {old} killed; pid {new} running {time.monotonic() - end:.1f}s later ({ctx.platform.supervisor})"], None

    return inject


KILLED = (("dossier", "dossier"), ("review", "review"), ("identity", "identity"), ("payment", "payment"),
          ("certificate", "certificate"), ("gateway", "gateway"), ("relay", "dossier-relay"))


def faults(args):
    return [
        Fault("broker", f"broker stopped ~{args.broker_down:g} s", broker_outage),
        *[Fault(f"kill-{short}", f"kill -9 {process}", process_kill(process)) for short, process in KILLED],
        Fault("postgres", f"PostgreSQL restart (-m {args.pg_stop_mode}, ~{args.pg_down:g} s)", postgres_restart),
    ]


def measure_recovery(ctx, load, fault_end):
    """Seconds from *fault_end* until /health was 200 and a write had been acknowledged, or None."""
    health_at = None
    while time.monotonic() - fault_end < ctx.args.recover_timeout:
        if health_at is None and healthy(ctx.anon, timeout=5):
            health_at = time.monotonic()
        write_at = load.first_ack_after(fault_end)
        if health_at is not None and write_at is not None:
            return max(health_at, write_at) - fault_end
        time.sleep(0.5)
    return None


def run_fault(ctx, fault, tag):
    """One experiment, one row."""
    row = Row(fault.label)
    row.notes += [f"before: {note}" for note in ctx.platform.heal()]
    load = Load(ctx.applicants, tag, ctx.policy, ctx.args.think, ctx.pdf).start()
    try:
        time.sleep(ctx.args.warmup)
        fault_end, notes, label = fault.inject(ctx)
        row.fault, row.notes = label or row.fault, row.notes + notes
        row.recover = measure_recovery(ctx, load, fault_end)
        time.sleep(ctx.args.tail)
    except BaseException:  # a failed injection or Ctrl-C: the clients must not go on writing
        load.stop(seconds=2)
        raise
    ops = load.stop(seconds=ctx.policy.attempts * (ctx.policy.timeout + 4 * ctx.policy.backoff) + 5)
    if load.still_busy:
        row.notes.append(f"{load.still_busy} clients still inside an operation when the load stopped (not counted)")
    settled = settle(ctx.anon, ctx.args.settle)
    if not settled and not healthy(ctx.anon):
        row.notes += [f"before the audit: {note}" for note in ctx.platform.restart_all()]
    confirm_in_doubt(ops)
    findings = audit(ctx, ops, tag)
    fill(row, findings, settled)
    return row


def fill(row, findings, settled):
    """The row's counts, verdict and notes from the audit's findings."""
    row.operations, row.acknowledged = findings.operations, findings.acknowledged
    row.lost, row.duplicated, row.ghost = findings.lost, findings.duplicated, findings.ghost
    problems = [name for name, count in (("lost", row.lost), ("duplicated", row.duplicated), ("ghost", row.ghost))
                if count]
    if row.recover_applies and row.recover is None:
        problems.append("no recovery")
    if findings.bus_stale:
        problems.append("events not delivered")
        row.notes.append(f"{findings.bus_stale} dossiers' review queue row behind their last version")
    if findings.broken_chain:
        problems.append("hash chain broken")
    if findings.unread or findings.unlisted:
        problems.append("history unreadable")
        row.notes.append(f"could not read {findings.unread} dossiers' history and {findings.unlisted} applicants' lists")
    if not settled:
        row.notes.append("relay backlog or projection lag not back to 0 before the audit")
    if findings.no_correlation:
        problems = ["UNMEASURED (no event carries a request id)"]
    row.verdict = verdict(problems)
    server_errors = findings.operations - findings.acknowledged - findings.refused - findings.unanswered
    row.notes.append(f"{findings.dossiers} dossiers audited; {findings.retried} operations needed a retry; not acknowledged: "
                     f"{findings.refused} refused (4xx), {server_errors} 5xx, {findings.unanswered} without answer")
    if findings.in_doubt:
        row.notes.append(f"{findings.in_doubt} in doubt at the client's last try; re-sent with their key after recovery, "
                         f"{findings.confirmed} answered 2xx")
    if findings.ghost:
        kinds = ", ".join(f"{kind} {count}" for kind, count in findings.ghost_kinds.most_common())
        row.notes.append(f"ghosts by step: {kinds}; {findings.late_ghost} of them recorded after the client gave up")
    for kind, examples in findings.examples.items():
        row.notes.append(f"e.g. {kind}: " + ", ".join(examples[:3]))
