"""The annual notice and the eligibility rules of docs/domain-rules.md R3 and R4 as pure functions (no I/O)."""
from datetime import date, datetime, timezone

import pytest

from shared.contracts.notice_schemas import NoticeSchema
from services.dossier.policy import (
    Notice, check_active_limit, check_eligibility, check_open, check_window, effective_policy,
)
from shared.contracts.year_policy import DEFAULT_POLICY
from services.dossier.exceptions import ActiveDossierLimitError, OutsideApplicationWindowError, SeriesNotOpenError
from shared.errors import ValidationFailed
from shared.schemas import load_or_raise
from tests.factories import (
    annual_assessments, basic_info, continuing_education, education, material, recommendation_letter,
)

TODAY = date(2026, 6, 1)
POLICY = effective_policy()


def dossier(*, level="intermediate", series="engineering", info=None, degree="bachelor", assessments=None,
            hours=None, materials=None):
    """A dossier's plain state: by default 工程 中级, 本科, 助理工程师 since 2016-12-01, every record in place."""
    entries = [dict(education()[0], education_level=degree)] if degree else []
    return {
        "series": series,
        "level": level,
        "sections": {
            "basic_info": basic_info(**(info or {})),
            "education": entries,
            "annual_assessments": annual_assessments() if assessments is None else assessments,
            "continuing_education": continuing_education() if hours is None else hours,
        },
        "materials": [material()] if materials is None else materials,
    }


def failures_of(state, *, policy=POLICY, sanctions=(), today=TODAY, review_year=2026):
    return check_eligibility(policy, state, review_year=review_year, sanctions=sanctions, today=today)


def rules(state, **kwargs):
    return [failure.rule for failure in failures_of(state, **kwargs)]


def message(state, rule, **kwargs):
    (found,) = [failure for failure in failures_of(state, **kwargs) if failure.rule == rule]
    return found.message


class TestEachRuleAlone:
    def test_the_default_test_dossier_is_eligible(self):
        assert failures_of(dossier()) == []

    @pytest.mark.parametrize(("case", "state", "kwargs", "rule"), [
        ("retired", dossier(info={"retired": True}), {}, "retired"),
        ("fraud two years ago", dossier(), {"sanctions": [{"kind": "fraud", "decided_on": "2024-05-10"}]}, "sanction"),
        ("skips a level", dossier(level="associate_senior"), {}, "level_step"),
        ("title of another series", dossier(info={"current_title_series": "health"}), {}, "level_step"),
        ("中专 cannot reach 中级", dossier(degree="secondary"), {}, "education"),
        ("no education recorded", dossier(degree=None), {}, "education"),
        ("title held three years", dossier(info={"current_title_obtained_on": "2023-05-01"}), {}, "years_in_level"),
        ("assessments missing", dossier(assessments=[a for a in annual_assessments() if a["year"] != 2019]), {},
         "annual_assessment"),
        ("too few hours", dossier(hours=continuing_education(years=(2023, 2025)) + continuing_education(
            years=(2024,), professional=50, public=20)), {}, "continuing_education"),
        ("series without a table", dossier(series="education", info={"current_title_series": "education"}), {},
         "eligibility_table"),
        ("破格 without letters", dossier(info={"exceptional": True}), {}, "exceptional"),
    ])
    def test_one_broken_rule_gives_exactly_that_failure(self, case, state, kwargs, rule):
        assert rules(state, **kwargs) == [rule], case

    def test_a_series_without_a_table_says_so_instead_of_passing(self):
        text = message(dossier(series="accounting"), "eligibility_table")
        assert text.startswith("该系列未配置申报条件") and "会计系列中级" in text

    def test_a_level_step_failure_names_the_title_needed_and_held(self):
        text = message(dossier(level="senior"), "level_step")
        assert "申报正高级须已取得副高级职称" in text and "初级" in text

    def test_an_education_failure_lists_the_accepted_levels(self):
        assert message(dossier(level="associate_senior", degree="college", info={"current_title_level": "intermediate"}),
                       "education") == "申报工程系列副高级须具备本科、硕士、博士学历;您的最高学历为大专"

    def test_the_highest_education_counts_not_the_first_entry(self):
        state = dossier(degree="secondary")
        state["sections"]["education"].append(dict(education()[0], education_level="master"))
        assert failures_of(state) == []


