"""Drafts and versions of the annual notice on real PostgreSQL (and RabbitMQ for the RPC surface): a
draft is validated like a publication and stored only when valid, publishing it makes the next version
and removes it, and every version records who, when and what changed in the policy in force.

Review years from 2071 on, which no other test uses."""
import copy
import itertools

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine, inspect, text

from services.dossier.application import Dossiers
from services.dossier.exceptions import NoticeNotFound, NoticePermissionError
from services.dossier.service import DossierService
from shared.contracts.year_policy import DEFAULT_POLICY, label_of
from shared.errors import ValidationFailed
from shared.roles import Actor
from shared.rpc import register_platform_errors
from tests.factories import notice_document

register_platform_errors()

_years = itertools.count(2071)
ADMIN = Actor(account_id="city-admin-drafts", role="city_admin", org_id="city")
OTHER_ADMIN = Actor(account_id="city-admin-second", role="city_admin", org_id="city")


@pytest.fixture
def year():
    return next(_years)


def with_unit_days(document, days):
    changed = copy.deepcopy(document)
    changed.setdefault("policy", {}).setdefault("publicity", {})["unit_working_days"] = days
    return changed


class TestDrafts:
    def test_an_invalid_draft_is_refused_by_field_and_nothing_is_stored(self, dossiers, year):
        document = with_unit_days(notice_document(year), 0)
        document["window"]["end"] = document["window"]["start"]
        with pytest.raises(ValidationFailed) as raised:
            dossiers.save_notice_draft(ADMIN, document)
        fields = raised.value.fields
        assert fields["window"]["end"] == ["申报截止时间须晚于开始时间"]
        assert fields["policy"]["publicity"]["unit_working_days"] == ["应在 1 到 30 之间"]
        with pytest.raises(NoticeNotFound, match="没有未发布的草稿"):
            dossiers.get_notice_draft(ADMIN, year)

    def test_a_draft_is_kept_replaced_and_read_only_by_the_city_admin(self, dossiers, year):
        first = dossiers.save_notice_draft(ADMIN, notice_document(year))
        assert first["saved_by"] == ADMIN.account_id and first["policy"]["publicity"]["unit_working_days"] == 5
        dossiers.save_notice_draft(OTHER_ADMIN, with_unit_days(notice_document(year), 8))
        draft = dossiers.get_notice_draft(ADMIN, year)
        assert draft["saved_by"] == OTHER_ADMIN.account_id
        assert draft["document"]["policy"]["publicity"]["unit_working_days"] == 8
        assert draft["policy"]["publicity"]["unit_working_days"] == 8
        assert year in [item["review_year"] for item in dossiers.list_notice_drafts(ADMIN)]
        # A draft is nobody's policy: the year still has no notice.
        with pytest.raises(NoticeNotFound):
            dossiers.get_notice(year)

    @pytest.mark.parametrize("role", ["applicant", "unit_admin", "district_admin", "auditor"])
    def test_other_roles_may_not_draft_read_or_publish(self, dossiers, year, role):
        dossiers.save_notice_draft(ADMIN, notice_document(year))
        someone = Actor(account_id="someone", role=role, org_id="org")
        for act in (lambda: dossiers.save_notice_draft(someone, notice_document(year)),
                    lambda: dossiers.get_notice_draft(someone, year),
                    lambda: dossiers.discard_notice_draft(someone, year),
                    lambda: dossiers.publish_notice_draft(someone, year)):
            with pytest.raises(NoticePermissionError, match="只有市人社局审核员可以"):
                act()
        assert dossiers.get_notice_draft(ADMIN, year)["saved_by"] == ADMIN.account_id
        with pytest.raises(NoticeNotFound):
            dossiers.get_notice(year)

    def test_a_discarded_draft_is_gone_and_the_notice_untouched(self, dossiers, year):
        published = dossiers.publish_notice(ADMIN, notice_document(year))
        dossiers.save_notice_draft(ADMIN, with_unit_days(notice_document(year), 9))
        dossiers.discard_notice_draft(ADMIN, year)
        with pytest.raises(NoticeNotFound):
            dossiers.get_notice_draft(ADMIN, year)
        assert dossiers.get_notice(year) == published
        with pytest.raises(NoticeNotFound):
            dossiers.publish_notice_draft(ADMIN, year)


