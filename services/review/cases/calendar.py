"""Use cases of the working-day calendar: read a year, the city admin edits it, compute windows."""
from shared.roles import CITY_ADMIN

from .. import calendar_store
from ..context import Clock
from ..domain.scoping import require_role
from ..domain.workdays import expand_days, unconfigured_warning


class CalendarCases:
    """The working-day calendar in review's database: the public reads it, the city admin edits it."""

    def __init__(self, engine, clock: Clock):
        self.engine, self.clock = engine, clock

    def calendar_year(self, year):
        """A year's days off and 调休 working days; an unconfigured year says it counts weekends only."""
        with self.engine.connect() as connection:
            row = calendar_store.get_year(connection, year)
        if row is None:
            return {"year": int(year), "configured": False, "days_off": [], "workdays": [], "source": "",
                    "calendar_warning": unconfigured_warning([int(year)])}
        return {"year": row["year"], "configured": True, "days_off": row["days_off"], "workdays": row["workdays"],
                "source": row["source"], "updated_by": row["updated_by"], "updated_at": row["updated_at"].isoformat(),
                "calendar_warning": None}

    def set_calendar_year(self, actor, data):
        """The city admin replaces a year's data (dates or ``起..止`` ranges); the change is kept for audit."""
        require_role(actor, CITY_ADMIN, action="维护节假日安排")
        days_off, workdays = expand_days(data["days_off"]), expand_days(data["workdays"])
        with self.engine.begin() as connection:
            calendar_store.save_year(connection, data["year"], days_off, workdays, data.get("source"),
                                     actor.account_id, self.clock.now())
        return self.calendar_year(data["year"])

    def working_days(self, query):
        """``{start, end, working_days, calendar_warning}`` for a start and a count, or a start and an end."""
        calendar = calendar_store.working_calendar(self.engine)
        if query.get("working_days") is not None:
            return calendar.window(query["start"], query["working_days"]).to_dict()
        return calendar.window_between(query["start"], query["end"]).to_dict()
