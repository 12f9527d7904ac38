"""The secret ballot (无记名投票, docs/domain-rules.md R6.5–R6.7), pure: quorum, who may vote, recusal, the tally.

Shares are exact fractions (``"2/3"``), so "at least two thirds, rounded up" never suffers from
floating point: 同意 must reach ``ceil(pass_share × voters)`` where voters are the attending experts
who are not recused from that dossier.
"""
from dataclasses import dataclass
from fractions import Fraction
from math import ceil

from shared.contracts import dossier as st
from shared.contracts.review import ABSTAIN, AGREE, CHOICES, DISAGREE  # noqa: F401 (review's words for them)
from shared.contracts.review import (  # noqa: F401 (MEETING_STATES: review labels its meetings with them)
    MEETING_CLOSED, MEETING_DOSSIER_ASSIGNED, MEETING_DRAWN, MEETING_OPEN, MEETING_PLANNED, MEETING_STATES,
)

from ..exceptions import (
    DoubleVoteError, InvalidReviewCommandError, LateBallotError, MeetingStateError, NotAVoterError,
    QuorumNotMetError, RecusedError,
)

SAME_UNIT = "与申报人同一单位"
OWN_DOSSIER = "本人的申报材料"

# Meeting states (published in shared/contracts/review.py: the pages show and compare them).
PLANNED, DRAWN, OPEN, CLOSED = MEETING_PLANNED, MEETING_DRAWN, MEETING_OPEN, MEETING_CLOSED
# A meeting's dossier: assigned to it, then voted on and decided. Past assignment it is in the state its
# dossier reaches through the meeting, so those stored values are the dossier's own status codes.
ASSIGNED, VOTING, PASSED, FAILED = MEETING_DOSSIER_ASSIGNED, st.UNDER_REVIEW, st.PASSED, st.FAILED


def share(value):
    """A share setting as an exact fraction between 0 (exclusive) and 1."""
    try:
        result = Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        raise InvalidReviewCommandError(f"比例应为分数,例如 2/3:{value}") from None
    if not 0 < result <= 1:
        raise InvalidReviewCommandError(f"比例应在 0 到 1 之间:{value}")
    return result


def at_least(fraction, total):
    """The smallest whole number that is at least ``fraction × total``."""
    return ceil(Fraction(fraction) * total)


@dataclass(frozen=True)
class Quorum:
    drawn: int
    attending: int
    required: int

    @property
    def met(self):
        return self.drawn > 0 and self.attending >= self.required

    def to_dict(self):
        return {"drawn": self.drawn, "attending": self.attending, "required": self.required, "met": self.met}


def quorum(drawn, attending, quorum_share):
    return Quorum(drawn=drawn, attending=attending, required=at_least(share(quorum_share), drawn))


def check_quorum(state: Quorum):
    if not state.met:
        raise QuorumNotMetError(
            f"出席专家 {state.attending} 人,不足法定人数(抽取 {state.drawn} 人,至少须 {state.required} 人出席),"
            "会议不能进行表决")


def recusal_reason(expert, dossier, declared=None):
    """Why *expert* must stay out of the vote on *dossier*, or None (回避, docs/domain-rules.md R6.5)."""
    if expert["expert_id"] == dossier["applicant_id"]:
        return OWN_DOSSIER
    if expert["unit_id"] == dossier["unit_id"]:
        return SAME_UNIT
    return (declared or {}).get((expert["expert_id"], dossier["dossier_id"]))


def check_may_vote(*, meeting_state, expert_id, drawn_ids, attending_ids, recusal, already_voted):
    """Raise the precise refusal, or return when the expert may cast this ballot now."""
    if meeting_state == CLOSED:
        raise LateBallotError("评审会议已结束表决,不再接受投票")
    if meeting_state != OPEN:
        raise MeetingStateError("评审会议尚未开始表决")
    if expert_id not in drawn_ids:
        raise NotAVoterError("您不是本次评审会议抽取的专家,不能投票(不接受代投)")
    if expert_id not in attending_ids:
        raise NotAVoterError("您未登记出席本次评审会议,不能投票")
    if recusal:
        raise RecusedError(f"您须回避该申报材料的表决({recusal})")
    if already_voted:
        raise DoubleVoteError("您已对该申报材料投过票,每人每件只能投一票")


def check_choice(choice):
    if choice not in CHOICES:
        raise InvalidReviewCommandError("表决意见应为同意、不同意或弃权",
                                        fields={"choice": ["应为 agree、disagree 或 abstain"]})


def tally(choices, voters, pass_share):
    """The tally of one dossier from its choices: see ``tally_counts``."""
    return tally_counts({choice: sum(1 for cast in choices if cast == choice) for choice in CHOICES}, voters, pass_share)


def tally_counts(counts, voters, pass_share):
    """The tally of one dossier from its counts per choice (the decrypted sums of its ballots): counts,
    voters, the number of 同意 required, and whether it passed."""
    counts = {choice: int(counts.get(choice, 0)) for choice in CHOICES}
    if sum(counts.values()) > voters:
        raise MeetingStateError("票数多于参加表决人数,表决无效")
    required = at_least(share(pass_share), voters)
    return dict(counts, voters=voters, required=required, passed=passes(counts[AGREE], voters, required))


def passes(agree, voters, required):
    """A dossier passes when someone could vote and 同意 reached the required number."""
    return voters > 0 and agree >= required


def outcome(result):
    """The meeting's state for a dossier once *result* (a ``tally``) is in: passed or failed."""
    return PASSED if passes(result[AGREE], result["voters"], result["required"]) else FAILED
