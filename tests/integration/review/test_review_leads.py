"""Lead reviewers (主审): the office names one or two drawn experts who need not recuse; each writes a
主审意见 that the meeting view (office, auditor) and the other experts' meeting answer carry, attributed,
editable until its writer votes on the dossier. Real PostgreSQL, RabbitMQ, dossier and identity."""
import pytest

from services.review.exceptions import InvalidReviewCommandError, MeetingStateError, ReviewNotAllowedError
from shared.clock import beijing_today
from shared.errors import ValidationFailed
from tests.ballot_casting import cast_sealed
from tests.integration.review.review_support import AUDITOR, CITY, EXPERTS, SECRETARY, UNIT_JIA, expert

DRAWN = (1, 2, 3, 4, 5, 6, 7, 8, 9)  # 01 and 06 work at 演示单位甲
OPINION = "申报人主持的给排水改造工程获省级优秀工程奖,业绩与论文均达到中级要求,建议同意。"


@pytest.fixture
def meeting(system):
    """A drawn meeting (experts 01–09) of an ordinary dossier and one of 甲: ``{id, ordinary, jia}``."""
    (ordinary,) = system.fee_paid(system.new_cast())
    (jia,) = system.fee_paid(system.new_cast(unit_id=UNIT_JIA))
    committee = system.committee()
    created = system.review.create_meeting(SECRETARY.to_dict(), {
        "committee_id": committee["id"], "meeting_date": beijing_today(system.clock).isoformat(), "expert_count": 9})
    system.review.assign_dossiers(SECRETARY.to_dict(), created["id"], {"dossier_ids": [ordinary, jia]})
    unavailable = [{"expert_id": EXPERTS[n - 1], "reason": "会期冲突"} for n in range(1, 16) if n not in DRAWN]
    system.review.draw_experts(SECRETARY.to_dict(), created["id"], {"exclusions": unavailable})
    return {"id": created["id"], "ordinary": ordinary, "jia": jia}


def name(system, meeting, dossier_id, *numbers, actor=SECRETARY):
    return system.review.name_leads(actor.to_dict(), meeting["id"],
                                    {"dossier_id": dossier_id, "expert_ids": [EXPERTS[n - 1] for n in numbers]})


def write(system, meeting, number, dossier_id, opinion=OPINION):
    return system.review.write_lead_opinion(expert(number).to_dict(), meeting["id"],
                                            {"dossier_id": dossier_id, "opinion": opinion})


def leads_seen_by_office(system, meeting, dossier_id):
    view = system.review.get_meeting(AUDITOR.to_dict(), meeting["id"])
    (dossier,) = [d for d in view["dossiers"] if d["dossier_id"] == dossier_id]
    return sorted((lead["name"], lead["opinion"]) for lead in dossier["leads"])


def seen_by_expert(system, meeting, number, dossier_id):
    mine = {m["meeting_id"]: m for m in system.review.expert_meetings(expert(number).to_dict())}[meeting["id"]]
    (dossier,) = [d for d in mine["dossiers"] if d["dossier_id"] == dossier_id]
    return dossier


