"""The platform's own processes (deploy/dev/services.py) on the private infrastructure.

Two ways to run them. With a launcher that supports an isolated second stack (``KUNMING_RUN_DIR``,
``S3_PORT``, ``GATEWAY_PORT``, ``KUNMING_SEED=none``: checked in its source), ``python -m deploy.dev.launch``
runs them and its supervisor restarts a killed process, as it would for anyone. Otherwise the suite
starts each process itself and plays the orchestrator: a killed process is started again after
``restart_delay`` seconds. Either way the seeds are the two small idempotent loads (identity's
organisations and accounts, the dossier notice), never the demo story.
"""
import os
import signal
import time
from pathlib import Path

from deploy.dev.services import SERVICES, WORKERS

from .api import Api, wait_healthy
from .procs import BIN, ROOT, clean_env, run, wait_for_port

PROCESSES = {process.name: process for process in [*SERVICES, *WORKERS]}
SEEDS = (["-m", "services.identity.seed"], ["-m", "services.dossier.seed"])
LAUNCHER = ROOT / "deploy" / "dev" / "launch.py"
LAUNCHER_KNOBS = ("KUNMING_RUN_DIR", "KUNMING_SEED", "S3_PORT", "GATEWAY_PORT")


def launcher_supports_isolation():
    """Whether deploy/dev/launch.py reads every knob an isolated second stack needs."""
    try:
        source = LAUNCHER.read_text(encoding="utf-8")
    except OSError:
        return False
    return all(knob in source for knob in LAUNCHER_KNOBS)


def platform_env(run_dir, rabbit, postgres, redis, gateway_port, s3_port):
    """Every setting the services read from the environment, pointed at the private stack."""
    public = f"http://127.0.0.1:{gateway_port}"
    env = {
        "AMQP_URI": rabbit.amqp_uri, "REDIS_URL": redis.url,
        "S3_HOST": "127.0.0.1", "S3_PORT": str(s3_port), "S3_ENDPOINT": f"127.0.0.1:{s3_port}",
        "GATEWAY_HOST": "127.0.0.1", "GATEWAY_PORT": str(gateway_port), "GATEWAY_PUBLIC_URL": public,
        "PAYMENT_SIMULATOR_NOTIFY_URL": f"{public}/api/v1/payments/notify/simulator",
        "PAYMENT_CASHIER_URL": f"{public}/payments/simulator/cashier",
        "CERTIFICATE_VERIFY_URL": f"{public}/certificates/verify",
        "PAYMENT_SIMULATOR_ENABLED": "true", "NOTIFICATION_SMS_EXPOSE_OUTBOX": "true",
        "PAYMENT_SIMULATOR_DATABASE_URL": postgres.url("kunming_paysim"),
        "IDENTITY_TOKEN_PRIVATE_KEY": str(signing_key(run_dir)),
        # Cheap password hashing and long-lived tokens: the suite measures faults, not argon2.
        "IDENTITY_ARGON2_TIME_COST": "1", "IDENTITY_ARGON2_MEMORY_KIB": "8192", "IDENTITY_ARGON2_PARALLELISM": "1",
        "IDENTITY_ACCESS_TTL_SECONDS": "7200",
        "KUNMING_RUN_DIR": str(Path(run_dir) / "launcher"), "KUNMING_SEED": "none",
    }
    for name in ("identity", "dossier", "review", "payment", "certificate"):
        env[f"{name.upper()}_DATABASE_URL"] = postgres.url(f"kunming_{name}")
    return clean_env(env)


