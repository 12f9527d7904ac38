"""The first import of every eventlet process the platform starts itself (relay, seeds, tools).

nameko 2.14 runs on eventlet, so the standard library must be patched before anything opens a
socket or imports psycopg2. eventlet 0.41 also warns at import that it is deprecated; the platform
pins it on purpose, so an operator can do nothing with that warning and it is filtered here, before
eventlet is imported. (The test run filters it in tests/conftest.py.)
"""
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402


def monkey_patch():
    eventlet.monkey_patch()
    # Then (nameko may only be imported after patching): no broker blip kills this process's
    # nameko consumers or standalone proxies (shared/amqp_resilience.py).
    from . import amqp_resilience

    amqp_resilience.install()
