"""The city admin's notice form (gateway/pages/notice_form.py) and the public notice view
(notice_views.py): a document shown as the form and read back is the same notice, the form's text is
converted to the document's types (Beijing times, 元 to 分), the service's error paths land on the
form's inputs, and the home page picks the open and upcoming notices by the Beijing date."""
from datetime import date, datetime, timedelta

import pytest
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from gateway.pages import notice_form as nf
from gateway.pages.notice_views import change_rows, home_notices, public_notice
from gateway.pages.views import flatten_errors
from shared.contracts.notice_schemas import NoticeSchema
from shared.contracts.year_policy import DEFAULT_POLICY, UNCONFIRMED, effective_policy
from shared.schemas import plain
from tests.factories import notice_document


def posted(values):
    """The form as a browser posts it: ticked boxes as "on", unticked ones absent."""
    return MultiDict({name: ("on" if value is True else value) for name, value in values.items() if value is not False})


def test_a_notice_shown_and_posted_back_unchanged_keeps_the_policy_in_force():
    source = plain(NoticeSchema().load(notice_document(2027, policy={"fees": {"certificate_fen": 1250}})))
    document, errors, _ = nf.read_form(posted(nf.form_values(source)), source, 2027)
    assert errors == {}
    loaded = plain(NoticeSchema().load(document))
    assert effective_policy(loaded["policy"], loaded["continuing_education"]) == \
        effective_policy(source["policy"], source["continuing_education"])
    assert loaded["open_series"] == source["open_series"]
    # Times are typed as Beijing wall time to the minute: the same instants, seconds dropped.
    for name in ("start", "end"):
        typed = datetime.fromisoformat(loaded["window"][name])
        stored = datetime.fromisoformat(source["window"][name])
        assert typed == stored.replace(second=0, microsecond=0) and typed.utcoffset() == timedelta(hours=8)


def test_typed_values_become_the_documents_types():
    values = nf.form_values(nf.default_document(2027))
    values.update({"window-start": "2027-03-01T09:00", "window-end": "2027-03-31T17:30",
                   "policy-fees-review_fen-intermediate": "180.50", "policy-publicity-unit_working_days": "7",
                   "materials-1-enabled": False})
    document, errors, _ = nf.read_form(posted(values), nf.default_document(2027), 2027)
    assert errors == {}
    assert document["window"] == {"start": "2027-03-01T09:00:00+08:00", "end": "2027-03-31T17:30:00+08:00"}
    assert document["policy"]["fees"]["review_fen"]["intermediate"] == 18050
    assert document["policy"]["publicity"]["unit_working_days"] == 7
    keys = [item["key"] for item in document["policy"]["required_materials"]]
    assert DEFAULT_POLICY["required_materials"][1]["key"] not in keys and len(keys) == len(DEFAULT_POLICY["required_materials"]) - 1


@pytest.mark.parametrize("name, typed, message", [
    ("window-start", "明天", "请按 年-月-日 时:分 填写"),
    ("policy-fees-certificate_fen", "-5", "请填写金额"),
    ("policy-publicity-city_working_days", "五", "应为整数"),
    ("policy-max_active_dossiers", "", "此项为必填项"),
])
def test_text_not_of_the_documents_type_is_named_by_its_input(name, typed, message):
    values = nf.form_values(plain(NoticeSchema().load(notice_document(2027))))
    values[name] = typed
    _, errors, shown = nf.read_form(posted(values), nf.default_document(2027), 2027)
    assert list(errors) == [name] and message in errors[name][0]
    assert shown[name] == typed


