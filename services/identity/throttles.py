"""Throttles that stop password and code guessing without handing strangers a lockout weapon.

Nothing here locks an account. Failures are counted per client address across every name, and per
(username, address) pair; past a number of free failures each further one makes that address wait
longer (back-off, doubling up to a cap). Someone failing from address A therefore never stops the
owner logging in from address B. Unknown and known usernames are counted the same way, so the
answers give away nothing about who has an account. CAPTCHA-free by design.
"""
import math
from dataclasses import dataclass, field

from .exceptions import ResetRequestedTooSoonError, TooManyAttemptsError


@dataclass(frozen=True)
class BackOff:
    """``free`` failures cost nothing; the next ones block for ``base``·2ⁿ seconds, at most ``cap``.

    Failures are remembered ``memory`` seconds after the last one.
    """

    free: int
    base_seconds: int = 60
    cap_seconds: int = 900
    memory_seconds: int = 3600

    def delay(self, failures):
        if failures < self.free:
            return 0
        return min(self.base_seconds * 2 ** min(failures - self.free, 30), self.cap_seconds)


@dataclass(frozen=True)
class ThrottlePolicy:
    """Identity's throttle settings (config.yaml ``THROTTLES``), with the defaults of the issue."""

    address: BackOff = field(default_factory=lambda: BackOff(free=30, cap_seconds=3600))
    pair: BackOff = field(default_factory=lambda: BackOff(free=5, cap_seconds=900, memory_seconds=86400))
    reset_codes: BackOff = field(default_factory=lambda: BackOff(free=10, cap_seconds=3600))
    reset_requests_per_address_hour: int = 10


def wait_text(seconds):
    """``30 秒`` or ``约 5 分钟``: how long to wait, in words."""
    seconds = max(int(seconds), 1)
    return f"{seconds} 秒" if seconds < 120 else f"约 {math.ceil(seconds / 60)} 分钟"


class Throttles:
    """The login and password-reset throttles over a counter store (see counters.py)."""

    def __init__(self, policy, counters, clock):
        self.policy, self.counters, self.clock = policy, counters, clock

    # --- login ---------------------------------------------------------------------------------

    def check_login(self, username_key, address):
        """Raise TooManyAttemptsError while this address, or this name from this address, must wait."""
        wait = max(self._blocked_for(f"login:address:{address}") if address else 0,
                   self._blocked_for(self._pair_key(username_key, address)))
        if wait:
            raise TooManyAttemptsError(f"登录失败次数过多，请 {wait_text(wait)}后再试", retry_after=wait)

    def login_failed(self, username_key, address):
        if address:
            self._count(f"login:address:{address}", self.policy.address)
        self._count(self._pair_key(username_key, address), self.policy.pair)

    def login_succeeded(self, username_key, address):
        key = self._pair_key(username_key, address)
        self.counters.delete(key + ":failures", key + ":blocked")

    def forget_login_failures(self, *username_keys):
        """Clear every address's back-off for these names (an admin unlock, a completed SMS reset)."""
        for username_key in username_keys:
            # A new generation orphans the pair counters of every address at once; they expire unread.
            self.counters.add(f"login:generation:{username_key}", self.policy.pair.memory_seconds)

    # --- password reset ------------------------------------------------------------------------

    def check_reset_request(self, phone, address, resend_seconds):
        """One code per phone per interval, registered or not, and a few per address per hour."""
        if address:
            sent = self.counters.add(f"reset:requests:{address}", 3600)
            if sent > self.policy.reset_requests_per_address_hour:
                raise TooManyAttemptsError("获取验证码过于频繁，请 1 小时后再试", retry_after=3600)
        now = self.clock().timestamp()
        wait = self.counters.claim(f"reset:phone:{phone}", now, now + resend_seconds, resend_seconds + 5)
        if wait:
            raise ResetRequestedTooSoonError(f"验证码已发送，请 {wait} 秒后再重新获取", retry_after=wait)

    def check_reset_confirm(self, address):
        wait = self._blocked_for(f"reset:confirm:{address}") if address else 0
        if wait:
            raise TooManyAttemptsError(f"验证码错误次数过多，请 {wait_text(wait)}后再试", retry_after=wait)

    def reset_code_failed(self, address):
        if address:
            self._count(f"reset:confirm:{address}", self.policy.reset_codes)

    # --- helpers -------------------------------------------------------------------------------

    def _pair_key(self, username_key, address):
        generation = int(self.counters.get(f"login:generation:{username_key}"))
        return f"login:pair:{username_key}:{generation}:{address or '-'}"

    def _count(self, key, backoff):
        failures = self.counters.add(key + ":failures", backoff.memory_seconds)
        delay = backoff.delay(failures)
        if delay:
            self.counters.put(key + ":blocked", self.clock().timestamp() + delay, delay + 5)

    def _blocked_for(self, key):
        until = self.counters.get(key + ":blocked")
        return max(math.ceil(until - self.clock().timestamp()), 0) if until else 0
