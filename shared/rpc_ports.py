"""Helpers for a service's ports to other services over RPC: time-limited calls, the system actor,
and telling a dossier's "not in this state" refusal from a failure worth retrying."""
import eventlet
from nameko.exceptions import RemoteError, UnknownService

from shared.deadlines import DeadlineExceeded, bounded, deadline_of, remaining
from shared.errors import Conflict

SYSTEM_ACTOR = {"account_id": "system", "role": "system"}
RECORDED, ALREADY, REFUSED = "recorded", "already", "refused"
# Dossier refusals that mean "not in a state to do this": typed (codes) or untyped (remote type names).
_STATE_REFUSAL_CODES = {"illegal_transition", "rule_violation"}
_STATE_REFUSAL_TYPES = {"IllegalTransitionError", "RuleViolationError"}


def is_state_refusal(error):
    """True when the dossier refused because of its status (retrying would not help)."""
    if isinstance(error, RemoteError):
        return error.exc_type in _STATE_REFUSAL_TYPES
    return isinstance(error, Conflict) and error.code in _STATE_REFUSAL_CODES


class TimedProxy:
    """Calls through a nameko proxy with a time limit, so a service that is down cannot hang a worker.

    A call that runs out of time raises TimeoutError (an ordinary exception the sweeps retry). Inside
    a request that carries a deadline (shared/deadlines.py) the wait also ends there, and a call whose
    deadline has passed is not sent: DeadlineExceeded, since nobody waits for its answer any more.

    ``start`` sends a call and returns its ``PendingCall`` at once, so many calls wait together (one
    round trip for a fan-out); ``call`` is ``start(...).wait()``. With *unavailable* (a callable making
    an exception), a service nameko does not know and a call that runs out of time (or of its
    request's deadline) raise ``unavailable()`` instead, for callers that answer "try again later".
    """

    def __init__(self, proxy, timeout=30.0, unavailable=None):
        self.proxy = proxy
        self.timeout = timeout
        self.unavailable = unavailable

    def call(self, method, *args, timeout=None):
        return self.start(method, *args).wait(timeout)

    def start(self, method, *args):
        deadline = deadline_of(self.proxy)
        if deadline is not None and remaining(deadline) <= 0:
            raise self._given_up(DeadlineExceeded())
        try:
            reply = getattr(self.proxy, method).call_async(*args)
        except UnknownService:
            if self.unavailable is None:
                raise
            raise self.unavailable() from None
        return PendingCall(self, method, reply, deadline)

    def _given_up(self, error):
        return self.unavailable() if self.unavailable is not None else error


class PendingCall:
    """A call sent by ``TimedProxy.start``; ``wait`` gives its answer or gives up in time."""

    def __init__(self, proxy, method, reply, deadline):
        self.proxy, self.method, self.reply, self.deadline = proxy, method, reply, deadline

    def wait(self, timeout=None):
        """The answer, waiting at most *timeout* seconds (the proxy's own limit when None)."""
        limit = timeout or self.proxy.timeout
        bounded_limit = bounded(limit, self.deadline)
        timer = eventlet.Timeout(bounded_limit)
        try:
            return self.reply.result()
        except eventlet.Timeout as fired:
            if fired is not timer:  # someone else's time limit: theirs to handle
                raise
            if self.deadline is not None and bounded_limit < limit:
                raise self.proxy._given_up(DeadlineExceeded()) from None
            raise self.proxy._given_up(
                TimeoutError(f"RPC {self.method} did not answer within {limit} seconds")) from None
        finally:
            timer.cancel()
