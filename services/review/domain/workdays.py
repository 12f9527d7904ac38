"""The Chinese working-day calendar (docs/domain-rules.md R7.2, R7.9), pure: no I/O.

A day is a working day when it is a configured 调休 working day, or a weekday that is not a
configured day off. A year with no configured data falls back to weekends only; every answer
that touched such a year names it, so the admin interface can warn about it.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from ..exceptions import CalendarError

RANGE_SEPARATOR = ".."
# Far enough for any publicity window; stops a runaway search on broken data.
MAX_SPAN_DAYS = 400


@dataclass(frozen=True)
class YearDays:
    """One year's configured days off (holidays) and 调休 working days."""

    days_off: frozenset
    workdays: frozenset


@dataclass(frozen=True)
class Window:
    """A run of days from *start* to *end* (inclusive) holding *working_days* working days."""

    start: date
    end: date
    working_days: int
    unconfigured_years: tuple

    @property
    def calendar_warning(self):
        return unconfigured_warning(self.unconfigured_years)

    def to_dict(self):
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "working_days": self.working_days,
                "unconfigured_years": list(self.unconfigured_years), "calendar_warning": self.calendar_warning}


def unconfigured_warning(years):
    """The admin-facing warning for years without holiday data, or None."""
    if not years:
        return None
    names = "、".join(f"{year}年" for year in years)
    return f"{names}节假日安排尚未配置,暂按周末计算工作日,请市人社局及时补充"


def parse_day(text):
    try:
        return text if isinstance(text, date) else date.fromisoformat(str(text).strip())
    except ValueError:
        raise CalendarError(f"日期格式应为 YYYY-MM-DD:{text}", fields={"date": [f"无效日期:{text}"]}) from None


def expand_days(items):
    """Dates from ``YYYY-MM-DD`` strings or ``YYYY-MM-DD..YYYY-MM-DD`` ranges (inclusive), sorted and unique."""
    days = set()
    for item in items or ():
        text = item.isoformat() if isinstance(item, date) else str(item)
        first, _, last = text.partition(RANGE_SEPARATOR)
        start, end = parse_day(first), parse_day(last) if last else parse_day(first)
        if end < start:
            raise CalendarError(f"日期区间结束早于开始:{text}", fields={"date": [f"区间无效:{text}"]})
        days.update(start + timedelta(days=offset) for offset in range((end - start).days + 1))
    return sorted(days)


def year_problems(year, days_off, workdays):
    """Every inconsistency in one year's data, as ``{field: [messages]}`` (empty when consistent)."""
    problems = {}
    outside = [day.isoformat() for day in [*days_off, *workdays] if day.year != year]
    if outside:
        problems["year"] = [f"以下日期不属于 {year} 年:{'、'.join(outside)}"]
    weekdays = [day.isoformat() for day in workdays if day.weekday() < 5]
    if weekdays:
        problems["workdays"] = [f"调休上班日应为周末:{'、'.join(weekdays)} 本就是工作日"]
    both = sorted(set(days_off) & set(workdays))
    if both:
        problems["days_off"] = [f"同一天不能既放假又上班:{'、'.join(day.isoformat() for day in both)}"]
    return problems


def check_year(year, days_off, workdays):
    problems = year_problems(year, days_off, workdays)
    if problems:
        raise CalendarError(f"{year}年节假日安排有误,请按提示修改", fields=problems)


class WorkingCalendar:
    """Answers working-day questions from configured years; unconfigured years count weekends only."""

    def __init__(self, years=None):
        self.years = dict(years or {})

    @classmethod
    def from_data(cls, data):
        """From ``{year: {"days_off": [...], "workdays": [...]}}`` (dates or ranges as text)."""
        years = {}
        for year, entry in (data or {}).items():
            days_off, workdays = expand_days(entry.get("days_off")), expand_days(entry.get("workdays"))
            check_year(int(year), days_off, workdays)
            years[int(year)] = YearDays(frozenset(days_off), frozenset(workdays))
        return cls(years)

    def configured(self, year):
        return int(year) in self.years

    def is_working_day(self, day):
        entry = self.years.get(day.year)
        if entry is not None:
            if day in entry.workdays:
                return True
            if day in entry.days_off:
                return False
        return day.weekday() < 5

    def unconfigured_between(self, start, end):
        return tuple(year for year in range(start.year, end.year + 1) if not self.configured(year))

    def count_working_days(self, start, end):
        """Working days from *start* to *end*, both included (0 when end is before start)."""
        if end < start:
            return 0
        return sum(1 for offset in range((end - start).days + 1)
                   if self.is_working_day(start + timedelta(days=offset)))

    def nth_working_day(self, start, count):
        """The date of the *count*-th working day counting from *start* (included)."""
        if count < 1:
            raise CalendarError("工作日天数至少为 1", fields={"working_days": ["至少为 1"]})
        found, day = 0, start
        for _ in range(MAX_SPAN_DAYS):
            if self.is_working_day(day):
                found += 1
                if found == count:
                    return day
            day += timedelta(days=1)
        raise CalendarError(f"自 {start.isoformat()} 起 {MAX_SPAN_DAYS} 天内不足 {count} 个工作日")

    def window(self, start, working_days):
        """The shortest window from *start* holding *working_days* working days."""
        end = self.nth_working_day(start, working_days)
        return Window(start, end, working_days, self.unconfigured_between(start, end))

    def window_between(self, start, end):
        """The window *start*..*end* as it is, with its count of working days."""
        return Window(start, end, self.count_working_days(start, end), self.unconfigured_between(start, end))
