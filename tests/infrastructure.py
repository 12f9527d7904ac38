"""The machine's infrastructure as the tests drive it: the broker's command-line tool, with the real clock."""
import os
import subprocess

# What tests/at_hour.py adds to shift the clock; the broker's command-line tools run without it.
FAKE_CLOCK_VARIABLES = ("LD_PRELOAD", "FAKETIME", "FAKETIME_NO_CACHE")


def rabbitmqctl(*arguments, check=True):
    """Run ``rabbitmqctl`` with the real clock, as the broker itself runs.

    Under ``tests.at_hour`` every child inherits libfaketime; the Erlang command-line tool must not,
    or it can fail to reach the broker. A failure names the command and what the tool printed.
    """
    environment = {k: v for k, v in os.environ.items() if k not in FAKE_CLOCK_VARIABLES}
    result = subprocess.run(["rabbitmqctl", "-q", *arguments], env=environment, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise RuntimeError(f"rabbitmqctl {' '.join(arguments)} failed ({result.returncode}): "
                           f"{result.stderr.strip() or result.stdout.strip()}")
    return result
