"""Unit internal publicity (单位公示) and the upward batch (报送), pure (docs/domain-rules.md R5.6, R5.7).

The unit publicises its recommended list for at least N working days (setting, default 5) and may
send the batch upward only after the period is over. Both checks use the working-day calendar.
A publicity cannot start before the unit approved every listed dossier (it publicises that
approval), nor be recorded more than M days after it began (setting, default 30): otherwise a
backdated period would let a batch go upward the minute the dossiers were approved.
"""
from datetime import datetime, timedelta

from shared.contracts.dossier import UNIT
from shared.clock import beijing_date

from ..exceptions import InvalidReviewCommandError
from .workdays import Window, WorkingCalendar


def unit_approval_day(dossier):
    """The Beijing date of the dossier's latest unit approval (its ``opinions``), or None."""
    approvals = [opinion["at"] for opinion in dossier.get("opinions") or () if opinion.get("level") == UNIT]
    return beijing_date(datetime.fromisoformat(approvals[-1])) if approvals else None


def earliest_start(today, approval_days, max_days_back):
    """The earliest day a publicity recorded *today* may start: M days back, and not before any approval."""
    return max([today - timedelta(days=max_days_back), *(day for day in approval_days if day)])


def start_problems(start, today, approved_on, max_days_back):
    """Field errors of a publicity *start*: too far back, or before a listed dossier's unit approval.

    *approved_on* is ``{dossier_id: Beijing date of its unit approval}``; returns ``{}`` when *start* is fine.
    """
    problems = {}
    earliest = earliest_start(today, approved_on.values(), max_days_back)
    if start < today - timedelta(days=max_days_back):
        problems["start"] = [f"开始日期最早为 {earliest.isoformat()}:单位公示最多补登 {max_days_back} 天前开始的公示"]
    early = {dossier_id: [f"该申报材料于 {day.isoformat()} 通过单位审核,公示不能早于该日开始"]
             for dossier_id, day in approved_on.items() if day and start < day}
    if early:
        problems["dossier_ids"] = early
        problems.setdefault("start", [f"开始日期最早为 {earliest.isoformat()}(不能早于单位审核通过之日)"])
    return problems


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


def batch_refusal(period, today, calendar: WorkingCalendar, minimum, approved_on=None):
    """Why a dossier may not go upward today because of its unit publicity, or None.

    *period* is ``{"start", "end"}`` (dates) as the dossier recorded it, or None; *approved_on* the
    Beijing date of its unit approval (a period recorded before the approval rule may predate it).
    """
    if period is None:
        return "尚未登记单位内部公示,不能报送"
    if approved_on and period["start"] < approved_on:
        return (f"单位公示期自 {period['start'].isoformat()} 开始,早于单位审核通过之日 {approved_on.isoformat()},"
                "请重新登记公示")
    working_days = calendar.count_working_days(period["start"], period["end"])
    if working_days < minimum:
        return (f"单位公示期 {period['start'].isoformat()} 至 {period['end'].isoformat()} 只有 {working_days} 个工作日,"
                f"不足 {minimum} 个工作日,请重新登记公示")
    if today <= period["end"]:
        return f"单位公示期至 {period['end'].isoformat()} 结束,公示期满后方可报送"
    return None