def test_the_services_error_paths_land_on_the_forms_inputs():
    source = nf.default_document(2027)
    values = nf.form_values(plain(NoticeSchema().load(notice_document(2027))))
    values.update({"materials-0-enabled": False, "materials-2-count": "99", "policy-publicity-unit_working_days": "0",
                   "window-end": "2020-01-01T00:00"})
    document, errors, _ = nf.read_form(posted(values), source, 2027)
    assert errors == {}
    with pytest.raises(ValidationError) as raised:
        NoticeSchema().load(document)
    mapped = nf.form_errors(flatten_errors(raised.value.messages), document, source)
    assert mapped["window-end"] == ["申报截止时间须晚于开始时间"]
    assert mapped["policy-publicity-unit_working_days"] == ["应在 1 到 30 之间"]
    # The third row is the second ticked item: the error goes back to the third row.
    assert mapped["materials-2-count"] == ["应在 1 到 20 之间"]


def test_dict_entries_and_the_open_series_map_to_their_inputs():
    flat = flatten_errors({"policy": {"fees": {"review_fen": {"senior": {"value": ["应在 0 到 10000000 之间"]}}}},
                           "open_series": ["至少开放一个系列"]})
    mapped = nf.form_errors(flat, {"policy": {}}, nf.default_document(2027))
    assert mapped == {"policy-fees-review_fen-senior": ["应在 0 到 10000000 之间"], "open_series": ["至少开放一个系列"]}


def test_every_unconfirmed_setting_has_its_note_on_the_settings_page():
    shown, rest = nf.unconfirmed_notes()
    texts = list(shown.values()) + [text for _, text in rest]
    assert len(texts) == len(UNCONFIRMED)
    assert all("未查到" in text for text in texts)
    for note in UNCONFIRMED.values():
        assert any(note in text for text in texts)


def test_the_public_notice_shows_fees_in_yuan_and_the_materials_of_the_open_levels():
    document = plain(NoticeSchema().load(notice_document(
        2027, open_series={"engineering": ["primary"]},
        policy={"fees": {"review_fen": {"primary": 12050}, "certificate_fen": 800}})))
    shown = public_notice(document)
    assert shown["fees"] == [{"level": "初级", "yuan": "120.50"}]
    assert shown["certificate_yuan"] == "8"
    labels = [item["label"] for item in shown["materials"]]
    # 现职称证书 is required from 中级 up: not for a notice that opens only 初级.
    assert "学历/学位证书" in labels and "现职称证书" not in labels


def record(year, start, end, published_at="2026-01-01T00:00:00+00:00"):
    return {"review_year": year, "notice": {"window": {"start": start, "end": end}}, "published_at": published_at}


def test_the_home_page_shows_open_then_upcoming_notices_by_the_beijing_date():
    records = [record(2025, "2025-03-01T09:00:00+08:00", "2025-03-31T17:00:00+08:00"),
               # Ends at 23:30 UTC on 31 March: already 1 April in Beijing.
               record(2026, "2026-03-01T09:00:00+08:00", "2026-03-31T23:30:00+00:00"),
               record(2027, "2027-03-01T09:00:00+08:00", "2027-03-31T17:00:00+08:00")]
    shown = home_notices(records, today=date(2026, 4, 1))
    assert [(item["review_year"], item["state"]) for item in shown] == [(2026, "accepting"), (2027, "upcoming")]
    shown = home_notices(records[:1], today=date(2026, 4, 1))
    assert [(item["review_year"], item["state"]) for item in shown] == [(2025, "ended")]


def test_a_versions_changes_read_in_chinese_with_fees_in_yuan():
    rows = change_rows([
        {"path": "policy.fees.review_fen.senior", "label": "评审费(分)(senior)", "before": 36000, "after": 40000},
        {"path": "policy.committees.minimums.senior.series", "label": "评委会最低人数(senior.series)",
         "before": 25, "after": 21},
        {"path": "policy.after_level_deadline", "label": "审核截止后停留在该级的申报", "before": "stay", "after": "abandon"},
    ])
    assert [(row["label"], row["before"], row["after"]) for row in rows] == [
        ("正高级评审费", "360 元", "400 元"), ("高级评委会最低人数(按系列)", "25", "21"),
        ("审核截止后停留在该级的申报", "留在该级,标为逾期", "视为放弃(记录事件)")]
