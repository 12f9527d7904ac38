"""``python -m bench.faults``: start an isolated platform, run the fault experiments, print the table.

    .venv/bin/python -m bench.faults                  # everything, about 6-10 minutes
    .venv/bin/python -m bench.faults --quick          # shorter outages, fewer clients and trials
    .venv/bin/python -m bench.faults --only broker,kill-gateway,decisions --trials 1000

See docs/faults.md for what runs and what each column means. Loopback only; everything it starts
(RabbitMQ node, PostgreSQL cluster, Redis, S3 server, services) is stopped at the end, also after
Ctrl-C or SIGTERM, and its temporary directory removed (``--keep`` keeps the logs).
"""
import argparse
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from .api import Api, login
from .decisions import decision_takes_expected_version, run_decisions
from .experiments import faults, run_fault
from .infra import PostgresCluster, RabbitNode, RedisServer
from .load import RetryPolicy, parallel, register
from .platform import Platform, launcher_supports_isolation, platform_env
from .procs import Children, free_port
from .report import Row, markdown, notes_section

DEMO_PASSWORD = "Kunming@2026"
EXPERIMENTS = ["broker", "kill-dossier", "kill-review", "kill-identity", "kill-payment", "kill-certificate",
               "kill-gateway", "kill-relay", "postgres", "decisions"]
QUICK = {"clients": 8, "warmup": 2.0, "tail": 3.0, "broker_down": 10.0, "pg_down": 5.0, "trials": 20,
         "recover_timeout": 45.0}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description="故障注入实验 fault-injection suite")
    parser.add_argument("--only", default="", help=f"comma-separated experiments or prefixes: {', '.join(EXPERIMENTS)}")
    parser.add_argument("--quick", action="store_true", help="shorter outages, fewer clients and trials (a smoke run)")
    parser.add_argument("--trials", type=int, help="conflicting-decision trials (default 100)")
    parser.add_argument("--clients", type=int, help="concurrent writing clients (default 20)")
    parser.add_argument("--think", type=float, default=0.2, help="pause of each client between operations, seconds")
    parser.add_argument("--warmup", type=float, help="load before the fault, seconds (default 5)")
    parser.add_argument("--tail", type=float, help="load after recovery, seconds (default 5)")
    parser.add_argument("--broker-down", type=float, help="how long the broker stays stopped, seconds (default 15)")
    parser.add_argument("--pg-down", type=float, help="how long PostgreSQL stays stopped, seconds (default 10)")
    parser.add_argument("--pg-stop-mode", default="fast", choices=("smart", "fast", "immediate"))
    parser.add_argument("--recover-timeout", type=float, help="give up waiting for recovery after, seconds (default 60)")
    parser.add_argument("--restart-timeout", type=float, default=30.0, help="wait for a killed process to be replaced")
    parser.add_argument("--restart-delay", type=float, default=1.0, help="own supervision: restart a killed process after")
    parser.add_argument("--settle", type=float, default=30.0, help="wait for relay backlog 0 before the audit, seconds")
    parser.add_argument("--audit-timeout", type=float, default=120.0, help="read-back budget per experiment, seconds")
    parser.add_argument("--bus-wait", type=float, default=15.0, help="wait for review's queue to catch up, seconds")
    parser.add_argument("--decision-workers", type=int, default=10, help="decision trials running at once (on different dossiers)")
    parser.add_argument("--trials-per-dossier", type=int, default=10, help="decision trials per dossier (more trials: more dossiers)")
    parser.add_argument("--attempts", type=int, default=4, help="tries per client operation (same request id)")
    parser.add_argument("--request-timeout", type=float, default=10.0, help="client timeout per attempt, seconds")
    parser.add_argument("--launcher", choices=("auto", "yes", "no"), default="auto",
                        help="run the services with deploy/dev/launch.py (auto: if it supports an isolated stack)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, data)")
    parser.add_argument("--output", help="also write the Markdown table and notes to this file")
    args = parser.parse_args(argv)
    defaults = {"clients": 20, "warmup": 5.0, "tail": 5.0, "broker_down": 15.0, "pg_down": 10.0, "trials": 100,
                "recover_timeout": 60.0}
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, QUICK[name] if args.quick else value)
    return args


def selected(only):
    if not only:
        return list(EXPERIMENTS)
    wanted = [part.strip() for part in only.split(",") if part.strip()]
    chosen = [name for name in EXPERIMENTS if any(name == w or name.startswith(w) for w in wanted)]
    if not chosen:
        raise SystemExit(f"--only matches nothing; choose from {', '.join(EXPERIMENTS)}")
    return chosen


@dataclass
class Context:
    """What every experiment needs: the stack, the people, the settings."""

    args: argparse.Namespace
    children: Children
    rabbit: RabbitNode
    postgres: PostgresCluster
    redis: RedisServer
    ports: dict = field(default_factory=dict)
    platform: Platform | None = None
    anon: Api | None = None
    unit_admin: Api | None = None
    auditor: Api | None = None
    city: Api | None = None
    unit_id: str = ""
    applicants: list = field(default_factory=list)
    pdf: bytes = b""
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    decisions_version: bool = False
    audited: set = field(default_factory=set)
    # In every request id, so ids are unique across runs and long enough for Idempotency-Key (16+).
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:6])


def log(message):
    print(f"[faults] {message}", flush=True)


def make_context(args, run_dir, children):
    """Choose free loopback ports for the private infrastructure (nothing is started yet)."""
    taken = set()

    def port(preferred):
        chosen = free_port(preferred, taken)
        taken.add(chosen)
        return chosen

    rabbit = RabbitNode(children, run_dir / "rabbitmq", port(5673), port(25673))
    postgres = PostgresCluster(children, run_dir / "postgres", port(5433))
    redis = RedisServer(children, port(6380))
    return Context(args, children, rabbit, postgres, redis, ports={"gateway": port(8100), "s3": port(9100)})


