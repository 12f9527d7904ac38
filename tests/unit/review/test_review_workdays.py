"""The working-day calendar: weekends, 2026 holidays and 调休 from holidays.yaml, windows across them."""
from datetime import date

import pytest
import yaml

from services.review.exceptions import CalendarError, InvalidReviewCommandError
from services.review.domain.publicity import publicity_window
from services.review.settings import DEFAULT_CALENDAR_FILE
from services.review.domain.unit_publicity import batch_refusal, unit_publicity_window
from services.review.domain.workdays import WorkingCalendar, expand_days


@pytest.fixture(scope="module")
def calendar():
    with open(DEFAULT_CALENDAR_FILE, encoding="utf-8") as handle:
        return WorkingCalendar.from_data(yaml.safe_load(handle))


def d(text):
    return date.fromisoformat(text)


class TestTheDefault2026Data:
    def test_the_file_holds_the_state_councils_33_days_off_and_6_make_up_days(self, calendar):
        year = calendar.years[2026]
        assert len(year.days_off) == 33
        assert sorted(day.isoformat()[5:] for day in year.workdays) == ["01-04", "02-14", "02-28", "05-09", "09-20", "10-10"]

    def test_a_holiday_on_a_weekday_is_not_a_working_day(self, calendar):
        assert not calendar.is_working_day(d("2026-10-05"))  # Monday of 国庆
        assert not calendar.is_working_day(d("2026-01-01"))

    def test_a_make_up_weekend_day_is_a_working_day(self, calendar):
        assert d("2026-02-14").weekday() == 5
        assert calendar.is_working_day(d("2026-02-14"))
        assert calendar.is_working_day(d("2026-09-20"))

    def test_an_ordinary_weekend_is_off_and_an_ordinary_weekday_works(self, calendar):
        assert not calendar.is_working_day(d("2026-03-07"))
        assert calendar.is_working_day(d("2026-03-09"))


class TestWindows:
    def test_a_publicity_window_across_a_weekend_and_the_national_holiday(self, calendar):
        # Thu 24 Sep works; 25–27 中秋 and 1–7 Oct 国庆 are off; 28–30 Sep work; 8 Oct is the fifth day.
        window = calendar.window(d("2026-09-24"), 5)
        assert window.end == d("2026-10-08")
        assert window.calendar_warning is None

    def test_a_window_counts_a_make_up_saturday_and_skips_the_spring_festival(self, calendar):
        # 12, 13 Feb, Sat 14 Feb (调休), then 15–23 Feb off, 24 and 25 Feb.
        assert calendar.window(d("2026-02-12"), 5).end == d("2026-02-25")

    def test_a_make_up_sunday_shortens_the_window(self, calendar):
        # Thu 17, Fri 18, Sun 20 (调休), Mon 21, Tue 22 Sep: Saturday 19 alone is off.
        assert calendar.window(d("2026-09-17"), 5).end == d("2026-09-22")

    def test_a_window_starting_on_a_holiday_starts_counting_at_the_next_working_day(self, calendar):
        assert calendar.window(d("2026-05-01"), 5).end == d("2026-05-11")  # 6, 7, 8, Sat 9 (调休), 11

    def test_counting_working_days_between_two_dates_includes_both(self, calendar):
        assert calendar.count_working_days(d("2026-09-24"), d("2026-10-08")) == 5
        assert calendar.count_working_days(d("2026-10-02"), d("2026-10-01")) == 0

    def test_a_year_without_data_counts_weekends_only_and_says_so(self, calendar):
        window = calendar.window(d("2027-01-01"), 5)  # Friday 1 Jan 2027: no holiday known
        assert window.end == d("2027-01-07")
        assert window.unconfigured_years == (2027,)
        assert "2027年节假日安排尚未配置" in window.calendar_warning

    def test_a_window_reaching_into_an_unconfigured_year_warns_about_that_year(self, calendar):
        assert calendar.window(d("2026-12-28"), 8).unconfigured_years == (2027,)


class TestCalendarData:
    def test_ranges_expand_inclusively_and_duplicates_collapse(self):
        assert expand_days(["2026-01-01..2026-01-03", "2026-01-02"]) == [d("2026-01-01"), d("2026-01-02"), d("2026-01-03")]

    def test_a_make_up_day_on_a_weekday_is_refused(self):
        with pytest.raises(CalendarError) as raised:
            WorkingCalendar.from_data({2026: {"days_off": [], "workdays": ["2026-03-10"]}})
        assert "调休上班日应为周末" in raised.value.fields["workdays"][0]

    def test_dates_of_another_year_and_days_both_off_and_on_are_refused_together(self):
        with pytest.raises(CalendarError) as raised:
            WorkingCalendar.from_data({2026: {"days_off": ["2025-12-31", "2026-02-14"], "workdays": ["2026-02-14"]}})
        assert set(raised.value.fields) == {"year", "days_off"}

    def test_a_malformed_date_is_named(self):
        with pytest.raises(CalendarError):
            expand_days(["2026-02-30"])


class TestUnitPublicity:
    def test_without_an_end_the_period_is_the_shortest_holding_five_working_days(self, calendar):
        window = unit_publicity_window(calendar, d("2026-09-24"), None, 5)
        assert (window.end, window.working_days) == (d("2026-10-08"), 5)

    def test_an_end_giving_fewer_than_five_working_days_is_refused_with_the_earliest_end(self, calendar):
        with pytest.raises(InvalidReviewCommandError) as raised:
            unit_publicity_window(calendar, d("2026-09-24"), d("2026-10-07"), 5)
        assert raised.value.fields["end"] == ["最早为 2026-10-08"]

    def test_the_batch_waits_until_the_day_after_the_period(self, calendar):
        period = {"start": d("2026-09-24"), "end": d("2026-10-08")}
        assert "公示期满后方可报送" in batch_refusal(period, d("2026-10-08"), calendar, 5)
        assert batch_refusal(period, d("2026-10-09"), calendar, 5) is None

    def test_the_batch_is_refused_without_a_period_or_with_a_short_one(self, calendar):
        assert batch_refusal(None, d("2026-10-09"), calendar, 5) == "尚未登记单位内部公示,不能报送"
        short = {"start": d("2026-10-01"), "end": d("2026-10-09")}  # only 8 and 9 Oct are working days
        assert "不足 5 个工作日" in batch_refusal(short, d("2026-10-20"), calendar, 5)


class TestCityPublicity:
    def test_the_city_window_ends_on_the_fifth_working_day(self, calendar):
        window = publicity_window(calendar, d("2026-02-12"), d("2026-02-12"), 5, 5)
        assert window.end == d("2026-02-25")

    def test_a_start_in_the_past_and_a_short_window_are_refused_together(self, calendar):
        with pytest.raises(InvalidReviewCommandError) as raised:
            publicity_window(calendar, d("2026-02-01"), d("2026-02-12"), 3, 5)
        assert set(raised.value.fields) == {"start", "working_days"}
