"""Container health check: ``python -m deploy.healthcheck <service>`` exits 0 when its health RPC says ok
(or degraded: working, with failed event handlings waiting for a replay)."""
from shared.green import monkey_patch

monkey_patch()

import sys  # noqa: E402

from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

from shared.config import service_config  # noqa: E402


def main(service_name):
    config = service_config(service_name)
    with ClusterRpcProxy({"AMQP_URI": config["AMQP_URI"]}, timeout=15) as rpc:
        report = getattr(rpc, service_name).health()
    print(report)
    # "degraded" (failed event handlings parked for a replay) is alive: restarting would not help.
    return 0 if report.get("status") in ("ok", "degraded") else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
