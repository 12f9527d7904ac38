"""The vote's rules: the 2/3 threshold rounded up, quorum, recusal, no proxy, no double or late ballots."""
import pytest

from services.review.domain import ballots
from services.review.domain.ballots import CLOSED, DRAWN, OPEN
from services.review.exceptions import (
    DoubleVoteError, InvalidReviewCommandError, LateBallotError, MeetingStateError, NotAVoterError,
    QuorumNotMetError, RecusedError,
)


def may_vote(**overrides):
    arguments = {"meeting_state": OPEN, "expert_id": "e1", "drawn_ids": {"e1", "e2", "e3"},
                 "attending_ids": {"e1", "e2"}, "recusal": None, "already_voted": False, **overrides}
    return ballots.check_may_vote(**arguments)


class TestTheThreshold:
    @pytest.mark.parametrize("voters, required", [(1, 1), (3, 2), (6, 4), (7, 5), (9, 6), (10, 7), (15, 10)])
    def test_the_required_agree_count_is_two_thirds_rounded_up(self, voters, required):
        assert ballots.at_least(ballots.share("2/3"), voters) == required

    def test_exactly_two_thirds_passes(self):
        result = ballots.tally(["agree"] * 6 + ["disagree"] * 2 + ["abstain"], voters=9, pass_share="2/3")
        assert result == {"agree": 6, "disagree": 2, "abstain": 1, "voters": 9, "required": 6, "passed": True}

    def test_one_agree_short_of_two_thirds_fails(self):
        result = ballots.tally(["agree"] * 5 + ["disagree"] * 4, voters=9, pass_share="2/3")
        assert (result["required"], result["passed"]) == (6, False)

    def test_experts_who_attend_but_do_not_vote_still_count_among_the_voters(self):
        result = ballots.tally(["agree"] * 4, voters=7, pass_share="2/3")
        assert (result["required"], result["passed"]) == (5, False)

    def test_abstentions_do_not_help_a_dossier_pass(self):
        assert not ballots.tally(["agree"] * 2 + ["abstain"] * 2, voters=4, pass_share="2/3")["passed"]

    def test_more_ballots_than_voters_is_refused(self):
        with pytest.raises(MeetingStateError):
            ballots.tally(["agree"] * 4, voters=3, pass_share="2/3")

    def test_shares_are_exact_fractions_and_must_lie_in_zero_to_one(self):
        assert ballots.share("2/3") * 3 == 2
        for bad in ("0", "3/2", "two thirds"):
            with pytest.raises(InvalidReviewCommandError):
                ballots.share(bad)


class TestQuorum:
    def test_two_thirds_of_the_drawn_experts_attending_is_a_quorum(self):
        state = ballots.quorum(drawn=9, attending=6, quorum_share="2/3")
        assert state.to_dict() == {"drawn": 9, "attending": 6, "required": 6, "met": True}
        ballots.check_quorum(state)

    def test_one_expert_fewer_misses_the_quorum(self):
        with pytest.raises(QuorumNotMetError) as raised:
            ballots.check_quorum(ballots.quorum(drawn=9, attending=5, quorum_share="2/3"))
        assert "至少须 6 人出席" in raised.value.message


class TestWhoMayVote:
    def test_a_drawn_attending_expert_votes_once_while_the_meeting_is_open(self):
        assert may_vote() is None  # no refusal: the first ballot is taken
        with pytest.raises(DoubleVoteError, match="每人每件只能投一票"):
            may_vote(already_voted=True)

    def test_a_ballot_after_closing_is_late(self):
        with pytest.raises(LateBallotError):
            may_vote(meeting_state=CLOSED)

    def test_no_ballot_before_the_meeting_opens(self):
        with pytest.raises(MeetingStateError):
            may_vote(meeting_state=DRAWN)

    def test_someone_not_drawn_cannot_vote_for_anyone(self):
        with pytest.raises(NotAVoterError) as raised:
            may_vote(expert_id="stranger")
        assert "不接受代投" in raised.value.message

    def test_a_drawn_expert_who_is_absent_cannot_vote(self):
        with pytest.raises(NotAVoterError):
            may_vote(expert_id="e3")

    def test_a_recused_expert_cannot_vote(self):
        with pytest.raises(RecusedError) as raised:
            may_vote(recusal=ballots.SAME_UNIT)
        assert "与申报人同一单位" in raised.value.message

    def test_a_second_ballot_is_refused(self):
        with pytest.raises(DoubleVoteError):
            may_vote(already_voted=True)

    def test_only_the_three_choices_exist(self):
        with pytest.raises(InvalidReviewCommandError):
            ballots.check_choice("yes")


class TestRecusal:
    dossier = {"dossier_id": "d1", "applicant_id": "a1", "unit_id": "unit-a"}

    def test_an_expert_of_the_applicants_unit_is_recused_automatically(self):
        assert ballots.recusal_reason({"expert_id": "e1", "unit_id": "unit-a"}, self.dossier) == ballots.SAME_UNIT

    def test_an_expert_never_votes_on_their_own_dossier(self):
        assert ballots.recusal_reason({"expert_id": "a1", "unit_id": "unit-z"}, self.dossier) == ballots.OWN_DOSSIER

    def test_a_declared_conflict_recuses_from_that_dossier_only(self):
        declared = {("e1", "d1"): "近亲属"}
        assert ballots.recusal_reason({"expert_id": "e1", "unit_id": "unit-b"}, self.dossier, declared) == "近亲属"
        other = dict(self.dossier, dossier_id="d2")
        assert ballots.recusal_reason({"expert_id": "e1", "unit_id": "unit-b"}, other, declared) is None