class TestAllFailuresAreListed:
    def test_every_broken_rule_is_reported_together(self):
        state = dossier(
            level="associate_senior",
            info={"retired": True, "current_title_level": "intermediate", "current_title_obtained_on": "2022-03-01"},
            assessments=[{"year": 2023, "result": "competent"}],
            hours=continuing_education(years=(2024, 2025), professional=30, public=0),
        )
        found = failures_of(state, sanctions=[{"kind": "fraud", "decided_on": "2025-01-02"}])
        assert [failure.rule for failure in found] == [
            "retired", "sanction", "years_in_level", "annual_assessment", "continuing_education",
        ]
        years = next(f for f in found if f.rule == "years_in_level")
        assert "须任中级职称满 5 年" in years.message and "计 4 年,还差 1 年" in years.message
        assert "2024、2025年" in next(f.message for f in found if f.rule == "annual_assessment")

    def test_a_level_step_and_an_education_failure_are_both_reported(self):
        assert rules(dossier(level="associate_senior", degree="college")) == ["level_step", "education"]


class TestYearsCounting:
    """Years run from 1 January of the year after the title to 31 December of the review year."""

    @pytest.mark.parametrize(("obtained", "counted", "eligible"), [
        ("2021-12-31", 5, True),   # counted 2022–2026
        ("2022-01-01", 4, False),  # counted 2023–2026: one short of 5
        ("2021-01-01", 5, True),
    ])
    def test_the_day_the_title_was_obtained_decides_the_first_counted_year(self, obtained, counted, eligible):
        state = dossier(level="associate_senior",
                        info={"current_title_level": "intermediate", "current_title_obtained_on": obtained})
        found = failures_of(state)
        assert (found == []) is eligible
        if not eligible:
            assert found[0].details == {"required": 5, "counted": counted}
            assert "自 2023年1月1日 至 2026年12月31日 计 4 年,还差 1 年" in found[0].message

    @pytest.mark.parametrize(("results", "required"), [
        ({}, 4),
        ({"y2023": "basically_competent"}, 5),
        ({"y2023": "basically_competent", "y2024": "basically_competent"}, 6),
        ({"y2024": "incompetent"}, 6),
        ({"y2022": "basically_competent", "y2024": "incompetent"}, 7),
        ({"y2020": "incompetent"}, 4),  # before the title: not in the counted period
    ])
    def test_weak_assessments_add_required_years(self, results, required):
        state = dossier(info={"current_title_obtained_on": "2021-12-31"}, assessments=annual_assessments(**results))
        found = failures_of(state)  # 5 years counted
        if required <= 5:
            assert found == []
        else:
            (failure,) = found
            assert failure.details == {"required": required, "counted": 5}
            assert f"须任初级职称满 {required} 年(基本要求 4 年,年度考核" in failure.message

    def test_the_breakdown_names_each_kind_of_weak_assessment(self):
        state = dossier(info={"current_title_obtained_on": "2021-12-31"},
                        assessments=annual_assessments(y2022="basically_competent", y2024="incompetent"))
        assert "(基本要求 4 年,年度考核基本合格 1 次加 1 年、不合格 1 次加 2 年)" in message(state, "years_in_level")

    def test_a_missing_assessment_year_is_listed(self):
        kept = [entry for entry in annual_assessments() if entry["year"] not in (2018, 2021, 2025)]
        (failure,) = failures_of(dossier(assessments=kept))
        assert failure.details == {"missing_years": [2018, 2021, 2025]}
        assert failure.message.startswith("缺少 2018、2021、2025年 的年度考核结果")

    def test_assessments_are_required_up_to_the_year_before_the_review_year_by_default(self):
        assert failures_of(dossier(assessments=annual_assessments(last=2025))) == []
        strict = effective_policy({"records_through_application_year": True})
        found = failures_of(dossier(assessments=annual_assessments(last=2025),
                                    hours=continuing_education(years=(2024, 2025, 2026))), policy=strict)
        assert [(f.rule, f.details) for f in found] == [("annual_assessment", {"missing_years": [2026]})]

    @pytest.mark.parametrize(("degree", "work_start", "eligible"), [
        ("master", "2025-07-01", True),     # 0 years
        ("bachelor", "2025-07-01", True),   # 1 year counted (2026)
        ("college", "2025-07-01", False),   # needs 2
        ("college", "2024-07-01", True),
        ("secondary", "2023-07-01", False),  # needs 4, has 3
    ])
    def test_a_first_title_needs_no_title_and_counts_years_from_work_start(self, degree, work_start, eligible):
        state = dossier(level="primary", degree=degree,
                        info={"current_title_level": None, "current_title_series": None,
                              "current_title_obtained_on": None, "work_start_date": work_start},
                        assessments=annual_assessments(first=int(work_start[:4]) + 1),
                        hours=continuing_education(years=range(int(work_start[:4]) + 1, 2026)))
        assert (rules(state) == []) is eligible
        if not eligible:
            assert rules(state) == ["years_in_level"]
            assert "须参加工作满" in message(state, "years_in_level")


