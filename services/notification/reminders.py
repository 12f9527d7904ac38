"""Reminders from the year's deadlines, to the applicant (Beijing dates):

- a returned dossier, 3 and 1 days before the notice's resubmission deadline;
- an accepted dossier still unpaid, 3 and 1 days before the notice's payment deadline;
- a draft, 3 days before the application window closes.

The dossier's status comes from the tracker (application.track: the newest event seen), the
deadline from the notice (ports.YearFacts). Each (kind, dossier, stage) is given once: its row in
``reminders`` is inserted with ``ON CONFLICT DO NOTHING`` in the transaction that writes the message,
so however many instances run the timer at once, one wins and the others add nothing. A dossier
first seen closer to its deadline than a stage (the service was down) gets only the nearest stage;
the stages it passed over are recorded unsent.
"""
from dataclasses import dataclass

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert

from shared.clock import beijing_date, beijing_today
from shared.contracts import dossier as st

from . import templates as t
from .compose import Message, deadline_text, dossier_link, subject
from .privacy import masking_logger
from .recipients import Person
from .tables import dossier_tracker, reminders

log = masking_logger(__name__)


@dataclass(frozen=True)
class Rule:
    kind: str
    status: str  # the dossier's status while the reminder still makes sense
    deadline: str  # a notice deadline name, or "window_end"
    stages: tuple  # days before the deadline


WINDOW_END = "window_end"


def rules_from_config(config):
    """The three rules with their stages (``REMINDERS.resubmission_days`` … lists of days)."""
    settings = (config or {}).get("REMINDERS") or {}

    def days(name, default):
        value = settings.get(name)
        if value in (None, ""):
            return default
        values = value if isinstance(value, (list, tuple)) else str(value).split(",")
        return tuple(sorted({int(day) for day in values if str(day).strip()}, reverse=True))

    return (Rule("resubmission_reminder", st.RETURNED, "resubmission", days("resubmission_days", (3, 1))),
            Rule("payment_reminder", st.ACCEPTED, "payment", days("payment_days", (3, 1))),
            Rule("draft_reminder", st.DRAFT, WINDOW_END, days("draft_days", (3,))))


@dataclass(frozen=True)
class Due:
    rule: Rule
    dossier: dict  # the tracker row
    stage: int
    passed_over: tuple
    deadline: object
    days_left: int

    @property
    def event_key(self):
        return f"reminder:{self.rule.kind}:{self.dossier['dossier_id']}:{self.stage}d"


class Reminders:
    def __init__(self, app, rules):
        self.app, self.rules = app, rules

    def run(self, facts, directory):
        """Give every reminder due now that no instance gave yet; the number given."""
        due = self.due(facts)
        if not due:
            return 0
        people = directory.people({item.dossier["applicant_id"] for item in due})
        given = sum(self._give(item, people) for item in due)
        if given:
            log.info("reminders: %d given", given)
        return given

    def due(self, facts):
        """The reminders due today and not yet recorded (another instance may still get there first)."""
        today, now = beijing_today(self.app.clock), self.app.clock()
        found = []
        with self.app.engine.connect() as connection:
            for rule in self.rules:
                tracked = connection.execute(select(dossier_tracker).where(
                    dossier_tracker.c.status == rule.status)).mappings().all()
                for dossier in tracked:
                    deadline = (facts.window_end(dossier["review_year"]) if rule.deadline == WINDOW_END
                                else facts.deadline(dossier["review_year"], rule.deadline))
                    if deadline is None or deadline <= now:
                        continue
                    days_left = (beijing_date(deadline) - today).days
                    reached = [stage for stage in rule.stages if days_left <= stage]
                    if reached:
                        stage = min(reached)
                        found.append(Due(rule, dict(dossier), stage, tuple(s for s in reached if s != stage),
                                         deadline, days_left))
            if not found:
                return []
            given = set(connection.execute(select(reminders.c.kind, reminders.c.dossier_id, reminders.c.stage).where(
                tuple_(reminders.c.kind, reminders.c.dossier_id, reminders.c.stage).in_(
                    [(item.rule.kind, item.dossier["dossier_id"], f"{item.stage}d") for item in found]))).all())
        return [item for item in found if (item.rule.kind, item.dossier["dossier_id"], f"{item.stage}d") not in given]

    def _give(self, item, people):
        dossier, now = item.dossier, self.app.clock()
        with self.app.engine.begin() as connection:
            claimed = connection.execute(insert(reminders).values(
                kind=item.rule.kind, dossier_id=dossier["dossier_id"], stage=f"{item.stage}d", deadline=item.deadline,
                sent=True, created_at=now).on_conflict_do_nothing().returning(reminders.c.stage)).first()
            if claimed is None:
                return 0
            for stage in item.passed_over:
                connection.execute(insert(reminders).values(
                    kind=item.rule.kind, dossier_id=dossier["dossier_id"], stage=f"{stage}d", deadline=item.deadline,
                    sent=False, created_at=now).on_conflict_do_nothing())
            person = people.get(dossier["applicant_id"]) or Person(dossier["applicant_id"], dossier["applicant_name"])
            link = dossier_link(dossier["dossier_id"])
            remaining = t.DAYS_LEFT.format(days=item.days_left) if item.days_left > 0 else t.ENDS_TODAY
            params = {"subject": subject(dossier), "deadline": deadline_text(item.deadline), "remaining": remaining}
            self.app.write_messages(connection, item.event_key,
                                    [Message(item.rule.kind, person, params, link, dossier["dossier_id"])], now)
        return 1
