"""Benchmark: approve-vs-return at the same moment on one dossier, 1,000 trials, against the old retry.

    .venv/bin/python bench/conflicts.py [--trials N] [--parallel P]

Each trial submits a dossier, then its unit admin approves it and returns it at the same moment,
both made on the version they saw. A trial is right when exactly one decision is recorded and the
other decision's sender hears that the dossier moved (409). Rows, measured in the same run:

  (a) before, retry     the old rule written out here: a command that lost the version check is
                        run again against the reloaded dossier (``return`` is legal from
                        ``unit_approved``, so the loser's command lands on a state its sender never saw);
  (b) now, direct       ``Dossiers.approve`` / ``return_for_changes`` with ``expected_version``, from two application
                        objects (two "instances"), no RPC;
  (c) now, RPC          two DossierService instances in this process, called over RabbitMQ as
                        review and the gateway call them.

Everything runs in a fresh database and RabbitMQ vhost, removed at the end. It prints figures; it
never fails on them.
"""
import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import logging  # noqa: E402
import random  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from eventsourcing.persistence import IntegrityError  # noqa: E402
from nameko.containers import ServiceContainer  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

from bench.dossier_commands import AMQP_SERVER, CITY_ADMIN, PG_SERVER  # noqa: E402
from services.dossier.application import Dossiers  # noqa: E402
from services.dossier.domain import Dossier, events_stamped_by  # noqa: E402
from services.dossier.exceptions import ConcurrentModificationError, IllegalTransitionError  # noqa: E402
from services.dossier.service import DossierService  # noqa: E402
from shared.db import drop_database, ensure_database  # noqa: E402
from shared.errors import Conflict  # noqa: E402
from shared.rpc import register_platform_errors  # noqa: E402
from tests.factories import Cast, fill_everything, notice_document  # noqa: E402

register_platform_errors()
DECISIONS = ("unit_approved", "returned")


@dataclass(frozen=True)
class Decision:
    """One side of the race: the aggregate's command (the old rule calls it), the use case that runs it
    now, and their arguments."""

    command: object
    use_case: object
    arguments: dict


APPROVE = Decision(Dossier.approve, Dossiers.approve, {"opinion": "同意推荐"})
RETURN = Decision(Dossier.return_for_changes, Dossiers.return_for_changes,
                  {"reason": "请补充学历证明", "sections": ["education"]})


@dataclass
class Row:
    name: str
    trials: int = 0
    exactly_one: int = 0
    both: int = 0
    none: int = 0
    losers_told: int = 0
    seconds: float = 0.0
    notes: list = field(default_factory=list)

    def count(self, recorded, errors):
        self.trials += 1
        if len(recorded) == 1:
            self.exactly_one += 1
        elif len(recorded) > 1:
            self.both += 1
        else:
            self.none += 1
        self.losers_told += sum(1 for error in errors if isinstance(error, Conflict))


def submitted(app):
    cast = Cast()  # a cast per dossier: the notice limits active dossiers per applicant and year
    dossier = app.create(cast.applicant, **cast.creation_fields())
    loaded = app.load(dossier.id)
    fill_everything(loaded, cast)
    app.save(loaded)
    done = app.submit(loaded.id, cast.applicant)
    return cast, str(loaded.id), done.version


def decisions_after(app, dossier_id, version):
    return [entry["type"] for entry in app.history(dossier_id)[version:] if entry["type"] in DECISIONS]


# -- (a) the old rule: retry a lost race against the reloaded dossier ------------------------------


def legacy_execute(app, dossier_id, command, actor, retries=6, backoff=0.01, **arguments):
    """A command as it was run before: load, ``command(dossier, ...)``, save; on a lost race, again
    from the top."""
    for attempt in range(retries + 1):
        dossier = app.load(dossier_id)
        with events_stamped_by(app.clock):
            command(dossier, actor, **arguments)
        try:
            app.save(dossier)
            return dossier
        except IntegrityError:
            if attempt >= retries:
                raise ConcurrentModificationError("正被他人同时处理") from None
            time.sleep(random.uniform(0, backoff * 2**attempt))


def race_in_process(apps, trial, execute):
    cast, dossier_id, version = trial
    errors = []

    def decide(app, decision):
        try:
            execute(app, dossier_id, decision, cast.unit_admin, version)
        except (IllegalTransitionError, ConcurrentModificationError) as error:
            errors.append(error)

    threads = [eventlet.spawn(decide, apps[0], APPROVE), eventlet.spawn(decide, apps[1], RETURN)]
    for thread in threads:
        thread.wait()
    return errors


