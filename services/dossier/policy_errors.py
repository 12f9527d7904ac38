"""Errors of the annual notice and the eligibility policy; they cross the RPC boundary like the others."""
from shared.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


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


class IneligibleError(ValidationFailed):
    """Raised at submission when eligibility rules fail; ``fields`` maps each failed rule to its message."""

    code = "ineligible"