class TestContinuingEducation:
    def test_each_short_year_is_listed_with_hours_recorded_and_missing(self):
        hours = (continuing_education(years=(2023,), professional=40, public=10)
                 + continuing_education(years=(2025,), professional=62.5, public=27.5))
        (failure,) = failures_of(dossier(hours=hours))
        assert failure.rule == "continuing_education"
        assert failure.message == (
            "继续教育学时不足(每年不少于 90 学时,其中专业科目不少于 60 学时):"
            "2023年 已记录 50 学时(专业科目 40 学时),差 40 学时、专业科目差 20 学时;"
            "2024年 未记录学时,差 90 学时、专业科目差 60 学时"
        )
        assert failure.details["years"] == [
            {"year": 2023, "hours": 50, "professional_hours": 40, "missing_hours": 40, "missing_professional_hours": 20},
            {"year": 2024, "hours": 0, "professional_hours": 0, "missing_hours": 90, "missing_professional_hours": 60},
        ]

    def test_enough_hours_with_too_little_professional_share_is_a_shortfall(self):
        hours = continuing_education(years=(2023, 2025)) + continuing_education(years=(2024,), professional=50,
                                                                                 public=40)
        assert message(dossier(hours=hours), "continuing_education").endswith(
            "2024年 已记录 90 学时(专业科目 50 学时),专业科目差 10 学时")

    def test_all_hours_professional_is_fine(self):
        assert failures_of(dossier(hours=continuing_education(professional=90, public=0))) == []

    def test_only_the_last_n_years_after_the_title_are_checked(self):
        recent = dossier(degree="master", info={"current_title_obtained_on": "2023-06-01"},
                         hours=continuing_education(years=(2024, 2025)))
        assert rules(recent) == []  # 2023 is the title year itself, outside the counted period
        two_years = effective_policy(continuing_education={"years": 2})
        assert failures_of(dossier(hours=continuing_education(years=(2024, 2025))), policy=two_years) == []

    def test_the_notice_sets_the_hours(self):
        lighter = effective_policy(continuing_education={"hours_per_year": 60, "professional_share": "1/2"})
        assert failures_of(dossier(hours=continuing_education(professional=30, public=30)), policy=lighter) == []
        text = message(dossier(hours=continuing_education(professional=20, public=40)), "continuing_education",
                       policy=lighter)
        assert "每年不少于 60 学时,其中专业科目不少于 30 学时" in text and "专业科目差 10 学时" in text


