"""Counters with expiry for identity's throttles: in Redis (shared by every identity and gateway
instance), or in this process's memory (tests, and the fallback while Redis cannot be reached).

Deadlines ("blocked until", "next code allowed at") are stored as instants of identity's own clock,
so a test that moves that clock moves them too; the Redis key lifetimes only clean up.
"""
import logging
import threading
import time

import redis

log = logging.getLogger(__name__)

# Set a deadline unless a later one is already running; answers the seconds left of the running one.
_CLAIM = """
local running = tonumber(redis.call('GET', KEYS[1]) or '0')
local now = tonumber(ARGV[1])
if running > now then return math.ceil(running - now) end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 0
"""


class MemoryCounters:
    """The counters in one process's memory (thread-safe)."""

    def __init__(self, max_keys=100_000):
        self._values = {}
        self._lock = threading.Lock()
        self.max_keys = max_keys

    def add(self, key, lifetime_seconds):
        """One more on *key* (its lifetime starts again); the new count."""
        with self._lock:
            count = self._live(key) + 1
            self._values[key] = (count, time.monotonic() + lifetime_seconds)
            self._forget_expired_if_full()
            return count

    def get(self, key):
        with self._lock:
            return self._live(key)

    def put(self, key, value, lifetime_seconds):
        with self._lock:
            self._values[key] = (value, time.monotonic() + lifetime_seconds)
            self._forget_expired_if_full()

    def claim(self, key, now, until, lifetime_seconds):
        """Set the deadline *until* unless one later than *now* runs; seconds left of the running one."""
        with self._lock:
            running = self._live(key)
            if running and running > now:
                return int(-(-(running - now) // 1))
            self._values[key] = (until, time.monotonic() + lifetime_seconds)
            return 0

    def delete(self, *keys):
        with self._lock:
            for key in keys:
                self._values.pop(key, None)

    def _live(self, key):
        value, expires = self._values.get(key, (0, 0))
        return value if expires > time.monotonic() else 0

    def _forget_expired_if_full(self):
        if len(self._values) > self.max_keys:
            now = time.monotonic()
            for key in [key for key, (_, expires) in self._values.items() if expires <= now]:
                del self._values[key]


class RedisCounters:
    """The same counters in Redis, under *key_prefix*."""

    def __init__(self, client, key_prefix):
        self.client = client
        self.key_prefix = key_prefix

    def add(self, key, lifetime_seconds):
        pipe = self.client.pipeline()
        pipe.incr(self.key_prefix + key)
        pipe.expire(self.key_prefix + key, int(lifetime_seconds))
        return int(pipe.execute()[0])

    def get(self, key):
        value = self.client.get(self.key_prefix + key)
        return float(value) if value is not None else 0

    def put(self, key, value, lifetime_seconds):
        self.client.set(self.key_prefix + key, value, ex=int(lifetime_seconds))

    def claim(self, key, now, until, lifetime_seconds):
        return int(self.client.eval(_CLAIM, 1, self.key_prefix + key, now, until, int(lifetime_seconds)))

    def delete(self, *keys):
        if keys:
            self.client.delete(*(self.key_prefix + key for key in keys))


class SharedCounters:
    """Redis while it answers, this process's memory while it does not (logged): a Redis outage
    weakens throttles to per-instance limits instead of switching them off or refusing every login."""

    def __init__(self, client, key_prefix):
        self.shared = RedisCounters(client, key_prefix)
        self.local = MemoryCounters()

    def __getattr__(self, name):
        shared, local = getattr(self.shared, name), getattr(self.local, name)

        def call(*args):
            try:
                return shared(*args)
            except redis.RedisError as error:
                log.warning("throttle counters unreachable in Redis, counting in memory: %s", error)
                return local(*args)

        return call
