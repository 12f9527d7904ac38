"""Identity's use cases over its database: plain Python, usable with or without nameko.

One application class per responsibility, each with its collaborators passed in:

- ``authentication.py`` — login, token refresh, logout, authenticate, the public key set
- ``passwords.py`` — password change and SMS reset
- ``accounts.py`` — registration, reading an account, disable / enable / unlock
- ``roles.py`` — administrator accounts, role grants and the second-person role requests
- ``sanctions.py`` — fraud sanctions and whether an account may apply
- ``organisations.py`` — the organisation tree, unit registration and approval, scopes
- ``memberships.py`` — applicants joining units
- ``operations.py`` — health, the audit log

and what they share: ``records.py`` (the database, its audit trail, lookups, duplicate checks),
``views.py`` (records as the plain dicts the service dumps), ``sessions.py`` (sign-in sessions and
tokens), ``settings.py``. Each public method is one use case in one transaction (sometimes two:
slow password hashing never runs while a row is locked).
"""
from dataclasses import dataclass

from shared.clock import utc_now

from ..counters import MemoryCounters
from ..throttles import Throttles
from .accounts import Accounts
from .authentication import Authentication
from .memberships import Memberships
from .operations import Operations
from .organisations import Organisations
from .passwords import Passwords
from .records import Database
from .roles import Roles
from .sanctions import Sanctions
from .sessions import Sessions
from .settings import Settings, throttle_policy

__all__ = ["Identity", "Settings", "throttle_policy"]


@dataclass
class Identity:
    """Every application of identity, wired to one database; the service takes each as a dependency.

    ``session_factory``, ``hasher`` and ``revocations`` are the collaborators they share (the seed and
    the tests use them too).
    """

    session_factory: object
    hasher: object
    revocations: object
    authentication: Authentication
    passwords: Passwords
    accounts: Accounts
    roles: Roles
    sanctions: Sanctions
    organisations: Organisations
    memberships: Memberships
    operations: Operations

    @classmethod
    def wire(cls, session_factory, settings, hasher, signer, verifier, sender, clock=utc_now, counters=None,
             revocations=None):
        """*counters* hold the throttles' counts (Redis in production, memory by default); *revocations* is
        the shared list of ended sessions (None: only the database knows, see shared/revocations.py)."""
        database = Database(session_factory, clock)
        throttles = Throttles(settings.throttles, counters or MemoryCounters(), clock)
        sessions = Sessions(signer, verifier, revocations, settings.refresh_ttl_seconds, clock)
        return cls(
            session_factory=session_factory, hasher=hasher, revocations=revocations,
            authentication=Authentication(database, hasher, verifier, throttles, sessions, clock),
            passwords=Passwords(database, hasher, sender, throttles, sessions, clock, settings.password_policy,
                                settings.reset_codes, settings.reset_code_pepper),
            accounts=Accounts(database, hasher, settings.password_policy, throttles, sessions, clock),
            roles=Roles(database, hasher, settings.password_policy, sessions, clock),
            sanctions=Sanctions(database, clock),
            organisations=Organisations(database, clock),
            memberships=Memberships(database, clock),
            operations=Operations(database),
        )
