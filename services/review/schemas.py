"""Schemas at the review service's RPC edge: what it loads, and the shape of every answer it gives.

The inputs are published in ``shared/contracts/review_schemas.py`` (the gateway documents and pre-checks
the same forms); this module names them for the service's own code. The answers are review's own:
each RPC answers ``dump(SomeOut, value)``, and an answer schema declares every key its use case
returns (``OutSchema`` refuses an undeclared one rather than drop it). Dates and times cross the wire
as ISO text. No answer carries an expert's choice: a meeting shows who has voted and, once closed,
each dossier's counts — never a choice next to an expert.
"""
from marshmallow import fields, pre_dump

from shared.contracts.review_schemas import *  # noqa: F401,F403
from shared.schemas import IsoText, OutSchema, PassThrough, dump  # noqa: F401 (dump: the service answers with it)








def IdList():
    """A list of ids (dossiers, experts)."""
    return fields.List(fields.String())


def Rows(schema):
    """A list of nested answers, each shaped (and checked) by *schema*."""
    return fields.List(fields.Nested(schema))


# --- small answers -------------------------------------------------------------------------------

class DeletedOut(OutSchema):
    deleted = fields.String()


class QuorumOut(OutSchema):
    drawn = fields.Integer()
    attending = fields.Integer()
    required = fields.Integer()
    met = fields.Boolean()


class ConflictOut(OutSchema):
    meeting_id = fields.String()
    expert_id = fields.String()
    dossier_id = fields.String()  # "*": the whole meeting
    reason = fields.String()


class BallotReceiptOut(OutSchema):
    """A cast ballot's receipt: that it was recorded, never the choice. A choice handed to it by mistake
    is struck off, not refused: the ballot is already in the box, and the receipt must still say so."""

    meeting_id = fields.String()
    dossier_id = fields.String()
    recorded = fields.Boolean()

    @pre_dump(pass_collection=False)
    def _refuse_undeclared(self, value, **kwargs):
        if isinstance(value, dict):
            value = {key: item for key, item in value.items() if key != "choice"}
        return super()._refuse_undeclared(value, **kwargs)


class BallotKeyOut(OutSchema):
    meeting_id = fields.String()
    public_key = fields.String()
    scheme = fields.String()
    choices = fields.List(fields.String())


class BallotRecordOut(OutSchema):
    """The published record of a closed vote: ciphertexts, receipts counts and tallies with proofs."""

    scheme = fields.String()
    meeting_id = fields.String()
    public_key = fields.String()
    choices = fields.List(fields.String())
    dossiers = PassThrough()


class ObjectionReceiptOut(OutSchema):
    objection_id = fields.String()
    state = fields.String()
    message = fields.String()


class ResultOut(OutSchema):
    """One dossier's outcome in a request on several: ``ok``, or the ``error`` ``{code, message, fields?}``."""

    dossier_id = fields.String()
    ok = fields.Boolean()
    error = PassThrough()


# --- work queues ---------------------------------------------------------------------------------

class QueueRowOut(OutSchema):
    """A dossier as review's work queue holds it, with Chinese labels."""

    dossier_id = fields.String()
    version = fields.Integer()
    status = fields.String()
    status_label = fields.String()
    last_event = fields.String()
    applicant_id = fields.String()
    applicant_name = fields.String()
    unit_id = fields.String()
    unit_name = fields.String()
    district_id = fields.String()
    district_name = fields.String()
    review_year = fields.Integer()
    series = fields.String()
    series_label = fields.String()
    specialty = fields.String()
    level = fields.String()
    level_label = fields.String()
    submitted_at = IsoText()
    updated_at = IsoText()
    # The deadline of the level it waits at (its year's notice) and whether that has passed (逾期).
    level_deadline = fields.String(allow_none=True)
    overdue = fields.Boolean()
    overdue_label = fields.String(allow_none=True)


