"""Use cases of the batch sent upward (批量报送): all of a unit's approved dossiers in one action,
saved by the dossier service in one transaction — all or nothing — and recorded in review's tables.

Review refuses first, naming every dossier that may not move yet (scope, status, unit publicity not
over); the dossier service then refuses anything review could not see (a stale read model, or a
dossier that moved since the version the unit admin saw: ``expected_versions``). A saved batch is
recorded with the request's idempotency key in the same transaction (shared/idempotency.py), and its
id is derived from the key, so a redelivered batch is recorded once, under the same id.
Each dossier is judged by its year's policy in force (services/review/policy.py): the unit publicity's
working days, and the unit's deadline, after which the unit can no longer recommend (R5.12).
"""
from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from shared.contracts import dossier as st
from shared.idempotency import keyed_id, remember
from shared.roles import AUDITOR, CITY_ADMIN, DISTRICT_ADMIN, UNIT_ADMIN

from ..calendar_store import working_calendar
from ..context import Clock, QueueRows, new_id, wire
from ..domain import level_deadlines
from ..domain.scoping import require_role, scope_of
from ..domain.unit_publicity import batch_refusal, unit_approval_day
from ..exceptions import OutOfScopeError
from ..policy import YearPolicies, record_readings
from ..ports import DossierPort
from ..settings import Settings
from ..tables import batch_dossiers, batches, unit_publicity_periods


