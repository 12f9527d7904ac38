"""Use cases of the secret ballot: an expert casts their own ballot; the office closes and tallies.

How nothing links an expert to a choice, while it is known who voted:

* ``ballot_receipts`` (meeting, dossier, expert) has no choice; ``ballots`` (meeting, dossier,
  choice) has no expert. Neither has a time column or a serial id; keys are random UUIDs.
* A cast inserts the receipt and *rewrites the dossier's whole ballot box* — every choice, in a
  freshly shuffled order, under new random keys — in one transaction. So the physical row order of
  ``ballots`` is a random permutation, and every ballot of a dossier carries the same transaction id
  (xmin): at most one learns who voted last, never which ballot is theirs. Closing rewrites the
  boxes once more, so afterwards no ballot shares a transaction with any receipt.
* No log line, event or answer carries a choice; the dossier only ever receives the tally.

A ballot is naturally cast once (the receipt's unique key); the request's idempotency key, stored in
the cast's transaction (shared/idempotency.py), makes a redelivered cast answer "recorded" as the
first did instead of "already voted". The key row holds no choice.
"""
import random
import uuid

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert

from shared.contracts import dossier as st
from shared.errors import PlatformError
from shared.idempotency import remember
from shared.roles import EXPERT

from .. import meeting_store
from ..committee_tables import ballot_receipts, ballots as ballot_box, meeting_dossiers, meetings
from ..context import Clock, QueueRows, wire
from ..domain import ballots
from ..domain.ballots import CLOSED, OPEN, VOTING
from ..domain.scoping import require_role
from ..exceptions import DoubleVoteError, InvalidReviewCommandError, MeetingStateError
from ..ports import SYSTEM_ACTOR, DossierPort
from .committees import CommitteeCases
from .meetings import MeetingCases

_shuffler = random.SystemRandom()
TALLY_FIELDS = ("agree", "disagree", "abstain", "voters", "required")


def _rewrite_box(connection, meeting_id, dossier_id, extra=()):
    """Replace a dossier's ballots by the same choices (plus *extra*) in a new random order under new keys."""
    where = (ballot_box.c.meeting_id == meeting_id, ballot_box.c.dossier_id == dossier_id)
    choices = list(connection.execute(select(ballot_box.c.choice).where(*where)).scalars()) + list(extra)
    connection.execute(delete(ballot_box).where(*where))
    _shuffler.shuffle(choices)
    if choices:
        connection.execute(insert(ballot_box), [
            {"id": str(uuid.uuid4()), "meeting_id": meeting_id, "dossier_id": dossier_id, "choice": choice}
            for choice in choices])
    return choices