class QueuePageOut(OutSchema):
    items = Rows(QueueRowOut)
    total = fields.Integer()
    overdue = fields.Integer()  # dossiers of the filtered queue past their level's deadline
    page = fields.Integer()
    per_page = fields.Integer()
    awaiting_statuses = fields.List(fields.String())
    ids = IdList()  # with ``include_ids``: every matching dossier, for bulk selection


class CountsOut(OutSchema):
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())  # status -> dossiers
    labels = fields.Dict(keys=fields.String(), values=fields.String())  # status -> its Chinese label
    total = fields.Integer()


class ProgressGroupOut(CountsOut):
    org_id = fields.String()
    org_name = fields.String()
    overdue = fields.Integer()  # dossiers waiting at a level past its deadline


class ProgressOut(CountsOut):
    grouping = fields.String()  # district | unit
    review_year = fields.Integer(allow_none=True)
    groups = Rows(ProgressGroupOut)
    overdue = fields.Integer()


class ExportOut(OutSchema):
    filename = fields.String()
    content_type = fields.String()
    content_base64 = fields.String()
    rows = fields.Integer()


# --- decisions, unit publicity, batches ----------------------------------------------------------

class DecisionOut(OutSchema):
    id = fields.String()
    dossier_id = fields.String()
    action = fields.String()
    opinion = fields.String()
    reason = fields.String()
    sections = fields.List(fields.String())
    problems = PassThrough()  # [{section, issue}] as the reviewer listed them
    actor_id = fields.String()
    actor_role = fields.String()
    actor_org_id = fields.String(allow_none=True)
    status_after = fields.String()
    version_after = fields.Integer()
    decided_at = IsoText()


class DecisionAnswerOut(OutSchema):
    dossier = fields.Nested(QueueRowOut, allow_none=True)
    decision = fields.Nested(DecisionOut)


class WindowOut(OutSchema):
    """A run of days and the working days in it; ``calendar_warning`` names years without holiday data."""

    start = IsoText()
    end = IsoText()
    working_days = fields.Integer()
    unconfigured_years = fields.List(fields.Integer())
    calendar_warning = fields.String(allow_none=True)


class UnitPublicityOut(WindowOut):
    id = fields.String()
    results = Rows(ResultOut)


class BatchResultOut(ResultOut):
    version = fields.Integer()  # the dossier's version once recommended (the dossier service's answer)


class BatchAnswerOut(OutSchema):
    batch_id = fields.String()
    saved = fields.Boolean()
    results = Rows(BatchResultOut)
    refused = fields.Integer()


class BatchEntryOut(OutSchema):
    batch_id = fields.String()
    dossier_id = fields.String()
    ok = fields.Boolean()
    error = PassThrough()


class BatchOut(OutSchema):
    id = fields.String()
    unit_id = fields.String()
    district_id = fields.String(allow_none=True)
    saved = fields.Boolean()
    dossier_count = fields.Integer()
    submitted_by = fields.String()
    submitted_at = IsoText()
    dossiers = Rows(BatchEntryOut)  # one batch only


# --- the working-day calendar --------------------------------------------------------------------

class CalendarYearOut(OutSchema):
    year = fields.Integer()
    configured = fields.Boolean()
    days_off = fields.List(IsoText())
    workdays = fields.List(IsoText())  # 调休: weekend days worked
    source = fields.String()
    updated_by = fields.String()
    updated_at = IsoText()
    calendar_warning = fields.String(allow_none=True)


# --- committees and the expert pool --------------------------------------------------------------

class PolicyReadOut(OutSchema):
    """Which version of a year's policy a step applied (services/review/policy.py); None: the defaults."""

    review_year = fields.Integer()
    policy_version = fields.Integer(allow_none=True)


class ExpertUnitChangeOut(OutSchema):
    id = fields.String()
    expert_id = fields.String()
    expert_name = fields.String()
    from_unit_id = fields.String()
    from_unit_name = fields.String()
    to_unit_id = fields.String()
    to_unit_name = fields.String()
    reason = fields.String()
    changed_by = fields.String()
    changed_at = IsoText()