class TestNamingLeads:
    def test_the_office_names_two_drawn_experts_and_everyone_concerned_reads_who_they_are(self, system, meeting):
        named = name(system, meeting, meeting["ordinary"], 2, 3)
        (dossier,) = [d for d in named["dossiers"] if d["dossier_id"] == meeting["ordinary"]]
        assert sorted((lead["name"], lead["opinion"], lead["recused"]) for lead in dossier["leads"]) == [
            ("评审专家02", None, None), ("评审专家03", None, None)]
        assert leads_seen_by_office(system, meeting, meeting["ordinary"]) == [("评审专家02", None), ("评审专家03", None)]
        assert seen_by_expert(system, meeting, 2, meeting["ordinary"])["is_lead"] is True
        other = seen_by_expert(system, meeting, 4, meeting["ordinary"])
        assert other["is_lead"] is False and sorted(lead["name"] for lead in other["leads"]) == ["评审专家02", "评审专家03"]
        assert seen_by_expert(system, meeting, 2, meeting["jia"])["leads"] == []

    def test_nobody_who_must_recuse_is_not_drawn_or_is_absent_leads_and_every_reason_is_named(self, system, meeting):
        with pytest.raises(InvalidReviewCommandError) as raised:
            name(system, meeting, meeting["jia"], 1, 12)  # 01 works at 甲; 12 was not drawn
        assert raised.value.fields["expert_ids"] == ["评审专家01须回避该申报材料(与申报人同一单位)",
                                                     "所选人员不是本次会议抽取的专家"]
        with pytest.raises(ValidationFailed):
            name(system, meeting, meeting["ordinary"], 2, 3, 4)
        system.review.record_attendance(SECRETARY.to_dict(), meeting["id"], {"expert_ids": EXPERTS[:4]})
        with pytest.raises(InvalidReviewCommandError, match="评审专家05未出席本次会议"):
            name(system, meeting, meeting["ordinary"], 5)
        system.review.declare_conflict(expert(4).to_dict(), meeting["id"], {"dossier_id": meeting["ordinary"],
                                                                              "reason": "曾为申报人导师"})
        with pytest.raises(InvalidReviewCommandError, match="曾为申报人导师"):
            name(system, meeting, meeting["ordinary"], 4)

    def test_only_the_office_names_leads(self, system, meeting):
        for actor in (AUDITOR, expert(2)):
            with pytest.raises(ReviewNotAllowedError):
                name(system, meeting, meeting["ordinary"], 2, actor=actor)
        assert name(system, meeting, meeting["ordinary"], 2, actor=CITY)["id"] == meeting["id"]

    def test_a_lead_who_has_written_stays_others_may_be_replaced(self, system, meeting):
        name(system, meeting, meeting["ordinary"], 2, 3)
        write(system, meeting, 2, meeting["ordinary"])
        with pytest.raises(MeetingStateError, match="评审专家02"):
            name(system, meeting, meeting["ordinary"], 3)
        name(system, meeting, meeting["ordinary"], 2, 5)
        assert leads_seen_by_office(system, meeting, meeting["ordinary"]) == [("评审专家02", OPINION), ("评审专家05", None)]


class TestTheLeadsOpinion:
    def test_written_rewritten_and_read_by_the_other_experts_the_office_and_the_auditor(self, system, meeting):
        name(system, meeting, meeting["ordinary"], 2)
        with pytest.raises(ValidationFailed) as raised:
            write(system, meeting, 2, meeting["ordinary"], "   同意。   ")
        assert "10 到 4000" in raised.value.fields["opinion"][0]
        first = write(system, meeting, 2, meeting["ordinary"], f"  {OPINION}  ")
        assert first["opinion"] == OPINION
        rewritten = OPINION + "另:继续教育学时证明齐全。"
        write(system, meeting, 2, meeting["ordinary"], rewritten)
        assert leads_seen_by_office(system, meeting, meeting["ordinary"]) == [("评审专家02", rewritten)]
        (lead,) = seen_by_expert(system, meeting, 7, meeting["ordinary"])["leads"]
        assert (lead["name"], lead["opinion"]) == ("评审专家02", rewritten) and lead["opinion_at"]

    def test_only_a_lead_writes_and_only_until_they_vote(self, system, meeting):
        name(system, meeting, meeting["ordinary"], 2, 3)
        with pytest.raises(ReviewNotAllowedError):
            write(system, meeting, 4, meeting["ordinary"])
        with pytest.raises(ReviewNotAllowedError):
            system.review.write_lead_opinion(SECRETARY.to_dict(), meeting["id"],
                                             {"dossier_id": meeting["ordinary"], "opinion": OPINION})
        system.review.record_attendance(SECRETARY.to_dict(), meeting["id"], {"expert_ids": EXPERTS[:9]})
        system.review.open_meeting(SECRETARY.to_dict(), meeting["id"])
        write(system, meeting, 3, meeting["ordinary"])  # the vote is open: still editable before voting
        cast_sealed(system.review, expert(2).to_dict(), meeting["id"], meeting["ordinary"], "agree")
        with pytest.raises(MeetingStateError, match="已对该申报材料投票"):
            write(system, meeting, 2, meeting["ordinary"])

        for number in range(1, 10):
            for dossier_id in (meeting["ordinary"], meeting["jia"]):
                if (number, dossier_id) != (2, meeting["ordinary"]) and not (number in (1, 6) and dossier_id == meeting["jia"]):
                    cast_sealed(system.review, expert(number).to_dict(), meeting["id"], dossier_id, "agree")
        system.review.close_meeting(SECRETARY.to_dict(), meeting["id"])
        with pytest.raises(MeetingStateError, match="已结束"):
            write(system, meeting, 3, meeting["ordinary"])
        with pytest.raises(MeetingStateError, match="已结束"):
            name(system, meeting, meeting["jia"], 2)
        assert leads_seen_by_office(system, meeting, meeting["ordinary"]) == [("评审专家02", None), ("评审专家03", OPINION)]
