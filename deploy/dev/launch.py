"""`make run`: start the S3-compatible store, every service and worker, check health, print what runs.

Runs in the foreground; Ctrl-C (or SIGTERM) stops every child process it started. Logs go to
``.run/logs/<name>.log``.
"""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from .services import RPC_SERVICES, SEEDS, SERVICES, WORKERS

ROOT = Path(__file__).resolve().parents[2]
BIN = str(ROOT / ".venv" / "bin")
LOGS = ROOT / ".run" / "logs"
S3_HOST, S3_PORT = os.environ.get("S3_HOST", "127.0.0.1"), int(os.environ.get("S3_PORT", "9000"))


def start(name, command, env=None):
    LOGS.mkdir(parents=True, exist_ok=True)
    log = open(LOGS / f"{name}.log", "ab")
    return subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
                            start_new_session=True)


def wait_for_port(host, port, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex((host, port)) == 0:
                return True
        time.sleep(0.3)
    return False


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


def health_reports(seconds=60):
    """Ask every service's health RPC, waiting for slow starters (in a child: this supervisor stays plain)."""
    names = ",".join(service.name for service in RPC_SERVICES)
    result = subprocess.run([f"{BIN}/python", "-c", HEALTH_SCRIPT, names, str(seconds)], cwd=ROOT,
                            capture_output=True, text=True)
    return result.stdout.strip() or result.stderr.strip().splitlines()[-1]


def dev_environment():
    """Settings every child shares: a stable token-signing key, so tokens survive a restart."""
    key_path = ROOT / ".run" / "identity-signing-key.pem"
    if not key_path.exists():
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        key_path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        key_path.write_bytes(pem)
        key_path.chmod(0o600)
    # The payment simulator confirms refunds and re-sends notifications through the gateway's notify route.
    notify_url = os.environ.get("PAYMENT_SIMULATOR_NOTIFY_URL", "http://127.0.0.1:8000/api/v1/payments/notify/simulator")
    # The simulator stands in for the payment provider in development and demos only.
    return {"IDENTITY_TOKEN_PRIVATE_KEY": str(key_path), "IDENTITY_EXPOSE_OUTBOX": "true", "PAYMENT_SIMULATOR_ENABLED": "true",
            "PAYMENT_SIMULATOR_NOTIFY_URL": notify_url}


def main():
    os.environ.update({**dev_environment(), **{k: v for k, v in os.environ.items() if k.startswith("IDENTITY_")}})
    children = {}
    # The object store comes first: the demo data keeps its PDFs there.
    children["s3"] = start("s3", [f"{BIN}/moto_server", "-H", S3_HOST, "-p", str(S3_PORT)])
    if not wait_for_port(S3_HOST, S3_PORT):
        print(f"S3 兼容对象存储未能在 {S3_HOST}:{S3_PORT} 启动,见 .run/logs/s3.log")
    try:
        for seed in SEEDS:
            subprocess.run([f"{BIN}/python", *seed], cwd=ROOT, check=True)
    except BaseException:  # a failed or interrupted load must not leave the object store running
        os.killpg(children["s3"].pid, signal.SIGTERM)
        raise
    for service in SERVICES:
        children[service.name] = start(service.name, service.command(BIN))
    for worker in WORKERS:
        children[worker.name] = start(worker.name, worker.command(BIN))

    def stop(*_):
        for child in children.values():
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("正在启动 starting … (logs: .run/logs/)")
    print("健康检查 health:", health_reports())
    print("运行中 running:")
    print(f"  {'s3':16} pid {children['s3'].pid:<8} http://{S3_HOST}:{S3_PORT}")
    urls = {service.name: service.url for service in SERVICES}
    for name, child in children.items():
        if name != "s3":
            state = "running" if child.poll() is None else "EXITED — see log"
            print(f"  {name:16} pid {child.pid:<8} {state} {urls.get(name, '')}")
    print("打开 Open: http://127.0.0.1:8000/  (API: http://127.0.0.1:8000/api/v1/openapi.json)")
    print("按 Ctrl-C 停止全部服务 (Ctrl-C stops everything).")
    while True:
        for name, child in children.items():
            if child.poll() is not None:
                print(f"{name} 已退出 (exit {child.returncode}),见 .run/logs/{name}.log")
                stop()
        time.sleep(1)


if __name__ == "__main__":
    main()
