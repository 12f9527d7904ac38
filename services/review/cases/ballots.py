"""Use cases of the secret ballot: an expert casts their own ballot; the office closes and tallies.

How nothing links an expert to a choice, while it is known who voted and anyone can check the count:

* The choice is encrypted before it leaves the gateway (shared/ballot_crypto.py: exponential ElGamal
  under the meeting's public key, with proofs that it is exactly one valid choice). Review checks the
  proofs and stores the ciphertexts in ``encrypted_ballots`` beside the expert's receipt (who voted, no
  choice); no table, log line, event or bus message ever holds a plaintext choice.
* The meeting's secret key is derived from the master key in the service's environment
  (``REVIEW_BALLOT_MASTER_KEY``) when it is needed and never stored: whoever reads the review
  database, its dead row versions, its WAL or its statement log sees only ciphertexts. A receipt and
  its ciphertext share a transaction, which is harmless: without the key a ciphertext says nothing.
* At close the ballots of each dossier are added up still encrypted and only the sums are decrypted,
  each with a proof of correct decryption (``ballot_tallies``). The published record
  (``ballot_record``) lets an auditor recompute and check every tally from the stored ciphertexts and
  the public key alone (``python -m shared.tally_check``).

A ballot is naturally cast once (the receipt's unique key); the request's idempotency key, stored in
the cast's transaction (shared/idempotency.py), makes a redelivered cast answer "recorded" as the
first did instead of "already voted". The key row holds no choice.
"""
import uuid

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert

from shared import ballot_crypto
from shared.contracts import dossier as st
from shared.errors import PlatformError
from shared.idempotency import remember
from shared.roles import AUDITOR, CITY_ADMIN, COMMITTEE_SECRETARY, EXPERT

from .. import meeting_store
from ..committee_tables import (
    ballot_receipts, ballot_tallies, encrypted_ballots, meeting_ballot_keys, meeting_dossiers, meetings,
)
from ..context import Clock, QueueRows, wire
from ..domain import ballots
from ..domain.ballots import CHOICES, CLOSED, DRAWN, OPEN, VOTING
from ..domain.scoping import require_role
from ..exceptions import DoubleVoteError, InvalidReviewCommandError, MeetingStateError
from ..ports import SYSTEM_ACTOR, DossierPort
from ..settings import Settings
from .committees import CommitteeCases
from .meetings import MeetingCases

TALLY_FIELDS = ("agree", "disagree", "abstain", "voters", "required")
# Choices in the fixed order of every ballot's ciphertext vector.
BALLOT_CHOICES = tuple(CHOICES)
NO_KEY = "计票密钥未配置(REVIEW_BALLOT_MASTER_KEY),评审会议暂不能表决,请联系系统管理员"


