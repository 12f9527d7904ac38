"""Committees, the expert draw, quorum, recusal and the secret ballot on real PostgreSQL and RabbitMQ,
with the real dossier and identity services. The ballot's secrecy: test_review_ballot_secrecy.py."""
from datetime import timedelta

import pytest

from shared.contracts import dossier as st
from services.review.exceptions import (
    CommitteeRuleError, DoubleVoteError, LateBallotError, MeetingStateError, NotAVoterError, QuorumNotMetError,
    RecusedError, ReviewNotAllowedError,
)
from services.identity.seed import seed_id
from tests.integration.review.review_support import AUDITOR, CITY, EXPERTS, SECRETARY, UNIT_JIA, expert
from shared.clock import beijing_today
from tests.ballot_casting import cast_sealed

CHOICES = {"agree", "disagree", "abstain"}


def committee_data(**overrides):
    return {"name": "昆明市工程系列中级评审委员会(测试)", "series": "engineering", "levels": ["intermediate"],
            "organised_by": "series", "organising_body": "昆明市人社局", "office_org_id": SECRETARY.org_id,
            "valid_until": (beijing_today() + timedelta(days=365)).isoformat(), "member_count": 15, **overrides}


class TestCommittees:
    def test_every_rule_a_committee_breaks_is_named_at_once(self, system):
        with pytest.raises(CommitteeRuleError) as raised:
            system.review.create_committee(CITY.to_dict(), committee_data(
                member_count=14, organised_by="specialty", valid_until=(beijing_today() + timedelta(days=1200)).isoformat()))
        assert set(raised.value.fields) == {"member_count", "valid_until", "specialties"}

    def test_only_the_city_admin_manages_committees(self, system):
        with pytest.raises(ReviewNotAllowedError):
            system.review.create_committee(SECRETARY.to_dict(), committee_data())

    def test_the_pool_takes_expert_accounts_with_their_units_up_to_the_approved_count(self, system):
        committee = system.committee()
        assert committee["pool_size"] == 15 and committee["pool_complete"]
        by_id = {entry["expert_id"]: entry for entry in committee["experts"]}
        assert by_id[EXPERTS[0]]["unit_id"] == UNIT_JIA and by_id[EXPERTS[0]]["name"] == "评审专家01"
        with pytest.raises(CommitteeRuleError):  # a 16th expert
            system.review.add_experts(CITY.to_dict(), committee["id"], {"experts": [
                {"expert_id": seed_id("account", "city_admin"), "title": "x", "specialty": "y"}]})

    def test_an_account_that_is_not_an_expert_cannot_join_a_pool(self, system):
        committee = system.review.create_committee(CITY.to_dict(), committee_data(member_count=7, organised_by="specialty",
                                                                                  specialties=["土木工程"]))
        with pytest.raises(CommitteeRuleError) as raised:
            system.review.add_experts(CITY.to_dict(), committee["id"], {"experts": [
                {"expert_id": seed_id("account", "city_admin"), "title": "高级工程师", "specialty": "土木工程"}]})
        assert "没有评审专家身份" in raised.value.message

    def test_a_committee_office_sees_only_its_own_committees(self, system):
        committee = system.review.create_committee(CITY.to_dict(), committee_data(office_org_id="another-office"))
        other_secretary = SECRETARY.to_dict()
        assert committee["id"] not in [c["id"] for c in system.review.list_committees(other_secretary)]
        with pytest.raises(ReviewNotAllowedError):
            system.review.get_committee(other_secretary, committee["id"])
        assert system.review.get_committee(AUDITOR.to_dict(), committee["id"])["id"] == committee["id"]

    def test_an_expert_leaves_the_pool_unless_drawn_for_a_meeting_still_running(self, system):
        ids = system.fee_paid(system.new_cast())
        committee = system.committee()
        meeting = system.review.create_meeting(SECRETARY.to_dict(), {
            "committee_id": committee["id"], "meeting_date": beijing_today().isoformat(), "expert_count": 15})
        system.review.assign_dossiers(SECRETARY.to_dict(), meeting["id"], {"dossier_ids": ids})
        system.review.draw_experts(SECRETARY.to_dict(), meeting["id"], {})
        with pytest.raises(CommitteeRuleError):
            system.review.remove_expert(CITY.to_dict(), committee["id"], EXPERTS[0])
        spare = system.review.create_committee(CITY.to_dict(), committee_data())
        system.review.add_experts(CITY.to_dict(), spare["id"], {"experts": [
            {"expert_id": EXPERTS[0], "title": "高级工程师", "specialty": "土木工程"}]})
        assert system.review.remove_expert(CITY.to_dict(), spare["id"], EXPERTS[0])["pool_size"] == 0
        with pytest.raises(CommitteeRuleError):  # a meeting needs a complete pool
            system.review.create_meeting(SECRETARY.to_dict(), {
                "committee_id": spare["id"], "meeting_date": beijing_today().isoformat(), "expert_count": 5})
        with pytest.raises(CommitteeRuleError):  # and its committee keeps its record
            system.review.delete_committee(CITY.to_dict(), committee["id"])

    def test_update_rechecks_the_rules_and_a_committee_that_never_met_can_be_deleted(self, system):
        committee = system.review.create_committee(CITY.to_dict(), committee_data())
        with pytest.raises(CommitteeRuleError):
            system.review.update_committee(CITY.to_dict(), committee["id"], {"member_count": 16})
        updated = system.review.update_committee(CITY.to_dict(), committee["id"], {"member_count": 17})
        assert updated["member_count"] == 17
        assert system.review.delete_committee(CITY.to_dict(), committee["id"]) == {"deleted": committee["id"]}


