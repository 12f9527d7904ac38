"""Annual notices and eligibility on real PostgreSQL (and RabbitMQ for the RPC surface).

Each test uses a review year of its own (the conftest keeps 2026 open for the other dossier tests),
so notices published here never disturb another test.
"""
import itertools
from datetime import datetime, timedelta, timezone

import eventlet
import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.dossier import notices
from shared.contracts import dossier as st
from services.dossier.application import Dossiers
from services.dossier.exceptions import ActorNotAllowedError, IncompleteDossierError
from services.dossier.exceptions import (
    ActiveDossierLimitError, IneligibleError, NoticeNotFound, NoticeNotPublishedError, NoticePermissionError,
    OutsideApplicationWindowError, SeriesNotOpenError,
)
from services.dossier.service import DossierService
from shared.clock import utc_now
from shared.errors import ValidationFailed
from shared.roles import Actor
from shared.rpc import register_platform_errors
from tests.factories import (
    Cast, annual_assessments, attach_required_materials, attach_required_over_rpc, basic_info, continuing_education, education, fill_everything,
    material, notice_document,
    review_form, work_experience,
)

register_platform_errors()

_years = itertools.count(2031)
SHANGHAI_OPEN = datetime(2031, 3, 1, 9, 0, tzinfo=timezone(timedelta(hours=8)))


@pytest.fixture
def year():
    """A review year no other test uses."""
    return next(_years)


def city_admin():
    return Actor(account_id="city-admin-1", role="city_admin", org_id="city")


def fixed_window(year):
    """1 March 09:00 to 31 March 17:30 Beijing time of *year*; returns (notice document, a moment inside)."""
    start = SHANGHAI_OPEN.replace(year=year)
    end = start.replace(day=31, hour=17, minute=30)
    return notice_document(year, start=start, end=end), start + timedelta(days=10)


def records_for(year):
    """Assessments and continuing education that make the default test dossier eligible in *year*."""
    return annual_assessments(last=year - 1), continuing_education(years=range(year - 3, year))


def filled(app, cast, year, now=None, **creation):
    """A complete, eligible draft for *year* created through the application."""
    dossier = app.create(cast.applicant, now=now, **cast.creation_fields(review_year=year, **creation))
    loaded = app.load(dossier.id)
    fill_everything(loaded, cast)
    assessments, hours = records_for(year)
    loaded.record_annual_assessments(cast.applicant, assessments)
    loaded.record_continuing_education(cast.applicant, hours)
    attach_required_materials(loaded, cast)
    app.save(loaded)
    return loaded.id


def applicants_dossiers(app, cast, year):
    return app.list(filters={"applicant_id": cast.applicant.account_id, "review_year": year})["total"]


class TestPublishing:
    def test_a_city_admin_publishes_and_everyone_reads_the_notice_with_its_policy(self, dossiers, year):
        record = dossiers.publish_notice(city_admin(), notice_document(year, policy={"max_active_dossiers": 2}))
        assert record["version"] == 1 and record["published_by"] == "city-admin-1"
        fetched = dossiers.get_notice(year)
        assert fetched == record
        assert fetched["notice"]["title"] == f"{year}年度昆明市职称评审工作通知"
        assert fetched["policy"]["max_active_dossiers"] == 2
        assert fetched["policy"]["continuing_education"]["hours_per_year"] == 90
        assert "exceptional" in fetched["unconfirmed"]
        assert year in [item["review_year"] for item in dossiers.list_notices()]

    def test_publishing_again_replaces_the_notice_and_keeps_every_version(self, dossiers, year):
        dossiers.publish_notice(city_admin(), notice_document(year))
        second = dossiers.publish_notice(city_admin(), notice_document(year, title="更正后的通知"))
        assert second["version"] == 2 and dossiers.get_notice(year)["notice"]["title"] == "更正后的通知"
        with dossiers.read_engine.connect() as connection:
            history = notices.versions(connection, year)
        assert [(row["version"], row["notice"]["title"]) for row in history] == [
            (1, f"{year}年度昆明市职称评审工作通知"), (2, "更正后的通知")]

    @pytest.mark.parametrize("role", ["applicant", "unit_admin", "district_admin", "sysadmin", "auditor"])
    def test_only_a_city_admin_may_publish(self, dossiers, year, role):
        with pytest.raises(NoticePermissionError, match="只有市人社局审核员可以发布"):
            dossiers.publish_notice(Actor(account_id="someone", role=role, org_id="org"), notice_document(year))
        with pytest.raises(NoticeNotFound, match=f"{year}年度职称评审通知尚未发布"):
            dossiers.get_notice(year)

    def test_an_invalid_notice_is_refused_field_by_field_and_nothing_is_stored(self, dossiers, year):
        document = notice_document(year, open_series={"engineering": ["grand_master"]})
        document["window"]["end"] = document["window"]["start"]
        with pytest.raises(ValidationFailed) as raised:
            dossiers.publish_notice(city_admin(), document)
        assert set(raised.value.fields) == {"open_series", "window"}
        with pytest.raises(NoticeNotFound):
            dossiers.get_notice(year)


