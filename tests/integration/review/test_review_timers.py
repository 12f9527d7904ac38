"""Timers with two review instances running side by side: the resubmission deadline abandons each
overdue dossier once, and the end of a publicity window ends each dossier's publicity once."""
import time
from datetime import date, datetime

import eventlet
from sqlalchemy import select

from shared.contracts import dossier as st
from services.review.service import ReviewService
from services.review.tables import automated_actions
from tests.integration.review.review_support import CITY
from shared.clock import beijing_today, utc_now
from tests.waiting import wait_until


def fast_instances(system, run_services):
    config = system.review_instance_config(system.review_config["DATABASE_URL"], deadlines_seconds=0.1,
                                           publicity_seconds=0.1)
    run_services((ReviewService, config), (ReviewService, config))


def event_count(system, dossier_id, event_type):
    return sum(1 for event in system.dossier.history(dossier_id) if event["type"] == event_type)


def claims(system, dossier_ids, action):
    with system.review_engine.connect() as connection:
        rows = connection.execute(select(automated_actions).where(
            automated_actions.c.dossier_id.in_(dossier_ids), automated_actions.c.action == action)).mappings().all()
    return [dict(row) for row in rows]


def test_returned_dossiers_are_abandoned_once_after_the_deadline_with_two_instances(system, run_services):
    cast = system.new_cast()
    returned = []
    for dossier_id in [system.submitted(cast) for _ in range(4)]:
        system.decide(cast.unit_admin.to_dict(), dossier_id, {"action": "return", "reason": "请补充材料",
                                                                     "sections": ["materials"]})
        returned.append(dossier_id)
    waiting = system.submitted(cast)  # not returned: the timer leaves it alone
    notice = system.dossier.get_notice(2026)["notice"]
    deadline = datetime.fromisoformat(notice["window"]["end"])
    fast_instances(system, run_services)
    eventlet.sleep(1.0)
    assert all(system.dossier.get(d)["status"] == st.RETURNED for d in returned)  # before the deadline

    system.clock.travel(days=(deadline.date() - beijing_today()).days + 2)
    wait_until(lambda: all(system.dossier.get(d)["status"] == st.ABANDONED for d in returned), seconds=60)
    eventlet.sleep(1.0)  # time for a second attempt to show, if there were one
    assert [event_count(system, d, "abandoned") for d in returned] == [1, 1, 1, 1]
    found = claims(system, returned, "abandon")
    assert sorted(c["dossier_id"] for c in found) == sorted(returned) and {c["state"] for c in found} == {"done"}
    reason = system.dossier.get(returned[0])["final_reason"]
    assert "视为放弃" in reason and "北京时间" in reason
    assert system.dossier.get(waiting)["status"] == st.SUBMITTED


def test_publicity_ends_once_per_dossier_when_the_window_closes_with_two_instances(system, run_services):
    ids = system.passed(system.new_cast(), count=3)
    published = system.review.publish(CITY.to_dict(), {"dossier_ids": ids})
    fast_instances(system, run_services)
    eventlet.sleep(1.0)
    assert all(system.dossier.get(d)["status"] == st.IN_PUBLICITY for d in ids)  # the window is still open

    system.clock.travel(days=(date.fromisoformat(published["end"]) - beijing_today(system.clock)).days + 1)
    wait_until(lambda: all(system.dossier.get(d)["status"] == st.APPROVED for d in ids), seconds=60)
    eventlet.sleep(1.0)
    assert [event_count(system, d, "publicity_ended") for d in ids] == [1, 1, 1]
    assert len(claims(system, ids, "end_publicity")) == 3
    detail = system.review.publicity_detail(CITY.to_dict(), published["id"])
    assert {entry["state"] for entry in detail["entries"]} == {"ended"}


def test_a_claim_is_taken_once_released_after_failure_and_taken_over_only_when_stale(system):
    from datetime import timedelta

    from services.review import jobs

    engine, now = system.review_engine, utc_now()
    key = (f"claim-test-{time.monotonic_ns()}", "abandon", "2026")

    def claim(instance, at):
        return jobs.claim(engine, *key, instance=instance, now=at, stale_seconds=600)

    assert claim("one", now) is True
    assert claim("two", now) is False
    jobs.release(engine, *key)
    assert claim("two", now) is True
    assert claim("three", now + timedelta(seconds=601)) is True  # "two" crashed long ago
    jobs.finish(engine, *key, detail="three")
    assert claim("four", now + timedelta(days=30)) is False  # done is done


def test_only_one_instance_runs_a_job_at_a_time(system):
    from services.review import jobs

    with jobs.JobLock(system.review_engine, "exclusive-test") as first:
        with jobs.JobLock(system.review_engine, "exclusive-test") as second:
            assert (first, second) == (True, False)
    with jobs.JobLock(system.review_engine, "exclusive-test") as again:
        assert again is True
