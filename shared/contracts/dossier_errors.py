"""Errors the dossier service raises, published: they cross the RPC boundary, come back as these types
(shared/rpc.py registers them) and map to HTTP codes at the gateway. The notice and eligibility policy's
errors are below the aggregate's."""
import json

from shared.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


class IllegalTransitionError(Conflict):
    """Raised when a command is not legal in the dossier's current status."""

    code = "illegal_transition"


class RuleViolationError(IllegalTransitionError):
    """Raised when a command legal in this status breaks a rule of the dossier's current state."""

    code = "rule_violation"


class ActorNotAllowedError(PermissionDenied):
    """Raised when the actor's role or organisation may not perform this step on this dossier."""

    code = "actor_not_allowed"


class SelfDecisionError(PermissionDenied):
    """Raised when someone tries to review, vote or decide on their own dossier."""

    code = "self_decision"


class InvalidCommandError(ValidationFailed):
    """Raised when a command's arguments break a rule (empty reason, unknown section, bad dates)."""

    code = "invalid_command"


class _OneTimeNotice:
    """A refused submission's one notice (一次性告知): besides ``fields``, ``items`` lists every problem in
    the order of the form, ``{kind: section|material|eligibility, key, label, message, text, section,
    anchor[, year]}``; *section* (None: no section fixes it) and *anchor* say where it is fixed."""

    def __init__(self, message, fields=None, items=None):
        super().__init__(message, fields)
        # nameko rebuilds the error from its args, turning every non-text leaf into text (None -> "None",
        # 2023 -> "2023"); the items therefore travel as one JSON text and are read back from it.
        self.items = json.loads(items) if isinstance(items, str) else list(items or [])
        self.args = (message, self.fields, json.dumps(self.items, ensure_ascii=False))

    def to_dict(self):
        body = super().to_dict()
        if self.items:
            body["items"] = self.items
        return body


class IncompleteDossierError(_OneTimeNotice, ValidationFailed):
    """Raised at submission when required sections or materials are missing; the one notice lists every
    problem at once, the eligibility failures included."""

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


# --- the annual notice and the eligibility policy ----------------------------------------------------


class NoticeNotPublishedError(Conflict):
    """Raised when a dossier is created, checked or submitted for a year whose notice is not published."""

    code = "notice_not_published"


class NoticeNotFound(NotFound):
    """Raised when the notice asked for by review year does not exist."""

    code = "notice_not_found"


class NoticePermissionError(PermissionDenied):
    """Raised when someone other than a city admin publishes a notice."""

    code = "notice_not_allowed"


class OutsideApplicationWindowError(Conflict):
    """Raised when a dossier is created or submitted outside the notice's application window."""

    code = "outside_application_window"


class SeriesNotOpenError(ValidationFailed):
    """Raised when a dossier is created for a series or level the year's notice does not open."""

    code = "series_not_open"


class ActiveDossierLimitError(Conflict):
    """Raised when the applicant already has the most active dossiers allowed in that review year."""

    code = "active_dossier_limit"


class DecidedForYearError(Conflict):
    """Raised when an applicant whose dossier of a review year was rejected (不予通过) or failed the
    committee's vote (评审未通过) opens another dossier in that year: the decision is final for the year."""

    code = "decided_for_year"


class IneligibleError(_OneTimeNotice, ValidationFailed):
    """Raised at submission when the dossier is complete but eligibility rules fail; ``fields`` maps each
    failed rule to its message, ``items`` lists them in the order of the form."""

    code = "ineligible"
