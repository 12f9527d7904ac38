"""The whole review chain over RPC, from submission to ``publicity_ended``: every step review is
responsible for goes through the review service, which has the dossier service record it."""
from datetime import date


from shared.contracts import dossier as st
from tests.integration.review.review_support import CITY, EXPERTS, SECRETARY, SYSTEM, expert
from shared.clock import beijing_today
from tests.waiting import wait_until
from tests.ballot_casting import cast_sealed


def awaiting(system, actor, dossier_id):
    return dossier_id in system.review.queue(actor.to_dict(), {"awaiting": True, "include_ids": True})["ids"]


def test_from_submission_to_the_end_of_publicity(system):
    cast = system.new_cast()
    dossier_id = system.submitted(cast, applicant_name="钱伟")
    wait_until(lambda: awaiting(system, cast.unit_admin, dossier_id))

    system.decide(cast.unit_admin.to_dict(), dossier_id, {"action": "approve", "opinion": "同意推荐"})
    with system.unit_publicity_over(system.publicised_in_unit(cast, [dossier_id])):
        batch = system.review.submit_batch(cast.unit_admin.to_dict(), {"dossier_ids": [dossier_id]})
    assert batch["saved"]
    wait_until(lambda: awaiting(system, cast.district_admin, dossier_id))
    system.decide(cast.district_admin.to_dict(), dossier_id, {"action": "approve", "opinion": "同意上报"})
    wait_until(lambda: awaiting(system, CITY, dossier_id))
    system.decide(CITY.to_dict(), dossier_id, {"action": "approve", "opinion": "符合条件,予以受理"})
    system.dossier.record_fee_paid(SYSTEM, dossier_id, "order-chain", 16000)  # the payment service's step
    wait_until(lambda: awaiting(system, SECRETARY, dossier_id))

    committee = system.committee()
    meeting = system.review.create_meeting(SECRETARY.to_dict(), {
        "committee_id": committee["id"], "meeting_date": beijing_today().isoformat(), "expert_count": 11})
    system.review.assign_dossiers(SECRETARY.to_dict(), meeting["id"], {"dossier_ids": [dossier_id]})
    drawn = system.review.draw_experts(SECRETARY.to_dict(), meeting["id"], {})["draw"]["drawn"]
    assert system.review.record_attendance(SECRETARY.to_dict(), meeting["id"], {"expert_ids": drawn[:9]})["met"]
    system.review.open_meeting(SECRETARY.to_dict(), meeting["id"])
    for expert_id in drawn[:9]:
        number = EXPERTS.index(expert_id) + 1
        cast_sealed(system.review, expert(number).to_dict(), meeting["id"], dossier_id, "agree")
    closed = system.review.close_meeting(SECRETARY.to_dict(), meeting["id"])
    assert closed["dossiers"][0]["tally"]["passed"] and system.dossier.get(dossier_id)["status"] == st.PASSED

    published = system.review.publish(CITY.to_dict(), {"dossier_ids": [dossier_id]})
    assert [e["name"] for e in system.review.get_publicity(published["id"])["entries"]] == ["钱伟"]
    system.clock.travel(days=(date.fromisoformat(published["end"]) - beijing_today(system.clock)).days + 1)
    assert system.review.run_timers(CITY.to_dict())["publicity"]["ended"] == [dossier_id]

    dossier = system.dossier.get(dossier_id)
    assert dossier["status"] == st.APPROVED and system.dossier.verify(dossier_id)["ok"]
    events = [event["type"] for event in system.dossier.history(dossier_id)]
    assert events[-12:] == ["submitted", "unit_approved", "unit_publicity_recorded", "recommended", "district_approved",
                            "city_approved", "fee_paid", "sent_to_committee", "review_started", "passed",
                            "publicity_started", "publicity_ended"]
    wait_until(lambda: system.queue_version(dossier_id) == len(events))
    progress = system.review.progress(cast.district_admin.to_dict(), {"review_year": 2026})
    assert progress["counts"] == {st.APPROVED: 1}
