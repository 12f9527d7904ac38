"""Run a command with every process's clock set to a given Beijing wall-clock time (libfaketime).

    python -m tests.at_hour 07:59 -- pytest tests/unit

The clock is shifted, not stopped: it starts at the next HH:MM Beijing time and runs on, so a run
started at 23:59 crosses midnight while it runs, as a real one would. Every child process (services
started by the tests, the S3 server, Chromium) inherits the same shift, so tokens, signatures and
timestamps stay consistent among them; monotonic clocks stay real so timeouts keep their length.
PostgreSQL and RabbitMQ keep the real time: the platform never takes a date from them.
"""
import argparse
import math
import os
import re
import subprocess
import sys
from datetime import datetime, time, timedelta

from shared.clock import BEIJING, utc_now

LIBFAKETIME_CANDIDATES = (
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/faketime/libfaketime.so.1",
)


def libfaketime():
    for path in LIBFAKETIME_CANDIDATES:
        if os.path.exists(path):
            return path
    raise SystemExit("libfaketime not found: install the Debian package 'faketime' (deploy/dev/system-packages.txt)")


def offset_to(wall_clock: time, now: datetime) -> timedelta:
    """How far ahead the next *wall_clock* time in Beijing lies from *now* (0 < offset <= 1 day)."""
    local_now = now.astimezone(BEIJING)
    target = datetime.combine(local_now.date(), wall_clock, tzinfo=BEIJING)
    if target <= local_now:
        target += timedelta(days=1)
    return target - local_now


def environment_at(wall_clock: time, now: datetime, base=None):
    """The environment for a command whose clock starts at *wall_clock* (Beijing). libfaketime's offset
    is relative to the real clock, so inside a shifted run (make test under at_hour) the shift already
    applied to *now* is counted in."""
    base = dict(base if base is not None else os.environ)
    already = int(base["FAKETIME"][1:]) if re.fullmatch(r"\+\d+", base.get("FAKETIME", "")) else 0
    seconds = already + math.ceil(offset_to(wall_clock, now).total_seconds())
    return {**base, "LD_PRELOAD": libfaketime(), "FAKETIME": f"+{seconds}", "FAKETIME_NO_CACHE": "0"}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wall_clock", help="Beijing time HH:MM at which the command starts")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command after --")
    wall_clock = time.fromisoformat(args.wall_clock)
    print(f"== clock set to {wall_clock:%H:%M} Beijing time (libfaketime): {' '.join(command)}", flush=True)
    return subprocess.run(command, env=environment_at(wall_clock, utc_now())).returncode


if __name__ == "__main__":
    sys.exit(main())
