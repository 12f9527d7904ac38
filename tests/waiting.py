"""Waiting in tests for something another process or greenthread does: the bus delivers, a timer
fires, a server comes up. One helper, so every wait yields to other greenthreads, checks one last
time at its deadline and, when it gives up, says what it waited for and what it saw last."""
import inspect
import time

import eventlet


def wait_until(condition, seconds=30.0, interval=0.05, what=None):
    """Poll *condition()* until it returns something truthy and return that value.

    Between polls the greenthread sleeps *interval* (eventlet, so services running in the same
    process go on working). After *seconds* the condition is asked once more; if it is still falsy,
    AssertionError says what was awaited (*what*, else the condition's source line), for how long,
    and the last value it returned."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {seconds:g}s waiting for {what or described(condition)}; "
                                 f"last saw {value!r}")
        eventlet.sleep(interval)


def described(condition):
    """A lambda has no useful name: its source line says what it checks."""
    name = getattr(condition, "__name__", None)
    if name and name != "<lambda>":
        return name
    try:
        return inspect.getsource(condition).strip()
    except (OSError, TypeError):
        return repr(condition)
