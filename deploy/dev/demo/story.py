"""The demo's last weeks as scenes on the shared clock, played in time order.

Each plot line takes one group of applicants through the review chain as far as the cast says (the
people's steps are ``acts.py``). Scenes are set on working days counted back from today; they are
sorted and played in time order, the clock jumping forward to each and the platform settling before
the next, so five-working-day windows really pass and each event carries its scene's time.
"""
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Callable

from shared.contracts import dossier as st
from services.dossier.seed import demo_notice
from shared.clock import BEIJING, beijing_date, beijing_today
from shared.errors import NotFound

from .acts import ACCEPTANCE, Acts
from .cast import CITY, DISTRICT_ADMINS, REVIEW_YEAR, UNIT_A, UNIT_B, applicant_at
from .workdays import WorkingDays

FIRST_DAY = 32  # working days back: the notice and the committee, before anyone applies
# Unpaid orders close after 72 hours: whoever still owes the fee was accepted recently.
RECENT = timedelta(hours=48)


@dataclass(order=True)
class Scene:
    moment: datetime
    order: int
    act: Callable = field(compare=False)


class Story:
    """Plans and plays the scenes of the *acting* applicants (the others have a dossier already)."""

    def __init__(self, stage, clock, acting, evidence):
        self.stage, self.clock = stage, clock
        self.acts = Acts(stage.rpc, clock, evidence)
        self.acting = {applicant.phone for applicant in acting}
        self.days = WorkingDays(stage.rpc.review, beijing_today(clock))
        self.scenes = []

    def play(self):
        """Act everything out; returns ``{phone: dossier id}`` of the acting applicants."""
        self._setting()
        self._certified_line()
        self._recent_line()
        self._early_steps_line()
        scenes = sorted(self.scenes)
        if scenes:  # the story begins: the clock goes back to its first morning, once
            self.clock.travel(seconds=(scenes[0].moment - self.clock()).total_seconds())
        for scene in scenes:
            travel_to(self.clock, scene.moment)
            scene.act()
            self.stage.settle()
        return self.acts.dossier_ids

    def at(self, day, hh_mm, act):
        """Play *act* at Beijing *hh_mm* on a date, or on the *day*-th working day before today."""
        day = self.days.before_today(day) if isinstance(day, int) else day
        self.at_moment(datetime.combine(day, time.fromisoformat(hh_mm), BEIJING), act)

    def at_moment(self, moment, act):
        self.scenes.append(Scene(moment, len(self.scenes), act))

    def playing(self, status):
        """The applicant whose dossier the cast takes to *status*, if the story acts for them: ``[a]`` or ``[]``."""
        applicant = applicant_at(status)
        return [applicant] if applicant.phone in self.acting else []

    # -- the setting ---------------------------------------------------------------------------

    def _setting(self):
        """The year's notice (unless one is open for the whole story) and the committee (unless formed)."""
        first = self.days.before_today(FIRST_DAY)
        if not self._notice_covers(datetime.combine(first, time(8, 0), BEIJING), self.clock()):
            self.at(first, "08:30", lambda: self.acts.rpc.dossier.publish_notice(
                CITY, demo_notice(REVIEW_YEAR, beijing_date(self.clock()))))
        if self.acts.committee_id is None:
            self.at(first, "09:00", self.acts.form_committee)

    def _notice_covers(self, first, last):
        try:
            window = self.acts.rpc.dossier.get_notice(REVIEW_YEAR)["notice"]["window"]
        except NotFound:
            return False
        return datetime.fromisoformat(window["start"]) <= first and last <= datetime.fromisoformat(window["end"])

    # -- plot lines ----------------------------------------------------------------------------

    def _certified_line(self):
        """郑十: the whole chain from six weeks ago; certified when the publicity window closed last week."""
        applicants, acts = self.playing(st.CERTIFIED), self.acts
        if not applicants:
            return
        self.at(30, "09:10", lambda: acts.apply(*applicants))
        self.at(29, "10:00", lambda: acts.unit_approves(UNIT_A, applicants))
        self.at(24, "09:30", lambda: acts.send_batch(UNIT_A, applicants))
        self.at(23, "10:00", lambda: acts.approve(DISTRICT_ADMINS[UNIT_A], applicants))
        self.at(22, "10:00", lambda: acts.approve(CITY, applicants, ACCEPTANCE))
        self.at(22, "20:15", lambda: acts.pay(*applicants))
        self.meeting("certified", applicants, planned=21, held=19)
        self.at(18, "09:30", lambda: acts.publish(applicants))
        # The timer ends a window in the first minutes after its last day (Beijing time).
        last_day = self.days.window_end(self.days.before_today(18))
        self.at(last_day + timedelta(days=1), "00:05", acts.run_timers)

    def _recent_line(self):
        """吴九, 冯十一, 周八, 孙七: one cohort of the last three weeks, each left at another step."""
        acts = self.acts
        publicised, passed = self.playing(st.IN_PUBLICITY), self.playing(st.PASSED)
        sent, accepted = self.playing(st.SENT_TO_COMMITTEE), self.playing(st.ACCEPTED)
        cohort = publicised + passed + sent + accepted
        for half_hours, applicant in enumerate(cohort):  # each takes about twenty-five minutes to fill in
            self.at(16, f"{9 + half_hours // 2:02d}:{half_hours % 2 * 30:02d}", lambda a=applicant: acts.apply(a))
        for hour, unit in enumerate((UNIT_A, UNIT_B), start=10):
            members = [applicant for applicant in cohort if applicant.unit == unit]
            if members:
                self.at(15, f"{hour}:00", lambda u=unit, m=members: acts.unit_approves(u, m))
                self.at(10, f"{hour - 1:02d}:30", lambda u=unit, m=members: acts.send_batch(u, m))
                self.at(9, f"{hour}:15", lambda u=unit, m=members: acts.approve(DISTRICT_ADMINS[u], m))
        paying = publicised + passed + sent
        if paying:
            self.at(8, "10:00", lambda: acts.approve(CITY, paying, ACCEPTANCE))
            for quarter, applicant in enumerate(paying, start=1):
                self.at(8, f"19:{quarter * 15 - 5:02d}", lambda a=applicant: acts.pay(a))
        if publicised:
            self.meeting("in_publicity", publicised, planned=6, held=4)
            self.at(3, "09:30", lambda: acts.publish(publicised))
        if passed:
            self.meeting("passed", passed, planned=3, held=1, planned_at="10:30")
        if sent:  # assigned to the next meeting; the office draws its experts when it chooses
            self.at(1, "15:00", lambda: acts.prepare_meeting("next", sent, self.days.after_today(), draw=False))
        if accepted:
            moment = datetime.combine(self.days.before_today(1), time(16, 30), BEIJING)
            if self.clock() - moment > RECENT:  # after a long weekend or holiday: accepted less than an hour ago
                moment = self.clock() - timedelta(minutes=40)
            self.at_moment(moment, lambda: acts.approve(CITY, accepted, ACCEPTANCE))

    def _early_steps_line(self):
        """赵六 returned for changes, 王五 waiting for the unit, 张三 still writing a draft."""
        acts = self.acts
        for applicant in self.playing(st.RETURNED):
            self.at(7, "19:30", lambda a=applicant: acts.apply(a))
            self.at(6, "10:00", lambda a=applicant: acts.return_for_changes(UNIT_B, a))
        for applicant in self.playing(st.SUBMITTED):
            self.at(3, "20:00", lambda a=applicant: acts.apply(a, submit=False))
            self.at(2, "09:40", lambda a=applicant: acts.submit(a))
        for applicant in self.playing(st.DRAFT):
            self.at(1, "20:30", lambda a=applicant: acts.apply(a, submit=False, sections=("basic_info", "education")))

    def meeting(self, key, applicants, *, planned, held, planned_at="09:30"):
        """Planned (dossiers assigned, experts drawn) on one working day, held on a later one."""
        acts, meeting_date = self.acts, self.days.before_today(held)
        self.at(planned, planned_at, lambda: acts.prepare_meeting(key, applicants, meeting_date))
        self.at(held, "09:00", lambda: acts.open_meeting(key))
        self.at(held, "09:30", lambda: acts.vote(key))
        self.at(held, "11:00", lambda: acts.close_meeting(key))


def travel_to(clock, moment):
    """Move the shared clock forward so that it reads *moment* (never back: time only goes on)."""
    gap = (moment - clock()).total_seconds()
    if gap > 0:
        clock.travel(seconds=gap)
