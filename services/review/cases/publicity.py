"""Use cases of publicity (公示): the city publishes passed dossiers, the public reads the list.
An open objection (objections.py) holds its dossier; the rest proceed when the window closes.
The shortest window is the listed dossiers' year's policy (``publicity.city_working_days``, the
longest of their years' if a list mixes years), read at publication and recorded with the list."""
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert

from shared.contracts import dossier as st
from shared.errors import PlatformError
from shared.roles import AUDITOR, CITY_ADMIN
from shared.titles import LEVELS, SERIES

from ..calendar_store import working_calendar
from ..committee_tables import meeting_dossiers, meetings
from ..context import Clock, QueueRows, new_id, wire
from ..domain import naming, publicity as rules
from ..domain.scoping import require_role
from ..exceptions import InvalidReviewCommandError, PublicityNotFound
from ..publicity_tables import objections, publicities, publicity_entries
from ..policy import YearPolicies, record_readings
from ..ports import DossierPort
from ..settings import Settings

# Fixed key: publications number the day's lists (第N批) one at a time.
_NUMBERING_LOCK = 0x7E_71E3_0002


class PublicityCases:
    """Publicity lists: the city admin publishes, anyone reads. Objections and the timer that ends a
    window read and move entries through ``publicity``, ``entry`` and ``set_entry_state``."""

    def __init__(self, engine, rows: QueueRows, dossiers: DossierPort, settings: Settings, clock: Clock,
                 policies: YearPolicies):
        self.engine, self.rows, self.dossiers, self.settings, self.clock = engine, rows, dossiers, settings, clock
        self.policies = policies

    def publish(self, actor, request):
        """Publish passed dossiers for at least N working days from *start* (default today)."""
        require_role(actor, CITY_ADMIN, action="发布公示")
        dossier_ids = list(dict.fromkeys(request["dossier_ids"]))
        rows = {dossier_id: self.rows.fetch_row(dossier_id, expect=st.PASSED) for dossier_id in dossier_ids}
        wrong = {dossier_id: ["申报材料不存在" if row is None else
                              f"当前状态为「{st.STATUS_LABELS[row['status']]}」,评审通过后方可公示"]
                 for dossier_id, row in rows.items() if row is None or row["status"] != st.PASSED}
        if wrong:
            raise InvalidReviewCommandError(f"有 {len(wrong)} 件申报材料不能公示", fields={"dossier_ids": wrong})
        minimum, policies = self.policies.strictest([row["review_year"] for row in rows.values()],
                                                    lambda policy: policy.city_publicity_days)
        today = self.clock.today()
        window = rules.publicity_window(working_calendar(self.engine), request.get("start") or today, today,
                                        request.get("working_days") or minimum, minimum)
        publicity_id = new_id()
        with self.engine.begin() as connection:
            title = request.get("title") or self._default_title(connection, window.start, list(rows.values()))
            connection.execute(insert(publicities).values(
                id=publicity_id, title=title, start=window.start, end=window.end, working_days=window.working_days,
                calendar_warning=window.calendar_warning, created_by=actor.account_id, created_at=self.clock.now()))
            record_readings(connection, f"publicity:{publicity_id}", policies,
                            lambda policy: {"publicity.city_working_days": policy.city_publicity_days}, self.clock.now())
        results = [self._list(actor, publicity_id, window, rows[dossier_id]) for dossier_id in dossier_ids]
        return {"id": publicity_id, "title": title, **window.to_dict(), "results": results}

    def _list(self, actor, publicity_id, window, row):
        try:
            dossier = self.dossiers.start_publicity(wire(actor), row["dossier_id"], publicity_id,
                                                    window.start.isoformat(), window.end.isoformat())
        except PlatformError as error:
            return {"dossier_id": row["dossier_id"], "ok": False, "error": error.to_dict()}
        self.rows.refresh(dossier)
        with self.engine.begin() as connection:
            connection.execute(insert(publicity_entries).values(
                publicity_id=publicity_id, dossier_id=row["dossier_id"], applicant_id=row["applicant_id"],
                applicant_name=row["applicant_name"], unit_name=row["unit_name"], series=row["series"],
                specialty=row["specialty"], level=row["level"], state=rules.LISTED))
        return {"dossier_id": row["dossier_id"], "ok": True}

    @staticmethod
    def _default_title(connection, start, rows):
        """The start date, the day's batch and what the list covers (its meeting, or series and levels)."""
        # One publication numbers the lists of a day at a time: the lock is held until this one is stored.
        connection.execute(select(func.pg_advisory_xact_lock(_NUMBERING_LOCK)))
        batch = connection.execute(select(func.count()).select_from(publicities)
                                   .where(publicities.c.start == start)).scalar() + 1
        titles = connection.execute(
            select(meetings.c.title).select_from(meeting_dossiers.join(meetings, meetings.c.id == meeting_dossiers.c.meeting_id))
            .where(meeting_dossiers.c.dossier_id.in_([row["dossier_id"] for row in rows]),
                   meeting_dossiers.c.state == st.PASSED)).scalars().all()
        return naming.publicity_title(start, batch, naming.publicity_scope(titles, rows))

    # -- the public side ------------------------------------------------------------------

    def list_publicities(self):
        """Every publicity, newest first, as the public sees it (no login)."""
        today = self.clock.today()
        with self.engine.connect() as connection:
            rows = connection.execute(select(publicities).order_by(publicities.c.start.desc(), publicities.c.id)
                                      ).mappings().all()
            counts = dict(connection.execute(select(publicity_entries.c.publicity_id, func.count())
                                             .where(publicity_entries.c.state != rules.CANCELLED)
                                             .group_by(publicity_entries.c.publicity_id)).all())
        return [{**_public_header(row, today), "entries": counts.get(row["id"], 0)} for row in rows]

    def get_publicity(self, publicity_id):
        """One publicity list for the public: name, unit, series, specialty, level — never an ID number."""
        publicity = self.publicity(publicity_id)
        with self.engine.connect() as connection:
            entries = connection.execute(select(publicity_entries).where(
                publicity_entries.c.publicity_id == publicity["id"], publicity_entries.c.state != rules.CANCELLED
            ).order_by(publicity_entries.c.unit_name, publicity_entries.c.applicant_name)).mappings().all()
        return {**_public_header(publicity, self.clock.today()), "entries": [{
            "dossier_id": entry["dossier_id"], "name": entry["applicant_name"], "unit": entry["unit_name"],
            "series": SERIES.get(entry["series"], entry["series"]), "specialty": entry["specialty"],
            "level": LEVELS.get(entry["level"], entry["level"])} for entry in entries]}

    # -- the city admin's side ------------------------------------------------------------

    def publicity_detail(self, actor, publicity_id):
        """The publicity with each entry's state and open objections (city admin, auditor)."""
        require_role(actor, CITY_ADMIN, AUDITOR, action="查看公示情况")
        publicity = self.publicity(publicity_id)
        with self.engine.connect() as connection:
            entries = connection.execute(select(publicity_entries).where(
                publicity_entries.c.publicity_id == publicity["id"]).order_by(publicity_entries.c.applicant_name)
            ).mappings().all()
            open_counts = dict(connection.execute(select(objections.c.dossier_id, func.count()).where(
                objections.c.publicity_id == publicity["id"], objections.c.state == rules.OPEN
            ).group_by(objections.c.dossier_id)).all())
        return {**_public_header(publicity, self.clock.today()), "calendar_warning": publicity["calendar_warning"],
                "entries": [{**plain_row(entry), "state_label": rules.ENTRY_STATES[entry["state"]],
                             "open_objections": open_counts.get(entry["dossier_id"], 0)} for entry in entries]}

    # -- helpers --------------------------------------------------------------------------

    def publicity(self, publicity_id):
        """The publicity's row, or PublicityNotFound."""
        with self.engine.connect() as connection:
            row = connection.execute(select(publicities).where(publicities.c.id == str(publicity_id))
                                     ).mappings().first()
        if row is None:
            raise PublicityNotFound(f"公示 {publicity_id} 不存在")
        return dict(row)

    def entry(self, publicity_id, dossier_id):
        """A dossier's entry on a publicity list, or PublicityNotFound."""
        with self.engine.connect() as connection:
            row = connection.execute(select(publicity_entries).where(
                publicity_entries.c.publicity_id == publicity_id, publicity_entries.c.dossier_id == str(dossier_id))
            ).mappings().first()
        if row is None:
            raise PublicityNotFound("该人员不在此公示名单中")
        return dict(row)

    def set_entry_state(self, publicity_id, dossier_id, state, **values):
        """Move an entry to *state* (held by an objection, ended, cancelled, listed again)."""
        with self.engine.begin() as connection:
            connection.execute(update(publicity_entries).where(
                publicity_entries.c.publicity_id == publicity_id, publicity_entries.c.dossier_id == dossier_id
            ).values(state=state, **values))


def plain_row(row):
    """A stored row as JSON-safe data (dates and times as ISO text)."""
    return {key: (value.isoformat() if hasattr(value, "isoformat") else value) for key, value in dict(row).items()}


def _public_header(row, today):
    return {"id": row["id"], "title": row["title"], "start": row["start"].isoformat(), "end": row["end"].isoformat(),
            "working_days": row["working_days"], "open": row["start"] <= today <= row["end"]}