class CommitteeSettingsOut(OutSchema):
    quorum_share = fields.String()  # exact fractions, e.g. "2/3"
    pass_share = fields.String()


class PoolExpertOut(OutSchema):
    expert_id = fields.String()
    name = fields.String()
    unit_id = fields.String()
    unit_name = fields.String()
    title = fields.String()
    specialty = fields.String()
    added_at = IsoText()


class CommitteeOut(OutSchema):
    id = fields.String()
    name = fields.String()
    series = fields.String()
    series_label = fields.String()
    levels = fields.List(fields.String())
    level_labels = fields.List(fields.String())
    band = fields.String()
    band_label = fields.String()
    organised_by = fields.String()
    organised_by_label = fields.String()
    specialties = fields.List(fields.String())
    organising_body = fields.String()
    office_org_id = fields.String(allow_none=True)
    valid_from = IsoText()
    valid_until = IsoText()
    valid_today = fields.Boolean()
    member_count = fields.Integer()
    minimum_members = fields.Integer()
    unconfirmed = fields.String(allow_none=True)  # said next to a minimum no official text confirms
    pool_size = fields.Integer()
    pool_complete = fields.Boolean()
    settings = fields.Nested(CommitteeSettingsOut)  # the vote's shares in this year's policy
    max_valid_years = fields.Integer()  # the longest approval in the policy of valid_from's year
    policy = fields.Nested(PolicyReadOut)  # which notice version the committee is judged by
    unit_changes = Rows(ExpertUnitChangeOut)  # one committee only: recorded changes of a recusal unit
    created_by = fields.String()
    created_at = IsoText()
    updated_at = IsoText()
    experts = Rows(PoolExpertOut)  # one committee only


# --- review meetings and the draw ----------------------------------------------------------------

class DrawOut(OutSchema):
    """The recorded draw: its seed and candidates replay it exactly."""

    seed = fields.String()
    candidates = IdList()
    excluded = fields.Dict(keys=fields.String(), values=fields.String())  # expert -> why left out
    count = fields.Integer()
    drawn = IdList()
    drawn_by = fields.String()
    drawn_at = IsoText()


class DrawReplayOut(DrawOut):
    replayed = IdList()
    matches = fields.Boolean()


class MeetingExpertOut(OutSchema):
    expert_id = fields.String()
    name = fields.String()
    unit_id = fields.String()
    unit_name = fields.String()
    title = fields.String()
    specialty = fields.String()
    draw_order = fields.Integer()
    attending = fields.Boolean()


class RecusalOut(OutSchema):
    expert_id = fields.String()
    reason = fields.String()


class TallyOut(OutSchema):
    """A closed vote's counts; which expert chose what is nowhere."""

    agree = fields.Integer()
    disagree = fields.Integer()
    abstain = fields.Integer()
    voters = fields.Integer()
    required = fields.Integer()
    passed = fields.Boolean()


class LeadOut(OutSchema):
    """A lead reviewer (主审) of a dossier and their opinion: attributed, part of the meeting's record."""

    expert_id = fields.String()
    name = fields.String()
    unit_name = fields.String()
    opinion = fields.String(allow_none=True)  # None until written
    opinion_at = IsoText()
    named_at = IsoText()
    recused = fields.String(allow_none=True)  # why the lead now stays out of this dossier's vote


class DossierChangeOut(OutSchema):
    """One recorded change of a drawn meeting's dossier set (the office's reasoned decision)."""

    dossier_id = fields.String()
    applicant_name = fields.String()
    change = fields.String()  # added | removed
    change_label = fields.String()
    reason = fields.String()
    decided_by = fields.String()
    decided_role_label = fields.String()
    decided_at = IsoText()