def signing_key(run_dir):
    """One Ed25519 key for the whole run, so tokens stay valid when identity is killed and restarted."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = Path(run_dir) / "identity-signing-key.pem"
    if not path.exists():
        path.write_bytes(Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        path.chmod(0o600)
    return path


class Platform:
    """Start, kill, restart and stop the platform's processes; see the module docstring for the modes."""

    def __init__(self, children, env, gateway_port, s3_port, use_launcher, restart_delay=1.0):
        self.children, self.env = children, env
        self.gateway_port, self.s3_port = gateway_port, s3_port
        self.use_launcher, self.restart_delay = use_launcher, restart_delay
        self.api = Api(gateway_port)

    @property
    def supervisor(self):
        return "deploy.dev.launch" if self.use_launcher else "this suite"

    # -- starting and stopping ------------------------------------------------------------------

    def seed(self):
        for seed in SEEDS:
            result = run([str(BIN / "python"), *seed], self.env, timeout=180, log=self.children.log_dir / "seeds.log")
            if result.returncode != 0:
                raise RuntimeError(f"seed {' '.join(seed)} failed; see {self.children.log_dir}/seeds.log")

    def start(self, seconds=120):
        """Everything up and /health 200, or RuntimeError."""
        if self.use_launcher:
            self.children.start("launcher", [str(BIN / "python"), "-m", "deploy.dev.launch"], self.env)
        else:
            self.children.start("s3", [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(self.s3_port)], self.env)
            if not wait_for_port(self.s3_port, 30):
                raise RuntimeError("moto_server did not start")
            for name in PROCESSES:
                self.start_process(name)
        if wait_healthy(self.api, seconds) is None:
            raise RuntimeError(f"the platform did not become healthy in {seconds}s; see {self.children.log_dir}")

    def start_process(self, name):
        self.children.start(name, PROCESSES[name].command(str(BIN)), self.env)

    def stop(self):
        if self.use_launcher:
            self.children.stop("launcher", grace=30)
            self._kill_leftovers()
        else:
            for name in reversed(list(PROCESSES)):
                self.children.stop(name)
            self.children.stop("s3")

    def _kill_leftovers(self):
        """Children of a launcher that died without stopping them (found by their command line)."""
        for name in PROCESSES:
            for pid in _pids_matching(_signature(name)):
                if _environ_has(pid, "GATEWAY_PORT", str(self.gateway_port)):
                    _kill(pid)

    # -- faults ---------------------------------------------------------------------------------

    def pid(self, name):
        if not self.use_launcher:
            return self.children.pid(name)
        launcher = self.children.pid("launcher")
        found = [pid for pid in _child_pids(launcher) if _signature(name) in _cmdline(pid)] if launcher else []
        return found[0] if found else None

    def kill(self, name):
        """SIGKILL the process *name* (and its group); returns the pid killed, or None if none ran."""
        pid = self.pid(name)
        if pid is None:
            return None
        if self.use_launcher:
            _kill(pid, group=True)
        else:
            self.children.kill(name)
        return pid

    def replace(self, name):
        """What an orchestrator does after a crash: nothing here when the launcher supervises."""
        if not self.use_launcher:
            time.sleep(self.restart_delay)
            self.children.stop(name, grace=1)
            self.start_process(name)

    def wait_replaced(self, name, old_pid, seconds):
        """The new pid of *name* once a replacement runs, or None after *seconds*."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            pid = self.pid(name)
            if pid is not None and pid != old_pid:
                return pid
            time.sleep(0.2)
        return None

    def heal(self, seconds=30):
        """Before an experiment: every process running and /health 200, restarting everything if it
        takes longer than *seconds*; notes on what had to be done."""
        notes = []
        if self.use_launcher and not self.children.alive("launcher"):
            notes.append("launcher had exited: restarted it")
            self._kill_leftovers()
            self.children.start("launcher", [str(BIN / "python"), "-m", "deploy.dev.launch"], self.env)
        for name in PROCESSES:
            if self.use_launcher:
                if self.pid(name) is None and self.wait_replaced(name, None, 20) is None:
                    notes.append(f"{name} not running")
            elif not self.children.alive(name):
                notes.append(f"{name} had exited: restarted")
                self.start_process(name)
        if wait_healthy(self.api, seconds) is None:
            notes += [f"/health not 200 after {seconds}s", *self.restart_all()]
        return notes

    def restart_all(self, seconds=120):
        """Stop and start every platform process (the data stays): for a stack that does not come back
        by itself, so the next experiment, or the audit, has a working platform."""
        if self.use_launcher:
            self.children.stop("launcher", grace=30)
            self._kill_leftovers()
            self.children.start("launcher", [str(BIN / "python"), "-m", "deploy.dev.launch"], self.env)
        else:
            for name in PROCESSES:
                self.children.stop(name)
                self.start_process(name)
        took = wait_healthy(self.api, seconds)
        if took is None:
            return [f"restarted every process; /health still not 200 after {seconds}s"]
        return [f"restarted every process; healthy {took:.0f}s later"]


# -- /proc helpers (plain Linux; the suite's processes only) -----------------------------------------

def _signature(name):
    process = PROCESSES[name]
    return getattr(process, "entrypoint", None) or process.module


def _cmdline(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def _child_pids(parent):
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[1] == str(parent) and fields[0] != "Z":
                pids.append(int(entry.name))
    return pids


def _pids_matching(fragment):
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit() and fragment in _cmdline(entry.name)]


def _environ_has(pid, key, value):
    try:
        return f"{key}={value}".encode() in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False


def _kill(pid, group=False):
    try:
        if group and os.getpgid(pid) == pid:
            os.killpg(pid, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
