"""Child processes of the fault suite: a clean environment, free loopback ports, and a registry that
stops everything it started (by process group id) at the end, after Ctrl-C and on SIGTERM."""
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
# libfaketime from a shifted test run must not reach the platform or the infrastructure.
_DROPPED = ("LD_PRELOAD", "FAKETIME", "FAKETIME_NO_CACHE", "FAKETIME_DONT_RESET", "FAKETIME_TIMESTAMP_FILE",
            "DONT_FAKE_MONOTONIC")


def clean_env(overrides=None):
    """The parent's environment without libfaketime, plus *overrides*."""
    env = {key: value for key, value in os.environ.items() if key not in _DROPPED}
    env.update(overrides or {})
    return env


def port_is_free(port):
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    with socket.socket() as probe:  # nothing listening on any address either (a 0.0.0.0 listener)
        return probe.connect_ex(("127.0.0.1", port)) != 0


def free_port(preferred, taken=()):
    """*preferred* if nobody uses it, else the next free one above it (never one in *taken*)."""
    port = preferred
    while port in taken or not port_is_free(port):
        port += 1
    return port


def wait_for_port(port, seconds):
    """True once something accepts connections on 127.0.0.1:*port*."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            probe.settimeout(1)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.2)
    return False


def wait_for_port_closed(port, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            probe.settimeout(1)
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return True
        time.sleep(0.2)
    return False


class Children:
    """Every process the suite started, each in its own session so its whole group can be stopped."""

    def __init__(self, log_dir):
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.running = {}

    def start(self, name, command, env, cwd=ROOT):
        log = open(self.log_dir / f"{name}.log", "ab")
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        self.running[name] = process
        return process

    def pid(self, name):
        process = self.running.get(name)
        return process.pid if process and process.poll() is None else None

    def alive(self, name):
        return self.pid(name) is not None

    def kill(self, name, sig=signal.SIGKILL):
        """Send *sig* to the named child's process group (SIGKILL: no chance to clean up)."""
        process = self.running.get(name)
        if process is None or process.poll() is not None:
            return False
        _signal_group(process.pid, sig)
        return True

    def stop(self, name, grace=10):
        """SIGTERM, then SIGKILL after *grace* seconds; waits for the exit."""
        process = self.running.pop(name, None)
        if process is None:
            return
        if process.poll() is None:
            _signal_group(process.pid, signal.SIGTERM)
            try:
                process.wait(grace)
            except subprocess.TimeoutExpired:
                _signal_group(process.pid, signal.SIGKILL)
                process.wait(5)
        _signal_group(process.pid, signal.SIGKILL)  # stragglers left in the group

    def stop_all(self, grace=10):
        for name in reversed(list(self.running)):
            self.stop(name, grace)


def _signal_group(pgid, sig):
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def run(command, env, timeout=120, cwd=ROOT, log=None):
    """Run a short command to completion; its output goes to *log* (a path) or is returned."""
    if log is None:
        return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    with open(log, "ab") as out:
        return subprocess.run(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=timeout)
