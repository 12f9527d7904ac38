"""The suite's private infrastructure: a RabbitMQ node, a PostgreSQL cluster and a Redis server of its
own, on their own loopback ports and in the run's temporary directory, so stopping them never touches
the shared broker (5672) or database (5432) that other people's tests use."""
import os
import pwd
import shutil
import signal
import time
from pathlib import Path

from .procs import clean_env, run, wait_for_port, wait_for_port_closed

RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")
PG_BIN = Path("/usr/lib/postgresql/15/bin")


class RabbitNode:
    """A RabbitMQ node of its own (own node name, ports, mnesia, logs, no plugins), driven with
    ``rabbitmqctl -n <node>``. It runs as the invoking user with its own HOME, so its Erlang cookie
    is private too; epmd is shared, which is harmless."""

    def __init__(self, children, base_dir, port, dist_port):
        self.children, self.port, self.dist_port = children, port, dist_port
        self.base = Path(base_dir)
        self.node = f"kunming-faults-{os.getpid()}@localhost"
        self.amqp_uri = f"pyamqp://guest:guest@127.0.0.1:{port}/"
        self.log = children.log_dir / "rabbitmq-ctl.log"

    def _write_files(self):
        for sub in ("mnesia", "log", "home"):
            (self.base / sub).mkdir(parents=True, exist_ok=True)
        (self.base / "enabled_plugins").write_text("[].\n")  # no management listener on 15672
        (self.base / "rabbitmq.conf").write_text(
            f"listeners.tcp.local = 127.0.0.1:{self.port}\nloopback_users = none\n")
        (self.base / "rabbitmq-env.conf").write_text("")  # not /etc/rabbitmq/rabbitmq-env.conf

    def env(self):
        base = self.base
        return clean_env({
            "HOME": str(base / "home"), "RABBITMQ_NODENAME": self.node, "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port), "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(base / "mnesia"), "RABBITMQ_LOG_BASE": str(base / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq.conf"), "RABBITMQ_CONF_ENV_FILE": str(base / "rabbitmq-env.conf"),
            "RABBITMQ_PID_FILE": str(base / "rabbit.pid"), "RABBITMQ_ADVANCED_CONFIG_FILE": str(base / "advanced.config"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        })

    def start(self, seconds=60):
        self._write_files()
        self.children.start("rabbitmq", [str(RABBIT_BIN / "rabbitmq-server")], self.env(), cwd=self.base)
        if not wait_for_port(self.port, seconds):
            raise RuntimeError(f"private RabbitMQ did not open port {self.port}; see {self.children.log_dir}/rabbitmq.log")

    def ctl(self, *args, timeout=60):
        return run([str(RABBIT_BIN / "rabbitmqctl"), "-n", self.node, *args], self.env(), timeout=timeout, log=self.log)

    def stop(self):
        """Stop the whole node (as ``systemctl stop rabbitmq-server`` would), waiting until it is gone."""
        if self.children.alive("rabbitmq"):
            try:
                self.ctl("stop", timeout=60)
            except Exception:  # the CLI hung: the group is killed below
                pass
            wait_for_port_closed(self.port, 30)
        self.children.stop("rabbitmq", grace=15)


class PostgresCluster:
    """A PostgreSQL 15 cluster made with initdb in the run directory, trust auth on loopback. The
    server refuses to run as root, so it runs as the ``postgres`` user when the suite is root."""

    def __init__(self, children, base_dir, port):
        self.children, self.port = children, port
        self.data = Path(base_dir) / "data"
        self.socket_dir = Path(base_dir)
        self.log = children.log_dir / "postgresql.log"
        self.user = "postgres" if os.geteuid() == 0 else None

    def url(self, database):
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{database}"

    def _as_user(self, command):
        return ["runuser", "-u", self.user, "--", *command] if self.user else command

    def _chown(self, path):
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def init(self):
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        self._chown(self.socket_dir)
        for path in (self.log,):
            path.touch()
            self._chown(path)
        result = run(self._as_user([str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                                    "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]), clean_env(), log=self.log)
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed; see {self.log}")

    def _options(self):
        return (f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.socket_dir} "
                "-c max_connections=400 -c shared_buffers=64MB")

    def start(self):
        result = run(self._as_user([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                                    "-o", self._options(), "start"]), clean_env(), log=self.children.log_dir / "pg_ctl.log")
        if result.returncode != 0:
            raise RuntimeError(f"private PostgreSQL did not start; see {self.log}")

    def stop(self, mode="fast"):
        if not (self.data / "postmaster.pid").exists():
            return
        result = run(self._as_user([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop"]),
                     clean_env(), log=self.children.log_dir / "pg_ctl.log")
        if result.returncode != 0:
            self._kill_postmaster()

    def _kill_postmaster(self):
        try:
            pid = int((self.data / "postmaster.pid").read_text().split()[0])
            os.kill(pid, signal.SIGQUIT)  # immediate shutdown of this cluster's postmaster only
            time.sleep(2)
        except (OSError, ValueError, IndexError):
            pass


class RedisServer:
    """A throwaway Redis (no persistence) for the revocation list and sign-in throttles."""

    def __init__(self, children, port):
        self.children, self.port = children, port
        self.url = f"redis://127.0.0.1:{port}/0"

    def start(self):
        self.children.start("redis", [shutil.which("redis-server") or "redis-server", "--port", str(self.port),
                                      "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], clean_env())
        if not wait_for_port(self.port, 20):
            raise RuntimeError("private Redis did not start")

    def stop(self):
        self.children.stop("redis")
