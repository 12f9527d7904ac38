"""Use cases of the reviewers: decisions (approve, return, reject) and the unit's internal publicity.

Review checks scope and its own rules (working days) first, then asks the dossier service to record;
the dossier refuses anything illegal and its answer is what review keeps. A decision carries the
dossier version it was made on; a dossier that moved since is refused there (409), never re-decided.
Review's own record of a keyed request is written with the request's key in one transaction
(shared/idempotency.py): a redelivered decision is recorded once and answers the first result.
The year's policy is read at the step (services/review/policy.py): the unit publicity's working days,
and the level's deadline after which it can neither approve (send on) nor return (R5.12).
"""
from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from shared.contracts import dossier as st
from shared.errors import PlatformError
from shared.idempotency import keyed_id, remember
from shared.contracts.review import REJECT, RETURN
from shared.roles import CITY_ADMIN, DISTRICT_ADMIN, UNIT_ADMIN

from ..calendar_store import working_calendar
from ..context import Clock, QueueRows, row_view, wire
from ..domain import level_deadlines
from ..domain.decisions import dossier_decision
from ..domain.scoping import require_role
from ..domain.unit_publicity import earliest_start, start_problems, unit_approval_day, unit_publicity_window
from ..exceptions import InvalidReviewCommandError, LevelDeadlinePassedError
from ..policy import YearPolicies, record_readings
from ..ports import DossierPort
from ..settings import Settings
from ..tables import decisions, unit_publicities, unit_publicity_dossiers


class DecisionCases:
    """The reviewers' decisions and the unit's publicity, recorded by the dossier service first."""

    def __init__(self, engine, rows: QueueRows, dossiers: DossierPort, settings: Settings, clock: Clock,
                 policies: YearPolicies):
        self.engine, self.rows, self.dossiers, self.settings, self.clock = engine, rows, dossiers, settings, clock
        self.policies = policies

    def decide(self, actor, dossier_id, decision):
        """Approve (opinion), return (reason, sections, problems) or reject (reason) a dossier in scope."""
        require_role(actor, UNIT_ADMIN, DISTRICT_ADMIN, CITY_ADMIN, action="审核决定")
        row = self.rows.visible_row(actor, dossier_id)
        self.check_level_deadline(row, decision["action"])
        command = dossier_decision(decision)
        dossier = self.dossiers.decide(wire(actor), str(dossier_id), command)
        record = {"id": keyed_id("decision"), "dossier_id": str(dossier_id), "action": decision["action"],
                  "opinion": command.get("opinion", ""), "reason": command.get("reason", ""),
                  "sections": command.get("sections", []), "problems": decision.get("problems", []),
                  "actor_id": actor.account_id, "actor_role": actor.role, "actor_org_id": actor.org_id,
                  "status_after": dossier["status"], "version_after": dossier["version"], "decided_at": self.clock.now()}
        answer = {"dossier": row_view(self.rows.refresh(dossier)), "decision": _decision_view(record)}
        with self.engine.begin() as connection:
            connection.execute(insert(decisions).values(record))
            remember(connection, answer)
        return answer

    def check_level_deadline(self, row, action):
        """After its level's deadline a level may still reject, but neither send on nor return (R5.12)."""
        level = level_deadlines.level_of(row["status"])
        if level is None or action == REJECT:
            return
        deadline = self.policies.of(row["review_year"]).deadline(level)
        if level_deadlines.passed(self.clock.now(), deadline):
            refusal = (level_deadlines.return_refusal if action == RETURN else level_deadlines.forward_refusal)
            raise LevelDeadlinePassedError(refusal(level, deadline))

    def decisions_of(self, actor, dossier_id):
        """The decisions taken through review on a dossier in scope, oldest first."""
        self.rows.visible_row(actor, dossier_id)
        with self.engine.connect() as connection:
            rows = connection.execute(select(decisions).where(decisions.c.dossier_id == str(dossier_id))
                                      .order_by(decisions.c.decided_at)).mappings()
            return [_decision_view(row) for row in rows]

    # -- unit publicity -------------------------------------------------------------------

    def record_unit_publicity(self, actor, request):
        """Record the unit's internal publicity of approved dossiers: at least N working days, starting
        neither before any listed dossier's unit approval nor more than M days ago; every problem at once."""
        require_role(actor, UNIT_ADMIN, action="登记单位公示")
        dossier_ids = list(dict.fromkeys(request["dossier_ids"]))
        rows = {dossier_id: self.rows.visible_row(actor, dossier_id, expect=st.UNIT_APPROVED) for dossier_id in dossier_ids}
        wrong = {dossier_id: [f"当前状态为「{st.STATUS_LABELS[row['status']]}」,单位审核通过后方可公示"]
                 for dossier_id, row in rows.items() if row["status"] != st.UNIT_APPROVED}
        if wrong:
            raise InvalidReviewCommandError(f"有 {len(wrong)} 件申报材料不能登记单位公示", fields={"dossier_ids": wrong})
        days, policies = self.policies.strictest([row["review_year"] for row in rows.values()],
                                                 lambda policy: policy.unit_publicity_days)
        window = self._unit_publicity_period(dossier_ids, request["start"], request.get("end"), days)
        results = []
        for dossier_id in dossier_ids:
            try:
                dossier = self.dossiers.record_unit_publicity(wire(actor), dossier_id, window.start.isoformat(),
                                                              window.end.isoformat())
            except PlatformError as error:
                results.append({"dossier_id": dossier_id, "ok": False, "error": error.to_dict()})
            else:
                self.rows.refresh(dossier)
                results.append({"dossier_id": dossier_id, "ok": True})
        publicity_id = keyed_id("unit_publicity")
        answer = {"id": publicity_id, **window.to_dict(), "results": results}
        with self.engine.begin() as connection:
            connection.execute(insert(unit_publicities).values(
                id=publicity_id, unit_id=actor.org_id, start=window.start, end=window.end,
                working_days=window.working_days, calendar_warning=window.calendar_warning,
                recorded_by=actor.account_id, recorded_at=self.clock.now()))
            record_readings(connection, f"unit_publicity:{publicity_id}", policies,
                            lambda policy: {"publicity.unit_working_days": policy.unit_publicity_days}, self.clock.now())
            recorded = [{"publicity_id": publicity_id, "dossier_id": r["dossier_id"]} for r in results if r["ok"]]
            if recorded:
                connection.execute(insert(unit_publicity_dossiers).values(recorded))
            remember(connection, answer)
        return answer

    def _unit_publicity_period(self, dossier_ids, start, end, minimum_days):
        """The period to record, or one refusal naming every problem: its start and its length (at
        least *minimum_days* working days, the year's policy)."""
        today, days_back = self.clock.today(), self.settings.unit_publicity_max_days_back
        approved_on = {dossier_id: unit_approval_day(dossier)
                       for dossier_id, dossier in self.dossiers.get_many(dossier_ids).items()}
        problems = start_problems(start, today, approved_on, days_back)
        messages = []
        if problems:
            earliest = earliest_start(today, approved_on.values(), days_back)
            messages.append(f"单位公示开始日期不能早于 {earliest.isoformat()}")
        try:
            window = unit_publicity_window(working_calendar(self.engine), start, end, minimum_days)
        except InvalidReviewCommandError as too_short:
            messages.append(too_short.message)
            problems = {**too_short.fields, **problems}
        if messages:
            raise InvalidReviewCommandError(";".join(messages), fields=problems)
        return window


def _iso(value):
    return value.isoformat() if isinstance(value, date) else value


def _decision_view(row):
    return {key: _iso(value) for key, value in dict(row).items()}
