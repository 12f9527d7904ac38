"""Reminders and the daily digest with several instances at once: each reminder (kind, dossier,
stage) once, from the notice's deadlines on Beijing dates; each unit's digest once per Beijing day,
leaving out a submission taken back before it."""
import threading
import uuid
from datetime import timedelta

import eventlet
from sqlalchemy import select

from services.notification.dependencies import build_notifications
from services.notification.ports import YearFacts
from services.notification.recipients import Directory
from services.notification.service import NotificationService
from services.notification.tables import reminders
from shared.contracts import dossier as st
from shared.contracts.dossier import EVENTS
from shared.rpc_ports import TimedProxy
from shared.roles import UNIT_ADMIN
from tests.integration.notification.notification_support import TODAY, dossier_event, notice, snapshot
from tests.waiting import wait_until

REVIEW_YEAR = 2029


def tracked(system, *events):
    """Publish *events* and wait until the service has handled each of them."""
    system.publish(*events)
    keys = {f"dossier:{event['event_id']}" for event in events}
    wait_until(lambda: all(system.app.handled(key) for key in keys), what="the events handled")


def reminder_messages(system, person, kind):
    return [message for message in system.messages_of(person["account_id"]) if message["kind"] == kind]


def given(system, dossier_id):
    with system.engine.connect() as connection:
        return {(row.kind, row.stage, row.sent) for row in connection.execute(
            select(reminders).where(reminders.c.dossier_id == dossier_id))}


class Dossiers:
    """Dossiers of the reminders' year, each at a status through its real events."""

    def __init__(self, system, people):
        self.system, self.people = system, people

    def at(self, *chain):
        applicant = self.people.person()
        dossier_id, dossier = str(uuid.uuid4()), snapshot(applicant, self.people.unit(), review_year=REVIEW_YEAR)
        events = [dossier_event(name, dossier_id, version, status, dossier, data)
                  for version, (name, status, data) in enumerate(chain, start=1)]
        tracked(self.system, *events)
        return dossier_id, applicant


CREATED = ("created", st.DRAFT, {})
SUBMITTED = ("submitted", st.SUBMITTED, {"resubmission": False})
RETURNED = ("returned", st.RETURNED, {"level": st.UNIT, "reason": "请补充", "sections": ["materials"]})
ACCEPTED = ("city_approved", st.ACCEPTED, {"opinion": "受理"})
PAID = ("fee_paid", st.FEE_PAID, {"order_id": "o", "amount_fen": 16000})


def test_each_reminder_is_given_once_by_two_instances_running_the_timer(system, people):
    notice(REVIEW_YEAR, window_end=TODAY + timedelta(days=3), resubmission=TODAY + timedelta(days=3),
           payment=TODAY + timedelta(days=1))
    dossiers = Dossiers(system, people)
    returned, returned_person = dossiers.at(CREATED, SUBMITTED, RETURNED)
    resubmitted, resubmitted_person = dossiers.at(CREATED, SUBMITTED, RETURNED, SUBMITTED)
    accepted, accepted_person = dossiers.at(CREATED, ACCEPTED)
    paid, paid_person = dossiers.at(CREATED, ACCEPTED, PAID)
    draft, draft_person = dossiers.at(CREATED)

    fast = system.instance_config(REMINDERS={"interval_seconds": 0.2})
    instances = [system.start_one(NotificationService, fast) for _ in range(2)]
    try:
        wait_until(lambda: all([reminder_messages(system, returned_person, "resubmission_reminder"),
                                reminder_messages(system, accepted_person, "payment_reminder"),
                                reminder_messages(system, draft_person, "draft_reminder")]), what="three reminders")
        eventlet.sleep(1.5)  # several more timer rounds of both instances
        (resubmit,) = reminder_messages(system, returned_person, "resubmission_reminder")
        assert "2026-06-13 17:00" in resubmit["body"] and "还剩 3 天" in resubmit["title"]
        (pay,) = reminder_messages(system, accepted_person, "payment_reminder")
        assert "还剩 1 天" in pay["body"]
        assert len(reminder_messages(system, draft_person, "draft_reminder")) == 1
        assert given(system, accepted) == {("payment_reminder", "1d", True), ("payment_reminder", "3d", False)}
        for person in (resubmitted_person, paid_person):
            assert system.messages_of(person["account_id"]) == [] or all(
                "reminder" not in message["kind"] for message in system.messages_of(person["account_id"]))
        assert given(system, resubmitted) == set() and given(system, paid) == set()

        system.clock.travel(days=2)  # a day before the resubmission deadline; the payment deadline passed
        wait_until(lambda: len(reminder_messages(system, returned_person, "resubmission_reminder")) == 2,
                   what="the one-day reminder")
        eventlet.sleep(1.5)
        assert len(reminder_messages(system, returned_person, "resubmission_reminder")) == 2
        assert len(reminder_messages(system, accepted_person, "payment_reminder")) == 1
        assert len(reminder_messages(system, draft_person, "draft_reminder")) == 1
        reminder_sms = [d for d in system.sms_of(account_id=returned_person["account_id"])
                        if d["kind"] == "resubmission_reminder"]
        assert len(reminder_sms) == 2  # a required kind: an SMS each time
        assert given(system, returned) == {("resubmission_reminder", "3d", True), ("resubmission_reminder", "1d", True)}
    finally:
        for container in instances:
            container.stop()
            system.containers.remove(container)
        system.clock.at(10)


