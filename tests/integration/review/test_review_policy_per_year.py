"""Review applies each review year's policy as published in that year's notice (docs/domain-rules.md
R0.1, R5.12): a 2027 publicity day count leaves 2026 alone; a level's deadline stops that level from
sending dossiers on; after it, the year's ``after_level_deadline`` keeps them (overdue) or abandons them.

Real dossier, identity and review services on PostgreSQL and RabbitMQ; the 2027 notice is published
again by each test (a new version: the one in force at the step is the one applied).
"""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from services.review.tables import policy_readings
from shared.clock import BEIJING, beijing_today
from shared.contracts import dossier as st
from shared.contracts.review_errors import LevelDeadlinePassedError
from shared.contracts.year_policy import DEFAULT_POLICY
from tests.factories import notice_document
from tests.integration.review.review_support import CITY, SYSTEM

YEAR = 2027


def publish_2027(system, *, deadlines=None, **policy):
    """The 2027 notice as the city admin publishes it now (its window covers now); returns its version."""
    document = notice_document(YEAR, policy={"max_active_dossiers": 10, **policy})
    if deadlines:
        document["deadlines"] = {level: moment.isoformat() for level, moment in deadlines.items()}
    system.dossier.publish_notice(CITY.to_dict(), document)
    return system.dossier.get_notice(YEAR)["version"]


@pytest.fixture(scope="module", autouse=True)
def plain_2027_afterwards(system):
    """Other modules find 2027 with no deadlines and the default ``stay``."""
    yield
    system.clock.reset()
    publish_2027(system)


def soon(system, hours):
    """A whole minute *hours* from the system's now, in Beijing time (as a notice writes it)."""
    moment = (system.clock() + timedelta(hours=hours)).astimezone(BEIJING)
    return moment.replace(second=0, microsecond=0)


def written(moment):
    local = moment.astimezone(BEIJING)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def approve(system, cast, dossier_id):
    return system.decide(cast.unit_admin.to_dict(), dossier_id, {"action": "approve", "opinion": "同意推荐"})


def status(system, dossier_id):
    return system.dossier.get(dossier_id)["status"]


class TestPublicityDaysPerYear:
    def test_a_2027_unit_publicity_day_count_changes_2027s_end_but_not_2026s(self, system):
        days_2027 = DEFAULT_POLICY["publicity"]["unit_working_days"] + 3
        version = publish_2027(system, publicity={"unit_working_days": days_2027})
        cast = system.new_cast()
        of_2026 = system.submitted(cast)
        of_2027 = system.submitted(cast, review_year=YEAR)
        for dossier_id in (of_2026, of_2027):
            approve(system, cast, dossier_id)
        today = beijing_today(system.clock)
        recorded = {dossier_id: system.publicised_in_unit(cast, [dossier_id], start=today)
                    for dossier_id in (of_2026, of_2027)}
        shortest = {days: system.review.working_days({"start": today.isoformat(), "working_days": days})["end"]
                    for days in (DEFAULT_POLICY["publicity"]["unit_working_days"], days_2027)}
        assert recorded[of_2027]["end"] == shortest[days_2027]
        assert recorded[of_2026]["end"] == shortest[DEFAULT_POLICY["publicity"]["unit_working_days"]]
        assert recorded[of_2027]["end"] > recorded[of_2026]["end"]
        # The step names the notice version it applied, with the value it took from it.
        with system.review_engine.connect() as connection:
            reading = connection.execute(select(policy_readings).where(
                policy_readings.c.subject == f"unit_publicity:{recorded[of_2027]['id']}")).mappings().one()
        assert (reading["review_year"], reading["policy_version"]) == (YEAR, version)
        assert reading["settings"] == {"publicity.unit_working_days": days_2027}