class MeetingDossierOut(OutSchema):
    dossier_id = fields.String()
    applicant_name = fields.String()
    unit_name = fields.String()
    state = fields.String()
    tally = fields.Nested(TallyOut, allow_none=True)
    result_recorded = fields.Boolean()
    error = fields.String(allow_none=True)
    voters = fields.Integer()
    ballots_cast = fields.Integer()
    voted_experts = IdList()  # who has voted (the receipts), never how
    recused = Rows(RecusalOut)
    leads = Rows(LeadOut)


class MeetingOut(OutSchema):
    """A meeting for its organisers and auditors."""

    id = fields.String()
    committee_id = fields.String()
    committee_name = fields.String()
    title = fields.String()
    meeting_date = IsoText()
    expert_count = fields.Integer()
    state = fields.String()
    state_label = fields.String()
    draw = fields.Nested(DrawOut, allow_none=True)
    attendance_recorded = fields.Boolean()
    opened_at = IsoText()
    closed_at = IsoText()
    experts = Rows(MeetingExpertOut)
    quorum = fields.Nested(QuorumOut)
    quorum_share = fields.String()  # the vote's shares: the year's policy, fixed when the vote opened
    pass_share = fields.String()
    dossiers = Rows(MeetingDossierOut)
    dossier_changes = Rows(DossierChangeOut)


class MeetingSummaryOut(OutSchema):
    id = fields.String()
    committee_id = fields.String()
    title = fields.String()
    meeting_date = IsoText()
    expert_count = fields.Integer()
    state = fields.String()
    state_label = fields.String()
    attendance_recorded = fields.Boolean()
    created_by = fields.String()
    created_at = IsoText()
    opened_at = IsoText()
    closed_at = IsoText()


class AssignmentOut(OutSchema):
    meeting_id = fields.String()
    results = Rows(ResultOut)
    assigned = fields.Integer()


class ChangeResultOut(ResultOut):
    change = fields.String()  # added | removed


class DossierChangesOut(OutSchema):
    meeting_id = fields.String()
    results = Rows(ChangeResultOut)
    added = fields.Integer()
    removed = fields.Integer()


class LeadOpinionOut(OutSchema):
    meeting_id = fields.String()
    dossier_id = fields.String()
    opinion = fields.String()
    opinion_at = IsoText()


class ExpertDossierOut(OutSchema):
    dossier_id = fields.String()
    applicant_name = fields.String()
    unit_name = fields.String()
    recused = fields.String(allow_none=True)  # why the expert stays out of this vote
    voted = fields.Boolean()
    is_lead = fields.Boolean()  # the caller is one of this dossier's lead reviewers (主审)
    leads = Rows(LeadOut)  # the leads who need not recuse, with their opinions as they stand


class ExpertMeetingOut(OutSchema):
    """A meeting as the expert drawn into it sees it."""

    meeting_id = fields.String()
    title = fields.String()
    meeting_date = IsoText()
    state = fields.String()
    state_label = fields.String()
    attending = fields.Boolean()
    dossiers = Rows(ExpertDossierOut)


class RoomAccessOut(OutSchema):
    """The review room let the expert read *what* of a dossier of the meeting; the view is recorded."""

    meeting_id = fields.String()
    dossier_id = fields.String()
    what = fields.String()  # "dossier" or "material:<material_id>"
    allowed = fields.Boolean()
    viewed_at = IsoText()
    meeting_title = fields.String()
    meeting_date = IsoText()
    meeting_state = fields.String()
    applicant_name = fields.String()
    unit_name = fields.String()


class RoomViewOut(OutSchema):
    """One recorded view in the review room: who read what, when (for the office and the auditor)."""

    id = fields.String()
    meeting_id = fields.String()
    dossier_id = fields.String()
    applicant_name = fields.String()
    expert_id = fields.String()
    expert_name = fields.String()
    what = fields.String()
    material_id = fields.String(allow_none=True)
    viewed_at = IsoText()
    correlation_id = fields.String(allow_none=True)
    source_address = fields.String(allow_none=True)