def before(app, dossier_id, decision, actor, version):
    legacy_execute(app, dossier_id, decision.command, actor, **decision.arguments)


def now_direct(app, dossier_id, decision, actor, version):
    decision.use_case(app, dossier_id, actor, expected_version=version, **decision.arguments)


# -- (c) over RPC, two service instances ---------------------------------------------------------


def race_over_rpc(proxy, trial):
    cast, dossier_id, version = trial
    bodies = [{"action": "approve", "opinion": "同意推荐", "expected_version": version},
              {"action": "return", "reason": "请补充学历证明", "sections": ["education"], "expected_version": version}]
    replies = [proxy.dossier.decide.call_async(cast.unit_admin.to_dict(), dossier_id, body) for body in bodies]
    errors = []
    for reply in replies:
        try:
            reply.result()
        except Conflict as error:
            errors.append(error)
    return errors


def run_row(row, app, trials, race, parallel):
    shares = [trials[start::parallel] for start in range(parallel)]
    started = time.perf_counter()
    answered = list(eventlet.GreenPool(parallel).imap(lambda share: [(t, race(t)) for t in share], shares))
    row.seconds = time.perf_counter() - started
    for share in answered:
        for (_, dossier_id, version), errors in share:
            row.count(decisions_after(app, dossier_id, version), errors)
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=1000, help="approve-vs-return pairs per row (default 1000)")
    parser.add_argument("--parallel", type=int, default=5, help="pairs raced at the same time (default 5)")
    args = parser.parse_args(argv)
    logging.getLogger("nameko").setLevel(logging.ERROR)  # each trial's loser is an expected 409, not news
    run_id = uuid.uuid4().hex[:8]
    url = f"{PG_SERVER}/kunming_bench_conflicts_{run_id}"
    vhost = f"kunming_bench_conflicts_{run_id}"
    ensure_database(url)
    subprocess.run(["rabbitmqctl", "add_vhost", vhost], check=True, capture_output=True)
    subprocess.run(["rabbitmqctl", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"], check=True,
                   capture_output=True)
    config = {"AMQP_URI": f"{AMQP_SERVER}/{vhost}", "DATABASE_URL": url, "max_workers": 10}
    apps = [Dossiers(url, command_retries=6, retry_backoff=0.01) for _ in range(2)]
    containers = []
    try:
        apps[0].publish_notice(CITY_ADMIN, notice_document(2026, policy={"max_active_dossiers": 10}))
        print(f"preparing {3 * args.trials} submitted dossiers ...", file=sys.stderr, flush=True)
        prepared = {name: [submitted(apps[0]) for _ in range(args.trials)] for name in ("a", "b", "c")}
        rows = [
            run_row(Row("(a) before: retry on conflict"), apps[0], prepared["a"],
                    lambda trial: race_in_process(apps, trial, before), args.parallel),
            run_row(Row("(b) now: expected_version, direct"), apps[0], prepared["b"],
                    lambda trial: race_in_process(apps, trial, now_direct), args.parallel),
        ]
        containers = [ServiceContainer(DossierService, config) for _ in range(2)]
        for container in containers:
            container.start()
        proxies = [ClusterRpcProxy({"AMQP_URI": config["AMQP_URI"]}, timeout=60) for _ in range(args.parallel)]
        started = [proxy.start() for proxy in proxies]
        free = list(started)

        def over_rpc(trial):
            proxy = free.pop()  # one standalone proxy per greenthread at a time
            try:
                return race_over_rpc(proxy, trial)
            finally:
                free.append(proxy)

        rows.append(run_row(Row("(c) now: expected_version, RPC x2"), apps[0], prepared["c"], over_rpc,
                            args.parallel))
        for proxy in proxies:
            proxy.stop()
    finally:
        for container in containers:
            container.stop()
        for app in apps:
            app.close()
        drop_database(url)
        subprocess.run(["rabbitmqctl", "delete_vhost", vhost], capture_output=True)
    header = f"{'row':<38} {'trials':>6} {'exactly one':>11} {'both':>5} {'none':>5} {'loser 409':>9} {'seconds':>8}"
    print(header)
    print("-" * len(header))
    for row in rows:
        print(f"{row.name:<38} {row.trials:>6} {row.exactly_one:>11} {row.both:>5} {row.none:>5} "
              f"{row.losers_told:>9} {row.seconds:>8.2f}")
    now = rows[1:]
    print()
    print("now: exactly one decision in every trial" if all(r.exactly_one == r.trials for r in now)
          else "now: SOME TRIALS DID NOT RECORD EXACTLY ONE DECISION")


if __name__ == "__main__":
    main()
