"""`make run`: start the S3-compatible store, every service and worker, check health, print what runs,
and keep them running.

Runs in the foreground under a supervisor (deploy/dev/supervisor.py): a process that exits is
restarted with back-off (1 s doubling to 30 s, reset after a minute up), each exit and restart is
logged on the console and in ``<run dir>/logs/supervisor.log``. Ctrl-C (or SIGTERM) stops every child
process and its process group, the S3 server included; a second Ctrl-C does not wait for a clean stop.
Logs go to ``<run dir>/logs/<name>.log``.

Environment (defaults give the usual stack on 8000/9000; another set runs a second, isolated stack,
as the fault-injection suite and tests/integration/deploy do):

- ``KUNMING_RUN_DIR`` (``.run``, relative to the checkout): logs and the token-signing key file.
- ``S3_HOST`` / ``S3_PORT`` (``127.0.0.1`` / ``9000``): where the S3 server listens; the services'
  ``S3_ENDPOINT`` follows unless set.
- ``GATEWAY_HOST`` / ``GATEWAY_PORT`` (``127.0.0.1`` / ``8000``, read by gateway/config.yaml): the printed
  URLs, ``GATEWAY_PUBLIC_URL``, the payment simulator's notify and cashier URLs and the certificate
  verification URL follow, unless set themselves.
- ``KUNMING_SEED`` (``all``): ``none`` skips the seeds and the demo story (a fast start on empty
  databases), or a comma-separated list of the seed modules to run (e.g. ``services.identity.seed``).
- ``KUNMING_RESTART_DELAY`` / ``KUNMING_RESTART_MAX_DELAY`` (``1`` / ``30`` seconds): the back-off;
  ``KUNMING_STOP_TIMEOUT`` (``10``): how long a stop waits before SIGKILL.
- Read by the services' own config.yaml, passed through unchanged: ``AMQP_URI`` (a RabbitMQ vhost of its
  own), ``IDENTITY_/DOSSIER_/REVIEW_/PAYMENT_/CERTIFICATE_DATABASE_URL`` and
  ``PAYMENT_SIMULATOR_DATABASE_URL`` (each service creates its database if missing), ``REDIS_URL``,
  ``S3_ENDPOINT`` and the rest (see docs/operations.md).
"""
import os
import signal
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from services.dossier.checkpoints_keys import dev_checkpoint_environment

from .services import RPC_SERVICES, SEEDS, SERVICES, WORKERS
from .supervisor import Supervisor, has_exited

ROOT = Path(__file__).resolve().parents[2]
BIN = str(ROOT / ".venv" / "bin")


@dataclass(frozen=True)
class Settings:
    """Where this stack lives, read once from the environment (see the module docstring)."""

    run_dir: Path
    s3_host: str
    s3_port: int
    gateway_host: str
    gateway_port: int
    public_url: str
    seeds: list
    restart_delay: float
    restart_max_delay: float
    stop_timeout: float

    @property
    def logs(self):
        return self.run_dir / "logs"

    @property
    def local_gateway_url(self):
        """The gateway as processes on this machine reach it."""
        return f"http://{reachable(self.gateway_host)}:{self.gateway_port}"


def reachable(host):
    """The address a local process connects to for a server bound to *host* (a wildcard: loopback)."""
    return "127.0.0.1" if host in ("", "0.0.0.0", "::") else host


def chosen_seeds(value):
    """``all`` → every seed, ``none`` → none, else the listed seed modules in their usual order."""
    value = (value or "all").strip()
    if value == "all":
        return list(SEEDS)
    if value == "none":
        return []
    wanted = {name.strip() for name in value.split(",") if name.strip()}
    known = {seed[1] for seed in SEEDS}
    unknown = wanted - known
    if unknown:
        raise SystemExit(f"KUNMING_SEED 中有未知的种子 (unknown seeds): {', '.join(sorted(unknown))};"
                         f"可用 all、none 或 {', '.join(sorted(known))}")
    return [seed for seed in SEEDS if seed[1] in wanted]


