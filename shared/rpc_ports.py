"""Helpers for a service's ports to other services over RPC: time-limited calls, the system actor,
and telling a dossier's "not in this state" refusal from a failure worth retrying."""
import eventlet
from nameko.exceptions import RemoteError

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
    """

    def __init__(self, proxy, timeout=30.0):
        self.proxy = proxy
        self.timeout = timeout

    def call(self, method, *args):
        deadline = deadline_of(self.proxy)
        if deadline is not None and remaining(deadline) <= 0:
            raise DeadlineExceeded()
        timeout = bounded(self.timeout, deadline)
        reply = getattr(self.proxy, method).call_async(*args)
        timer = eventlet.Timeout(timeout)
        try:
            return reply.result()
        except eventlet.Timeout as fired:
            if fired is not timer:  # someone else's time limit: theirs to handle
                raise
            if deadline is not None and timeout < self.timeout:
                raise DeadlineExceeded() from None
            raise TimeoutError(f"RPC {method} did not answer within {self.timeout} seconds") from None
        finally:
            timer.cancel()
