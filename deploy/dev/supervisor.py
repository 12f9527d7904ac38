"""Keep the processes of `make run` running: restart one that exits, stop them all on request.

Plain Python, no eventlet: the launcher is not a nameko process, and the unit tests drive this module
with toy child processes.

- Every child starts in a session (process group) of its own, so a signal reaches the child and
  everything it started, and Ctrl-C in the terminal reaches only the launcher.
- A child that exits while the supervisor is not stopping is restarted after a back-off: the initial
  delay (1 s), doubled on each further exit, up to the cap (30 s). A child that stayed up
  ``stable_after`` seconds (60 s) counts as healthy again: its next exit waits the initial delay.
  A crash-looping child keeps being retried at the cap; it never takes the others down.
- Before the restart, whatever the exited child left in its process group is killed (a grandchild
  still holding the gateway's port, say). The group is killed while the leader is still an unreaped
  zombie, so its process-group id cannot have been handed to another process yet.
- Every exit and restart is written to the console and to ``<log_dir>/supervisor.log``.
- :meth:`Supervisor.stop`: no more restarts; SIGTERM to every group, SIGKILL to what is still there
  after ``stop_timeout`` seconds (or at once on a second stop request, e.g. a second Ctrl-C).
"""
import os
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from shared.clock import beijing_text, utc_now

LOG_NAME = "supervisor.log"


@dataclass
class Child:
    """One supervised program and its current process (None while it waits to be restarted)."""

    name: str
    command: list
    env: dict | None = None
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restart_at: float | None = None
    quick_exits: int = 0  # exits since the child last stayed up stable_after seconds
    restarts: int = 0

    @property
    def pid(self):
        return self.process.pid if self.process is not None else None


def describe_exit(returncode):
    """``exit 3`` or ``signal SIGKILL``: how a person reads a Popen return code."""
    if returncode is not None and returncode < 0:
        try:
            return f"signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"signal {-returncode}"
    return f"exit {returncode}"


def kill_group(pgid, signum):
    """Signal a whole process group; one already gone is no error."""
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def has_exited(process):
    """True once *process* has exited, without reaping it (WNOWAIT), so its group id stays reserved."""
    if process.returncode is not None:
        return True
    try:
        state = os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:  # reaped elsewhere already
        return process.poll() is not None
    return state is not None and state.si_pid != 0


