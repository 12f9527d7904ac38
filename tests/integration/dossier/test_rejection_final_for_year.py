"""不予通过 is final for the review year (DOMAIN §5), on real PostgreSQL and RabbitMQ: after a reviewer
rejects a dossier, or the committee's vote fails it, its applicant cannot open another dossier in that
year; a withdrawn or abandoned one decides nothing; other years and other applicants are unaffected.

The dossiers move through the application's own use cases (create, submit, reject, the chain to the
committee) as the service runs them; the year's notice keeps its default limit of one active dossier,
so what refuses the second creation is this rule, not the limit (a withdrawn dossier frees it)."""
import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.dossier.exceptions import DecidedForYearError
from services.dossier.service import DossierService
from shared.contracts import dossier as st
from shared.roles import Actor
from shared.rpc import register_platform_errors
from tests.factories import Cast, fill_everything, notice_document
from tests.integration.payment.dossier_journey import drive

register_platform_errors()

# Years no other test publishes; every test has its own applicant, so they may share them.
YEAR, NEXT_YEAR = 2096, 2097
CITY = Actor(account_id="city-admin-final-year", role="city_admin", org_id="city")


@pytest.fixture
def years(dossiers):
    """The two years' notices, open now, with the default policy (one active dossier per year)."""
    for year in (YEAR, NEXT_YEAR):
        published = {item["review_year"] for item in dossiers.list_notices()}
        if year not in published:
            dossiers.publish_notice(CITY, notice_document(year))
    return YEAR, NEXT_YEAR


def submitted(dossiers, cast, year, **creation):
    """A complete dossier of *year*, created and submitted by its applicant (the aggregate's completeness
    rule; the year's eligibility policy has its own tests)."""
    dossier = dossiers.create(cast.applicant, **cast.creation_fields(review_year=year, **creation))
    loaded = dossiers.load(dossier.id)
    fill_everything(loaded, cast)
    loaded.submit(cast.applicant)
    dossiers.save(loaded)
    return str(loaded.id)


def rejected(dossiers, cast, year):
    dossier_id = submitted(dossiers, cast, year)
    version = dossiers.get(dossier_id)["version"]
    answer = dossiers.reject(dossier_id, cast.unit_admin, reason="业绩材料与实际不符", expected_version=version)
    assert answer.status == st.REJECTED
    return dossier_id


def dossiers_of(dossiers, cast, year):
    return dossiers.list(filters={"applicant_id": cast.applicant.account_id, "review_year": year})["total"]


class TestRejectedIsFinalForTheYear:
    def test_after_a_rejection_a_new_dossier_that_year_is_refused_naming_the_rejected_one(self, dossiers, years):
        cast = Cast()
        dossier_id = rejected(dossiers, cast, YEAR)
        with pytest.raises(DecidedForYearError) as refused:
            dossiers.create(cast.applicant, **cast.creation_fields(review_year=YEAR, specialty="机械工程"))
        message = refused.value.message
        assert f"{YEAR}年度" in message and dossier_id[:8] in message
        assert "工程系列中级·土木工程" in message and "「不予通过」" in message and "下一评审年度" in message
        assert dossiers_of(dossiers, cast, YEAR) == 1  # nothing was created

    def test_the_next_year_is_open_to_the_same_applicant(self, dossiers, years):
        cast = Cast()
        rejected(dossiers, cast, YEAR)
        created = dossiers.create(cast.applicant, **cast.creation_fields(review_year=NEXT_YEAR))
        assert created.status == st.DRAFT and dossiers_of(dossiers, cast, NEXT_YEAR) == 1

    def test_another_applicant_of_the_same_year_is_not_affected(self, dossiers, years):
        rejected(dossiers, Cast(), YEAR)
        other = Cast()
        assert dossiers.create(other.applicant, **other.creation_fields(review_year=YEAR)).status == st.DRAFT

    def test_a_failed_committee_vote_is_final_for_the_year_too(self, dossiers, years):
        cast = Cast()
        dossier_id = submitted(dossiers, cast, YEAR)
        drive(dossiers, dossier_id, cast, st.FEE_PAID, start=1)  # the chain after submission
        dossiers.send_to_committee(dossier_id, cast.city_admin, committee_id="committee-final", meeting_id="m-final")
        dossiers.start_review(dossier_id, cast.secretary, meeting_id="m-final")
        failed = dossiers.record_vote_result(dossier_id, cast.secretary, agree=3, disagree=10, abstain=2, voters=15,
                                             required=10)
        assert failed.status == st.FAILED
        with pytest.raises(DecidedForYearError, match="「评审未通过」"):
            dossiers.create(cast.applicant, **cast.creation_fields(review_year=YEAR))


class TestWithdrawnOrAbandonedDecidesNothing:
    def test_after_withdrawing_a_new_dossier_that_year_is_allowed(self, dossiers, years):
        cast = Cast()
        dossier_id = submitted(dossiers, cast, YEAR)
        assert dossiers.withdraw(dossier_id, cast.applicant, reason="改报其他专业").status == st.WITHDRAWN
        created = dossiers.create(cast.applicant, **cast.creation_fields(review_year=YEAR, specialty="机械工程"))
        assert created.status == st.DRAFT and dossiers_of(dossiers, cast, YEAR) == 2

    def test_after_an_abandoned_dossier_a_new_one_that_year_is_allowed(self, dossiers, years):
        cast = Cast()
        dossier_id = submitted(dossiers, cast, YEAR)
        version = dossiers.get(dossier_id)["version"]
        dossiers.return_for_changes(dossier_id, cast.unit_admin, reason="请补充学历证明", sections=["education"],
                                    expected_version=version)
        assert dossiers.abandon(dossier_id, cast.system, reason="逾期未重新提交").status == st.ABANDONED
        assert dossiers.create(cast.applicant, **cast.creation_fields(review_year=YEAR)).status == st.DRAFT


def test_the_refusal_crosses_rpc_as_its_own_error(run_services, dossier_config, dossiers, years):
    """What the gateway sees: the service's ``create`` answers DecidedForYearError (409), not a generic error."""
    run_services((DossierService, dossier_config))
    cast = Cast()
    rejected(dossiers, cast, YEAR)
    with ClusterRpcProxy({"AMQP_URI": dossier_config["AMQP_URI"]}, timeout=30) as proxy:
        with pytest.raises(DecidedForYearError) as refused:
            proxy.dossier.create(cast.applicant.to_dict(), cast.creation_fields(review_year=YEAR))
    assert refused.value.code == "decided_for_year" and refused.value.http_status == 409
