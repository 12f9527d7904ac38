"""ReviewService: review's RPC surface, its dossier event handlers and its timers.

Run it with ``nameko run --config services/review/config.yaml services.review.service:ReviewService``.
Each RPC loads its input with a schema, calls one of the Review application's use-case classes and
answers ``dump(SomeOut, value)``: every answer's shape is declared in ``schemas.py``, dates as ISO text.
Methods that act for someone take ``actor`` as ``{account_id, role, org_id}`` (the gateway's
authenticated caller); public ones (publicity lists, objections) take no actor.
The writes that matter — decisions, unit publicity, batches, ballots, new meetings and the draw —
are ``@idempotent``: the request's key is stored in the write's transaction (shared/idempotency.py).
An opened meeting is announced on the bus (``meeting_opened``, for the notification service).
"""
import functools

from nameko.rpc import RpcProxy
from sqlalchemy import func, select, text

from shared.announcing import EventAnnouncer
from shared.contracts import dossier_errors, identity_errors
from shared.contracts.notification import MEETING_OPENED
from shared.deadlines import rpc  # nameko's @rpc, refusing calls whose deadline passed
from shared.errors import PlatformError
from shared.event_failures import health_with_failures
from shared.idempotency import IdempotencyKey, idempotent
from shared.observability import CorrelationId, current_correlation_id
from shared.roles import Actor
from shared.rpc import register_platform_errors
from shared.schemas import ActorSchema, load_or_raise

from . import schemas as s
from .schemas import dump
from .application import Review
from .dependencies import MeetingRecordKit, ReviewStore, review_timer
from .exceptions import InvalidReviewCommandError
from .handlers import DossierEventHandlers
from .domain.scoping import require_role
from .tables import review_queue

# Dossier and identity errors come back through review as their own types (and go on as such).
ERROR_MODULES = (dossier_errors, identity_errors)
register_platform_errors()
EXPECTED = PlatformError


def _actor(data):
    loaded = load_or_raise(ActorSchema(), data, "操作人信息无效")
    return Actor.from_dict(loaded)


def _load(schema, data, partial=False):
    return load_or_raise(schema(partial=partial), data if data is not None else {})


def _engine(service):
    return service.store.engine


def _field(data, name):
    return data.get(name) if isinstance(data, dict) else None


def _ids(data):
    """What a request on a list of dossiers acts on, in any order (its command key's subject)."""
    ids = _field(data, "dossier_ids")
    return ",".join(sorted(str(i) for i in ids)) if isinstance(ids, list) else ""


def _meeting_answer(service, answer, actor, *_):
    """A repeated keyed meeting command answers the meeting as it stands (its first answer's view)."""
    return dump(s.MeetingOut, service.review.meetings.get_meeting(_actor(actor), answer["meeting_id"]))


