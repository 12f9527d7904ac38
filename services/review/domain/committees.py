"""Rules of expert committees (评审委员会, docs/domain-rules.md R6.1, R6.2), pure: validity, member count,
level band.

A committee covers one series, a band of levels and a set of specialties; its approval lasts at
most N years; its membership is odd and at least the minimum for its band and the way it is
organised (by series or by specialty). N and the minimums are the year's policy
(``committees.max_valid_years``, ``committees.minimums``: services/review/policy.py): the 中级 and 初级
minimums are unconfirmed (no official text was found), and the admin interface says so.
"""
from datetime import date, timedelta

from shared.contracts.review import BAND_LABELS, BY_SPECIALTY, ORGANISED_BY
from shared.contracts.review import UNCONFIRMED_MINIMUMS  # noqa: F401 (shown next to the minimums)
from shared.titles import LEVEL_ORDER, LEVELS

from ..exceptions import CommitteeRuleError



def band_of(levels):
    """高级 when the band reaches 副高级 or 正高级, else 中级 when it has 中级, else 初级."""
    if {"associate_senior", "senior"} & set(levels):
        return "senior"
    return "intermediate" if "intermediate" in levels else "primary"


def minimum_members(levels, organised_by, minimums):
    """*minimums*: ``{band: {series: n, specialty: n}}`` of the year's policy."""
    return int(minimums[band_of(levels)][organised_by])


def add_years(day, years):
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def committee_problems(committee, minimums, max_valid_years, pool_size=0):
    """Every rule *committee* breaks as ``{field: [messages]}``; empty when it is valid."""
    problems = {}
    levels = committee["levels"]
    positions = sorted(LEVEL_ORDER.index(level) for level in set(levels))
    if len(set(levels)) != len(levels):
        problems["levels"] = ["评审级别不能重复"]
    elif positions != list(range(positions[0], positions[-1] + 1)):
        problems["levels"] = ["评审级别应为相邻级别组成的级别段,例如副高级与正高级"]
    valid_from, valid_until = committee["valid_from"], committee["valid_until"]
    latest = add_years(valid_from, max_valid_years) - timedelta(days=1)
    if valid_until < valid_from:
        problems["valid_until"] = ["有效期截止日期不能早于起始日期"]
    elif valid_until > latest:
        problems["valid_until"] = [f"评委会核准有效期最长 {max_valid_years} 年,最晚至 {latest.isoformat()}"]
    count = committee["member_count"]
    minimum = minimum_members(levels, committee["organised_by"], minimums)
    messages = []
    if count % 2 == 0:
        messages.append("评委会委员人数应为奇数")
    if count < minimum:
        band = BAND_LABELS[band_of(levels)]
        messages.append(f"{band}评委会{ORGANISED_BY[committee['organised_by']]}至少 {minimum} 人")
    if count < pool_size:
        messages.append(f"专家库已有 {pool_size} 人,核定人数不能少于现有人数")
    if messages:
        problems["member_count"] = messages
    if committee["organised_by"] == BY_SPECIALTY and not committee.get("specialties"):
        problems["specialties"] = ["按专业组建的评委会须列明评审专业"]
    return problems


def check_committee(committee, minimums, max_valid_years, pool_size=0):
    problems = committee_problems(committee, minimums, max_valid_years, pool_size)
    if problems:
        raise CommitteeRuleError("评委会设置不符合规定:" + ";".join(m for ms in problems.values() for m in ms),
                                 fields=problems)


def check_valid_on(committee, day: date):
    """A committee holds meetings only while its approval is valid."""
    if not committee["valid_from"] <= day <= committee["valid_until"]:
        raise CommitteeRuleError(
            f"评委会「{committee['name']}」核准有效期为 {committee['valid_from'].isoformat()} 至 "
            f"{committee['valid_until'].isoformat()},{day.isoformat()} 不在有效期内",
            fields={"meeting_date": ["不在评委会有效期内"]})


def check_pool_room(committee, pool_size, adding):
    """The expert pool never exceeds the committee's approved member count."""
    if pool_size + adding > committee["member_count"]:
        raise CommitteeRuleError(
            f"评委会核定 {committee['member_count']} 人,专家库已有 {pool_size} 人,不能再增加 {adding} 人",
            fields={"experts": ["超过核定人数"]})


def check_pool_complete(committee, pool_size):
    """Meetings draw from a complete pool: as many experts as the approved (odd) member count."""
    if pool_size != committee["member_count"]:
        raise CommitteeRuleError(
            f"评委会专家库现有 {pool_size} 人,须达到核定人数 {committee['member_count']} 人后方可组织评审会议",
            fields={"experts": ["专家库人数未达核定人数"]})


def check_covers(committee, dossier):
    """The dossier's series and level must be what the committee reviews."""
    problems = []
    if dossier["series"] != committee["series"]:
        problems.append("系列不符")
    if dossier["level"] not in committee["levels"]:
        problems.append(f"级别「{LEVELS.get(dossier['level'], dossier['level'])}」不在评委会评审范围内")
    return problems
