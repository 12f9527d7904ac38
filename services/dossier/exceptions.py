"""Errors the dossier service raises; they cross the RPC boundary and map to HTTP codes at the gateway."""
from shared.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


class IllegalTransitionError(Conflict):
    """Raised when a command is not legal in the dossier's current status."""

    code = "illegal_transition"


class ActorNotAllowedError(PermissionDenied):
    """Raised when the actor's role or organisation may not perform this step on this dossier."""

    code = "actor_not_allowed"


class SelfDecisionError(PermissionDenied):
    """Raised when someone tries to review, vote or decide on their own dossier."""

    code = "self_decision"


class InvalidCommandError(ValidationFailed):
    """Raised when a command's arguments break a rule (empty reason, unknown section, bad dates)."""

    code = "invalid_command"


class IncompleteDossierError(ValidationFailed):
    """Raised at submission when required sections are missing; lists every one of them at once."""

    code = "incomplete_dossier"


class DossierNotFound(NotFound):
    """Raised when no dossier has the given id."""

    code = "dossier_not_found"


class ConcurrentModificationError(Conflict):
    """Raised when a command kept losing the race against other commands on the same dossier."""

    code = "concurrent_modification"


class StaleVersionError(ConcurrentModificationError):
    """Raised when a decision was made on a version of the dossier that is no longer the current one:
    someone moved it in between. The message names the current status and who moved it; nothing is
    recorded (a decision is never re-applied to a state its maker did not see)."""

    code = "stale_version"
