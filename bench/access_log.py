"""What recording a read costs the reader: the gateway's access-log step (build the record, append one
line to the local spool) per request, beside two baselines measured in the same run — one PostgreSQL
round trip (``SELECT 1``, the least any read of a dossier already costs) and one RPC round trip over
RabbitMQ to a running service (what recording through the broker before answering would have cost).

    .venv/bin/python bench/access_log.py [--reads N]

Needs PostgreSQL and RabbitMQ (BENCH_PG_SERVER, BENCH_AMQP_SERVER as in bench/dossier_commands.py)."""
import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from types import SimpleNamespace  # noqa: E402

from nameko.containers import ServiceContainer  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from werkzeug import Response  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402
from werkzeug.wrappers import Request  # noqa: E402

from gateway.access_log import record_of  # noqa: E402
from gateway.access_spool import Spool  # noqa: E402
from gateway.auth import Principal  # noqa: E402
from gateway.pages.session import PRINCIPAL_KEY  # noqa: E402
from services.accesslog.service import AccessLogService  # noqa: E402
from shared.db import drop_database, ensure_database  # noqa: E402

PG = os.environ.get("BENCH_PG_SERVER", "postgresql+psycopg2://postgres@127.0.0.1:5432")
AMQP = os.environ.get("BENCH_AMQP_SERVER", "pyamqp://guest:guest@127.0.0.1:5672")


def a_finished_read():
    """A worker context as nameko hands it over after ``GET /dossiers/<id>/materials/<id>`` answered."""
    dossier_id = str(uuid.uuid4())
    request = Request(EnvironBuilder(path=f"/dossiers/{dossier_id}/materials/{uuid.uuid4().hex}", headers={
        "User-Agent": "Mozilla/5.0 (bench)", "X-Request-Id": uuid.uuid4().hex}).get_environ())
    request.environ[PRINCIPAL_KEY] = Principal(account_id=str(uuid.uuid4()), name="张三",
                                               roles=(("unit_admin", str(uuid.uuid4())),))
    entrypoint = SimpleNamespace(page_url="/dossiers/<dossier_id>/materials/<material_id>")
    return SimpleNamespace(entrypoint=entrypoint, args=(request,), kwargs={"dossier_id": dossier_id,
                           "material_id": "m"}, data={"correlation_id": uuid.uuid4().hex}), Response("ok")


def per_call_us(fn, count):
    times = []
    for _ in range(count):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e6)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99) - 1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reads", type=int, default=5000)
    count = parser.parse_args().reads
    worker_ctx, response = a_finished_read()
    with tempfile.TemporaryDirectory() as directory:
        spool = Spool(directory, "bench")
        recording = per_call_us(lambda: spool.append(record_of(worker_ctx, response, None, "bench")), count)
        spool.close()
    engine = create_engine(f"{PG}/postgres")
    with engine.connect() as connection:
        database = per_call_us(lambda: connection.execute(text("SELECT 1")).scalar(), count)
    engine.dispose()

    url = f"{PG}/kunming_bench_accesslog_{uuid.uuid4().hex[:8]}"
    ensure_database(url)
    container = ServiceContainer(AccessLogService, {"AMQP_URI": f"{AMQP}/", "DATABASE_URL": url,
                                                    "RETENTION": {"days": 180, "sweep_seconds": 0}})
    container.start()
    try:
        with ClusterRpcProxy({"AMQP_URI": f"{AMQP}/"}) as rpc:
            rpc.accesslog.health()
            broker = per_call_us(lambda: rpc.accesslog.health(), max(count // 10, 100))
    finally:
        container.stop()
        drop_database(url)

    print(f"{'per read':<52}{'median µs':>12}{'p99 µs':>12}")
    for label, (median, p99) in (("access-log step (record + spool append)", recording),
                                 ("baseline: one PostgreSQL round trip (SELECT 1)", database),
                                 ("baseline: one RPC over RabbitMQ (accesslog.health)", broker)):
        print(f"{label:<52}{median:>12.1f}{p99:>12.1f}")
    print(f"recording / PostgreSQL round trip = {recording[0] / database[0]:.2f}; "
          f"recording / RPC = {recording[0] / broker[0]:.3f}")


if __name__ == "__main__":
    main()