class TestMeetings:
    def test_the_draw_is_recorded_with_its_seed_and_replays_to_the_same_experts(self, system):
        ids = system.fee_paid(system.new_cast())
        committee = system.committee()
        meeting = system.review.create_meeting(SECRETARY.to_dict(), {
            "committee_id": committee["id"], "meeting_date": beijing_today().isoformat(), "expert_count": 7})
        system.review.assign_dossiers(SECRETARY.to_dict(), meeting["id"], {"dossier_ids": ids})
        unavailable = [{"expert_id": EXPERTS[14], "reason": "出国"}, {"expert_id": EXPERTS[13], "reason": "本人申报回避"}]
        drawn = system.review.draw_experts(SECRETARY.to_dict(), meeting["id"], {"exclusions": unavailable})
        record = drawn["draw"]
        assert len(record["seed"]) == 32 and record["count"] == 7 and len(record["drawn"]) == 7
        assert set(record["excluded"]) == {EXPERTS[14], EXPERTS[13]} and not set(record["drawn"]) & set(record["excluded"])
        assert [e["expert_id"] for e in drawn["experts"]] == record["drawn"]
        replay = system.review.replay_draw(AUDITOR.to_dict(), meeting["id"])
        assert replay["matches"] and replay["replayed"] == record["drawn"]
        with pytest.raises(MeetingStateError):
            system.review.draw_experts(SECRETARY.to_dict(), meeting["id"], {})

    def test_only_fee_paid_dossiers_of_the_committees_series_and_level_are_assigned(self, system):
        cast = system.new_cast()
        submitted = system.submitted(cast)
        committee = system.committee()
        meeting = system.review.create_meeting(SECRETARY.to_dict(), {
            "committee_id": committee["id"], "meeting_date": beijing_today().isoformat(), "expert_count": 9})
        answer = system.review.assign_dossiers(SECRETARY.to_dict(), meeting["id"], {"dossier_ids": [submitted]})
        assert answer["assigned"] == 0 and answer["results"][0]["error"]["code"] == "not_assignable"
        assert system.dossier.get(submitted)["status"] == st.SUBMITTED

    def test_a_meeting_without_quorum_cannot_open(self, system):
        cast = system.new_cast()
        ids = system.fee_paid(cast)
        with pytest.raises(QuorumNotMetError) as raised:
            system.open_meeting(ids, drawn=range(1, 10), attending=range(1, 6))  # 5 of 9: 6 needed
        assert "至少须 6 人出席" in raised.value.message
        assert system.dossier.get(ids[0])["status"] == st.SENT_TO_COMMITTEE


