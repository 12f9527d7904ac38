#!/usr/bin/env bash
# Start the local PostgreSQL and RabbitMQ if they are installed but not running (dev machines and CI).
set -euo pipefail
# The servers keep the real clock even when this runs inside a shifted test run (tests/at_hour.py):
# libfaketime is for the platform's processes, and some server binaries hang under it.
unset LD_PRELOAD FAKETIME

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi

if ! rabbitmqctl -q status >/dev/null 2>&1; then
  echo "starting RabbitMQ"
  rabbitmq-server -detached
fi
rabbitmqctl -q await_startup --timeout 120 >/dev/null 2>&1 || rabbitmqctl -q start_app
# A test interrupted while it had stopped the broker application leaves the node up but the app down.
if ! rabbitmqctl -q list_vhosts >/dev/null 2>&1; then
  rabbitmqctl -q start_app
fi

# Redis holds the revocation list of ended sessions and the sign-in throttles (nothing durable: no
# persistence). The platform works without it, only slower; start it if it is installed but stopped.
if command -v redis-server >/dev/null && ! timeout 5 redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
fi
