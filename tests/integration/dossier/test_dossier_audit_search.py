"""The dossier list's filters for the auditor's search (gateway /audit) on the real summary read model:
part of the applicant's or the unit's name (taken literally), and the Beijing days of submission; the
query schema refuses what does not fit, in Chinese, field by field."""
import uuid
from datetime import timedelta

import pytest

from services.dossier.schemas import ListQuerySchema
from shared.clock import beijing_today
from shared.errors import ValidationFailed
from shared.schemas import load_or_raise
from tests.factories import Cast, fill_everything


def opened(app, applicant_name, unit_name, submit=False):
    cast = Cast()
    created = app.create(cast.applicant, **cast.creation_fields(applicant_name=applicant_name, unit_name=unit_name))
    dossier = app.load(created.id)
    fill_everything(dossier, cast)
    if submit:
        dossier.sign_commitment(cast.applicant, statement_version="2026-1", signed_name=applicant_name)
        dossier.submit(cast.applicant)
    app.save(dossier)
    return str(created.id)


@pytest.fixture
def three(dossiers):
    """Three dossiers of one unit named for this test: 李明 (submitted today), 李明亮 and 100%王 (drafts)."""
    unit = f"审计测试单位{uuid.uuid4().hex[:8]}"
    ids = {"李明": opened(dossiers, "李明", unit, submit=True), "李明亮": opened(dossiers, "李明亮", unit),
           "100%王": opened(dossiers, "100%王", unit)}
    return dossiers, unit, ids


def names(app, **filters):
    return sorted(item["applicant_name"] for item in app.list(filters=filters, per_page=200)["items"])


class TestNameFilters:
    def test_part_of_a_unit_name_finds_its_dossiers_and_part_of_a_name_narrows_them(self, three):
        app, unit, _ = three
        assert names(app, unit_name=unit[-8:]) == ["100%王", "李明", "李明亮"]
        assert names(app, unit_name=unit, applicant_name="明") == ["李明", "李明亮"]
        assert names(app, unit_name=unit.lower(), applicant_name="明亮") == ["李明亮"]

    def test_wildcard_characters_are_taken_literally(self, three):
        app, unit, _ = three
        assert names(app, unit_name=unit, applicant_name="%") == ["100%王"]
        assert names(app, unit_name=unit, applicant_name="_") == []


class TestSubmissionDays:
    def test_only_dossiers_submitted_within_the_beijing_days_are_listed(self, three):
        app, unit, _ = three
        today = beijing_today()
        assert names(app, unit_name=unit, submitted_from=today, submitted_to=today) == ["李明"]
        assert names(app, unit_name=unit, submitted_from=today.isoformat()) == ["李明"]
        assert names(app, unit_name=unit, submitted_from=today + timedelta(days=1)) == []
        assert names(app, unit_name=unit, submitted_to=today - timedelta(days=1)) == []

    def test_deep_pages_list_each_dossier_once_in_a_stable_order(self, three):
        app, unit, ids = three
        pages = [app.list(filters={"unit_name": unit}, page=page, per_page=1) for page in (1, 2, 3, 4)]
        assert [page["total"] for page in pages] == [3, 3, 3, 3] and pages[3]["items"] == []
        listed = [item["dossier_id"] for page in pages[:3] for item in page["items"]]
        assert sorted(listed) == sorted(ids.values())
        again = [item["dossier_id"] for page in (1, 2, 3) for item in app.list(filters={"unit_name": unit}, page=page,
                                                                                  per_page=1)["items"]]
        assert again == listed


class TestTheQuerySchema:
    def test_new_filters_load_as_names_and_dates(self):
        loaded = load_or_raise(ListQuerySchema(), {"applicant_name": "李明", "unit_name": "演示单位",
                                                   "submitted_from": "2026-03-01", "submitted_to": "2026-03-31"})
        assert (loaded["applicant_name"], loaded["submitted_to"].isoformat()) == ("李明", "2026-03-31")

    @pytest.mark.parametrize("query, field, message", [
        ({"applicant_name": "李" * 51}, "applicant_name", "不能超过 50 个字符"),
        ({"unit_name": "单位\x00"}, "unit_name", None),
        ({"applicant_name": "李\n明"}, "applicant_name", None),
        ({"submitted_from": "2026-02-30"}, "submitted_from", "日期格式应为 YYYY-MM-DD"),
        ({"submitted_from": "2026-03-02", "submitted_to": "2026-03-01"}, "submitted_to", "提交日期的结束日不能早于开始日"),
    ])
    def test_what_does_not_fit_is_refused_in_chinese_for_its_field(self, query, field, message):
        with pytest.raises(ValidationFailed) as refused:
            load_or_raise(ListQuerySchema(), query)
        (found,) = refused.value.fields[field]
        assert found == message if message else any("\u4e00" <= ch <= "\u9fff" for ch in found)
