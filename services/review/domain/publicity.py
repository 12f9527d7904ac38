"""Publicity of passed dossiers (公示) and objections (异议), pure (docs/domain-rules.md R7.1, R7.4).

The city publishes for at least N working days (setting, default 5); anyone may object during the
window, leaving a contact; each contact and each network address may object only so often in a
period (a setting), counted from the stored objections. Addresses are kept only as keyed hashes.
"""
import hashlib
import hmac
from dataclasses import dataclass

from shared.contracts import dossier as st
from shared.contracts.review import DISMISSED, OBJECTION_STATES, OPEN, UPHELD  # noqa: F401 (objection states)

from ..exceptions import InvalidReviewCommandError, PublicityWindowError, RateLimitedError
from .workdays import Window, WorkingCalendar

# Entry states on a publicity list. A listed entry is, like its dossier, in publicity: the stored value
# is the dossier's status code.
LISTED, HELD, ENDED, CANCELLED = st.IN_PUBLICITY, "held", "ended", "cancelled"
ENTRY_STATES = {LISTED: "公示中", HELD: "异议处理中", ENDED: "公示期满无异议", CANCELLED: "异议成立,已撤销"}


def publicity_window(calendar: WorkingCalendar, start, today, working_days, minimum) -> Window:
    """The window from *start* (today or later) holding *working_days* (at least *minimum*) working days."""
    problems = {}
    if start < today:
        problems["start"] = [f"公示开始日期不能早于今天({today.isoformat()})"]
    if working_days < minimum:
        problems["working_days"] = [f"公示期不少于 {minimum} 个工作日"]
    if problems:
        raise InvalidReviewCommandError("公示设置不符合规定:" + ";".join(m for ms in problems.values() for m in ms),
                                        fields=problems)
    return calendar.window(start, working_days)


def check_open_for_objections(today, start, end):
    if today < start:
        raise PublicityWindowError(f"公示期自 {start.isoformat()} 开始,尚不能提出异议")
    if today > end:
        raise PublicityWindowError(f"公示期已于 {end.isoformat()} 结束,不再受理异议")


def window_over(today, end):
    """The window closes at the end of its last day (Asia/Shanghai)."""
    return today > end


def normalise_contact(contact):
    return "".join(str(contact or "").split()).lower()


def address_key(address, pepper=""):
    """A keyed hash of a network address: enough to count, useless to identify."""
    if not address:
        return None
    return hmac.new(str(pepper).encode(), str(address).encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ObjectionLimits:
    per_contact: int = 3
    per_address: int = 10
    window_hours: int = 24


def check_rate(limits: ObjectionLimits, by_contact, by_address):
    """Refuse when this contact or address already lodged the allowed number in the period."""
    if by_contact >= limits.per_contact:
        raise RateLimitedError(f"同一联系方式 {limits.window_hours} 小时内最多提出 {limits.per_contact} 件异议,请稍后再试")
    if by_address >= limits.per_address:
        raise RateLimitedError(f"同一网络地址 {limits.window_hours} 小时内最多提出 {limits.per_address} 件异议,请稍后再试")