# --- publicity and objections --------------------------------------------------------------------

class PublicityHeaderOut(OutSchema):
    id = fields.String()
    title = fields.String()
    start = IsoText()
    end = IsoText()
    working_days = fields.Integer()
    open = fields.Boolean()


class PublicitySummaryOut(PublicityHeaderOut):
    entries = fields.Integer()  # people listed (not cancelled)


class PublicEntryOut(OutSchema):
    """What the public reads of a listed person — never an ID number."""

    dossier_id = fields.String()
    name = fields.String()
    unit = fields.String()
    series = fields.String()
    specialty = fields.String()
    level = fields.String()


class PublicityOut(PublicityHeaderOut):
    entries = Rows(PublicEntryOut)


class PublicityEntryOut(OutSchema):
    publicity_id = fields.String()
    dossier_id = fields.String()
    applicant_id = fields.String()
    applicant_name = fields.String()
    unit_name = fields.String()
    series = fields.String()
    specialty = fields.String()
    level = fields.String()
    state = fields.String()
    state_label = fields.String()
    ended_at = IsoText()
    open_objections = fields.Integer()


class PublicityDetailOut(PublicityHeaderOut):
    calendar_warning = fields.String(allow_none=True)
    entries = Rows(PublicityEntryOut)


class PublishedOut(WindowOut):
    id = fields.String()
    title = fields.String()
    results = Rows(ResultOut)


class ObjectionOut(OutSchema):
    id = fields.String()
    publicity_id = fields.String()
    dossier_id = fields.String()
    contact = fields.String()
    objector_name = fields.String()
    facts = fields.String()
    state = fields.String()
    state_label = fields.String()
    lodged_at = IsoText()
    resolved_by = fields.String(allow_none=True)
    resolved_at = IsoText()
    resolution_reason = fields.String(allow_none=True)
    fraud = fields.Boolean()
    sanction_state = fields.String()  # none | pending | recorded
    sanction = PassThrough()  # as identity recorded it


# --- the meeting record ------------------------------------------------------------------------

class MeetingRecordPdfOut(OutSchema):
    number = fields.String()
    filename = fields.String()
    content_type = fields.String()
    content_base64 = fields.String()
    sha256 = fields.String()
    size = fields.Integer()


class MeetingRecordCheckOut(OutSchema):
    """The public check of a record; the signed content only when the file matches."""

    found = fields.Boolean()
    valid = fields.Boolean()
    file_matches = fields.Boolean()
    signature_valid = fields.Boolean()
    message = fields.String()
    number = fields.String()
    key_id = fields.String()
    content = PassThrough()
    content_sha256 = fields.String()
    pdf_sha256 = fields.String()
    signature = fields.String()
    file_signature = fields.String()
    canonical_content = fields.String()  # exactly the signed bytes as text: the domain prefix line, then the JSON


class RecordKeysOut(OutSchema):
    algorithm = fields.String()
    keys = PassThrough()  # {key_id: PEM}
    current = fields.String()


# --- timers and health ---------------------------------------------------------------------------

class AbandonRunOut(OutSchema):
    skipped = fields.Boolean()  # another instance held the job
    abandoned = IdList()


class PublicityRunOut(OutSchema):
    skipped = fields.Boolean()
    ended = IdList()


class RetryRunOut(OutSchema):
    skipped = fields.Boolean()
    sanctions = IdList()  # objections whose sanction identity has now recorded


class TimersRunOut(OutSchema):
    deadlines = fields.Nested(AbandonRunOut)
    publicity = fields.Nested(PublicityRunOut)
    retries = fields.Nested(RetryRunOut)
    records = IdList()  # meetings whose record was made or stored by this run


class HealthOut(OutSchema):
    service = fields.String()
    status = fields.String()  # ok | degraded | error
    instance = fields.String()
    queue_rows = fields.Integer()
    failed_event_handlings = fields.Integer()
    error = fields.String()

