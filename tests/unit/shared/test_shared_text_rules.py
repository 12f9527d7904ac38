"""The platform's text rules (shared/text_rules.py) and the schema fields that apply them."""
from datetime import date

import pytest
from marshmallow import ValidationError

from shared import text_rules
from shared.schemas import Date, Str, Text

HOSTILE = [
    ("给排水\u0000工程", "空字符"),
    ("x\ud800y", "代理项"),
    ("bell\u0007", "控制字符"),
    ("c1\u0085", "控制字符"),
    ("del\u007f", "控制字符"),
    ("张\u202e三", "文字方向"),
    ("张\u2066三\u2069", "文字方向"),
    ("zero\u200bwidth", "不可见"),
    ("\ufeffbom", "不可见"),
    ("non\uffffchar", "无效的字符"),
]


class TestALine:
    @pytest.mark.parametrize(("value", "words"), HOSTILE)
    def test_hostile_characters_are_refused_with_a_chinese_reason_naming_the_code_point(self, value, words):
        problem = text_rules.line_problem(value)
        assert problem and words in problem and "U+" in problem

    @pytest.mark.parametrize("value", ["两行\n文字", "制表\t符", "回车\r", "分隔\u2028"])
    def test_line_breaks_and_tabs_are_refused_in_a_single_line(self, value):
        assert "只能填写一行" in text_rules.line_problem(value)

    @pytest.mark.parametrize("value", ["张三", "O'Brien-Smith", "给排水工程(市政)", "𠀀 rare CJK", "", "Ünïcödé"])
    def test_ordinary_names_pass(self, value):
        assert text_rules.line_problem(value) is None

    def test_an_absurdly_long_line_is_refused(self):
        assert "不能超过 1000 个字符" in text_rules.line_problem("名" * 1001)
        assert text_rules.line_problem("名" * 1000) is None


class TestMultiLineText:
    def test_line_breaks_tabs_and_emoji_joiners_are_kept_in_free_text(self):
        assert text_rules.text_problem("第一段\r\n\t第二段 👨\u200d👩\u200d👧") is None

    @pytest.mark.parametrize(("value", "words"), HOSTILE)
    def test_every_other_hostile_character_is_still_refused(self, value, words):
        assert words in text_rules.text_problem(value)


class TestDatesAndNesting:
    @pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "1899-12-31T23:59:59+08:00", "2101-01-01 00:00"])
    def test_an_iso_date_outside_1900_to_2100_is_refused(self, value):
        assert "1900 到 2100" in text_rules.iso_date_problem(value)

    @pytest.mark.parametrize("value", ["2026-12-31", "1900-01-01T00:00:00Z", "给排水工程", "2026-99", "电话 9999-12-31"])
    def test_real_dates_and_other_text_pass(self, value):
        assert text_rules.iso_date_problem(value) is None

    def test_json_nested_deeper_than_the_bound_is_refused_before_parsing(self):
        assert "32 层" in text_rules.nesting_problem("[" * 5000 + "]" * 5000)
        assert text_rules.nesting_problem("[" * 32 + "]" * 32) is None

    def test_brackets_inside_strings_do_not_count_as_nesting(self):
        assert text_rules.nesting_problem('{"note": "' + "[{" * 100 + '\\" still text"}') is None


class TestSafeRendering:
    def test_what_postgresql_text_cannot_hold_is_written_as_escapes(self):
        assert text_rules.printable("给排水\u0000工程\ud800") == "给排水\\x00工程\\ud800"
        assert text_rules.printable("普通文字\n") == "普通文字\n"


class TestSchemaFields:
    def test_a_str_field_refuses_what_the_edge_refuses(self):
        with pytest.raises(ValidationError) as raised:
            Str().deserialize("给排水\u0000工程")
        assert "空字符" in raised.value.messages[0]

    def test_a_str_field_is_one_line_and_a_text_field_may_have_several(self):
        with pytest.raises(ValidationError):
            Str().deserialize("两行\n文字")
        assert Text().deserialize("两行\n文字") == "两行\n文字"
        with pytest.raises(ValidationError):
            Text().deserialize("隐藏\u202e文字")

    def test_a_date_field_refuses_an_absurd_year(self):
        with pytest.raises(ValidationError) as raised:
            Date().deserialize("9999-12-31")
        assert "1900 到 2100" in raised.value.messages[0]
        assert Date().deserialize("2026-12-31") == date(2026, 12, 31)