class Meeting(Directory):
    """Identity as the real port asks it, except that the two runners meet here: both have worked out
    what is due before either gives anything, the race a unique key has to win."""

    def __init__(self, identity, barrier):
        super().__init__(identity)
        self.barrier = barrier

    def people(self, account_ids):
        self.barrier.wait(timeout=20)
        return super().people(account_ids)

    def unit_admins(self, unit_id):
        self.barrier.wait(timeout=20)
        return super().unit_admins(unit_id)


def race(system, duty):
    """Run *duty(app, directory, facts)* on two instances' applications at the same time; their answers."""
    apps = [build_notifications(system.config) for _ in range(2)]
    barrier, answers = threading.Barrier(2), []

    def run(app):
        with system.rpc() as rpc:  # a proxy of each runner's own: one greenthread per connection
            facts = YearFacts(TimedProxy(rpc.dossier), TimedProxy(rpc.payment))
            answers.append(duty(app, Meeting(TimedProxy(rpc.identity), barrier), facts))

    try:
        for runner in [eventlet.spawn(run, app) for app in apps]:
            runner.wait()
    finally:
        for app in apps:
            app.close()
    return answers


def test_two_runners_racing_give_a_reminder_once(system, people):
    notice(REVIEW_YEAR + 1, resubmission=TODAY + timedelta(days=1))
    applicant = people.person()
    dossier_id, dossier = str(uuid.uuid4()), snapshot(applicant, people.unit(), review_year=REVIEW_YEAR + 1)
    tracked(system, dossier_event("returned", dossier_id, 4, st.RETURNED, dossier,
                                  {"level": st.DISTRICT, "reason": "r", "sections": ["education"]}))

    answers = race(system, lambda app, directory, facts: app.reminders.run(facts, directory))
    assert len(reminder_messages(system, applicant, "resubmission_reminder")) == 1
    assert [d["kind"] for d in system.sms_of(account_id=applicant["account_id"])].count("resubmission_reminder") == 1
    assert given(system, dossier_id) >= {("resubmission_reminder", "1d", True)}
    assert sum(answers) >= 1  # the other runner's reminders were for other dossiers, or none


def submission(system, people, unit_id, version=2, dossier_id=None):
    applicant = people.person(f"申报人{uuid.uuid4().hex[:4]}")
    dossier_id = dossier_id or str(uuid.uuid4())
    event = dossier_event("submitted", dossier_id, version, st.SUBMITTED, snapshot(applicant, unit_id),
                          {"resubmission": False})
    tracked(system, event)
    return dossier_id, applicant, event


def test_each_unit_gets_one_digest_a_day_without_the_submissions_taken_back(system, people):
    unit_id, other_unit = people.unit(), people.unit()
    admins = [people.person("单位管理员", UNIT_ADMIN, unit_id) for _ in range(2)]
    other_admin = people.person("乙单位管理员", UNIT_ADMIN, other_unit)
    _, first, _ = submission(system, people, unit_id)
    _, second, _ = submission(system, people, unit_id)
    taken_back_id, taken_back, event = submission(system, people, unit_id)
    assert "submission_taken_back" in EVENTS
    tracked(system, dossier_event("submission_taken_back", taken_back_id, 3, st.DRAFT, event["dossier"], {}))
    submission(system, people, other_unit)

    def digests_of(person):
        return [message for message in system.messages_of(person["account_id"]) if message["kind"] == "submissions_digest"]

    try:
        system.clock.at(16, 59)
        assert race(system, lambda app, directory, facts: app.digests.run(Directory(directory.identity))) == [0, 0]
        assert digests_of(admins[0]) == []

        system.clock.at(17, 0)
        answers = race(system, lambda app, directory, facts: app.digests.run(directory))
        # Every unit with waiting submissions (this module's other tests' too) got its digest from one runner.
        assert sum(answers) >= 2 and race(system, lambda app, directory, facts: app.digests.run(directory)) == [0, 0]
        for admin in admins:
            (digest,) = digests_of(admin)
            assert digest["title"] == f"{TODAY} 新提交的申报 2 份"
            assert first["name"] in digest["body"] and second["name"] in digest["body"]
            assert taken_back["name"] not in digest["body"]
        assert len(digests_of(other_admin)) == 1

        _, late, _ = submission(system, people, unit_id)  # after today's digest: tomorrow's
        system.clock.at(21, 0)
        assert build_and_run(system) == 0
        system.clock.at(17, 30, day=TODAY + timedelta(days=1))
        assert build_and_run(system) == 1
        latest = digests_of(admins[0])[-1]
        assert len(digests_of(admins[0])) == 2 and late["name"] in latest["body"] and "1 份" in latest["title"]
    finally:
        system.clock.at(10)


def build_and_run(system):
    app = build_notifications(system.config)
    try:
        with system.rpc() as rpc:
            return app.digests.run(Directory(TimedProxy(rpc.identity)))
    finally:
        app.close()