class ReviewService(DossierEventHandlers):
    name = "review"

    store = ReviewStore()
    record_kit = MeetingRecordKit()  # the meeting records' signing key and PDF store
    dossier_rpc = RpcProxy("dossier")
    identity_rpc = RpcProxy("identity")
    correlation_id = CorrelationId()
    idempotency_key = IdempotencyKey()  # the request's key, stored with review's writes and passed on
    announce = EventAnnouncer()  # review.events: what the notification service tells people of

    @property
    def review(self):
        return Review.connect(self.store, self.dossier_rpc, self.identity_rpc, self.record_kit)

    # -- work queues ------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def queue(self, actor, query=None):
        """The caller's scoped queue: filters, search by name, paging; ``include_ids`` for bulk selection."""
        return dump(s.QueuePageOut, self.review.queues.queue(_actor(actor), _load(s.QueueQuerySchema, query)))

    @rpc(expected_exceptions=EXPECTED)
    def queue_counts(self, actor, query=None):
        return dump(s.CountsOut, self.review.queues.queue_counts(_actor(actor), _load(s.QueueQuerySchema, query)))

    @rpc(expected_exceptions=EXPECTED)
    def queue_item(self, actor, dossier_id):
        return dump(s.QueueRowOut, self.review.queues.queue_item(_actor(actor), dossier_id))

    @rpc(expected_exceptions=EXPECTED)
    def export_queue(self, actor, query=None, file_format="xlsx"):
        """The whole filtered queue as CSV or Excel: ``{filename, content_type, content_base64, rows}``."""
        fmt = _load(s.ExportFormatSchema, {"format": file_format})["format"]
        return dump(s.ExportOut, self.review.queues.export_queue(_actor(actor), _load(s.QueueQuerySchema, query), fmt))

    @rpc(expected_exceptions=EXPECTED)
    def progress(self, actor, query=None):
        """Counts by status per organisation of the caller's scope."""
        return dump(s.ProgressOut, self.review.queues.progress(_actor(actor), _load(s.ProgressQuerySchema, query)))

    # -- decisions, unit publicity, batches ------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    @idempotent("decide", engine=_engine, subject=lambda actor, dossier_id, decision: f"{dossier_id}:"
                f"{_field(decision, 'action')}")
    def decide(self, actor, dossier_id, decision):
        """``{action: approve|return|reject, opinion, reason, sections, problems: [{section, issue}]}``."""
        decided = self.review.decisions.decide(_actor(actor), dossier_id, _load(s.DecisionSchema, decision))
        return dump(s.DecisionAnswerOut, decided)

    @rpc(expected_exceptions=EXPECTED)
    def decisions_of(self, actor, dossier_id):
        return dump(s.DecisionOut, self.review.decisions.decisions_of(_actor(actor), dossier_id), many=True)

    @rpc(expected_exceptions=EXPECTED)
    @idempotent("record_unit_publicity", engine=_engine, subject=lambda actor, request: _ids(request))
    def record_unit_publicity(self, actor, request):
        """``{dossier_ids, start, end?}``: at least N working days; *end* defaults to the shortest period."""
        recorded = self.review.decisions.record_unit_publicity(_actor(actor), _load(s.UnitPublicitySchema, request))
        return dump(s.UnitPublicityOut, recorded)

    @rpc(expected_exceptions=EXPECTED)
    @idempotent("submit_batch", engine=_engine, subject=lambda actor, request: _ids(request))
    def submit_batch(self, actor, request):
        """``{dossier_ids}`` → ``{batch_id, saved, results: [{dossier_id, ok, error?}]}``, all or nothing."""
        return dump(s.BatchAnswerOut, self.review.batches.submit_batch(_actor(actor), _load(s.BatchSchema, request)))

    @rpc(expected_exceptions=EXPECTED)
    def list_batches(self, actor, query=None):
        return dump(s.BatchOut, self.review.batches.list_batches(_actor(actor), _load(s.PageSchema, query)), many=True)

    @rpc(expected_exceptions=EXPECTED)
    def get_batch(self, actor, batch_id):
        return dump(s.BatchOut, self.review.batches.get_batch(_actor(actor), batch_id))

    # -- working-day calendar ---------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def calendar_year(self, year):
        data = load_or_raise(s.CalendarYearSchema(only=("year",)), {"year": year})
        return dump(s.CalendarYearOut, self.review.calendar.calendar_year(data["year"]))

    @rpc(expected_exceptions=EXPECTED)
    def set_calendar_year(self, actor, data):
        """``{year, days_off: [date | "起..止"], workdays: [date], source}`` (city admin)."""
        return dump(s.CalendarYearOut, self.review.calendar.set_calendar_year(_actor(actor), _load(s.CalendarYearSchema, data)))

    @rpc(expected_exceptions=EXPECTED)
    def working_days(self, query):
        """``{start, working_days}`` → the window's end, or ``{start, end}`` → its working days."""
        return dump(s.WindowOut, self.review.calendar.working_days(_load(s.WorkingDaysQuerySchema, query)))

    # -- committees and the expert pool -----------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def create_committee(self, actor, data):
        return dump(s.CommitteeOut, self.review.committees.create_committee(_actor(actor), _load(s.CommitteeSchema, data)))

    @rpc(expected_exceptions=EXPECTED)
    def update_committee(self, actor, committee_id, changes):
        loaded = _load(s.CommitteeSchema, changes, partial=True)
        if not changes:
            raise InvalidReviewCommandError("没有要修改的内容")
        changed = {key: value for key, value in loaded.items() if key in changes}
        return dump(s.CommitteeOut, self.review.committees.update_committee(_actor(actor), committee_id, changed))

    @rpc(expected_exceptions=EXPECTED)
    def delete_committee(self, actor, committee_id):
        return dump(s.DeletedOut, self.review.committees.delete_committee(_actor(actor), committee_id))

    @rpc(expected_exceptions=EXPECTED)
    def list_committees(self, actor):
        return dump(s.CommitteeOut, self.review.committees.list_committees(_actor(actor)), many=True)

    @rpc(expected_exceptions=EXPECTED)
    def get_committee(self, actor, committee_id):
        return dump(s.CommitteeOut, self.review.committees.get_committee(_actor(actor), committee_id))

    @rpc(expected_exceptions=EXPECTED)
    def add_experts(self, actor, committee_id, data):
        """``{experts: [{expert_id, title, specialty, name?}]}``; identity confirms each expert and names their unit."""
        return dump(s.CommitteeOut, self.review.committees.add_experts(_actor(actor), committee_id, _load(s.ExpertsSchema, data)))

    @rpc(expected_exceptions=EXPECTED)
    def change_expert_unit(self, actor, committee_id, expert_id, data):
        """``{unit_id, reason}``: the recorded act changing the unit a pool expert recuses by (city admin)."""
        loaded = _load(s.ExpertUnitChangeSchema, data)
        return dump(s.CommitteeOut, self.review.committees.change_expert_unit(_actor(actor), committee_id, expert_id, loaded))

    @rpc(expected_exceptions=EXPECTED)
    def remove_expert(self, actor, committee_id, expert_id):
        return dump(s.CommitteeOut, self.review.committees.remove_expert(_actor(actor), committee_id, expert_id))

    # -- review meetings and the secret ballot ----------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    @idempotent("create_meeting", engine=_engine, subject=lambda actor, data: _field(data, "committee_id"),
                replay=_meeting_answer)
    def create_meeting(self, actor, data):
        """``{committee_id, meeting_date, expert_count, title?}``."""
        return dump(s.MeetingOut, self.review.meetings.create_meeting(_actor(actor), _load(s.MeetingSchema, data)))

    @rpc(expected_exceptions=EXPECTED)
    def list_meetings(self, actor, query=None):
        return dump(s.MeetingSummaryOut, self.review.meetings.list_meetings(_actor(actor), _load(s.MeetingQuerySchema, query)), many=True)

    @rpc(expected_exceptions=EXPECTED)
    def get_meeting(self, actor, meeting_id):
        return dump(s.MeetingOut, self.review.meetings.get_meeting(_actor(actor), meeting_id))

    @rpc(expected_exceptions=EXPECTED)
    def assign_dossiers(self, actor, meeting_id, request):
        """``{dossier_ids}`` of fee-paid dossiers → ``sent_to_committee``; a result per dossier."""
        assigned = self.review.meetings.assign_dossiers(_actor(actor), meeting_id, _load(s.DossierIdsSchema, request))
        return dump(s.AssignmentOut, assigned)

    @rpc(expected_exceptions=EXPECTED)
    def change_dossiers(self, actor, meeting_id, request):
        """``{add, remove, reason}``: the office's recorded decision on a drawn meeting's dossiers; a
        removed one goes back to fee-paid (``recalled_from_committee``). A result per dossier."""
        changed = self.review.meetings.change_dossiers(_actor(actor), meeting_id, _load(s.DossierChangeSchema, request))
        return dump(s.DossierChangesOut, changed)

    @rpc(expected_exceptions=EXPECTED)
    def name_leads(self, actor, meeting_id, request):
        """``{dossier_id, expert_ids}``: the dossier's one or two lead reviewers (主审) → the meeting."""
        return dump(s.MeetingOut, self.review.leads.name_leads(_actor(actor), meeting_id, _load(s.LeadsSchema, request)))

    @rpc(expected_exceptions=EXPECTED)
    def write_lead_opinion(self, actor, meeting_id, request):
        """``{dossier_id, opinion}``: a lead's 主审意见, editable until they vote on the dossier."""
        written = self.review.leads.write_lead_opinion(_actor(actor), meeting_id, _load(s.LeadOpinionSchema, request))
        return dump(s.LeadOpinionOut, written)

    @rpc(expected_exceptions=EXPECTED)
    @idempotent("draw_experts", engine=_engine, subject=lambda actor, meeting_id, request=None: meeting_id,
                replay=_meeting_answer)
    def draw_experts(self, actor, meeting_id, request=None):
        """``{exclusions: [{expert_id, reason}]}``: the random draw, recorded with its seed."""
        return dump(s.MeetingOut, self.review.experts.draw_experts(_actor(actor), meeting_id, _load(s.DrawSchema, request)))

    @rpc(expected_exceptions=EXPECTED)
    def replay_draw(self, actor, meeting_id):
        return dump(s.DrawReplayOut, self.review.experts.replay_draw(_actor(actor), meeting_id))

    @rpc(expected_exceptions=EXPECTED)
    def declare_conflict(self, actor, meeting_id, request):
        """``{dossier_id?, reason, expert_id?}``: an expert for themselves, or the office for an expert."""
        conflict = _load(s.ConflictSchema, request)
        return dump(s.ConflictOut, self.review.experts.declare_conflict(_actor(actor), meeting_id, conflict))

    @rpc(expected_exceptions=EXPECTED)
    def record_attendance(self, actor, meeting_id, request):
        """``{expert_ids}`` → the quorum ``{drawn, attending, required, met}``."""
        attendance = _load(s.AttendanceSchema, request)
        return dump(s.QuorumOut, self.review.experts.record_attendance(_actor(actor), meeting_id, attendance))

    @rpc(expected_exceptions=EXPECTED)
    def open_meeting(self, actor, meeting_id):
        """Open the vote; the drawn experts who vote are told (``meeting_opened``) once."""
        return dump(s.MeetingOut, self.review.meetings.open_meeting(
            _actor(actor), meeting_id, announce=functools.partial(self.announce, MEETING_OPENED)))

    @rpc(expected_exceptions=EXPECTED)
    @idempotent("cast_ballot", engine=_engine,
                subject=lambda actor, meeting_id, ballot: f"{meeting_id}:{_field(ballot, 'dossier_id')}")
    def cast_ballot(self, actor, meeting_id, ballot):
        """``{dossier_id, ballot}``: the expert's own ballot, encrypted by the gateway under the meeting's
        key (shared/ballot_crypto.py) — the plaintext choice never reaches this service or the bus."""
        loaded = _load(s.SealedBallotSchema, ballot)
        return dump(s.BallotReceiptOut, self.review.ballots.cast_ballot(_actor(actor), meeting_id, loaded))

    @rpc(expected_exceptions=EXPECTED)
    def ballot_key(self, actor, meeting_id):
        """The meeting's public ballot key and the order of choices a ballot encrypts."""
        return dump(s.BallotKeyOut, self.review.ballots.ballot_key(_actor(actor), meeting_id))

    @rpc(expected_exceptions=EXPECTED)
    def ballot_record(self, meeting_id):
        """Public once the vote is closed: every encrypted ballot and each tally with its proofs."""
        return dump(s.BallotRecordOut, self.review.ballots.ballot_record(meeting_id))

    @rpc(expected_exceptions=EXPECTED)
    def close_meeting(self, actor, meeting_id):
        """End the vote; each dossier gets ``passed`` / ``failed`` with its tally. The meeting record is
        made and stored now; if that fails the close stands and the timer or a download makes it."""
        review = self.review
        closed = review.ballots.close_meeting(_actor(actor), meeting_id)
        review.records.make_quietly(meeting_id)
        return dump(s.MeetingOut, closed)

    # -- the meeting record -----------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def meeting_record_pdf(self, actor, meeting_id):
        """The signed 评审会议纪要 PDF of a closed meeting (its office, the city admin, the auditor):
        ``{number, filename, content_type, content_base64, sha256, size}``."""
        return dump(s.MeetingRecordPdfOut, self.review.records.pdf(_actor(actor), meeting_id))

    @rpc(expected_exceptions=EXPECTED)
    def verify_meeting_record(self, number, sha256):
        """Public: is the PDF with this SHA-256 the record *number*, and do its signatures hold?"""
        return dump(s.MeetingRecordCheckOut, self.review.records.verify(number, sha256))

    @rpc(expected_exceptions=EXPECTED)
    def meeting_record_public_keys(self):
        """Public: the Ed25519 public keys (PEM) that sign meeting records, by key id."""
        return dump(s.RecordKeysOut, self.review.records.public_keys())

    @rpc(expected_exceptions=EXPECTED)
    def expert_meetings(self, actor):
        return dump(s.ExpertMeetingOut, self.review.experts.expert_meetings(_actor(actor)), many=True)

    # -- the review room --------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def room_dossier(self, actor, meeting_id, dossier_id, what, correlation_id=None, source_address=None):
        """May this drawn expert read *what* (``dossier`` or ``material:<id>``) of a dossier of the meeting
        now? Answers ``{meeting_id, dossier_id, what, allowed: true, ...}`` and records the view, or raises
        the refusal (403; 404 for a dossier not in the meeting)."""
        opened = self.review.room.open_dossier(_actor(actor), meeting_id, dossier_id, what,
                                               correlation_id or current_correlation_id(), source_address)
        return dump(s.RoomAccessOut, opened)

    @rpc(expected_exceptions=EXPECTED)
    def room_views(self, actor, meeting_id):
        """The meeting's record of views in the review room, newest first (organisers and the auditor)."""
        return dump(s.RoomViewOut, self.review.room.views(_actor(actor), meeting_id), many=True)

    # -- publicity and objections -----------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def publish(self, actor, request):
        """``{dossier_ids, start?, working_days?, title?}`` → ``{id, start, end, results}`` (city admin)."""
        return dump(s.PublishedOut, self.review.publicity.publish(_actor(actor), _load(s.PublishSchema, request)))

    @rpc(expected_exceptions=EXPECTED)
    def list_publicities(self):
        """Public: every publicity list, newest first."""
        return dump(s.PublicitySummaryOut, self.review.publicity.list_publicities(), many=True)

    @rpc(expected_exceptions=EXPECTED)
    def get_publicity(self, publicity_id):
        """Public: name, unit, series, specialty, level of each listed person — never an ID number."""
        return dump(s.PublicityOut, self.review.publicity.get_publicity(publicity_id))

    @rpc(expected_exceptions=EXPECTED)
    def lodge_objection(self, publicity_id, objection, source_address=None):
        """Public: ``{dossier_id, contact, facts, name?}``; rate limited per contact and address."""
        loaded = _load(s.ObjectionSchema, objection)
        return dump(s.ObjectionReceiptOut, self.review.objections.lodge_objection(publicity_id, loaded, source_address))

    @rpc(expected_exceptions=EXPECTED)
    def publicity_detail(self, actor, publicity_id):
        return dump(s.PublicityDetailOut, self.review.publicity.publicity_detail(_actor(actor), publicity_id))

    @rpc(expected_exceptions=EXPECTED)
    def list_objections(self, actor, query=None):
        return dump(s.ObjectionOut, self.review.objections.list_objections(_actor(actor), _load(s.ObjectionQuerySchema, query)), many=True)

    @rpc(expected_exceptions=EXPECTED)
    def resolve_objection(self, actor, objection_id, resolution):
        """``{outcome: dismissed|upheld, reason, fraud}`` (city admin)."""
        resolved = self.review.objections.resolve_objection(_actor(actor), objection_id, _load(s.ResolutionSchema, resolution))
        return dump(s.ObjectionOut, resolved)

    # -- timers -----------------------------------------------------------------------------

    @review_timer("deadlines", 300)
    def abandon_overdue_dossiers(self):
        self.review.timers.abandon_overdue()

    @review_timer("publicity", 60)
    def close_publicity_windows(self):
        review = self.review
        review.timers.end_due_publicities()
        review.timers.retry_pending()
        review.records.complete_pending()  # meeting records a close could not make or store

    @rpc(expected_exceptions=EXPECTED)
    def run_timers(self, actor):
        """Run every timer job now (city admin or system): demos, operations after an outage."""
        require_role(_actor(actor), "city_admin", "system", action="立即执行到期任务")
        review = self.review
        return dump(s.TimersRunOut, {"deadlines": review.timers.abandon_overdue(),
                                     "publicity": review.timers.end_due_publicities(),
                                     "retries": review.timers.retry_pending(),
                                     "records": review.records.complete_pending()})

    @rpc
    def health(self):
        report = {"service": self.name, "status": "ok", "instance": self.store.instance}
        try:
            with self.store.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
                report["queue_rows"] = connection.execute(select(func.count()).select_from(review_queue)).scalar()
            health_with_failures(report, self.store.engine, self.name)
        except Exception as error:
            report.update(status="error", error=str(error))
        return dump(s.HealthOut, report)
