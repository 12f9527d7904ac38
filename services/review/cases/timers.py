"""What the timers do: abandon returned dossiers after the resubmission deadline, abandon dossiers
left at a review level after its deadline when the year's policy says so (``after_level_deadline``:
``abandon``; with ``stay`` they wait, shown overdue: R5.12), end publicity windows, and retry work
another service could not take (sanctions, vote results).

Each job runs under its advisory lock and claims each dossier first (``jobs``), so with any number
of review instances running a dossier is never processed twice.
"""
import logging

from sqlalchemy import and_, select

from shared.contracts import dossier as st
from shared.errors import PlatformError

from .. import jobs
from ..context import Clock, QueueRows
from ..domain import deadlines, level_deadlines, publicity as rules
from ..publicity_tables import objections, publicities, publicity_entries
from ..policy import YearPolicies
from ..ports import DossierPort
from ..settings import Settings
from ..tables import review_queue
from .ballots import BallotCases
from .objections import ObjectionCases
from .publicity import PublicityCases

log = logging.getLogger(__name__)
ABANDON, ABANDON_AT_LEVEL, END_PUBLICITY = "abandon", "abandon_at_level", "end_publicity"


class TimerCases:
    """The timers' jobs. *instance* names this review instance in the claims it takes (``jobs``)."""

    def __init__(self, engine, rows: QueueRows, dossiers: DossierPort, publicity: PublicityCases,
                 objections: ObjectionCases, ballots: BallotCases, settings: Settings, clock: Clock, instance,
                 policies: YearPolicies):
        self.engine, self.rows, self.dossiers, self.settings, self.clock = engine, rows, dossiers, settings, clock
        self.publicity, self.objections, self.ballots, self.instance = publicity, objections, ballots, instance
        self.policies = policies

    def abandon_overdue(self):
        """Abandon every returned dossier whose year's resubmission deadline has passed, and every dossier
        still at a level past its deadline in a year whose policy abandons them."""
        with jobs.JobLock(self.engine, "deadlines") as held:
            if not held:
                return dict(skipped=True, abandoned=[])
            now, abandoned = self.clock.now(), []
            for year in self._years_with(st.RETURNED):
                deadline = self._resubmission_deadline(year)
                if not deadlines.overdue(now, deadline):
                    continue
                reason = deadlines.abandon_reason(deadline)
                for dossier_id in self._dossiers_with(st.RETURNED, year):
                    if self._act_once(dossier_id, ABANDON, year, st.ABANDONED,
                                      lambda d=dossier_id, why=reason: self.dossiers.abandon(d, why)):
                        abandoned.append(dossier_id)
            abandoned.extend(self._abandon_left_at_levels(now))
            return dict(skipped=False, abandoned=abandoned)

    def _abandon_left_at_levels(self, now):
        """视为放弃 for the dossiers still waiting at a level whose deadline passed, where the year says so;
        the dossier records ``abandoned`` with the reason naming the deadline, and the applicant is told
        through the notification service's handling of that event."""
        abandoned = []
        for year in self._years_with(*st.DECISION_STATUSES):
            policy = self.policies.of(year)
            if policy.after_level_deadline != "abandon":
                continue
            for level, statuses in level_deadlines.STATUSES_AT.items():
                deadline = policy.deadline(level)
                if not level_deadlines.passed(now, deadline):
                    continue
                reason = level_deadlines.abandon_reason(level, deadline)
                for dossier_id in self._dossiers_with(statuses, year):
                    if self._act_once(dossier_id, ABANDON_AT_LEVEL, f"{year}:{level}", st.ABANDONED,
                                      lambda d=dossier_id, why=reason: self.dossiers.abandon(d, why)):
                        abandoned.append(dossier_id)
        return abandoned

    def end_due_publicities(self):
        """End the publicity of every listed dossier whose window is over and that no objection holds."""
        with jobs.JobLock(self.engine, "publicity") as held:
            if not held:
                return {"skipped": True, "ended": []}
            ended = []
            for publicity_id, dossier_id in self._due_entries():
                if self._act_once(dossier_id, END_PUBLICITY, publicity_id, st.APPROVED,
                                  lambda d=dossier_id: self.dossiers.end_publicity(d)):
                    self.publicity.set_entry_state(publicity_id, dossier_id, rules.ENDED, ended_at=self.clock.now())
                    ended.append(dossier_id)
            return {"skipped": False, "ended": ended}

    def retry_pending(self):
        """Sanctions identity could not record and tallies dossier could not record, tried again."""
        with jobs.JobLock(self.engine, "retries") as held:
            if not held:
                return {"skipped": True}
            with self.engine.connect() as connection:
                pending = connection.execute(select(objections.c.id).where(objections.c.sanction_state == "pending")
                                             ).scalars().all()
            sanctions = [objection_id for objection_id in pending if self.objections.record_sanction(objection_id)]
            for meeting_id in self.ballots.pending_results():
                self.ballots.record_results(meeting_id)
            return {"skipped": False, "sanctions": sanctions}

    # -- helpers --------------------------------------------------------------------------

    def _act_once(self, dossier_id, action, reference, done_status, command):
        """Claim, run *command*, keep the claim when the dossier reached *done_status*; else release it."""
        settings = self.settings
        if not jobs.claim(self.engine, dossier_id, action, reference, instance=self.instance, now=self.clock.now(),
                          stale_seconds=settings.stale_claim_seconds):
            return False
        try:
            self.rows.refresh(command())
        except PlatformError as error:
            if self.rows.dossier_status(dossier_id) != done_status:
                log.warning("%s of dossier %s not done, will retry: %s", action, dossier_id, error)
                jobs.release(self.engine, dossier_id, action, reference)
                return False
        except Exception:
            jobs.release(self.engine, dossier_id, action, reference)
            raise
        jobs.finish(self.engine, dossier_id, action, reference, detail=self.instance)
        return True

    def _years_with(self, *statuses):
        with self.engine.connect() as connection:
            return connection.execute(select(review_queue.c.review_year).where(review_queue.c.status.in_(statuses))
                                      .distinct()).scalars().all()

    def _dossiers_with(self, statuses, year):
        statuses = (statuses,) if isinstance(statuses, str) else tuple(statuses)
        with self.engine.connect() as connection:
            return connection.execute(select(review_queue.c.dossier_id).where(
                review_queue.c.status.in_(statuses), review_queue.c.review_year == year)).scalars().all()

    def _resubmission_deadline(self, year):
        notice = self.policies.of(year).notice
        return deadlines.resubmission_deadline(notice) if notice else None

    def _due_entries(self):
        today = self.clock.today()
        open_objection = select(objections.c.id).where(
            objections.c.publicity_id == publicity_entries.c.publicity_id,
            objections.c.dossier_id == publicity_entries.c.dossier_id, objections.c.state == rules.OPEN)
        statement = (select(publicity_entries.c.publicity_id, publicity_entries.c.dossier_id)
                     .join(publicities, publicities.c.id == publicity_entries.c.publicity_id)
                     .where(and_(publicity_entries.c.state == rules.LISTED, publicities.c.end < today,
                                 ~open_objection.exists())))
        with self.engine.connect() as connection:
            return [tuple(row) for row in connection.execute(statement)]