class BatchCases:
    """The unit's batch sent upward, and the record of every batch for the levels that see it."""

    def __init__(self, engine, rows: QueueRows, dossiers: DossierPort, settings: Settings, clock: Clock,
                 policies: YearPolicies):
        self.engine, self.rows, self.dossiers, self.settings, self.clock = engine, rows, dossiers, settings, clock
        self.policies = policies

    def submit_batch(self, actor, request):
        """Send approved dossiers upward in one action, all or nothing; every refusal is named."""
        require_role(actor, UNIT_ADMIN, action="批量报送")
        dossier_ids = list(dict.fromkeys(request["dossier_ids"]))
        refusals, scope, today, now = {}, scope_of(actor), self.clock.today(), self.clock.now()
        calendar = working_calendar(self.engine)
        periods = self._unit_publicity_periods(dossier_ids)
        district_id, approved, years = None, [], {}
        for dossier_id in dossier_ids:
            row = self.rows.fetch_row(dossier_id, expect=st.UNIT_APPROVED)
            if not scope.includes(row):
                refusals[dossier_id] = "申报材料不存在或不属于本单位"
            elif row["status"] != st.UNIT_APPROVED:
                refusals[dossier_id] = f"当前状态为「{st.STATUS_LABELS[row['status']]}」,单位审核通过后方可报送"
            elif level_deadlines.passed(now, deadline := self.policies.of(row["review_year"]).deadline(st.UNIT)):
                refusals[dossier_id] = level_deadlines.forward_refusal(st.UNIT, deadline)
            else:
                district_id = row["district_id"]
                approved.append(dossier_id)
                years[dossier_id] = row["review_year"]
        # The dossiers themselves say when the unit approved them (and hold the period if review lags).
        for dossier_id, dossier in self.dossiers.get_many(approved).items():
            period = periods.get(dossier_id) or self._period_from_dossier(dossier)
            minimum = self.policies.of(years[dossier_id]).unit_publicity_days
            reason = batch_refusal(period, today, calendar, minimum, approved_on=unit_approval_day(dossier))
            if reason:
                refusals[dossier_id] = reason
        batch_id = keyed_id("batch") if not refusals else new_id()
        if refusals:
            results = [{"dossier_id": dossier_id, "ok": dossier_id not in refusals,
                        **({"error": {"code": "batch_refused", "message": refusals[dossier_id]}}
                           if dossier_id in refusals else {})} for dossier_id in dossier_ids]
            saved = False
        else:
            answer = self.dossiers.recommend_batch(wire(actor), dossier_ids, batch_id, today.isoformat(),
                                                   request.get("expected_versions") or {})
            saved, results = answer["saved"], answer["results"]
            batch_id = batch_id if saved else new_id()  # the key's id is kept for the batch that moves
        answer = {"batch_id": batch_id, "saved": saved, "results": results,
                  "refused": sum(1 for result in results if not result["ok"])}
        self._record_batch(actor, batch_id, district_id, answer,
                           [self.policies.of(year) for year in sorted(set(years.values()))])
        return answer

    def _unit_publicity_periods(self, dossier_ids):
        with self.engine.connect() as connection:
            rows = connection.execute(select(unit_publicity_periods)
                                      .where(unit_publicity_periods.c.dossier_id.in_(dossier_ids))).mappings()
            return {row["dossier_id"]: {"start": row["start"], "end": row["end"]} for row in rows if row["start"]}

    def _period_from_dossier(self, dossier):
        """The period as the dossier itself holds it, when its event has not reached review yet."""
        self.rows.refresh(dossier)
        period = dossier.get("unit_publicity")
        if not period:
            return None
        return {"start": date.fromisoformat(period["start"]), "end": date.fromisoformat(period["end"])}

    def _record_batch(self, actor, batch_id, district_id, answer, policies):
        """Review's record of the batch; a saved one with the request's key (a refusal changed nothing,
        so a retry after fixing its cause is judged afresh)."""
        saved, results = answer["saved"], answer["results"]
        with self.engine.begin() as connection:
            connection.execute(insert(batches).values(
                id=batch_id, unit_id=actor.org_id, district_id=district_id, saved=saved, dossier_count=len(results),
                submitted_by=actor.account_id, submitted_at=self.clock.now()))
            connection.execute(insert(batch_dossiers).values([
                {"batch_id": batch_id, "dossier_id": result["dossier_id"], "ok": result["ok"],
                 "error": result.get("error")} for result in results]))
            if saved:
                record_readings(connection, f"batch:{batch_id}", policies, _batch_settings, self.clock.now())
                remember(connection, answer)

    def list_batches(self, actor, query):
        """Batches of the unit (unit admin), of the district's units (district admin), or all (city)."""
        require_role(actor, UNIT_ADMIN, DISTRICT_ADMIN, CITY_ADMIN, AUDITOR, action="查看报送批次")
        statement = select(batches).order_by(batches.c.submitted_at.desc(), batches.c.id)
        if actor.role == UNIT_ADMIN:
            statement = statement.where(batches.c.unit_id == actor.org_id)
        elif actor.role == DISTRICT_ADMIN:
            statement = statement.where(batches.c.district_id == actor.org_id, batches.c.saved.is_(True))
        with self.engine.connect() as connection:
            rows = connection.execute(statement.limit(query["per_page"])
                                      .offset((query["page"] - 1) * query["per_page"])).mappings()
            return [_batch_view(row) for row in rows]

    def get_batch(self, actor, batch_id):
        with self.engine.connect() as connection:
            batch = connection.execute(select(batches).where(batches.c.id == str(batch_id))).mappings().first()
            entries = connection.execute(select(batch_dossiers).where(batch_dossiers.c.batch_id == str(batch_id))
                                         ).mappings().all()
        allowed = batch is not None and (
            actor.role in (CITY_ADMIN, AUDITOR)
            or (actor.role == UNIT_ADMIN and batch["unit_id"] == actor.org_id)
            or (actor.role == DISTRICT_ADMIN and batch["district_id"] == actor.org_id and batch["saved"]))
        if not allowed:
            raise OutOfScopeError(f"报送批次 {batch_id} 不存在或不在您的管辖范围内")
        return {**_batch_view(batch), "dossiers": [dict(entry) for entry in entries]}


def _batch_view(row):
    return {key: (value.isoformat() if isinstance(value, date) else value) for key, value in dict(row).items()}


def _batch_settings(policy):
    deadline = policy.deadline(st.UNIT)
    return {"publicity.unit_working_days": policy.unit_publicity_days,
            "deadlines.unit": deadline.isoformat() if deadline else None}
