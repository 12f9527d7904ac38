"""Section forms: the inputs they show match the dossier schemas, and posted text becomes section data."""
import pytest
from werkzeug.datastructures import MultiDict

from gateway.pages.forms import (
    ACHIEVEMENT_FORM, SECTION_FORMS, achievement_data, input_value, is_checked, rows_of, section_data, to_data,
)
from shared.contracts import dossier_schemas as ds
from shared.schemas import load_or_raise


class TestFormsFollowTheSchemas:
    @pytest.mark.parametrize("section", sorted(SECTION_FORMS))
    def test_every_schema_field_has_exactly_one_input(self, section):
        form = SECTION_FORMS[section]
        accepted = [name for name in form.schema().fields if name not in ds.FROM_ID_NUMBER]
        assert sorted(field.name for field in form.fields) == sorted(accepted)

    def test_gender_and_birth_date_have_no_input_they_come_from_the_id_number(self):
        assert not {field.name for field in SECTION_FORMS["basic_info"].fields} & set(ds.FROM_ID_NUMBER)

    def test_the_achievement_form_too(self):
        assert sorted(f.name for f in ACHIEVEMENT_FORM.fields) == sorted(ds.AchievementSchema().fields)

    def test_every_section_the_dossier_accepts_has_a_form(self):
        assert set(SECTION_FORMS) == set(ds.SECTION_COMMANDS)

    def test_required_marks_come_from_the_schema(self):
        assert SECTION_FORMS["basic_info"].required == {"phone", "work_start_date", "current_post", "appointed_on",
                                                        "employer_type"}

    def test_choices_come_from_the_schema_validators(self):
        kinds = next(f for f in ACHIEVEMENT_FORM.fields if f.name == "kind").options
        assert ("论文", "论文") in kinds and ("项目", "项目") in kinds


class TestPostedText:
    def test_blank_optional_values_are_left_out_and_nullable_ones_become_none(self):
        form = MultiDict({"phone": " 13800000000 ", "work_start_date": "2010-07-01", "current_post": "工程师岗",
                          "appointed_on": "2012-07-01", "employer_type": "private", "email": "",
                          "current_title_level": "", "current_title_obtained_on": "", "exceptional": "on"})
        data, values = section_data("basic_info", form)
        assert data["phone"] == "13800000000" and "email" not in data
        assert data["current_title_level"] is None and data["current_title_obtained_on"] is None
        assert data["exceptional"] is True and data["retired"] is False
        assert values["phone"] == " 13800000000 "
        load_or_raise(ds.BasicInfoSchema(), data)  # the service's own schema accepts it

    def test_a_blank_required_value_is_left_out_so_the_schema_says_it_is_required(self):
        data = to_data(ds.ReviewFormSchema, MultiDict({"work_summary": "  ", "main_achievements": "成果"}).get)
        assert "work_summary" not in data

    def test_list_rows_keep_their_order_and_blank_rows_are_dropped(self):
        form = MultiDict([
            ("csrf_token", "x"),
            ("entries-10-year", "2025"), ("entries-10-result", "competent"),
            ("entries-2-year", "2024"), ("entries-2-result", "excellent"),
            ("entries-5-year", ""), ("entries-5-result", ""),
        ])
        data, rows = section_data("annual_assessments", form)
        assert data == {"entries": [{"year": "2024", "result": "excellent"}, {"year": "2025", "result": "competent"}]}
        assert [row["year"] for row in rows] == ["2024", "2025"]
        load_or_raise(SECTION_FORMS["annual_assessments"].schema(many=True), data["entries"])

    def test_a_row_with_only_a_ticked_checkbox_is_blank(self):
        assert rows_of(MultiDict({"entries-0-highest": "on", "entries-0-school": ""})) == []

    def test_an_open_ended_job_has_no_end_date(self):
        form = MultiDict({"entries-0-employer": "演示单位甲", "entries-0-position": "技术员", "entries-0-start": "2010-07-01",
                          "entries-0-end": "", "entries-0-duties": ""})
        data, _ = section_data("work_experience", form)
        assert data["entries"][0]["end"] is None and "duties" not in data["entries"][0]

    def test_unknown_form_fields_never_reach_the_service(self):
        data, _ = achievement_data(MultiDict({"kind": "论文", "title": "论文题目", "date": "2020-01-01", "hacker": "x"}))
        assert set(data) == {"kind", "title", "date"}


class TestShowingValues:
    @pytest.mark.parametrize(("value", "text"), [(None, ""), (60.0, "60"), (7.5, "7.5"), ("x", "x"), (True, ""), (2025, "2025")])
    def test_input_values(self, value, text):
        assert input_value(value) == text

    def test_checked(self):
        assert is_checked(True) and is_checked("on") and not is_checked(False) and not is_checked(None)