class TestSanctionsAndRetirement:
    @pytest.mark.parametrize(("decided_on", "barred"), [
        ("2026-05-31", True),
        ("2023-06-02", True),    # bar ends 2026-06-02, tomorrow
        ("2023-06-01", False),   # bar ended today
        ("2020-01-01", False),
    ])
    def test_fraud_bars_applying_for_three_years_from_the_decision(self, decided_on, barred):
        found = rules(dossier(), sanctions=[{"kind": "fraud", "decided_on": decided_on}])
        assert found == (["sanction"] if barred else [])

    def test_the_message_names_the_decision_and_the_end_of_the_bar(self):
        text = message(dossier(), "sanction", sanctions=[{"kind": "fraud", "decided_on": date(2024, 2, 29)},
                                                         {"kind": "fraud", "decided_on": "2021-01-01"}])
        assert text == "因弄虚作假于 2024年2月29日 受到处理,2027年3月1日 前不得申报职称评审"

    def test_the_identity_services_field_name_is_understood_and_unknown_kinds_do_not_bar(self):
        assert rules(dossier(), sanctions=[{"kind": "fraud", "sanctioned_on": "2025-01-01"}]) == ["sanction"]
        assert rules(dossier(), sanctions=[{"kind": "warning", "decided_on": "2025-01-01"}]) == []

    def test_the_bar_length_is_a_setting(self):
        five_years = effective_policy({"sanction_bar_years": {"fraud": 5}})
        assert rules(dossier(), sanctions=[{"kind": "fraud", "decided_on": "2022-01-01"}], policy=five_years) == [
            "sanction"]

    def test_the_end_recorded_with_the_sanction_wins_over_this_years_bar_length(self):
        # Recorded in a year whose policy barred 5 years; this year's policy (3 years) must not shorten it.
        recorded = {"kind": "fraud", "sanctioned_on": "2022-01-01", "bars_until": "2027-01-01"}
        assert rules(dossier(), sanctions=[recorded]) == ["sanction"]
        assert "2027年1月1日 前不得申报" in message(dossier(), "sanction", sanctions=[recorded])
        ended = {"kind": "fraud", "sanctioned_on": "2025-01-01", "bars_until": "2026-01-01"}
        assert rules(dossier(), sanctions=[ended]) == []

    def test_retired_people_may_not_apply(self):
        assert message(dossier(info={"retired": True}), "retired") == "已退休人员不能申报职称评审"


class TestExceptionalApplications:
    """破格: the flag plus two recommendation letters (materials of category 推荐信, whatever their name)."""

    skipping = {"current_title_level": "primary", "current_title_obtained_on": "2024-03-01", "exceptional": True}

    def test_flag_and_two_letters_waive_the_level_step_education_and_years(self):
        state = dossier(level="associate_senior", degree="college", info=self.skipping,
                        materials=[material(), recommendation_letter(1), recommendation_letter(2)])
        assert failures_of(state) == []

    def test_one_letter_is_not_enough_and_the_normal_rules_apply(self):
        state = dossier(level="associate_senior", info=self.skipping, materials=[recommendation_letter(1)])
        assert rules(state) == ["exceptional", "level_step"]
        assert "须上传 2 份推荐信" in message(state, "exceptional") and "目前 1 份" in message(state, "exceptional")

    def test_only_the_category_makes_a_letter_not_the_file_name(self):
        state = dossier(level="associate_senior", info=self.skipping,
                        materials=[recommendation_letter(1), material(category="diploma", filename="推荐信.pdf"),
                                   material(category="other", filename="专家推荐函.pdf")])
        assert "目前 1 份" in message(state, "exceptional")
        renamed = dossier(level="associate_senior", degree="college", info=self.skipping,
                          materials=[material(category="recommendation_letter", filename="scan-001.pdf"),
                                     material(category="recommendation_letter", filename="scan-002.pdf")])
        assert failures_of(renamed) == []

    def test_letters_without_the_flag_do_not_make_an_exceptional_application(self):
        state = dossier(level="associate_senior", info=dict(self.skipping, exceptional=False),
                        materials=[recommendation_letter(1), recommendation_letter(2)])
        assert rules(state) == ["level_step"]

    def test_exceptional_does_not_waive_assessments_continuing_education_or_sanctions(self):
        state = dossier(level="associate_senior", info=self.skipping, hours=[], assessments=[],
                        materials=[recommendation_letter(1), recommendation_letter(2)])
        assert rules(state, sanctions=[{"kind": "fraud", "decided_on": "2025-01-01"}]) == [
            "sanction", "annual_assessment", "continuing_education"]


