"""The errors this service raises. They cross RPC, so they are published in
``shared/contracts/dossier_errors.py``; this module names them for the service's own code."""
from shared.contracts.dossier_errors import (  # noqa: F401
    IllegalTransitionError,
    RuleViolationError,
    ActorNotAllowedError,
    SelfDecisionError,
    InvalidCommandError,
    IncompleteDossierError,
    DossierNotFound,
    ConcurrentModificationError,
    StaleVersionError,
    NoticeNotPublishedError,
    NoticeNotFound,
    NoticePermissionError,
    OutsideApplicationWindowError,
    SeriesNotOpenError,
    ActiveDossierLimitError,
    DecidedForYearError,
    IneligibleError,
)
