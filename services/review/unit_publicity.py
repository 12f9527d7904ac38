"""Unit internal publicity (单位公示) and the upward batch (报送), pure (DOMAIN.md §5).

The unit publicises its recommended list for at least N working days (setting, default 5) and may
send the batch upward only after the period is over. Both checks use the working-day calendar.
"""
from .exceptions import InvalidReviewCommandError
from .workdays import Window, WorkingCalendar


def unit_publicity_window(calendar: WorkingCalendar, start, end, minimum) -> Window:
    """The recorded period; *end* defaults to the shortest period holding *minimum* working days."""
    shortest = calendar.window(start, minimum)
    if end is None:
        return shortest
    if end < start:
        raise InvalidReviewCommandError("公示结束日期不能早于开始日期", fields={"end": ["结束日期不能早于开始日期"]})
    window = calendar.window_between(start, end)
    if window.working_days < minimum:
        raise InvalidReviewCommandError(
            f"单位公示期不少于 {minimum} 个工作日:{start.isoformat()} 至 {end.isoformat()} 只有 "
            f"{window.working_days} 个工作日,最早可于 {shortest.end.isoformat()} 结束",
            fields={"end": [f"最早为 {shortest.end.isoformat()}"]})
    return window


def batch_refusal(period, today, calendar: WorkingCalendar, minimum):
    """Why a dossier may not go upward today because of its unit publicity, or None.

    *period* is ``{"start", "end"}`` (dates) as the dossier recorded it, or None.
    """
    if period is None:
        return "尚未登记单位内部公示,不能报送"
    working_days = calendar.count_working_days(period["start"], period["end"])
    if working_days < minimum:
        return (f"单位公示期 {period['start'].isoformat()} 至 {period['end'].isoformat()} 只有 {working_days} 个工作日,"
                f"不足 {minimum} 个工作日,请重新登记公示")
    if today <= period["end"]:
        return f"单位公示期至 {period['end'].isoformat()} 结束,公示期满后方可报送"
    return None
