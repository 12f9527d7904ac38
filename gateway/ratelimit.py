"""A sliding-window limit per caller for public routes that could be used to guess secrets
(certificate verification codes). Kept in the gateway instance's memory: with N gateway replicas a
caller gets at most N times the limit, which still makes guessing a 6-character code hopeless."""
import threading
import time
from collections import deque

from nameko.extensions import DependencyProvider

from .exceptions import TooManyRequests


class SlidingWindowLimit:
    def __init__(self, limit, window_seconds=60.0, clock=time.monotonic, max_keys=100_000):
        self.limit = int(limit)
        self.window = float(window_seconds)
        self.clock = clock
        self.max_keys = max_keys
        self._hits = {}
        self._lock = threading.Lock()

    def check(self, key):
        """Count one call by *key*; TooManyRequests (nothing counted) once the window is full."""
        now = self.clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                wait = int(hits[0] + self.window - now) + 1
                raise TooManyRequests(f"查询过于频繁,请 {wait} 秒后再试", retry_after=wait)
            hits.append(now)
            if len(self._hits) > self.max_keys:
                self._forget_idle(now)

    def _forget_idle(self, now):
        for key in [key for key, hits in self._hits.items() if not hits or hits[-1] <= now - self.window]:
            del self._hits[key]


class VerifyRateLimit(DependencyProvider):
    """Public certificate verification: ``CERTIFICATES.VERIFY_PER_MINUTE`` calls per client address."""

    def setup(self):
        settings = self.container.config.get("CERTIFICATES") or {}
        self.limit = SlidingWindowLimit(int(settings.get("VERIFY_PER_MINUTE") or 20), 60.0)

    def get_dependency(self, worker_ctx):
        return self.limit