def start_infrastructure(ctx):
    log(f"private RabbitMQ {ctx.rabbit.node} on {ctx.rabbit.port}, PostgreSQL on {ctx.postgres.port}, "
        f"Redis on {ctx.redis.port}, S3 on {ctx.ports['s3']}, gateway on {ctx.ports['gateway']}")
    ctx.rabbit.start()
    ctx.postgres.init()
    ctx.postgres.start()
    ctx.redis.start()


def start_platform(ctx, run_dir):
    use_launcher = {"yes": True, "no": False}.get(ctx.args.launcher, launcher_supports_isolation())
    env = platform_env(run_dir, ctx.rabbit, ctx.postgres, ctx.redis, ctx.ports["gateway"], ctx.ports["s3"])
    env["DEMO_PASSWORD"] = DEMO_PASSWORD
    ctx.platform = Platform(ctx.children, env, ctx.ports["gateway"], ctx.ports["s3"], use_launcher, ctx.args.restart_delay)
    log(f"seeding (identity organisations and accounts, dossier notice); services run by {ctx.platform.supervisor}")
    ctx.platform.seed()
    ctx.platform.start()


def set_up_people(ctx):
    """The admins the audit and the decisions need, and the writing applicants."""
    from tests.pdfs import make_pdf

    ctx.anon = Api(ctx.ports["gateway"], timeout=ctx.args.request_timeout)
    ctx.unit_admin, _ = login(ctx.anon, "unit_a_admin", DEMO_PASSWORD)
    ctx.auditor, _ = login(ctx.anon, "auditor", DEMO_PASSWORD)
    ctx.city, _ = login(ctx.anon, "city_admin", DEMO_PASSWORD)
    units = ctx.anon.get("/api/v1/orgs?type=unit&q=" + urllib.parse.quote("演示单位甲")).field("items", [])
    ctx.unit_id = next(unit["id"] for unit in units if unit["name"] == "演示单位甲")
    ctx.pdf = make_pdf(pages=1)
    ctx.policy = RetryPolicy(attempts=ctx.args.attempts, timeout=ctx.args.request_timeout)
    ctx.applicants = parallel(lambda i: register(ctx.anon, ctx.unit_admin, ctx.unit_id, i), range(ctx.args.clients), 8)
    ctx.decisions_version = decision_takes_expected_version(ctx.anon)
    log(f"{len(ctx.applicants)} applicants registered; decisions take expected_version: {ctx.decisions_version}")


def run_experiments(ctx, names):
    rows, by_name = [], {fault.name: fault for fault in faults(ctx.args)}
    for number, name in enumerate(names, 1):
        started = time.monotonic()
        log(f"{name} …")
        try:
            if name == "decisions":
                row = run_decisions(ctx, f"d.{ctx.run_id}")
            else:
                row = run_fault(ctx, by_name[name], f"e{number:02d}.{ctx.run_id}")
        except Exception as error:  # one broken experiment must not hide the others' rows
            traceback.print_exc()
            row = Row(by_name[name].label if name in by_name else name, verdict=f"ERROR: {error}"[:200], recover_applies=False)
        rows.append(row)
        log(f"{name}: {row.verdict} ({time.monotonic() - started:.0f}s) " + " | ".join(row.cells()[1:7]))
    return rows


def report(rows, args, seconds):
    text = (f"{markdown(rows)}\n\nNotes:\n{notes_section(rows)}\n\n"
            f"({len(rows)} experiments, {seconds:.0f}s; clients {args.clients}, attempts {args.attempts}, "
            f"request timeout {args.request_timeout:g}s)")
    print("\n" + text, flush=True)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")


def interrupted(*_):
    raise KeyboardInterrupt


def clean_up(ctx, children, run_dir, keep):
    """Stop everything this run started, whatever state it is in; a further Ctrl-C is ignored."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    steps = []
    if ctx is not None:
        steps = [ctx.platform.stop if ctx.platform else None, ctx.redis.stop, ctx.postgres.stop, ctx.rabbit.stop]
    for step in [*steps, children.stop_all]:
        try:
            if step:
                step()
        except Exception as error:  # one failed step must not leave the rest running
            log(f"cleanup: {error!r}")
    if keep:
        log(f"kept {run_dir}")
    else:
        shutil.rmtree(run_dir, ignore_errors=True)


def main(argv=None):
    args = parse_args(argv)
    names = selected(args.only)
    signal.signal(signal.SIGTERM, interrupted)
    run_dir = Path(tempfile.mkdtemp(prefix="kunming-faults-"))
    run_dir.chmod(0o755)  # the PostgreSQL server runs as postgres and must reach its data directory
    children, ctx, started, keep = Children(run_dir / "logs"), None, time.monotonic(), args.keep
    try:
        ctx = make_context(args, run_dir, children)
        start_infrastructure(ctx)
        start_platform(ctx, run_dir)
        set_up_people(ctx)
        rows = run_experiments(ctx, names)
        report(rows, args, time.monotonic() - started)
        return 0
    except KeyboardInterrupt:
        log("interrupted: stopping everything")
        return 130
    except Exception:
        keep = True
        log(f"failed; logs kept in {run_dir / 'logs'}")
        raise
    finally:
        clean_up(ctx, children, run_dir, keep)


if __name__ == "__main__":
    os.chdir(Path(__file__).resolve().parents[2])
    sys.exit(main())
