"""The dev supervisor with toy child processes: restarts with back-off, logs them, stops everything."""
import os
import re
import signal
import socket
import sys
import threading
import time

from deploy.dev.supervisor import Supervisor, describe_exit
from tests.waiting import described, wait_until

# Appends "<monotonic start time> <pid>" to the runs file, then lives the planned seconds of this run
# (the last entry of the plan repeats) and exits 3.
RECORDER = """
import os, sys, time
runs, plan = sys.argv[1], [float(x) for x in sys.argv[2].split(",")]
with open(runs, "a") as record:
    record.write(f"{time.monotonic()} {os.getpid()}\\n")
count = len(open(runs).read().splitlines())
time.sleep(plan[min(count, len(plan)) - 1])
sys.exit(3)
"""

# Listens on a port (no SO_REUSEADDR), leaves a grandchild holding the socket, records both pids.
SERVER = """
import os, socket, subprocess, sys, time
port, record = int(sys.argv[1]), sys.argv[2]
server = socket.socket()
server.bind(("127.0.0.1", port))
server.listen()
helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], pass_fds=[server.fileno()])
with open(record, "a") as out:
    out.write(f"{os.getpid()} {helper.pid}\\n")
time.sleep(120)
"""

# Starts a grandchild in its own process group's reach, records its pid, sleeps.
PARENT = """
import subprocess, sys, time
helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
open(sys.argv[1], "w").write(str(helper.pid))
time.sleep(120)
"""

STUBBORN = """
import os, signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
open(sys.argv[1], "w").write(str(os.getpid()))
time.sleep(120)
"""


def toy(script, *arguments):
    return [sys.executable, "-c", script, *map(str, arguments)]


def make_supervisor(tmp_path, **settings):
    lines = []
    supervisor = Supervisor(tmp_path / "logs", cwd=tmp_path, console=lines.append, poll_interval=0.02, **settings)
    supervisor.console_lines = lines
    return supervisor


def supervise_until(supervisor, condition, seconds=15):
    """Drive *supervisor* (one supervision pass per poll) until *condition()*; AssertionError if it never holds."""
    return wait_until(lambda: supervisor.check() or condition(), seconds, interval=0.02, what=described(condition))