def settings_from(environ):
    run_dir = Path(environ.get("KUNMING_RUN_DIR", ".run"))
    gateway_host, gateway_port = environ.get("GATEWAY_HOST", "127.0.0.1"), int(environ.get("GATEWAY_PORT", "8000"))
    return Settings(
        run_dir=run_dir if run_dir.is_absolute() else ROOT / run_dir,
        s3_host=environ.get("S3_HOST", "127.0.0.1"), s3_port=int(environ.get("S3_PORT", "9000")),
        gateway_host=gateway_host, gateway_port=gateway_port,
        public_url=environ.get("GATEWAY_PUBLIC_URL", f"http://{reachable(gateway_host)}:{gateway_port}").rstrip("/"),
        seeds=chosen_seeds(environ.get("KUNMING_SEED")),
        restart_delay=float(environ.get("KUNMING_RESTART_DELAY", "1")),
        restart_max_delay=float(environ.get("KUNMING_RESTART_MAX_DELAY", "30")),
        stop_timeout=float(environ.get("KUNMING_STOP_TIMEOUT", "10")))


def signing_key(run_dir):
    """A stable token-signing key in the run directory, so tokens survive a restart."""
    key_path = run_dir / "identity-signing-key.pem"
    if not key_path.exists():
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        key_path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        key_path.write_bytes(pem)
        key_path.chmod(0o600)
    return key_path


def ballot_master_key(run_dir):
    """The review service's ballot master key for development: a file in the run directory (mode 0600),
    never a database, so meetings opened before a restart can still be tallied after it."""
    key_path = run_dir / "review-ballot-master-key"
    if not key_path.exists():
        key_path.parent.mkdir(parents=True, exist_ok=True)
        key_path.write_text(os.urandom(32).hex())
        key_path.chmod(0o600)
    return key_path.read_text().strip()


def dev_environment(settings, environ):
    """Settings every child shares; what the caller's environment sets itself wins, except the demo switches."""
    follows_ports = {
        "S3_ENDPOINT": f"{settings.s3_host}:{settings.s3_port}",
        "GATEWAY_PUBLIC_URL": settings.public_url,
        # The payment simulator confirms refunds and re-sends notifications through the gateway's notify route.
        "PAYMENT_SIMULATOR_NOTIFY_URL": f"{settings.local_gateway_url}/api/v1/payments/notify/simulator",
        "PAYMENT_CASHIER_URL": f"{settings.public_url}/payments/simulator/cashier",
        "CERTIFICATE_VERIFY_URL": f"{settings.public_url}/certificates/verify",
        "REVIEW_RECORD_VERIFY_URL": f"{settings.public_url}/records/verify",
    }
    chosen = {name: environ.get(name, default) for name, default in follows_ports.items()}
    # A key the caller sets, even empty (a key per process), is kept; else the run directory's.
    key = environ["IDENTITY_TOKEN_PRIVATE_KEY"] if "IDENTITY_TOKEN_PRIVATE_KEY" in environ else str(signing_key(settings.run_dir))
    chosen["IDENTITY_TOKEN_PRIVATE_KEY"] = key
    chosen["REVIEW_BALLOT_MASTER_KEY"] = environ.get("REVIEW_BALLOT_MASTER_KEY") or ballot_master_key(settings.run_dir)
    # Reads recorded by the gateway wait here until the access-log service has them.
    chosen["GATEWAY_ACCESS_SPOOL_DIR"] = environ.get("GATEWAY_ACCESS_SPOOL_DIR") or str(settings.run_dir / "access-spool")
    # The dossier's signed checkpoints: a key file outside the database, and their own bucket on the dev S3.
    chosen.update(dev_checkpoint_environment(settings.run_dir, environ, chosen["S3_ENDPOINT"]))
    # The simulator stands in for the payment provider in development and demos only.
    return {**chosen, "NOTIFICATION_SMS_EXPOSE_OUTBOX": environ.get("NOTIFICATION_SMS_EXPOSE_OUTBOX", "true"),
            "PAYMENT_SIMULATOR_ENABLED": "true"}


def port_open(host, port):
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((host, port)) == 0