class Supervisor:
    """Start named commands, restart them with back-off when they exit, stop them all on request."""

    def __init__(self, log_dir, *, cwd=None, initial_delay=1.0, max_delay=30.0, stable_after=60.0,
                 stop_timeout=10.0, poll_interval=0.2, console=None):
        self.log_dir = Path(log_dir)
        self.cwd = cwd
        self.initial_delay, self.max_delay, self.stable_after = initial_delay, max_delay, stable_after
        self.stop_timeout, self.poll_interval = stop_timeout, poll_interval
        self.console = console or (lambda line: print(line, flush=True))
        self.children: dict[str, Child] = {}
        self.stop_requests = 0
        self.stopped = False

    # -- requests from outside (signal handlers call request_stop) --------------------------------

    @property
    def stopping(self):
        return self.stop_requests > 0

    def request_stop(self, *_signal_arguments):
        """Ask the supervision loop to stop everything. Safe in a signal handler: it only counts."""
        self.stop_requests += 1

    # -- starting and watching ------------------------------------------------------------------

    def start(self, name, command, env=None):
        """Start *command* as the supervised child *name* (its output goes to ``<log_dir>/<name>.log``)."""
        child = Child(name, list(command), env)
        self.children[name] = child
        self._spawn(child)
        return child

    def check(self):
        """One supervision pass: notice exits, schedule restarts, perform the restarts that are due."""
        for child in list(self.children.values()):
            if child.process is not None:
                if has_exited(child.process):
                    self._reap(child)
            elif not self.stopping and child.restart_at is not None and time.monotonic() >= child.restart_at:
                self._spawn(child)

    def run(self):
        """Supervise until a stop is requested, then stop everything."""
        while not self.stopping:
            self.check()
            time.sleep(self.poll_interval)
        self.stop()

    def wait_until(self, condition, seconds):
        """Supervise while waiting up to *seconds* for *condition()*; False on timeout or a stop request."""
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            if condition():
                return True
            self.check()
            time.sleep(self.poll_interval)
        return False

    def run_foreground(self, command, *, capture=False):
        """Run a one-off command (a seed, the health check) to its end, supervising meanwhile.

        Returns the ``CompletedProcess``, or None when a stop was requested (the command is then ended).
        It stays in the launcher's process group, so Ctrl-C reaches it as it reaches the launcher.
        """
        # Output to files rather than pipes: nothing to drain while we supervise.
        with tempfile.TemporaryFile() as output, tempfile.TemporaryFile() as errors:
            process = subprocess.Popen(command, cwd=self.cwd, stdout=output if capture else None,
                                       stderr=errors if capture else None)
            while process.poll() is None:
                if self.stopping:
                    process.kill()
                    process.wait()
                    return None
                self.check()
                time.sleep(self.poll_interval)
            return subprocess.CompletedProcess(command, process.returncode, *map(self._read_back, (output, errors)))

    @staticmethod
    def _read_back(handle):
        handle.seek(0)
        return handle.read().decode("utf-8", errors="replace")

    # -- stopping ---------------------------------------------------------------------------------

    def stop(self):
        """Stop every child and everything in its process group; nothing is restarted from now on."""
        if self.stopped:
            return
        self.stop_requests = max(self.stop_requests, 1)
        running = [child for child in self.children.values() if child.process is not None]
        for child in running:
            kill_group(child.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        for child in running:
            if not self._wait_exited(child.process, deadline):
                self.log(self._forced_stop_reason(child.name))
            kill_group(child.process.pid, signal.SIGKILL)  # the rest of its group, or all of it
            child.process.wait()
            child.process = None
        self.stopped = True
        self.log("全部进程已停止 (all processes stopped)")

    def _forced_stop_reason(self, name):
        if self.stop_requests > 1:
            return f"{name} 再次收到停止请求,强制结束 (stop requested again: SIGKILL)"
        return f"{name} 未在 {self.stop_timeout:g} 秒内停止,强制结束 (did not stop within {self.stop_timeout:g}s: SIGKILL)"

    def _wait_exited(self, process, deadline):
        """Wait for *process* to exit (not reaping it) until *deadline* or a second stop request."""
        while not has_exited(process):
            if time.monotonic() >= deadline or self.stop_requests > 1:
                return False
            time.sleep(0.05)
        return True

    # -- internals ------------------------------------------------------------------------------

    def _spawn(self, child):
        child.restart_at = None
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_dir / f"{child.name}.log", "ab") as output:
            if child.restarts:
                output.write(f"--- {beijing_text(utc_now(), '%Y-%m-%d %H:%M:%S')} 重启 (restart #{child.restarts}) ---\n"
                             .encode("utf-8"))
                output.flush()
            environment = {**os.environ, **(child.env or {})}
            try:
                child.process = subprocess.Popen(child.command, cwd=self.cwd, stdout=output, stderr=subprocess.STDOUT,
                                                 env=environment, start_new_session=True)
            except OSError as error:  # e.g. the program is missing: retried like a crash
                self.log(f"{child.name} 无法启动 (cannot start): {error}")
                self._schedule_restart(child, uptime=0.0)
                return
        child.started_at = time.monotonic()
        if child.restarts:
            self.log(f"{child.name} 已重启 (restarted) pid {child.process.pid},第 {child.restarts} 次 (restart #{child.restarts})")

    def _reap(self, child):
        """The child exited: kill what is left of its group, reap it, log, and schedule its restart."""
        process = child.process
        kill_group(process.pid, signal.SIGKILL)  # orphans it left behind (still before reaping the leader)
        returncode = process.wait()
        child.process = None
        uptime = time.monotonic() - child.started_at
        delay = self._schedule_restart(child, uptime)
        line = (f"{child.name} 已退出 (exited: {describe_exit(returncode)}, pid {process.pid}, 运行 up {uptime:.1f}s),"
                f"{delay:g} 秒后重启 (restart in {delay:g}s),日志见 {self.log_dir / (child.name + '.log')}")
        if delay >= self.max_delay:
            line += f";反复退出,按上限每 {self.max_delay:g} 秒重试一次 (crash loop: retrying every {self.max_delay:g}s)"
        self.log(line)

    def _schedule_restart(self, child, uptime):
        """Back-off: initial delay doubled per consecutive quick exit, capped; reset after a stable run."""
        if uptime >= self.stable_after:
            child.quick_exits = 0
        # The exponent is bounded: a days-long crash loop must not overflow the float.
        delay = min(self.initial_delay * (2 ** min(child.quick_exits, 32)), self.max_delay)
        child.quick_exits += 1
        child.restarts += 1
        child.restart_at = time.monotonic() + delay
        return delay

    def log(self, message):
        """A line for people on the console, and the same line with a timestamp in supervisor.log."""
        self.console(f"[supervisor] {message}")
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_dir / LOG_NAME, "a", encoding="utf-8") as log:
            log.write(f"{beijing_text(utc_now(), '%Y-%m-%d %H:%M:%S')} {message}\n")
