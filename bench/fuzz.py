"""Fuzz the gateway's JSON API from its own OpenAPI document with schemathesis; assert no 5xx.

    make run                      # in another terminal: a throw-away system (the fuzz changes its data)
    python bench/fuzz.py          # or: make fuzz

schemathesis (pinned in bench/fuzz-requirements.txt, installed into .venv-fuzz so the platform's own
pins stay untouched) generates valid and invalid requests for every operation, three times: as a
demo applicant, as the city admin and anonymously. The figures come from the gateway itself: its
``gateway_http_requests_total`` counters are read before and after each run, so the request and
5xx counts are what the server saw, by route. Exit status 1 if any request got a 5xx.
Bounded: ``--examples`` test cases per operation and ``--max-seconds`` per identity; loopback only.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FUZZ_VENV = ROOT / ".venv-fuzz"
REQUIREMENTS = ROOT / "bench" / "fuzz-requirements.txt"
METRIC = re.compile(r'^gateway_http_requests_total\{method="([A-Z]+)",route="([^"]*)",status="(\d{3})"\} ([0-9.e+]+)$')
# Operations that end the fuzzer's own session or change its password would turn the rest of the
# run into 401s; they are covered by the suite instead.
SESSION_ENDING = "^/api/v1/auth/(logout|password)"


def ensure_fuzz_venv():
    schemathesis = FUZZ_VENV / "bin" / "schemathesis"
    if not schemathesis.exists():
        subprocess.run([sys.executable, "-m", "venv", str(FUZZ_VENV)], check=True)
        subprocess.run([str(FUZZ_VENV / "bin" / "pip"), "install", "--quiet", "-r", str(REQUIREMENTS)], check=True)
    return schemathesis


def post_json(url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def token(base_url, username, password):
    return post_json(f"{base_url}/api/v1/auth/login", {"username": username, "password": password})["access_token"]


def request_counts(base_url):
    """``Counter((method, route, status) -> requests)`` as the gateway's /metrics reports them."""
    with urllib.request.urlopen(f"{base_url}/metrics", timeout=30) as answer:
        text = answer.read().decode()
    counts = Counter()
    for line in text.splitlines():
        match = METRIC.match(line)
        if match:
            method, route, status, value = match.groups()
            counts[(method, route, status)] += int(float(value))
    return counts


def fuzz(schemathesis, base_url, headers, examples, max_seconds, workers):
    command = [str(schemathesis), "run", f"{base_url}/api/v1/openapi.json", "--url", base_url,
               "--checks", "not_a_server_error", "--max-examples", str(examples), "--workers", str(workers),
               "--phases", "examples,coverage,fuzzing", "--generation-allow-x00", "true", "--no-shrink",
               "--exclude-path-regex", SESSION_ENDING, "--request-timeout", "30", "--no-color",
               "--suppress-health-check", "all", "--warnings", "off"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    started = time.monotonic()
    try:
        finished = subprocess.run(command, capture_output=True, text=True, timeout=max_seconds)
        outcome = "exit 0" if finished.returncode == 0 else f"exit {finished.returncode}"
        tail = finished.stdout.strip().splitlines()[-12:]
    except subprocess.TimeoutExpired:
        outcome, tail = f"stopped at {max_seconds} s", []
    return outcome, time.monotonic() - started, tail


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default=os.environ.get("FUZZ_BASE_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--examples", type=int, default=150, help="test cases per operation and identity")
    parser.add_argument("--max-seconds", type=int, default=900, help="time budget per identity")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--password", default=os.environ.get("DEMO_PASSWORD", "Kunming@2026"))
    parser.add_argument("--parallel", action="store_true",
                        help="fuzz as every identity at once (uses every core; counts are then for the whole run)")
    args = parser.parse_args(argv)
    schemathesis = ensure_fuzz_venv()
    # Sign in before any fuzzing: the anonymous run hammers the login route and meets its throttle.
    identities = [("applicant 13900000001", {"Authorization": f"Bearer {token(args.base_url, '13900000001', args.password)}"}),
                  ("city_admin", {"Authorization": f"Bearer {token(args.base_url, 'city_admin', args.password)}"}),
                  ("anonymous", {})]
    if args.parallel:
        return fuzz_in_parallel(schemathesis, args, identities)
    total, server_errors = 0, Counter()
    print(f"{'identity':24} {'requests':>9} {'5xx':>5} {'seconds':>8}  schemathesis")
    for name, headers in identities:
        before = request_counts(args.base_url)
        outcome, seconds, tail = fuzz(schemathesis, args.base_url, headers, args.examples, args.max_seconds,
                                      args.workers)
        delta = request_counts(args.base_url) - before
        requests = sum(delta.values())
        errors = Counter({key: n for key, n in delta.items() if key[2].startswith("5")})
        total += requests
        server_errors += errors
        print(f"{name:24} {requests:>9} {sum(errors.values()):>5} {seconds:>8.0f}  {outcome}")
        if errors or not outcome.startswith("exit 0"):
            print("    " + "\n    ".join(tail))
    return report_total(total, server_errors)


def report_total(total, server_errors):
    print(f"{'all':24} {total:>9} {sum(server_errors.values()):>5}")
    for (method, route, status), count in sorted(server_errors.items()):
        print(f"  5xx: {status} {method} {route} ×{count}")
    return 1 if server_errors else 0


def fuzz_in_parallel(schemathesis, args, identities):
    """Every identity's run at once: the gateway's counters then cover all of them together."""
    before, started = request_counts(args.base_url), time.monotonic()
    with ThreadPoolExecutor(len(identities)) as pool:
        runs = {name: pool.submit(fuzz, schemathesis, args.base_url, headers, args.examples, args.max_seconds,
                                  max(1, args.workers // len(identities))) for name, headers in identities}
        outcomes = {name: run.result() for name, run in runs.items()}
    delta = request_counts(args.base_url) - before
    server_errors = Counter({key: n for key, n in delta.items() if key[2].startswith("5")})
    print(f"{'identity':24} {'seconds':>8}  schemathesis   (run together for {time.monotonic() - started:.0f} s)")
    for name, (outcome, seconds, tail) in outcomes.items():
        print(f"{name:24} {seconds:>8.0f}  {outcome}")
        if not outcome.startswith("exit 0"):
            print("    " + "\n    ".join(tail))
    return report_total(sum(delta.values()), server_errors)


if __name__ == "__main__":
    sys.exit(main())