class BallotCases:
    """The vote of a meeting; its tallies go to the dossier service, retried until recorded."""

    def __init__(self, engine, rows: QueueRows, dossiers: DossierPort, meetings: MeetingCases,
                 committees: CommitteeCases, clock: Clock):
        self.engine, self.rows, self.dossiers, self.clock = engine, rows, dossiers, clock
        self.meetings, self.committees = meetings, committees

    def cast_ballot(self, actor, meeting_id, ballot):
        """The expert's own ballot on one dossier: no proxy, no second ballot, none after closing."""
        require_role(actor, EXPERT, action="投票")
        ballots.check_choice(ballot["choice"])
        meeting_id, dossier_id = str(meeting_id), str(ballot["dossier_id"])
        with self.engine.begin() as connection:
            # Shared lock: closing (an update lock) waits for casts in flight and then refuses new ones.
            data = meeting_store.load(connection, meeting_id, lock="share")
            dossier = data.dossier(dossier_id)
            if dossier is None:
                raise InvalidReviewCommandError("该申报材料不在本次会议中", fields={"dossier_id": ["不在本次会议中"]})
            expert = data.expert(actor.account_id)
            already = connection.execute(select(ballot_receipts.c.id).where(
                ballot_receipts.c.meeting_id == meeting_id, ballot_receipts.c.dossier_id == dossier_id,
                ballot_receipts.c.expert_id == actor.account_id)).first() is not None
            ballots.check_may_vote(meeting_state=data.state, expert_id=actor.account_id, drawn_ids=data.drawn_ids,
                                   attending_ids=data.attending_ids,
                                   recusal=data.recusal(expert, dossier) if expert else None, already_voted=already)
            if dossier["state"] != VOTING:
                raise MeetingStateError("该申报材料尚未进入表决")
            connection.execute(select(meeting_dossiers.c.dossier_id).where(
                meeting_dossiers.c.meeting_id == meeting_id, meeting_dossiers.c.dossier_id == dossier_id
            ).with_for_update())
            receipt = connection.execute(insert(ballot_receipts).values(
                id=str(uuid.uuid4()), meeting_id=meeting_id, dossier_id=dossier_id, expert_id=actor.account_id
            ).on_conflict_do_nothing().returning(ballot_receipts.c.id)).first()
            if receipt is None:
                raise DoubleVoteError("您已对该申报材料投过票,每人每件只能投一票")
            _rewrite_box(connection, meeting_id, dossier_id, extra=[ballot["choice"]])
            answer = {"meeting_id": meeting_id, "dossier_id": dossier_id, "recorded": True}
            remember(connection, answer)
        return answer

    def close_meeting(self, actor, meeting_id):
        """End the vote, tally each dossier (同意 ≥ required of the voters) and record the results.

        Naturally idempotent: a repeat finds the meeting closed and only records tallies not recorded
        yet; each tally goes to the dossier under its own derived key (``ports.Remote.write``)."""
        data = self.meetings.organised(actor, meeting_id, states=(OPEN, CLOSED), action="结束表决")
        committee = self.committees.committee_row(data.meeting["committee_id"])
        if data.state == OPEN:
            self._tally(str(meeting_id), committee["settings"]["pass_share"])
        self.record_results(str(meeting_id), wire(actor))
        return self.meetings.get_meeting(actor, meeting_id)

    def _tally(self, meeting_id, pass_share):
        with self.engine.begin() as connection:
            data = meeting_store.load(connection, meeting_id, lock="update")
            if data.state != OPEN:
                return
            for dossier in data.dossiers:
                choices = _rewrite_box(connection, meeting_id, dossier["dossier_id"])
                if dossier["state"] != VOTING:
                    continue
                result = ballots.tally(choices, len(data.voters(dossier)), pass_share)
                connection.execute(update(meeting_dossiers).where(
                    meeting_dossiers.c.meeting_id == meeting_id, meeting_dossiers.c.dossier_id == dossier["dossier_id"]
                ).values(tally=result, state=ballots.outcome(result)))
            connection.execute(update(meetings).where(meetings.c.id == meeting_id)
                               .values(state=CLOSED, closed_at=self.clock.now()))

    def record_results(self, meeting_id, actor=SYSTEM_ACTOR):
        """Ask the dossier service to record each tally not recorded yet (retried by the timer)."""
        with self.engine.connect() as connection:
            pending = connection.execute(select(meeting_dossiers).where(
                meeting_dossiers.c.meeting_id == meeting_id, meeting_dossiers.c.tally.is_not(None),
                meeting_dossiers.c.result_recorded.is_(False))).mappings().all()
        for entry in pending:
            tally = {name: entry["tally"][name] for name in TALLY_FIELDS}
            error, recorded = None, True
            try:
                self.rows.refresh(self.dossiers.record_vote_result(actor, entry["dossier_id"], tally))
            except PlatformError as failure:
                # Recorded by an earlier attempt whose answer was lost: the dossier has moved on.
                recorded = self.rows.dossier_status(entry["dossier_id"]) not in (st.UNDER_REVIEW, None)
                error = None if recorded else failure.message
            with self.engine.begin() as connection:
                connection.execute(update(meeting_dossiers).where(
                    meeting_dossiers.c.meeting_id == meeting_id, meeting_dossiers.c.dossier_id == entry["dossier_id"]
                ).values(result_recorded=recorded, error=error))

    def pending_results(self):
        """Meetings closed with tallies the dossier service has not recorded yet."""
        with self.engine.connect() as connection:
            return sorted(set(connection.execute(select(meeting_dossiers.c.meeting_id).where(
                meeting_dossiers.c.tally.is_not(None), meeting_dossiers.c.result_recorded.is_(False))).scalars()))