def keep_supervising(supervisor, seconds):
    """Drive *supervisor* for *seconds*, whatever happens meanwhile."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        supervisor.check()
        time.sleep(0.02)


def runs(path):
    """(start time, pid) of each run the recorder wrote."""
    if not path.exists():
        return []
    return [(float(start), int(pid)) for start, pid in (line.split() for line in path.read_text().splitlines())]


def alive(pid):
    """Running (a zombie nobody reaped yet counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def gone_soon(pid, seconds=5):
    return wait_until(lambda: not alive(pid), seconds, interval=0.02, what=f"process {pid} to be gone")


def logged_delays(supervisor, name):
    text = (supervisor.log_dir / "supervisor.log").read_text()
    return [float(delay) for delay in re.findall(rf"{name} 已退出 .*?restart in ([0-9.]+)s", text)]


def test_a_child_that_exits_is_restarted_after_the_back_off_and_both_are_logged(tmp_path):
    supervisor = make_supervisor(tmp_path, initial_delay=0.3, max_delay=5, stable_after=30)
    record = tmp_path / "runs"
    supervisor.start("toy", toy(RECORDER, record, "0.1,120"))
    try:
        assert supervise_until(supervisor, lambda: len(runs(record)) == 2)
        (first_start, first_pid), (second_start, second_pid) = runs(record)
        assert second_start - first_start >= 0.1 + 0.3  # lived 0.1 s, then waited the back-off
        assert supervisor.children["toy"].pid == second_pid != first_pid
        log = (supervisor.log_dir / "supervisor.log").read_text()
        assert f"toy 已退出 (exited: exit 3, pid {first_pid}" in log
        assert "restart in 0.3s" in log
        assert f"toy 已重启 (restarted) pid {second_pid}" in log
        assert any("toy 已重启" in line for line in supervisor.console_lines)
        assert "重启 (restart #1)" in (supervisor.log_dir / "toy.log").read_text()
    finally:
        supervisor.stop()


def test_a_crash_looping_child_backs_off_doubling_to_the_cap_and_keeps_being_retried(tmp_path):
    supervisor = make_supervisor(tmp_path, initial_delay=0.1, max_delay=0.4, stable_after=30)
    record = tmp_path / "runs"
    supervisor.start("crasher", toy(RECORDER, record, "0"))
    try:
        assert supervise_until(supervisor, lambda: len(runs(record)) >= 6)
    finally:
        supervisor.stop()
    delays = logged_delays(supervisor, "crasher")
    assert delays[:5] == [0.1, 0.2, 0.4, 0.4, 0.4]
    starts = [start for start, _ in runs(record)]
    for gap, delay in zip([b - a for a, b in zip(starts, starts[1:], strict=False)], delays, strict=False):
        assert gap >= delay
    assert any("crash loop: retrying every 0.4s" in line for line in supervisor.console_lines)
    assert not any("crash loop" in line for line in supervisor.console_lines if "restart in 0.2s" in line)


def test_the_back_off_starts_again_after_the_child_stayed_up(tmp_path):
    supervisor = make_supervisor(tmp_path, initial_delay=0.1, max_delay=0.4, stable_after=0.5)
    record = tmp_path / "runs"
    supervisor.start("flaky", toy(RECORDER, record, "0,0,0,0.8,0"))
    try:
        assert supervise_until(supervisor, lambda: len(runs(record)) >= 5)
    finally:
        supervisor.stop()
    assert logged_delays(supervisor, "flaky")[:4] == [0.1, 0.2, 0.4, 0.1]


def test_kill_9_of_a_child_takes_its_grandchildren_and_the_restart_binds_the_port_again(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    supervisor = make_supervisor(tmp_path, initial_delay=0.1, max_delay=1, stable_after=30)
    record = tmp_path / "servers"
    supervisor.start("server", toy(SERVER, port, record))
    lines = lambda: record.read_text().splitlines() if record.exists() else []  # noqa: E731
    try:
        assert supervise_until(supervisor, lambda: len(lines()) == 1)
        server_pid, helper_pid = map(int, lines()[0].split())
        os.kill(server_pid, signal.SIGKILL)
        # Without the group kill the helper would keep the port and every restart would fail to bind.
        assert supervise_until(supervisor, lambda: len(lines()) == 2)
        assert gone_soon(helper_pid)
        assert supervisor.children["server"].pid == int(lines()[1].split()[0])
        assert f"server 已退出 (exited: signal SIGKILL, pid {server_pid}" in (supervisor.log_dir / "supervisor.log").read_text()
    finally:
        supervisor.stop()


def test_stop_ends_every_child_and_its_group_and_restarts_none(tmp_path):
    supervisor = make_supervisor(tmp_path, initial_delay=0.3, max_delay=1, stable_after=30, stop_timeout=0.5)
    helper_file, stubborn_file, crasher_runs = tmp_path / "helper", tmp_path / "stubborn", tmp_path / "crasher"
    parent = supervisor.start("parent", toy(PARENT, helper_file))
    supervisor.start("stubborn", toy(STUBBORN, stubborn_file))
    supervisor.start("crasher", toy(RECORDER, crasher_runs, "0"))
    crasher_waiting = lambda: supervisor.children["crasher"].restart_at is not None  # noqa: E731
    assert supervise_until(supervisor, lambda: helper_file.exists() and stubborn_file.exists() and crasher_waiting())
    pids = [parent.pid, int(helper_file.read_text()), int(stubborn_file.read_text())]

    began = time.monotonic()
    supervisor.stop()
    assert 0.5 <= time.monotonic() - began < 5  # waited for the stubborn one, then killed it

    assert [pid for pid in pids if alive(pid)] == []
    assert all(child.pid is None for child in supervisor.children.values())
    keep_supervising(supervisor, 0.8)  # past the crasher's back-off
    assert len(runs(crasher_runs)) == 1
    log = (supervisor.log_dir / "supervisor.log").read_text()
    assert "stubborn 未在 0.5 秒内停止" in log
    assert "全部进程已停止" in log
    assert "crasher 已重启" not in log


def test_a_second_stop_request_does_not_wait_for_a_clean_stop(tmp_path):
    supervisor = make_supervisor(tmp_path, stop_timeout=60)
    stubborn_file = tmp_path / "stubborn"
    supervisor.start("stubborn", toy(STUBBORN, stubborn_file))
    assert supervise_until(supervisor, stubborn_file.exists)
    supervisor.request_stop()
    impatient = threading.Timer(0.5, supervisor.request_stop)  # a second Ctrl-C
    impatient.start()
    began = time.monotonic()
    supervisor.stop()
    impatient.join()
    assert time.monotonic() - began < 10
    assert not alive(int(stubborn_file.read_text()))
    assert "stubborn 再次收到停止请求,强制结束" in (supervisor.log_dir / "supervisor.log").read_text()


def test_run_supervises_until_a_stop_is_requested_then_stops_everything(tmp_path):
    supervisor = make_supervisor(tmp_path, initial_delay=0.1, max_delay=1, stable_after=30)
    record = tmp_path / "runs"
    supervisor.start("toy", toy(RECORDER, record, "0.2,120"))
    stopper = threading.Timer(1.5, supervisor.request_stop)  # as the SIGINT/SIGTERM handler does
    stopper.start()
    supervisor.run()
    stopper.join()
    assert len(runs(record)) == 2  # restarted once inside run(), then stopped
    assert not alive(runs(record)[1][1])
    assert supervisor.stopped


def test_run_foreground_supervises_while_it_waits(tmp_path):
    supervisor = make_supervisor(tmp_path, initial_delay=0.1, max_delay=1, stable_after=30)
    record = tmp_path / "runs"
    supervisor.start("toy", toy(RECORDER, record, "0,120"))
    try:
        result = supervisor.run_foreground(toy("import time; time.sleep(1); print('done')"), capture=True)
        assert result.returncode == 0 and result.stdout.strip() == "done"
        assert len(runs(record)) == 2  # the toy was restarted during the one-off command
    finally:
        supervisor.stop()


def test_exit_codes_and_signals_read_as_people_say_them():
    assert describe_exit(3) == "exit 3"
    assert describe_exit(-9) == "signal SIGKILL"
    assert describe_exit(-15) == "signal SIGTERM"
