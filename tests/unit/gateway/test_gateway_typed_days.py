"""The one check of a typed day range (audit search, access log filters)."""
from datetime import date

from gateway.compose.typed_days import typed_day_range


def test_two_good_days_in_order_are_returned():
    errors = {}
    assert typed_day_range({"a": "2026-03-01", "b": " 2026-03-02 "}, "a", "b", errors) == \
        {"a": date(2026, 3, 1), "b": date(2026, 3, 2)}
    assert errors == {}


def test_each_problem_is_named_under_its_field_and_nothing_is_returned():
    errors = {}
    assert typed_day_range({"a": "2026-02-30", "b": "1999-01-01"}, "a", "b", errors) == {}
    assert errors == {"a": ["日期格式应为 YYYY-MM-DD"], "b": ["年份应在 2000 到 2100 之间"]}
    errors = {}
    assert typed_day_range({"a": "2026-03-02", "b": "2026-03-01"}, "a", "b", errors) == {}
    assert errors == {"b": ["结束日不能早于开始日"]}


def test_a_blank_field_is_no_bound():
    errors = {}
    assert typed_day_range({"a": "", "b": "2026-03-01"}, "a", "b", errors) == {"b": date(2026, 3, 1)}
    assert errors == {}