class TestVersions:
    def test_publishing_a_draft_makes_the_next_version_with_its_changes(self, dossiers, year):
        document = notice_document(year)
        dossiers.publish_notice(ADMIN, document)
        dossiers.save_notice_draft(OTHER_ADMIN, with_unit_days(document, 7))
        second = dossiers.publish_notice_draft(OTHER_ADMIN, year)
        assert second["version"] == 2 and second["published_by"] == OTHER_ADMIN.account_id
        assert second["policy"]["publicity"]["unit_working_days"] == 7
        assert dossiers.get_notice(year)["policy"]["publicity"]["unit_working_days"] == 7
        with pytest.raises(NoticeNotFound):
            dossiers.get_notice_draft(ADMIN, year)

        history = dossiers.list_notice_versions(year)
        assert [(item["version"], item["published_by"]) for item in history] == [
            (1, ADMIN.account_id), (2, OTHER_ADMIN.account_id)]
        path = "policy.publicity.unit_working_days"
        assert history[1]["changes"] == [{"path": path, "label": label_of(path),
                                          "before": DEFAULT_POLICY["publicity"]["unit_working_days"], "after": 7}]
        assert label_of(path) == "单位公示工作日数"
        assert dossiers.get_notice_version(year, 2) == history[1]

    def test_the_first_version_lists_every_setting_as_new(self, dossiers, year):
        document = notice_document(year)
        dossiers.publish_notice(ADMIN, document)
        first = dossiers.get_notice_version(year, 1)
        by_path = {change["path"]: change for change in first["changes"]}
        assert all(change["before"] is None for change in first["changes"])
        assert by_path["title"]["after"] == document["title"]
        assert by_path["policy.fees.certificate_fen"]["after"] == DEFAULT_POLICY["fees"]["certificate_fen"]
        assert by_path["continuing_education.hours_per_year"]["after"] == \
            DEFAULT_POLICY["continuing_education"]["hours_per_year"]

    def test_an_override_equal_to_the_default_changes_nothing(self, dossiers, year):
        document = notice_document(year)
        dossiers.publish_notice(ADMIN, document)
        same = with_unit_days(document, DEFAULT_POLICY["publicity"]["unit_working_days"])
        assert dossiers.publish_notice(ADMIN, same)["version"] == 2
        assert dossiers.get_notice_version(year, 2)["changes"] == []

    def test_a_missing_version_is_named(self, dossiers, year):
        dossiers.publish_notice(ADMIN, notice_document(year))
        with pytest.raises(NoticeNotFound, match=f"{year}年度职称评审通知没有第 5 版"):
            dossiers.get_notice_version(year, 5)


def test_a_database_from_before_changes_were_recorded_gains_the_column(database_url):
    url = database_url("dossier_notice_columns")
    old = create_engine(url)
    with old.begin() as connection:  # notice_versions as it was made before this column existed
        connection.execute(text(
            "CREATE TABLE notice_versions (review_year INTEGER NOT NULL, version INTEGER NOT NULL, "
            "notice JSONB NOT NULL, published_by VARCHAR(64) NOT NULL, published_at TIMESTAMPTZ NOT NULL, "
            "PRIMARY KEY (review_year, version))"))
        connection.execute(text(
            "INSERT INTO notice_versions VALUES (2070, 1, CAST(:notice AS JSONB), 'before', now())"),
            {"notice": '{"review_year": 2070, "title": "旧版本"}'})
    old.dispose()
    app = Dossiers(url)
    try:
        assert "changes" in {column["name"] for column in inspect(app.read_engine).get_columns("notice_versions")}
        with app.read_engine.connect() as connection:
            assert connection.execute(text("SELECT changes FROM notice_versions")).scalars().all() == [None]
        app.publish_notice(ADMIN, notice_document(2069))
        assert app.get_notice_version(2069, 1)["changes"]
    finally:
        app.close()


@pytest.fixture
def rpc(run_services, dossier_config):
    run_services((DossierService, dossier_config))
    with ClusterRpcProxy({"AMQP_URI": dossier_config["AMQP_URI"]}, timeout=30) as proxy:
        yield proxy.dossier


def test_drafts_and_versions_over_rpc(rpc, year):
    admin = ADMIN.to_dict()
    bad = with_unit_days(notice_document(year), 0)
    with pytest.raises(ValidationFailed) as raised:
        rpc.save_notice_draft(admin, bad)
    assert raised.value.fields["policy"]["publicity"]["unit_working_days"] == ["应在 1 到 30 之间"]
    with pytest.raises(NoticeNotFound):
        rpc.get_notice_draft(admin, year)

    document = notice_document(year)
    document["policy"] = {"fees": {"certificate_fen": 2500}}
    saved = rpc.save_notice_draft(admin, document)
    assert rpc.get_notice_draft(admin, year) == saved
    published = rpc.publish_notice_draft(admin, year)
    assert published["version"] == 1 and published["policy"]["fees"]["certificate_fen"] == 2500
    assert rpc.get_notice(year)["policy"]["fees"]["certificate_fen"] == 2500
    assert rpc.get_notice(2026)["policy"]["fees"]["certificate_fen"] == DEFAULT_POLICY["fees"]["certificate_fen"]
    versions = rpc.list_notice_versions(year)
    assert [item["version"] for item in versions] == [1]
    assert {"path": "policy.fees.certificate_fen", "label": label_of("policy.fees.certificate_fen"),
            "before": None, "after": 2500} in versions[0]["changes"]
    assert rpc.get_notice_version(year, 1) == versions[0]
    assert "changes" not in rpc.get_notice(year)