class TestWindowAtCreation:
    def test_without_a_notice_creating_is_refused_and_nothing_is_recorded(self, dossiers, year):
        cast = Cast()
        with pytest.raises(NoticeNotPublishedError) as raised:
            dossiers.create(cast.applicant, **cast.creation_fields(review_year=year))
        assert raised.value.message == f"{year}年度职称评审通知尚未发布"
        assert applicants_dossiers(dossiers, cast, year) == 0

    @pytest.mark.parametrize(("offset", "state"), [(timedelta(days=-1), "申报尚未开始"),
                                                   (timedelta(days=31), "申报已截止")])
    def test_outside_the_window_creating_is_refused_with_the_dates(self, dossiers, year, offset, state):
        document, _ = fixed_window(year)
        dossiers.publish_notice(city_admin(), document)
        cast = Cast()
        with pytest.raises(OutsideApplicationWindowError) as raised:
            dossiers.create(cast.applicant, now=SHANGHAI_OPEN.replace(year=year) + offset,
                            **cast.creation_fields(review_year=year))
        assert f"{year}年3月1日 09:00 至 {year}年3月31日 17:30" in raised.value.message
        assert state in raised.value.message
        assert applicants_dossiers(dossiers, cast, year) == 0

    def test_inside_the_window_a_draft_is_created(self, dossiers, year):
        document, inside = fixed_window(year)
        dossiers.publish_notice(city_admin(), document)
        cast = Cast()
        dossier = dossiers.create(cast.applicant, now=inside, **cast.creation_fields(review_year=year))
        assert dossier.status == st.DRAFT and applicants_dossiers(dossiers, cast, year) == 1

    def test_a_series_or_level_the_notice_does_not_open_is_refused(self, dossiers, year):
        dossiers.publish_notice(city_admin(), notice_document(year, open_series={"engineering": ["intermediate"]}))
        cast = Cast()
        with pytest.raises(SeriesNotOpenError) as raised:
            dossiers.create(cast.applicant, **cast.creation_fields(review_year=year, level="senior"))
        assert "未开放工程系列正高级评审" in raised.value.message and set(raised.value.fields) == {"level"}
        with pytest.raises(SeriesNotOpenError):
            dossiers.create(cast.applicant, **cast.creation_fields(review_year=year, series="health"))
        assert applicants_dossiers(dossiers, cast, year) == 0


class TestOneActiveDossierPerYear:
    def test_a_second_dossier_in_the_same_year_is_refused_until_the_first_is_withdrawn(self, dossiers, year):
        dossiers.publish_notice(city_admin(), notice_document(year))
        cast = Cast()
        first = dossiers.create(cast.applicant, **cast.creation_fields(review_year=year))
        with pytest.raises(ActiveDossierLimitError, match=f"您在{year}年度已有 1 件进行中的申报材料"):
            dossiers.create(cast.applicant, **cast.creation_fields(review_year=year, specialty="机械工程"))
        assert applicants_dossiers(dossiers, cast, year) == 1
        dossiers.withdraw(first.id, cast.applicant, reason="改报其他专业")
        second = dossiers.create(cast.applicant, **cast.creation_fields(review_year=year, specialty="机械工程"))
        assert second.status == st.DRAFT and applicants_dossiers(dossiers, cast, year) == 2

    def test_the_limit_is_per_applicant_and_per_year(self, dossiers, year):
        next_year = next(_years)
        dossiers.publish_notice(city_admin(), notice_document(year))
        dossiers.publish_notice(city_admin(), notice_document(next_year))
        cast, other = Cast(), Cast()
        dossiers.create(cast.applicant, **cast.creation_fields(review_year=year))
        dossiers.create(other.applicant, **other.creation_fields(review_year=year))
        dossiers.create(cast.applicant, **cast.creation_fields(review_year=next_year))
        assert applicants_dossiers(dossiers, cast, year) == applicants_dossiers(dossiers, cast, next_year) == 1

    def test_the_limit_is_a_setting_of_the_years_notice(self, dossiers, year):
        dossiers.publish_notice(city_admin(), notice_document(year, policy={"max_active_dossiers": 2}))
        cast = Cast()
        for _ in range(2):
            dossiers.create(cast.applicant, **cast.creation_fields(review_year=year))
        with pytest.raises(ActiveDossierLimitError, match="最多 2 件"):
            dossiers.create(cast.applicant, **cast.creation_fields(review_year=year))

    def test_simultaneous_creations_by_one_applicant_give_one_dossier(self, dossiers, dossier_config, year):
        dossiers.publish_notice(city_admin(), notice_document(year))
        cast = Cast()
        other_instance = Dossiers(dossier_config["DATABASE_URL"])
        outcomes = []

        def create(app):
            try:
                app.create(cast.applicant, **cast.creation_fields(review_year=year))
                outcomes.append("created")
            except ActiveDossierLimitError:
                outcomes.append("refused")

        try:
            threads = [eventlet.spawn(create, app) for app in (dossiers, other_instance, dossiers, other_instance)]
            for thread in threads:
                thread.wait()
        finally:
            other_instance.close()
        assert sorted(outcomes) == ["created", "refused", "refused", "refused"]
        assert applicants_dossiers(dossiers, cast, year) == 1