class TestPolicyDocument:
    def test_overrides_replace_a_table_row_and_keep_every_other_default(self):
        policy = effective_policy({"eligibility_tables": {"engineering": {"intermediate": {"master": 1}},
                                                          "education": {"intermediate": {"bachelor": 3}}},
                                   "max_active_dossiers": 2})
        assert policy["eligibility_tables"]["engineering"]["intermediate"] == {"master": 1}
        assert policy["eligibility_tables"]["engineering"]["senior"] == DEFAULT_POLICY["eligibility_tables"]["engineering"]["senior"]
        assert policy["max_active_dossiers"] == 2
        assert policy["continuing_education"] == DEFAULT_POLICY["continuing_education"]
        assert rules(dossier(series="education", info={"current_title_series": "education"}), policy=policy) == []

    def test_the_defaults_are_not_changed_by_a_merge(self):
        effective_policy({"exceptional": {"recommendation_letters": 5}, "eligibility_tables": {"health": {}}})
        assert DEFAULT_POLICY["exceptional"]["recommendation_letters"] == 2

    def test_the_default_tables_follow_domain_md(self):
        engineering = DEFAULT_POLICY["eligibility_tables"]["engineering"]
        assert engineering["intermediate"] == {"doctor": 0, "master": 2, "bachelor": 4, "college": 4}
        assert DEFAULT_POLICY["eligibility_tables"]["health"]["associate_senior"] == {"doctor": 2, "master": 4,
                                                                                     "bachelor": 5}


def notice(**overrides):
    document = {
        "review_year": 2026, "title": "2026年度通知",
        "open_series": {"engineering": ["intermediate", "associate_senior"], "health": ["senior"]},
        "window": {"start": "2026-03-01T09:00:00+08:00", "end": "2026-03-31T17:30:00+08:00"},
        **overrides,
    }
    return Notice.from_document(load_or_raise(NoticeSchema(), document))


def at(text):
    return datetime.fromisoformat(text)


class TestWindow:
    @pytest.mark.parametrize("moment", ["2026-03-01T09:00:00+08:00", "2026-03-15T12:00:00+08:00",
                                        "2026-03-31T09:30:00+00:00"])
    def test_inside_the_window_passes(self, moment):
        check_window(notice(), at(moment), "create")
        check_window(notice(), at(moment), "submit")

    @pytest.mark.parametrize(("moment", "state"), [
        ("2026-03-01T08:59:59+08:00", "申报尚未开始"),
        ("2026-02-28T23:00:00+00:00", "申报尚未开始"),
        ("2026-03-31T17:30:01+08:00", "申报已截止"),
        ("2026-12-01T00:00:00+00:00", "申报已截止"),
    ])
    def test_outside_the_window_is_refused_with_the_dates_in_beijing_time(self, moment, state):
        with pytest.raises(OutsideApplicationWindowError) as raised:
            check_window(notice(), at(moment), "submit")
        assert raised.value.message == (f"2026年度提交申报时间为 2026年3月1日 09:00 至 2026年3月31日 17:30(北京时间),"
                                        f"{state},不能提交申报")

    def test_creation_names_its_own_action(self):
        with pytest.raises(OutsideApplicationWindowError, match="不能创建申报材料"):
            check_window(notice(), at("2026-04-01T00:00:00+08:00"), "create")

    def test_a_returned_dossier_may_be_resubmitted_until_the_resubmission_deadline(self):
        later = notice(deadlines={"resubmission": "2026-05-15T17:00:00+08:00"})
        check_window(later, at("2026-05-10T10:00:00+08:00"), "resubmit")
        with pytest.raises(OutsideApplicationWindowError, match="2026年5月15日 17:00"):
            check_window(later, at("2026-05-16T10:00:00+08:00"), "resubmit")
        with pytest.raises(OutsideApplicationWindowError):
            check_window(later, at("2026-05-10T10:00:00+08:00"), "submit")
        check_window(notice(), at("2026-03-20T10:00:00+08:00"), "resubmit")  # no deadline: the window

    def test_a_naive_moment_is_a_programming_error(self):
        with pytest.raises(ValueError):
            check_window(notice(), datetime(2026, 3, 15), "create")  # noqa: DTZ001  (the point of the test)