HEALTH_SCRIPT = """
from shared.green import monkey_patch; monkey_patch()
import eventlet
import json, sys, time
from nameko.exceptions import UnknownService
from nameko.standalone.rpc import ClusterRpcProxy
from shared.config import service_config
names, deadline = sys.argv[1].split(","), time.monotonic() + float(sys.argv[2])
reports = {}
with ClusterRpcProxy({"AMQP_URI": service_config(names[0])["AMQP_URI"]}, timeout=10) as rpc:
    for name in names:
        while name not in reports:
            try:
                reports[name] = getattr(rpc, name).health()
            except UnknownService:  # not consuming yet: the service is still starting
                if time.monotonic() > deadline:
                    reports[name] = {"status": "not answering"}
                eventlet.sleep(0.5)
print(json.dumps(reports, ensure_ascii=False))
"""


def health_reports(supervisor, seconds=60):
    """Ask every service's health RPC, waiting for slow starters (in a child: this supervisor stays plain)."""
    names = ",".join(service.name for service in RPC_SERVICES)
    result = supervisor.run_foreground([f"{BIN}/python", "-c", HEALTH_SCRIPT, names, str(seconds)], capture=True)
    if result is None:
        return "(已停止 stopped)"
    return result.stdout.strip() or (result.stderr.strip().splitlines() or ["?"])[-1]


def start_platform(supervisor, settings):
    """S3 store, seeds, services and workers; False when a stop was requested meanwhile."""
    # The object store comes first: the demo data keeps its PDFs there.
    supervisor.start("s3", [f"{BIN}/moto_server", "-H", settings.s3_host, "-p", str(settings.s3_port)])
    if not supervisor.wait_until(lambda: port_open(settings.s3_host, settings.s3_port), 30) and not supervisor.stopping:
        print(f"S3 兼容对象存储未能在 {settings.s3_host}:{settings.s3_port} 启动,见 {settings.logs / 's3.log'}")
    for seed in settings.seeds:
        result = supervisor.run_foreground([f"{BIN}/python", *seed])
        if result is None or supervisor.stopping:  # Ctrl-C reaches the seed too: not a failure
            return False
        if result.returncode != 0:  # the finally of main() stops the object store
            raise SystemExit(f"种子数据载入失败 (seed failed, exit {result.returncode}): {' '.join(seed)}")
    for process in [*SERVICES, *WORKERS]:
        supervisor.start(process.name, process.command(BIN))
    return not supervisor.stopping


def print_running(supervisor, settings):
    print("运行中 running:")
    urls = {service.name: f"{settings.public_url}/" for service in SERVICES if service.url}
    urls["s3"] = f"http://{settings.s3_host}:{settings.s3_port}"
    for name, child in supervisor.children.items():
        state = "running" if child.process is not None and not has_exited(child.process) else "EXITED — see log"
        print(f"  {name:16} pid {child.pid or '-':<8} {state} {urls.get(name, '')}")
    print(f"打开 Open: {settings.public_url}/  (API: {settings.public_url}/api/v1/openapi.json)")
    print(f"进程退出会自动重启 (exited processes are restarted): {settings.logs / 'supervisor.log'}")
    print("按 Ctrl-C 停止全部服务 (Ctrl-C stops everything).")


def main():
    sys.stdout.reconfigure(line_buffering=True)  # lines appear at once, in a terminal or a log file
    settings = settings_from(os.environ)
    os.environ.update(dev_environment(settings, os.environ))
    supervisor = Supervisor(settings.logs, cwd=ROOT, initial_delay=settings.restart_delay,
                            max_delay=settings.restart_max_delay, stop_timeout=settings.stop_timeout)
    signal.signal(signal.SIGTERM, supervisor.request_stop)
    signal.signal(signal.SIGINT, supervisor.request_stop)
    try:
        print(f"正在启动 starting … (logs: {settings.logs}/)")
        if start_platform(supervisor, settings):
            reports = health_reports(supervisor)
            if not supervisor.stopping:
                print("健康检查 health:", reports)
                print_running(supervisor, settings)
        supervisor.run()
    finally:  # an error or a failed seed must not leave anything running
        supervisor.stop()


if __name__ == "__main__":
    main()