class TestLevelDeadlines:
    def test_the_unit_forwards_before_its_deadline_and_is_refused_after_it_naming_the_deadline(self, system):
        deadline = soon(system, 2)
        publish_2027(system, deadlines={"unit": deadline})
        cast = system.new_cast()
        early, late = system.submitted(cast, review_year=YEAR), system.submitted(cast, review_year=YEAR)
        assert approve(system, cast, early)["dossier"]["status"] == st.UNIT_APPROVED
        system.clock.travel(hours=3)
        with pytest.raises(LevelDeadlinePassedError) as raised:
            approve(system, cast, late)
        assert raised.value.message.startswith(f"单位审核已于 {written(deadline)} 截止,不能再推荐上报")
        assert status(system, late) == st.SUBMITTED
        with pytest.raises(LevelDeadlinePassedError):
            system.decide(cast.unit_admin.to_dict(), late, {"action": "return", "reason": "请补充材料",
                                                           "sections": ["materials"]})
        assert status(system, late) == st.SUBMITTED
        # The approved one cannot be recommended any more either: the batch names the deadline.
        answer = system.review.submit_batch(cast.unit_admin.to_dict(), {"dossier_ids": [early]})
        assert not answer["saved"] and written(deadline) in answer["results"][0]["error"]["message"]
        # The queue and the progress show both as overdue.
        item = system.review.queue_item(cast.unit_admin.to_dict(), late)
        assert item["overdue"] and written(deadline) in item["overdue_label"]
        page = system.review.queue(cast.unit_admin.to_dict(), {"review_year": YEAR})
        assert page["overdue"] == 2 and all(row["overdue"] for row in page["items"])
        progress = system.review.progress(cast.district_admin.to_dict(), {"review_year": YEAR})
        (group,) = [group for group in progress["groups"] if group["org_id"] == cast.unit_id]
        assert group["overdue"] == 2 and progress["overdue"] >= 2
        # Rejecting is still possible: it sends nothing on.
        system.decide(cast.unit_admin.to_dict(), late, {"action": "reject", "reason": "逾期未完成审核"})
        assert status(system, late) == st.REJECTED

    def test_stay_keeps_a_dossier_left_at_its_level_and_abandon_ends_it_with_the_event(self, system):
        deadline = soon(system, 1)
        publish_2027(system, deadlines={"unit": deadline}, after_level_deadline="stay")
        cast = system.new_cast()
        left = system.submitted(cast, review_year=YEAR)
        system.wait_projected(left)
        system.clock.travel(hours=2)
        assert left not in system.review.run_timers(SYSTEM)["deadlines"]["abandoned"]
        assert status(system, left) == st.SUBMITTED
        assert system.review.queue_item(cast.unit_admin.to_dict(), left)["overdue"]
        # The city admin changes the setting: the next run applies the version now in force.
        publish_2027(system, deadlines={"unit": deadline}, after_level_deadline="abandon")
        assert left in system.review.run_timers(SYSTEM)["deadlines"]["abandoned"]
        assert status(system, left) == st.ABANDONED
        (event,) = [event for event in system.dossier.history(left) if event["type"] == "abandoned"]
        assert written(deadline) in event["data"]["reason"] and "单位审核" in event["data"]["reason"]
        # A second run does nothing more.
        assert left not in system.review.run_timers(SYSTEM)["deadlines"]["abandoned"]
        assert sum(1 for event in system.dossier.history(left) if event["type"] == "abandoned") == 1


def test_deadlines_written_in_beijing_time_compare_as_instants(system):
    """A deadline of 00:30 Beijing time is 16:30 UTC the day before: one minute after it is too late."""
    deadline = datetime.combine(beijing_today(system.clock) + timedelta(days=1), datetime.min.time(),
                                tzinfo=BEIJING).replace(minute=30)
    publish_2027(system, deadlines={"unit": deadline})
    cast = system.new_cast()
    dossier_id = system.submitted(cast, review_year=YEAR)
    system.clock.travel(seconds=(deadline - system.clock()).total_seconds() + 60)
    with pytest.raises(LevelDeadlinePassedError) as raised:
        approve(system, cast, dossier_id)
    assert written(deadline) in raised.value.message