class TestOpenSeriesAndActiveLimit:
    def test_an_open_series_and_level_passes(self):
        check_open(notice(), "engineering", "intermediate")
        check_open(notice(), "health", "senior")

    @pytest.mark.parametrize(("series", "level", "field"), [
        ("engineering", "senior", "level"), ("health", "intermediate", "level"), ("education", "primary", "series"),
    ])
    def test_a_closed_series_or_level_is_refused_with_what_is_open(self, series, level, field):
        with pytest.raises(SeriesNotOpenError) as raised:
            check_open(notice(), series, level)
        assert set(raised.value.fields) == {field}
        assert "本年度开放:工程(中级、副高级);卫生(正高级)" in raised.value.message

    def test_the_active_dossier_limit_comes_from_the_policy(self):
        check_active_limit(POLICY, 0, 2026)
        with pytest.raises(ActiveDossierLimitError, match="最多 1 件"):
            check_active_limit(POLICY, 1, 2026)
        check_active_limit(effective_policy({"max_active_dossiers": 2}), 1, 2026)


class TestNoticeSchema:
    def test_a_bad_notice_gets_chinese_messages_field_by_field(self):
        with pytest.raises(ValidationFailed) as raised:
            load_or_raise(NoticeSchema(), {
                "review_year": 1999, "title": " ", "open_series": {},
                "window": {"start": "2026-03-01T09:00:00", "end": "2026-03-31T17:30:00+08:00"},
                "continuing_education": {"professional_share": "3/2"},
                "policy": {"max_active_dossiers": 0, "unknown": 1},
            })
        fields = raised.value.fields
        assert fields["review_year"] == ["应在 2000 到 2100 之间"]
        assert fields["title"] == ["此项不能为空"]
        assert fields["open_series"] == ["至少开放一个系列"]
        assert fields["window"] == {"start": ["时间须带时区"]}
        assert fields["continuing_education"] == {"professional_share": ["应在 0 到 1 之间"]}
        assert fields["policy"] == {"max_active_dossiers": ["应在 1 到 10 之间"], "unknown": ["不允许的字段"]}

    def test_the_window_must_end_after_it_starts_and_deadlines_come_after_opening(self):
        with pytest.raises(ValidationFailed) as raised:
            notice(window={"start": "2026-03-01T09:00:00+08:00", "end": "2026-03-01T09:00:00+08:00"})
        assert raised.value.fields == {"window": {"end": ["申报截止时间须晚于开始时间"]}}
        with pytest.raises(ValidationFailed) as raised:
            notice(deadlines={"unit": "2026-02-01T09:00:00+08:00"})
        assert raised.value.fields == {"deadlines": {"unit": ["单位审核截止时间不能早于申报开始时间"]}}
        with pytest.raises(ValidationFailed) as raised:
            notice(deadlines={"unit": "2026-04-20T09:00:00+08:00", "district": "2026-04-10T09:00:00+08:00"})
        assert raised.value.fields == {"deadlines": {"district": ["不能早于单位审核截止时间"]}}

    def test_unknown_series_levels_and_education_codes_are_named(self):
        with pytest.raises(ValidationFailed) as raised:
            notice(open_series={"magic": ["primary"], "engineering": ["primary", "primary"]},
                   policy={"eligibility_tables": {"engineering": {"senior": {"phd": 3}}}})
        fields = raised.value.fields
        assert "应为以下之一" in fields["open_series"]["magic"]["key"][0]
        assert fields["open_series"]["engineering"]["value"] == ["不能重复"]
        assert "应为以下之一" in fields["policy"]["eligibility_tables"]["engineering"]["value"]["senior"]["value"][
            "phd"]["key"][0]

    def test_the_notices_policy_and_continuing_education_reach_the_effective_policy(self):
        loaded = notice(continuing_education={"hours_per_year": 72}, policy={"max_active_dossiers": 2})
        assert loaded.policy["continuing_education"] == {"hours_per_year": 72, "professional_share": "2/3", "years": 3}
        assert loaded.policy["max_active_dossiers"] == 2
        assert loaded.window_start == datetime(2026, 3, 1, 1, 0, tzinfo=timezone.utc)
