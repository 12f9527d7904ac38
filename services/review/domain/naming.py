"""Default titles of meetings and publicity lists, pure: each says whose, which day and which batch, so
two lists on an official's desk are never alike (评审会议、公示名单 told apart at a glance).

The batch (第N批) is the count of the same committee's meetings on that date, or of the publicity
lists starting on that date, the new one included; the caller counts under a lock.
"""
from datetime import date

from shared.titles import LEVEL_ORDER, LEVELS, SERIES


def chinese_date(day: date):
    """``2026年12月5日``: a date as an official document writes it."""
    return f"{day.year}年{day.month}月{day.day}日"


def meeting_title(committee_name, meeting_date: date, batch):
    """``昆明市工程系列高级职称评审委员会 2026年12月5日 第2批评审会议``."""
    return f"{committee_name} {chinese_date(meeting_date)} 第{batch}批评审会议"


def publicity_scope(meeting_titles, entries):
    """What a publicity list covers: its one meeting, else the series and levels of its people
    (*entries*: mappings with ``series`` and ``level``)."""
    titles = list(dict.fromkeys(title for title in meeting_titles if title))
    if len(titles) == 1:
        return titles[0]
    series = "、".join(SERIES.get(code, code) for code in sorted({entry["series"] for entry in entries}))
    levels = sorted({entry["level"] for entry in entries}, key=LEVEL_ORDER.index)
    return f"{series}系列{'、'.join(LEVELS[code] for code in levels)}"


def publicity_title(start: date, batch, scope):
    """``2026年12月10日 第1批 职称评审通过人员公示(<scope>)``."""
    return f"{chinese_date(start)} 第{batch}批 职称评审通过人员公示({scope})"
