"""Default titles of meetings and publicity lists: committee or scope, Chinese date and the day's batch."""
from datetime import date

from services.review.domain import naming


def test_a_meeting_title_names_the_committee_the_date_and_the_batch():
    title = naming.meeting_title("昆明市工程系列高级职称评审委员会", date(2026, 12, 5), 2)
    assert title == "昆明市工程系列高级职称评审委员会 2026年12月5日 第2批评审会议"


def test_a_publicity_of_one_meeting_names_that_meeting():
    scope = naming.publicity_scope(["工程中级 2026年6月1日 第1批评审会议"] * 3,
                                   [{"series": "engineering", "level": "intermediate"}])
    assert naming.publicity_title(date(2026, 6, 10), 1, scope) == (
        "2026年6月10日 第1批 职称评审通过人员公示(工程中级 2026年6月1日 第1批评审会议)")


def test_a_publicity_of_several_meetings_names_its_series_and_levels_in_order():
    entries = [{"series": "engineering", "level": "senior"}, {"series": "engineering", "level": "associate_senior"},
               {"series": "health", "level": "senior"}]
    assert naming.publicity_scope(["会议甲", "会议乙"], entries) == "工程、卫生系列副高级、正高级"
    assert naming.publicity_scope([], entries[:1]) == "工程系列正高级"