class TestSubmission:
    def test_an_eligible_dossier_is_submitted_inside_the_window(self, dossiers, year):
        document, inside = fixed_window(year)
        dossiers.publish_notice(city_admin(), document)
        cast = Cast()
        dossier_id = filled(dossiers, cast, year, now=inside)
        assert dossiers.submit(dossier_id, cast.applicant, now=inside).status == st.SUBMITTED

    def test_submitting_after_the_window_is_refused_and_nothing_is_recorded(self, dossiers, year):
        document, inside = fixed_window(year)
        dossiers.publish_notice(city_admin(), document)
        cast = Cast()
        dossier_id = filled(dossiers, cast, year, now=inside)
        before = dossiers.history(dossier_id)
        with pytest.raises(OutsideApplicationWindowError) as raised:
            dossiers.submit(dossier_id, cast.applicant, now=inside + timedelta(days=30))
        assert f"{year}年3月31日 17:30" in raised.value.message and "申报已截止" in raised.value.message
        assert dossiers.history(dossier_id) == before and dossiers.get(dossier_id)["status"] == st.DRAFT

    def test_a_returned_dossier_may_be_resubmitted_until_the_resubmission_deadline(self, dossiers, year):
        document, inside = fixed_window(year)
        document["deadlines"] = {"resubmission": (inside + timedelta(days=60)).isoformat()}
        dossiers.publish_notice(city_admin(), document)
        cast = Cast()
        dossier_id = filled(dossiers, cast, year, now=inside)
        dossiers.submit(dossier_id, cast.applicant, now=inside)
        dossiers.return_for_changes(dossier_id, cast.unit_admin, reason="学历证书不清晰", sections=["materials"])
        with pytest.raises(OutsideApplicationWindowError):
            dossiers.submit(dossier_id, cast.applicant, now=inside + timedelta(days=61))
        assert dossiers.submit(dossier_id, cast.applicant, now=inside + timedelta(days=59)).status == st.SUBMITTED

    def test_every_failed_rule_is_listed_and_nothing_is_recorded(self, dossiers, year):
        document, inside = fixed_window(year)
        dossiers.publish_notice(city_admin(), document)
        cast = Cast()
        dossier_id = filled(dossiers, cast, year, now=inside)
        dossiers.edit_section(dossier_id, cast.applicant, "update_basic_info",
                              data=basic_info(retired=True, current_title_obtained_on=f"{year - 3}-05-01"))
        dossiers.edit_section(dossier_id, cast.applicant, "record_continuing_education",
                              entries=continuing_education(years=(year - 1,), professional=50, public=10))
        before = dossiers.history(dossier_id)
        with pytest.raises(IneligibleError) as raised:
            dossiers.submit(dossier_id, cast.applicant, sanctions=[{"kind": "fraud", "decided_on": f"{year - 1}-01-01"}],
                            now=inside)
        error = raised.value
        assert set(error.fields) == {"retired", "sanction", "years_in_level", "continuing_education"}
        # In the order of the form: a sanction no section fixes first, then 基本信息's rules, then 继续教育.
        assert [item["key"] for item in error.items] == ["sanction", "retired", "years_in_level", "continuing_education"]
        assert error.message.startswith("不符合申报条件,共 4 项:1. 因弄虚作假于") and "2. 已退休人员不能申报职称评审" in error.message
        assert f"{year - 1}年 已记录 60 学时(专业科目 50 学时),差 30 学时、专业科目差 10 学时" in (
            error.fields["continuing_education"][0])
        assert dossiers.history(dossier_id) == before

    def test_an_incomplete_dossier_gets_its_sections_materials_and_rules_in_one_answer(self, dossiers):
        cast = Cast()
        dossier = dossiers.create(cast.applicant, **cast.creation_fields())
        before = dossiers.history(dossier.id)
        with pytest.raises(IncompleteDossierError) as raised:
            dossiers.submit(dossier.id, cast.applicant)
        kinds = {item["kind"] for item in raised.value.items}
        assert kinds == {"section", "material", "eligibility"}
        assert {"basic_info", "level_step", "continuing_education", "annual_assessment"} <= set(raised.value.fields)
        failures, problems = dossiers.submission_check(dossier.id, cast.applicant)
        assert problems == raised.value.items
        assert sorted(f.message for f in failures) == sorted(
            item["message"] for item in problems if item["kind"] == "eligibility")
        assert dossiers.history(dossier.id) == before

    def test_someone_else_learns_nothing_about_eligibility(self, dossiers):
        cast = Cast()
        dossier = dossiers.create(cast.applicant, **cast.creation_fields())
        stranger = Actor(account_id="another-applicant", role="applicant")
        with pytest.raises(ActorNotAllowedError):
            dossiers.submit(dossier.id, stranger)
        with pytest.raises(ActorNotAllowedError):
            dossiers.check_eligibility(dossier.id, stranger)
        with pytest.raises(ActorNotAllowedError):
            dossiers.check_eligibility(dossier.id, Actor(account_id="ua", role="unit_admin", org_id="another-unit"))
        assert dossiers.check_eligibility(dossier.id, cast.unit_admin)  # the unit's admin may look

    def test_the_eligibility_check_follows_the_notices_policy(self, dossiers, year):
        dossiers.publish_notice(city_admin(), notice_document(year))
        cast = Cast()
        dossier_id = filled(dossiers, cast, year)
        dossiers.edit_section(dossier_id, cast.applicant, "record_continuing_education",
                              entries=continuing_education(years=range(year - 3, year), professional=40, public=20))
        assert [f.rule for f in dossiers.check_eligibility(dossier_id, cast.applicant)] == ["continuing_education"]
        dossiers.publish_notice(city_admin(), notice_document(
            year, continuing_education={"hours_per_year": 60, "professional_share": "2/3"}))
        assert dossiers.check_eligibility(dossier_id, cast.applicant) == []