class TestTheVote:
    def test_two_thirds_one_short_recusal_proxy_double_and_late_ballots(self, system):
        ordinary, jia = system.new_cast(), system.new_cast(unit_id=UNIT_JIA)
        d1, d2 = system.fee_paid(ordinary, count=2)
        (d3,) = system.fee_paid(jia)
        meeting = system.open_meeting([d1, d2, d3])  # experts 01–09; 01 and 06 work at 演示单位甲
        assert {d["dossier_id"]: d["voters"] for d in meeting["dossiers"]} == {d1: 9, d2: 9, d3: 7}
        assert all(system.dossier.get(d)["status"] == st.UNDER_REVIEW for d in (d1, d2, d3))
        mid = meeting["id"]

        def cast_ballot(number, dossier_id, choice):
            return cast_sealed(system.review, expert(number).to_dict(), mid, dossier_id, choice)

        with pytest.raises(RecusedError):
            cast_ballot(1, d3, "agree")
        with pytest.raises(NotAVoterError):
            cast_ballot(12, d1, "agree")  # not drawn: nobody votes in someone else's place
        with pytest.raises(ReviewNotAllowedError):
            cast_sealed(system.review, SECRETARY.to_dict(), mid, d1, "agree")
        for number, choice in zip(range(1, 10), ["agree"] * 6 + ["disagree"] * 2 + ["abstain"], strict=True):
            assert cast_ballot(number, d1, choice) == {"meeting_id": mid, "dossier_id": d1, "recorded": True}
        for number, choice in zip(range(1, 10), ["agree"] * 5 + ["disagree"] * 4, strict=True):
            cast_ballot(number, d2, choice)
        for number, choice in zip((2, 3, 4, 5, 7, 8), ["agree"] * 5 + ["disagree"], strict=True):
            cast_ballot(number, d3, choice)  # expert 09 does not vote on d3
        with pytest.raises(DoubleVoteError):
            cast_ballot(2, d1, "disagree")

        closed = system.review.close_meeting(SECRETARY.to_dict(), mid)
        tallies = {d["dossier_id"]: d["tally"] for d in closed["dossiers"]}
        assert tallies[d1] == {"agree": 6, "disagree": 2, "abstain": 1, "voters": 9, "required": 6, "passed": True}
        assert tallies[d2] == {"agree": 5, "disagree": 4, "abstain": 0, "voters": 9, "required": 6, "passed": False}
        assert tallies[d3] == {"agree": 5, "disagree": 1, "abstain": 0, "voters": 7, "required": 5, "passed": True}
        assert [system.dossier.get(d)["status"] for d in (d1, d2, d3)] == [st.PASSED, st.FAILED, st.PASSED]
        assert system.dossier.get(d2)["tally"] == {"agree": 5, "disagree": 4, "abstain": 0, "voters": 9, "required": 6}
        with pytest.raises(LateBallotError):
            cast_ballot(9, d3, "agree")
        assert system.review.close_meeting(SECRETARY.to_dict(), mid)["state"] == "closed"  # closing twice is harmless

    def test_an_expert_declares_a_conflict_and_is_recused_from_that_dossier_only(self, system):
        cast = system.new_cast()
        d1, d2 = system.fee_paid(cast, count=2)
        meeting = system.open_meeting([d1, d2])
        answer = system.review.declare_conflict(expert(4).to_dict(), meeting["id"], {"dossier_id": d1, "reason": "曾为申报人导师"})
        assert answer["expert_id"] == EXPERTS[3]
        with pytest.raises(RecusedError) as raised:
            cast_sealed(system.review, expert(4).to_dict(), meeting["id"], d1, "agree")
        assert "曾为申报人导师" in raised.value.message
        cast_sealed(system.review, expert(4).to_dict(), meeting["id"], d2, "agree")
        with pytest.raises(ReviewNotAllowedError):  # an expert declares for themselves only
            system.review.declare_conflict(expert(5).to_dict(), meeting["id"], {"expert_id": EXPERTS[6], "reason": "x"})
        view = system.review.get_meeting(SECRETARY.to_dict(), meeting["id"])
        assert {d["dossier_id"]: d["voters"] for d in view["dossiers"]} == {d1: 8, d2: 9}
        agenda = {m["meeting_id"]: m for m in system.review.expert_meetings(expert(4).to_dict())}[meeting["id"]]
        flags = {d["dossier_id"]: (d["recused"], d["voted"]) for d in agenda["dossiers"]}
        assert flags == {d1: ("曾为申报人导师", False), d2: (None, True)}
