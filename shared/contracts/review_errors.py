"""Errors the review service raises; they cross the RPC boundary and map to HTTP codes at the gateway."""
from shared.errors import Conflict, NotFound, PermissionDenied, PlatformError, ValidationFailed


class ReviewNotAllowedError(PermissionDenied):
    """Raised when the actor's role or organisation may not take this review step."""

    code = "review_not_allowed"


class OutOfScopeError(NotFound):
    """Raised when a dossier does not exist or lies outside the actor's organisation (no hint which)."""

    code = "dossier_not_in_scope"


class TakenBackError(Conflict):
    """Raised when a reviewer acts on a dossier its applicant took back to draft (撤回申报) before the unit
    acted: it left the queue and waits for the applicant to submit it again."""

    code = "dossier_taken_back"


class InvalidReviewCommandError(ValidationFailed):
    """Raised when a review command's arguments break a rule; ``fields`` lists every problem at once."""

    code = "invalid_review_command"


class LevelDeadlinePassedError(Conflict):
    """Raised when a review level acts after its deadline in the year's notice (docs/domain-rules.md
    R5.12): it may no longer send a dossier on nor return one; the message names the deadline."""

    code = "level_deadline_passed"


class CalendarError(ValidationFailed):
    """Raised when working-day calendar data is inconsistent (a date outside its year, a 调休 on a weekday)."""

    code = "invalid_calendar"


class CommitteeRuleError(ValidationFailed):
    """Raised when a committee breaks docs/domain-rules.md R6.1, R6.2: member count, validity, level band, pool size."""

    code = "committee_rule"


class CommitteeNotFound(NotFound):
    """Raised when no committee has the given id."""

    code = "committee_not_found"


class MeetingNotFound(NotFound):
    """Raised when no review meeting has the given id."""

    code = "meeting_not_found"


class MeetingStateError(Conflict):
    """Raised when a meeting step is not possible in the meeting's current state."""

    code = "meeting_state"


class QuorumNotMetError(Conflict):
    """Raised when fewer experts attend than the quorum requires."""

    code = "quorum_not_met"


class NotAVoterError(PermissionDenied):
    """Raised when the actor is not a drawn, attending expert of the meeting (no proxy voting)."""

    code = "not_a_voter"


class RecusedError(PermissionDenied):
    """Raised when an expert who must recuse from a dossier tries to vote on it."""

    code = "recused"


class DoubleVoteError(Conflict):
    """Raised when an expert has already cast their ballot on this dossier in this meeting."""

    code = "already_voted"


class LateBallotError(Conflict):
    """Raised when a ballot arrives after the meeting was closed."""

    code = "late_ballot"


class PublicityNotFound(NotFound):
    """Raised when no publicity (公示) has the given id, or the dossier is not on it."""

    code = "publicity_not_found"


class PublicityWindowError(Conflict):
    """Raised when an objection arrives outside the publicity window, or a window rule is broken."""

    code = "publicity_window"


class ObjectionNotFound(NotFound):
    """Raised when no objection has the given id."""

    code = "objection_not_found"


class RateLimitedError(PlatformError):
    """Raised when one contact or one network address lodges too many objections in a period."""

    code = "rate_limited"
    http_status = 429


class RemoteServiceUnavailable(PlatformError):
    """Raised when another service (dossier, identity) did not answer in time."""

    code = "service_unavailable"
    http_status = 503
