"""``python -m deploy.dev.demo``: load the demo into the ``make run`` databases, broker and object
store (run by ``make run`` before the services start; safe to run again)."""
from shared.green import monkey_patch

monkey_patch()

import logging  # noqa: E402
from pathlib import Path  # noqa: E402

from shared.config import service_config  # noqa: E402

from .load import load_demo  # noqa: E402
from .stage import SERVICE_CLASSES  # noqa: E402

LOG = Path(__file__).resolve().parents[3] / ".run" / "logs" / "demo.log"


def make_run_configs():
    """Each service's own config (environment applied), as ``make run`` starts it, plus the gateway's
    object store for the evidence files."""
    configs = {name: service_config(name) for name in SERVICE_CLASSES}
    configs["evidence_s3"] = service_config("gateway")["S3"]
    configs["payment"]["SIMULATOR"]["ENABLED"] = True  # the demo's applicants pay at the simulator's cashier
    return configs


def main():
    # The in-process services log as they would in their own processes: to a file, not over the output.
    LOG.parent.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(filename=LOG, level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    load_demo(make_run_configs())


if __name__ == "__main__":
    main()
