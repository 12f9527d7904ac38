"""Review: the review bounded context's use cases, composed over review's own database.

Review owns work queues, batches, committees, meetings, the expert draw, ballots and publicity. It
decides, then asks the dossier service to record the decision; the dossier refuses anything illegal.
Each area's use cases are a class in ``cases/`` that is handed what it uses; this is where they are
wired together, once per worker (the remote services are the worker's proxies).
"""
from . import projections
from .cases.ballots import BallotCases
from .cases.batches import BatchCases
from .cases.calendar import CalendarCases
from .cases.committees import CommitteeCases
from .cases.decisions import DecisionCases
from .cases.experts import ExpertCases
from .cases.leads import LeadCases
from .cases.meetings import MeetingCases
from .cases.objections import ObjectionCases
from .cases.publicity import PublicityCases
from .cases.queues import QueueCases
from .cases.records import RecordCases, RecordKit
from .cases.room import RoomCases
from .cases.timers import TimerCases
from .context import QueueRows, ReviewState
from .policy import YearPolicies
from .ports import DossierPort, IdentityPort

__all__ = ["Review", "ReviewState", "apply_dossier_event"]


class Review:
    """Every review use case, bound to one instance's state and one worker's remote services."""

    def __init__(self, state: ReviewState, dossiers: DossierPort, identity: IdentityPort,
                 record_kit: RecordKit | None = None):
        engine, settings, clock = state.engine, state.settings, state.clock
        rows = QueueRows(engine, dossiers)
        # The year's policy in force, read from the dossier service once per year for this request.
        policies = YearPolicies(dossiers)
        self.queues = QueueCases(engine, rows, identity, settings, clock, policies)
        self.decisions = DecisionCases(engine, rows, dossiers, settings, clock, policies)
        self.batches = BatchCases(engine, rows, dossiers, settings, clock, policies)
        self.calendar = CalendarCases(engine, clock)
        self.committees = CommitteeCases(engine, identity, settings, clock, policies)
        self.meetings = MeetingCases(engine, rows, dossiers, self.committees, clock, policies)
        self.experts = ExpertCases(engine, self.meetings, self.committees, clock)
        self.leads = LeadCases(engine, self.meetings, clock)
        self.room = RoomCases(engine, self.committees, clock)
        self.ballots = BallotCases(engine, rows, dossiers, self.meetings, self.committees, settings, clock)
        self.records = RecordCases(engine, self.committees, record_kit, clock, tally_check=self.ballots.tally_check)
        self.publicity = PublicityCases(engine, rows, dossiers, settings, clock, policies)
        self.objections = ObjectionCases(engine, rows, dossiers, identity, self.publicity, settings, clock)
        self.timers = TimerCases(engine, rows, dossiers, self.publicity, self.objections, self.ballots, settings,
                                 clock, state.instance, policies)

    @classmethod
    def connect(cls, state: ReviewState, dossier_proxy, identity_proxy, record_kit: RecordKit | None = None):
        settings = state.settings
        return cls(state, DossierPort(dossier_proxy, settings.rpc_timeout),
                   IdentityPort(identity_proxy, settings.rpc_timeout, settings.lookup_timeout), record_kit)


def apply_dossier_event(state: ReviewState, event):
    """Project one dossier event, as ``DossierEventV1`` loads it (shared/event_handlers.py), into
    review's read models (idempotent by version)."""
    with state.engine.begin() as connection:
        projections.apply_event(connection, event)
    return event
