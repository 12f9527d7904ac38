"""An expert's unit, which same-unit recusal compares (docs/domain-rules.md R6.5), is their organisation
membership in identity: the pool takes no typed unit, and a change is the city admin's reasoned,
recorded act, which the recusal of a meeting drawn afterwards follows."""
import pytest

from services.identity.seed import seed_id
from services.review.domain.draw import ALL_DOSSIERS_REASON
from shared.clock import beijing_today
from shared.errors import PlatformError
from tests.integration.review.review_support import CITY, EXPERTS, SECRETARY, UNIT_JIA

UNIT_YI = seed_id("org", "演示单位乙")


def pool_entry(committee, expert_id):
    (entry,) = [expert for expert in committee["experts"] if expert["expert_id"] == expert_id]
    return entry


class TestTheUnitComesFromTheMembership:
    def test_a_unit_typed_when_adding_to_a_pool_is_refused_and_nothing_is_added(self, system):
        committee = system.review.create_committee(CITY.to_dict(), {
            "name": "工程系列中级评审委员会(回避单位)", "series": "engineering", "levels": ["intermediate"],
            "organised_by": "specialty", "specialties": ["土木工程"], "organising_body": "昆明市人社局",
            "valid_until": beijing_today().replace(year=beijing_today().year + 1).isoformat(), "member_count": 7})
        with pytest.raises(PlatformError) as raised:
            system.review.add_experts(CITY.to_dict(), committee["id"], {"experts": [
                {"expert_id": EXPERTS[0], "title": "高级工程师", "specialty": "土木工程", "unit_id": UNIT_YI}]})
        assert raised.value.http_status == 422 and "unit_id" in str(raised.value.fields)
        assert system.review.get_committee(CITY.to_dict(), committee["id"])["experts"] == []
        added = system.review.add_experts(CITY.to_dict(), committee["id"], {"experts": [
            {"expert_id": EXPERTS[0], "title": "高级工程师", "specialty": "土木工程"}]})
        assert pool_entry(added, EXPERTS[0])["unit_id"] == UNIT_JIA


class TestChangingTheRecusalUnit:
    def test_a_change_without_a_reason_is_refused_and_changes_nothing(self, system):
        committee = system.committee()
        with pytest.raises(PlatformError) as raised:
            system.review.change_expert_unit(CITY.to_dict(), committee["id"], EXPERTS[0], {"unit_id": UNIT_YI})
        assert set(raised.value.fields) == {"reason"}
        after = system.review.get_committee(CITY.to_dict(), committee["id"])
        assert pool_entry(after, EXPERTS[0])["unit_id"] == UNIT_JIA and after["unit_changes"] == []

    def test_only_the_city_admin_changes_it(self, system):
        committee = system.committee()
        with pytest.raises(PlatformError) as raised:
            system.review.change_expert_unit(SECRETARY.to_dict(), committee["id"], EXPERTS[0],
                                             {"unit_id": UNIT_YI, "reason": "已调入乙单位工作"})
        assert raised.value.http_status == 403

    def test_a_reasoned_change_is_recorded_and_the_next_draw_recuses_by_it(self, system):
        (from_yi,) = system.fee_paid(system.new_cast(unit_id=UNIT_YI))
        committee = system.committee()
        changed = system.review.change_expert_unit(CITY.to_dict(), committee["id"], EXPERTS[0],
                                                   {"unit_id": UNIT_YI, "reason": "2026年10月调入演示单位乙"})
        assert pool_entry(changed, EXPERTS[0])["unit_id"] == UNIT_YI
        (record,) = changed["unit_changes"]
        assert (record["expert_id"], record["from_unit_id"], record["to_unit_id"]) == (EXPERTS[0], UNIT_JIA, UNIT_YI)
        assert record["reason"] == "2026年10月调入演示单位乙" and record["changed_by"] == CITY.account_id
        assert record["changed_at"] and record["to_unit_name"] == "演示单位乙"
        meeting = system.review.create_meeting(SECRETARY.to_dict(), {
            "committee_id": committee["id"], "meeting_date": beijing_today(system.clock).isoformat(), "expert_count": 7})
        system.review.assign_dossiers(SECRETARY.to_dict(), meeting["id"], {"dossier_ids": [from_yi]})
        drawn = system.review.draw_experts(SECRETARY.to_dict(), meeting["id"], {"exclusions": []})
        # Expert 01 now recuses as 乙's (from the only dossier: not drawn at all); expert 06, still at 甲, may be.
        assert drawn["draw"]["excluded"][EXPERTS[0]] == ALL_DOSSIERS_REASON
        assert EXPERTS[0] not in drawn["draw"]["drawn"] and EXPERTS[5] in drawn["draw"]["candidates"]

    def test_the_same_unit_again_is_refused(self, system):
        committee = system.committee()
        with pytest.raises(PlatformError) as raised:
            system.review.change_expert_unit(CITY.to_dict(), committee["id"], EXPERTS[0],
                                             {"unit_id": UNIT_JIA, "reason": "核对回避单位"})
        assert set(raised.value.fields) == {"unit_id"}