@pytest.fixture
def rpc(run_services, dossier_config):
    run_services((DossierService, dossier_config))
    with ClusterRpcProxy({"AMQP_URI": dossier_config["AMQP_URI"]}, timeout=30) as proxy:
        yield proxy.dossier


def fill_over_rpc(rpc, cast, dossier_id, year, **info):
    actor = cast.applicant.to_dict()
    assessments, hours = records_for(year)
    rpc.update_section(actor, dossier_id, "basic_info", basic_info(**info))
    rpc.update_section(actor, dossier_id, "education", {"entries": education()})
    rpc.update_section(actor, dossier_id, "work_experience", {"entries": work_experience()})
    rpc.update_section(actor, dossier_id, "annual_assessments", {"entries": assessments})
    rpc.update_section(actor, dossier_id, "continuing_education", {"entries": hours})
    rpc.update_section(actor, dossier_id, "review_form", review_form())
    rpc.update_section(actor, dossier_id, "commitment", {"statement_version": f"{year}-1", "signed_name": "李明"})
    rpc.attach_material(actor, dossier_id, material())
    attach_required_over_rpc(rpc, actor, dossier_id)


class TestOverRpc:
    def test_notices_are_published_read_and_listed(self, rpc, year):
        record = rpc.publish_notice(city_admin().to_dict(), notice_document(year))
        assert rpc.get_notice(year) == record
        assert year in [item["review_year"] for item in rpc.list_notices()]
        with pytest.raises(NoticePermissionError):
            rpc.publish_notice(Cast().unit_admin.to_dict(), notice_document(year))
        with pytest.raises(NoticeNotFound):
            rpc.get_notice(2100)
        with pytest.raises(ValidationFailed):
            rpc.get_notice("next year")

    def test_creating_and_submitting_outside_the_window_is_refused(self, rpc, year):
        now = utc_now()
        cast = Cast()
        with pytest.raises(NoticeNotPublishedError):
            rpc.create(cast.applicant.to_dict(), cast.creation_fields(review_year=year))
        rpc.publish_notice(city_admin().to_dict(), notice_document(year))
        dossier_id = rpc.create(cast.applicant.to_dict(), cast.creation_fields(review_year=year))["id"]
        fill_over_rpc(rpc, cast, dossier_id, year)
        rpc.publish_notice(city_admin().to_dict(), notice_document(year, start=now - timedelta(days=30),
                                                                    end=now - timedelta(days=1)))
        versions = len(rpc.history(dossier_id))
        with pytest.raises(OutsideApplicationWindowError, match="申报已截止"):
            rpc.submit(cast.applicant.to_dict(), dossier_id)
        with pytest.raises(OutsideApplicationWindowError, match="不能创建申报材料"):
            rpc.create(Cast().applicant.to_dict(), cast.creation_fields(review_year=year))
        assert len(rpc.history(dossier_id)) == versions

    def test_the_applicant_sees_every_failure_before_submitting_and_submission_refuses_them_all(self, rpc, year):
        rpc.publish_notice(city_admin().to_dict(), notice_document(year))
        cast = Cast()
        actor = cast.applicant.to_dict()
        dossier_id = rpc.create(actor, cast.creation_fields(review_year=year, level="associate_senior"))["id"]
        fill_over_rpc(rpc, cast, dossier_id, year, retired=True)
        rpc.update_section(actor, dossier_id, "annual_assessments", {"entries": annual_assessments(last=year - 3)})
        sanctions = [{"kind": "fraud", "sanctioned_on": f"{year - 1}-06-01", "reason": "学历造假"}]

        report = rpc.check_eligibility(actor, dossier_id, sanctions)
        assert report["eligible"] is False
        assert [failure["rule"] for failure in report["failures"]] == [
            "retired", "sanction", "level_step", "annual_assessment"]
        assert all(set(failure) == {"rule", "message"} for failure in report["failures"])
        assert f"缺少 {year - 2}、{year - 1}年 的年度考核结果" in report["failures"][-1]["message"]

        versions = len(rpc.history(dossier_id))
        with pytest.raises(IneligibleError) as raised:
            rpc.submit(actor, dossier_id, sanctions)
        assert set(raised.value.fields) == {"retired", "sanction", "level_step", "annual_assessment"}
        assert "共 4 项" in raised.value.message
        # The self-check's list and the refusal's are the same one notice, and it survives the wire whole.
        assert raised.value.items == report["problems"] and report["ready"] is False
        assert raised.value.items[0]["key"] == "sanction" and raised.value.items[0]["section"] is None
        assert len(rpc.history(dossier_id)) == versions and rpc.get(dossier_id)["status"] == st.DRAFT

    def test_an_eligible_dossier_checks_clean_and_is_submitted(self, rpc, year):
        rpc.publish_notice(city_admin().to_dict(), notice_document(year))
        cast = Cast()
        dossier_id = rpc.create(cast.applicant.to_dict(), cast.creation_fields(review_year=year))["id"]
        fill_over_rpc(rpc, cast, dossier_id, year)
        assert rpc.check_eligibility(cast.applicant.to_dict(), dossier_id) == {
            "eligible": True, "failures": [], "ready": True, "problems": []}
        assert rpc.submit(cast.applicant.to_dict(), dossier_id)["status"] == st.SUBMITTED

    def test_malformed_sanctions_are_refused_field_by_field(self, rpc):
        cast = Cast()
        dossier_id = rpc.create(cast.applicant.to_dict(), cast.creation_fields())["id"]
        with pytest.raises(ValidationFailed) as raised:
            rpc.check_eligibility(cast.applicant.to_dict(), dossier_id, [{"kind": "fraud"}])
        assert raised.value.fields == {"sanctions": {"0": {"decided_on": ["须填写处理日期"]}}}


class TestDemoSeed:
    def test_the_demo_notice_is_published_once_and_opens_every_level(self, dossiers):
        from services.dossier.seed import seed_notice

        year = next(_years)  # a year no other test publishes
        assert seed_notice(dossiers, review_year=year) is True
        assert seed_notice(dossiers, review_year=year) is False
        record = dossiers.get_notice(year)
        assert record["version"] == 1
        assert set(record["notice"]["open_series"]) == {"engineering", "health"}
