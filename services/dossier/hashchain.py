"""The tamper-evident chain over a dossier's events.

Each event stores ``prev_hash`` (the previous event's hash, or GENESIS) and ``hash``:
SHA-256 over a canonical JSON encoding of the event's topic, dossier id, version, class version
and stored state (everything but the hash itself). The aggregate computes it when it records an
event; ``verify`` recomputes it from the raw stored rows, before any upcasting, so that a hash
written years ago still checks after the event class has evolved. A chain that checks can still have
been rewritten whole by someone who can write the database: ``checkpoints.py`` anchors its heads
outside it, signed.

The functions themselves are the published contract shared/contracts/dossier_chain.py (the offline
audit package verifier recomputes the same hashes); they are re-exported here unchanged.
"""
from shared.contracts.dossier_chain import (  # noqa: F401  (re-exported: the service's own vocabulary)
    GENESIS, UNREADABLE, ChainReport, canonical, chain_report, event_hash, verify_chain,
)
