"""The one clock: Beijing dates for people and rules, UTC instants for storage, at every hour."""
from datetime import date, datetime, time, timedelta, timezone

import pytest

from shared.clock import (
    BEIJING, FixedClock, TravelClock, as_beijing_if_naive, beijing_date, beijing_day_end, beijing_day_start,
    beijing_text, beijing_today, configured_clock, utc_now,
)
from tests.at_hour import offset_to


def utc(*parts):
    return datetime(*parts, tzinfo=timezone.utc)


class TestBeijingDate:
    @pytest.mark.parametrize("instant, expected", [
        (utc(2026, 12, 1, 15, 59), date(2026, 12, 1)),   # 23:59 Beijing
        (utc(2026, 12, 1, 16, 1), date(2026, 12, 2)),    # 00:01 Beijing, still 12-01 in UTC
        (utc(2026, 12, 1, 23, 59), date(2026, 12, 2)),   # 07:59 Beijing
        (utc(2026, 12, 2, 0, 1), date(2026, 12, 2)),     # 08:01 Beijing
    ])
    def test_the_date_is_the_beijing_one_whatever_the_utc_date(self, instant, expected):
        assert beijing_date(instant) == expected
        assert beijing_today(FixedClock(instant)) == expected

    def test_a_naive_moment_has_no_date(self):
        with pytest.raises(ValueError):
            beijing_date(datetime(2026, 12, 1, 12, 0))  # noqa: DTZ001  (the point of the test)

    def test_text_is_beijing_wall_clock_time(self):
        assert beijing_text(utc(2026, 12, 1, 19, 12)) == "2026-12-02 03:12"
        assert beijing_text(utc(2026, 12, 1, 19, 12), "%Y%m%d") == "20261202"

    def test_a_beijing_day_runs_from_16_00_utc_the_evening_before(self):
        assert beijing_day_start(date(2026, 12, 2)) == utc(2026, 12, 1, 16, 0)
        assert beijing_day_end(date(2026, 12, 2)) == utc(2026, 12, 2, 15, 59, 59, 999999)

    def test_a_typed_time_without_offset_means_beijing(self):
        assert as_beijing_if_naive(datetime(2026, 3, 1, 9, 30)).utcoffset() == timedelta(hours=8)  # noqa: DTZ001
        aware = utc(2026, 3, 1, 9, 30)
        assert as_beijing_if_naive(aware) is aware


class TestClocks:
    def test_the_real_clock_is_aware_utc(self):
        assert utc_now().utcoffset() == timedelta(0)

    def test_a_travel_clock_moves_only_when_told(self):
        clock = TravelClock(base=FixedClock(utc(2026, 12, 1, 15, 0)))
        clock.travel(hours=2)
        assert clock() == utc(2026, 12, 1, 17, 0)
        assert beijing_today(clock) == date(2026, 12, 2)
        clock.reset()
        assert clock() == utc(2026, 12, 1, 15, 0)

    def test_a_service_runs_on_the_clock_its_config_injects_else_the_real_one(self):
        fixed = FixedClock(utc(2026, 1, 1))
        assert configured_clock({"CLOCK": fixed}) is fixed
        assert configured_clock({"CLOCK": "not callable"}) is utc_now
        assert configured_clock({}) is utc_now

    def test_a_fixed_clock_needs_an_aware_instant(self):
        with pytest.raises(ValueError):
            FixedClock(datetime(2026, 1, 1))  # noqa: DTZ001


class TestAtHourTool:
    @pytest.mark.parametrize("now, wall_clock, expected", [
        (utc(2026, 12, 1, 21, 48), time(7, 59), timedelta(hours=2, minutes=11)),   # 05:48 -> 07:59 same day
        (utc(2026, 12, 1, 23, 59), time(7, 59), timedelta(days=1)),                # exactly then: the next one
        (utc(2026, 12, 1, 2, 0), time(0, 1), timedelta(hours=14, minutes=1)),      # 10:00 -> 00:01 next day
    ])
    def test_the_offset_reaches_the_next_such_beijing_time(self, now, wall_clock, expected):
        assert offset_to(wall_clock, now) == expected
        assert (now + expected).astimezone(BEIJING).time() == wall_clock


def test_a_shift_inside_a_shifted_run_is_counted_from_the_real_clock():
    from tests.at_hour import environment_at

    now = utc(2026, 12, 1, 19, 0)  # 03:00 Beijing as the outer run sees it
    inner = environment_at(time(7, 59), now, base={"FAKETIME": "+3600"})
    assert inner["FAKETIME"] == f"+{3600 + (4 * 60 + 59) * 60}"
    assert environment_at(time(7, 59), now, base={})["FAKETIME"] == f"+{(4 * 60 + 59) * 60}"
