"""The real launcher as an isolated second stack: kill -9 of the dossier service is repaired by itself.

Own ports, own run directory, own databases (this run's prefix) and RabbitMQ vhost, seeds skipped.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import _free_port
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[3]
DATABASES = {"IDENTITY_DATABASE_URL": "identity", "DOSSIER_DATABASE_URL": "dossier", "REVIEW_DATABASE_URL": "review",
             "PAYMENT_DATABASE_URL": "payment", "PAYMENT_SIMULATOR_DATABASE_URL": "paysim",
             "CERTIFICATE_DATABASE_URL": "certificate"}


def health(port):
    """(status, body) of the gateway's /health, or None while nothing answers."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=15) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")
    except OSError:
        return None


def healthy(port):
    answer = health(port)
    return answer is not None and answer[0] == 200


def stack_processes(marker):
    """Pids of live processes carrying this stack's run directory in their environment (every descendant does)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                found.append(int(entry.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def port_free(port):
    """Nothing listens there: a new server binds it (with SO_REUSEADDR, as eventlet.listen does for the
    gateway; our own /health requests leave TIME_WAIT entries behind)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture
def stack(tmp_path, database_url, amqp_vhost):
    run_dir = tmp_path / "run"
    gateway_port, s3_port = _free_port(), _free_port()
    environment = {**os.environ, "KUNMING_RUN_DIR": str(run_dir), "GATEWAY_PORT": str(gateway_port),
                   "S3_PORT": str(s3_port), "KUNMING_SEED": "none", "AMQP_URI": amqp_vhost("launch"),
                   **{name: database_url(f"launch_{service}") for name, service in DATABASES.items()}}
    console = tmp_path / "console.log"
    with open(console, "wb") as output:
        launcher = subprocess.Popen([sys.executable, "-m", "deploy.dev.launch"], cwd=ROOT, env=environment,
                                    stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    marker = f"KUNMING_RUN_DIR={run_dir}".encode()
    yield {"launcher": launcher, "console": console, "run_dir": run_dir, "gateway_port": gateway_port,
           "s3_port": s3_port, "marker": marker}
    if launcher.poll() is None:  # only after a failure: the test itself stops everything
        launcher.kill()
    for pid in stack_processes(marker):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def running_pids(console_text):
    return {name: int(pid) for name, pid in re.findall(r"^  (\S+)\s+pid (\d+)\s+running", console_text, re.M)}


def test_kill_9_of_dossier_is_restarted_and_answers_again_then_sigint_stops_everything(stack):
    launcher, port = stack["launcher"], stack["gateway_port"]
    wait_until(lambda: "按 Ctrl-C" in stack["console"].read_text() or launcher.poll() is not None, 60, interval=0.3,
               what="the launcher started")
    console = stack["console"].read_text()
    assert launcher.poll() is None, console
    pids = running_pids(console)
    assert {"s3", "identity", "dossier", "review", "payment", "certificate", "gateway", "dossier-relay"} <= set(pids), console
    assert f"http://127.0.0.1:{port}/" in console  # the printed URLs follow GATEWAY_PORT
    wait_until(lambda: healthy(port), 30, interval=0.3, what="gateway /health 200 before the kill")

    os.kill(pids["dossier"], signal.SIGKILL)
    supervisor_log = stack["run_dir"] / "logs" / "supervisor.log"
    restarted = wait_until(lambda: re.search(r"dossier 已重启 \(restarted\) pid (\d+)", supervisor_log.read_text()
                                           if supervisor_log.exists() else ""), 20, interval=0.3, what="dossier restarted")
    new_pid = int(restarted.group(1))
    assert new_pid != pids["dossier"]
    log = supervisor_log.read_text()
    assert f"dossier 已退出 (exited: signal SIGKILL, pid {pids['dossier']}" in log
    assert "restart in 1s" in log
    wait_until(lambda: healthy(port), 45, interval=0.3, what="gateway /health 200 after the restart")
    status, report = health(port)
    assert report["services"]["dossier"]["status"] == "ok"
    # The rest of the platform kept running untouched.
    assert launcher.poll() is None
    assert [line for line in log.splitlines() if "已退出" in line and "dossier " not in line] == []
    assert "[supervisor] dossier 已重启" in stack["console"].read_text()

    launcher.send_signal(signal.SIGINT)
    wait_until(lambda: launcher.poll() is not None, 30, interval=0.3, what="the launcher stopped after SIGINT")
    assert launcher.returncode == 0, stack["console"].read_text()
    assert "全部进程已停止" in supervisor_log.read_text()
    wait_until(lambda: not stack_processes(stack["marker"]), 5, interval=0.3, what="no process of the stack left")
    assert port_free(port) and port_free(stack["s3_port"])
    assert supervisor_log.read_text().count("已重启") == 1  # the dossier's; none while stopping