class BallotCases:
    """The vote of a meeting; its tallies go to the dossier service, retried until recorded."""

    def __init__(self, engine, rows: QueueRows, dossiers: DossierPort, meetings: MeetingCases,
                 committees: CommitteeCases, settings: Settings, clock: Clock):
        self.engine, self.rows, self.dossiers, self.clock = engine, rows, dossiers, clock
        self.meetings, self.committees, self.settings = meetings, committees, settings

    # -- the meeting's key ------------------------------------------------------------------

    def _secret(self, meeting_id):
        if not self.settings.ballot_master_key:
            raise MeetingStateError(NO_KEY)
        return ballot_crypto.derive_secret(self.settings.ballot_master_key, str(meeting_id))

    def public_key(self, meeting_id):
        """The meeting's public ballot key (hex), recorded on first use so the published record shows it."""
        meeting_id = str(meeting_id)
        with self.engine.connect() as connection:
            stored = connection.execute(select(meeting_ballot_keys.c.public_key)
                                        .where(meeting_ballot_keys.c.meeting_id == meeting_id)).scalar()
        if stored:
            return stored
        derived = ballot_crypto.public_key(self._secret(meeting_id)).hex()
        with self.engine.begin() as connection:
            connection.execute(insert(meeting_ballot_keys).values(
                meeting_id=meeting_id, public_key=derived, scheme=ballot_crypto.SCHEME).on_conflict_do_nothing())
        return derived

    def ballot_key(self, actor, meeting_id):
        """What a ballot is encrypted with: the public key, the scheme, the choices in their order."""
        require_role(actor, EXPERT, CITY_ADMIN, COMMITTEE_SECRETARY, AUDITOR, action="获取表决公钥")
        with self.engine.connect() as connection:
            data = meeting_store.load(connection, meeting_id)
        if data.state not in (DRAWN, OPEN, CLOSED):
            raise MeetingStateError("评审会议尚未抽取专家,没有表决公钥")
        return {"meeting_id": data.meeting["id"], "public_key": self.public_key(data.meeting["id"]),
                "scheme": ballot_crypto.SCHEME, "choices": list(BALLOT_CHOICES)}

    # -- casting ----------------------------------------------------------------------------

    def cast_ballot(self, actor, meeting_id, sealed):
        """The expert's own encrypted ballot on one dossier: no proxy, no second ballot, none after closing."""
        require_role(actor, EXPERT, action="投票")
        meeting_id, dossier_id = str(meeting_id), str(sealed["dossier_id"])
        # The precise refusal first (unknown meeting, not open, not a voter …), before any key is derived.
        with self.engine.connect() as connection:
            self._check_may_cast(connection, actor, meeting_store.load(connection, meeting_id), dossier_id)
        try:
            ballot_crypto.verify_ballot(sealed["ballot"], self.public_key(meeting_id), meeting_id, dossier_id,
                                        BALLOT_CHOICES)
        except ballot_crypto.BallotProofError as error:
            raise InvalidReviewCommandError(f"选票无效:{error}", fields={"ballot": [str(error)]}) from None
        with self.engine.begin() as connection:
            # Shared lock: closing (an update lock) waits for casts in flight and then refuses new ones.
            self._check_may_cast(connection, actor, meeting_store.load(connection, meeting_id, lock="share"),
                                 dossier_id)
            receipt = connection.execute(insert(ballot_receipts).values(
                id=str(uuid.uuid4()), meeting_id=meeting_id, dossier_id=dossier_id, expert_id=actor.account_id
            ).on_conflict_do_nothing().returning(ballot_receipts.c.id)).first()
            if receipt is None:
                raise DoubleVoteError("您已对该申报材料投过票,每人每件只能投一票")
            connection.execute(insert(encrypted_ballots).values(
                id=str(uuid.uuid4()), meeting_id=meeting_id, dossier_id=dossier_id, ballot=sealed["ballot"]))
            answer = {"meeting_id": meeting_id, "dossier_id": dossier_id, "recorded": True}
            remember(connection, answer)
        return answer

    @staticmethod
    def _check_may_cast(connection, actor, data, dossier_id):
        """Raise the precise refusal unless *actor* may cast a ballot on *dossier_id* in this meeting now."""
        dossier = data.dossier(dossier_id)
        if dossier is None:
            raise InvalidReviewCommandError("该申报材料不在本次会议中", fields={"dossier_id": ["不在本次会议中"]})
        expert = data.expert(actor.account_id)
        already = connection.execute(select(ballot_receipts.c.id).where(
            ballot_receipts.c.meeting_id == data.meeting["id"], ballot_receipts.c.dossier_id == dossier_id,
            ballot_receipts.c.expert_id == actor.account_id)).first() is not None
        ballots.check_may_vote(meeting_state=data.state, expert_id=actor.account_id, drawn_ids=data.drawn_ids,
                               attending_ids=data.attending_ids,
                               recusal=data.recusal(expert, dossier) if expert else None, already_voted=already)
        if dossier["state"] != VOTING:
            raise MeetingStateError("该申报材料尚未进入表决")

    # -- closing and the tally --------------------------------------------------------------

    def close_meeting(self, actor, meeting_id):
        """End the vote, tally each dossier (同意 ≥ required of the voters) and record the results.

        Naturally idempotent: a repeat finds the meeting closed and only records tallies not recorded
        yet; each tally goes to the dossier under its own derived key (``ports.Remote.write``)."""
        data = self.meetings.organised(actor, meeting_id, states=(OPEN, CLOSED), action="结束表决")
        if data.state == OPEN:
            self._tally(str(meeting_id), self.meetings.vote_rules(data)["pass_share"])
        self.record_results(str(meeting_id), wire(actor))
        return self.meetings.get_meeting(actor, meeting_id)

    def _tally(self, meeting_id, pass_share):
        """Decrypt each dossier's summed ballots (never one ballot) and record tally and proofs."""
        secret = self._secret(meeting_id)
        with self.engine.begin() as connection:
            data = meeting_store.load(connection, meeting_id, lock="update")
            if data.state != OPEN:
                return
            for dossier in data.dossiers:
                if dossier["state"] != VOTING:
                    continue
                cast = self._ballots(connection, meeting_id, dossier["dossier_id"])
                decrypted = ballot_crypto.decrypt_tally(secret, meeting_id, dossier["dossier_id"], cast, BALLOT_CHOICES)
                connection.execute(insert(ballot_tallies).values(
                    meeting_id=meeting_id, dossier_id=dossier["dossier_id"], tally=decrypted).on_conflict_do_nothing())
                result = ballots.tally_counts(decrypted["counts"], len(data.voters(dossier)), pass_share)
                connection.execute(update(meeting_dossiers).where(
                    meeting_dossiers.c.meeting_id == meeting_id, meeting_dossiers.c.dossier_id == dossier["dossier_id"]
                ).values(tally=result, state=ballots.outcome(result)))
            connection.execute(update(meetings).where(meetings.c.id == meeting_id)
                               .values(state=CLOSED, closed_at=self.clock.now()))

    @staticmethod
    def _ballots(connection, meeting_id, dossier_id):
        # Ordered by the random key: the stored order says nothing about the order of casting.
        return list(connection.execute(select(encrypted_ballots.c.ballot).where(
            encrypted_ballots.c.meeting_id == meeting_id, encrypted_ballots.c.dossier_id == dossier_id
        ).order_by(encrypted_ballots.c.id)).scalars())

    def ballot_record(self, meeting_id):
        """The published record of a closed meeting's vote: public key, every encrypted ballot, each
        dossier's receipts count and decrypted tally with proofs. No expert appears in it; anyone
        checks it with ``shared.ballot_crypto.verify_record`` (``python -m shared.tally_check``)."""
        meeting_id = str(meeting_id)
        with self.engine.connect() as connection:
            data = meeting_store.load(connection, meeting_id)
            if data.state != CLOSED:
                raise MeetingStateError("评审会议尚未结束表决,计票记录在结束表决后公布")
            receipts = dict(connection.execute(
                select(ballot_receipts.c.dossier_id, func.count()).where(ballot_receipts.c.meeting_id == meeting_id)
                .group_by(ballot_receipts.c.dossier_id)).all())
            tallies = dict(connection.execute(select(ballot_tallies.c.dossier_id, ballot_tallies.c.tally).where(
                ballot_tallies.c.meeting_id == meeting_id)).all())
            dossiers = [{"dossier_id": dossier["dossier_id"], "receipts": receipts.get(dossier["dossier_id"], 0),
                         "ballots": self._ballots(connection, meeting_id, dossier["dossier_id"]),
                         "tally": tallies.get(dossier["dossier_id"])}
                        for dossier in data.dossiers if dossier["dossier_id"] in tallies]
        return {"scheme": ballot_crypto.SCHEME, "meeting_id": meeting_id, "public_key": self.public_key(meeting_id),
                "choices": list(BALLOT_CHOICES), "dossiers": dossiers}

    def tally_check(self, meeting_id):
        """``{ok, detail}``: the published record checked the way an outside auditor checks it."""
        try:
            checked = ballot_crypto.verify_record(self.ballot_record(meeting_id))
        except ballot_crypto.BallotProofError as error:
            return {"ok": False, "detail": str(error)}
        return {"ok": True, "detail": f"{len(checked)} 件申报材料的计票结果均与加密选票一致"}

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
