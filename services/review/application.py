"""Review: the review bounded context's use cases, one mixin per area, over review's own database.

Review owns work queues, batches, committees, meetings, the expert draw, ballots and publicity. It
decides, then asks the dossier service to record the decision; the dossier refuses anything illegal.
"""
from . import projections
from .ballot_cases import BallotCases
from .batch_cases import BatchCases
from .calendar_cases import CalendarCases
from .committee_cases import CommitteeCases
from .context import ReviewContext, ReviewState
from .decision_cases import DecisionCases
from .expert_cases import ExpertCases
from .meeting_cases import MeetingCases
from .objection_cases import ObjectionCases
from .publicity_cases import PublicityCases
from .queue_cases import QueueCases
from .remote import DossierPort, IdentityPort
from .timer_cases import TimerCases

__all__ = ["Review", "ReviewState", "apply_dossier_event"]


class Review(QueueCases, DecisionCases, BatchCases, CalendarCases, CommitteeCases, MeetingCases, ExpertCases,
             BallotCases, PublicityCases, ObjectionCases, TimerCases, ReviewContext):
    """Every review use case, bound to one instance's state and one worker's remote services."""

    @classmethod
    def connect(cls, state: ReviewState, dossier_proxy, identity_proxy):
        settings = state.settings
        return cls(state, DossierPort(dossier_proxy, settings.rpc_timeout),
                   IdentityPort(identity_proxy, settings.rpc_timeout, settings.lookup_timeout))


def apply_dossier_event(state: ReviewState, payload):
    """Project one bus event into review's read models (idempotent by version)."""
    event = projections.load_event(payload)
    with state.engine.begin() as connection:
        projections.apply_event(connection, event)
    return event
