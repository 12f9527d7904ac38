"""The errors this service raises. They cross RPC, so they are published in
``shared/contracts/review_errors.py``; this module names them for the service's own code."""
from shared.contracts.review_errors import (  # noqa: F401
    ReviewNotAllowedError,
    OutOfScopeError,
    TakenBackError,
    InvalidReviewCommandError,
    LevelDeadlinePassedError,
    CalendarError,
    CommitteeRuleError,
    CommitteeNotFound,
    MeetingNotFound,
    MeetingStateError,
    QuorumNotMetError,
    NotAVoterError,
    RecusedError,
    DoubleVoteError,
    LateBallotError,
    PublicityNotFound,
    PublicityWindowError,
    ObjectionNotFound,
    RateLimitedError,
    RemoteServiceUnavailable,
)
