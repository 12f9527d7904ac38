"""A title revoked for fraud sanctions its holder (docs/domain-rules.md R4.9, R4.10) with the bar of the
policy of the year the fraud was found in: the real certificate service, on the dossier's
title_revoked, records the sanction in the real identity service; identity keeps the end date it was
given and can_apply refuses until then. Recorded once however often it is asked; if identity cannot
be reached, the sweep records it later."""
from datetime import date

import pytest

from services.certificate.ports import RpcDossierPort, RpcIdentityPort
from services.certificate.tables import fraud_sanctions
from shared.clock import beijing_today
from tests.factories import notice_document
from tests.integration.certificate.test_certificate_issuing import certificate_of
from tests.integration.dossier.conftest import CITY_ADMIN as NOTICE_PUBLISHER
from tests.integration.payment.dossier_journey import bus_message, dossier_in, wait_for
from tests.integration.shared.event_failure_support import dossier_event
from shared.contracts import dossier as st

CITY_ADMIN = {"account_id": "city-admin-revoker", "role": "city_admin", "org_id": "city"}
BAR_YEARS = 5  # what this module's notice sets, against the default of 3


def years_after(day, years):
    """The first day *years* after *day* (29 February → 1 March), as a bar from *day* ends."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


@pytest.fixture
def bar_of_this_year(dossiers):
    """This year's notice (the year the fraud is found in) sets the fraud bar to BAR_YEARS; the
    default bar again afterwards, for the other modules on this dossier database."""
    year = beijing_today().year
    overrides = {"max_active_dossiers": 10}
    dossiers.publish_notice(NOTICE_PUBLISHER, notice_document(
        year, policy={**overrides, "sanction_bar_years": {"fraud": BAR_YEARS}}))
    yield dossiers.get_notice(year)["policy"]["sanction_bar_years"]["fraud"]
    dossiers.publish_notice(NOTICE_PUBLISHER, notice_document(year, policy=overrides))


def sanctions(backends, account_id):
    return backends.identity.sanctions_of(account_id)


class IdentityDown(RpcIdentityPort):
    def record_sanction(self, *args):
        raise ConnectionError("identity service unavailable")


def test_revoking_for_fraud_records_a_sanction_with_the_years_bar(services, dossiers, registered_cast,
                                                                   bar_of_this_year):
    assert bar_of_this_year == BAR_YEARS
    cast = registered_cast()
    dossier_id, _ = dossier_in(dossiers, st.APPROVED, cast)
    view = wait_for(lambda: certificate_of(services, dossier_id))
    assert view, "no certificate was issued"

    services.certificate.revoke(CITY_ADMIN, view["number"], "评审材料中的论文系抄袭", True)

    (sanction,) = wait_for(lambda: sanctions(services, cast.applicant.account_id))
    found_on = beijing_today()
    assert (sanction["kind"], sanction["sanctioned_on"], sanction["reference"]) == (
        "fraud", found_on.isoformat(), f"title_revoked:{dossier_id}")
    assert sanction["bars_until"] == years_after(found_on, BAR_YEARS).isoformat()
    assert "论文系抄袭" in sanction["reason"]
    answer = services.identity.can_apply(cast.applicant.account_id, found_on.year + 1)
    assert answer["allowed"] is False
    assert any(sanction["bars_until"] in reason["message"] for reason in answer["reasons"])


def test_a_title_revoked_without_fraud_records_no_sanction(services, dossiers, registered_cast, bar_of_this_year):
    cast = registered_cast()
    dossier_id, _ = dossier_in(dossiers, st.APPROVED, cast)
    view = wait_for(lambda: certificate_of(services, dossier_id))
    services.certificate.revoke(CITY_ADMIN, view["number"], "证书信息录入错误", False)
    wait_for(lambda: services.certificate.get_by_dossier(dossier_id)["status"] == "revoked")
    assert sanctions(services, cast.applicant.account_id) == []


def test_the_sanction_is_recorded_once_however_often_the_revocation_arrives(services, dossiers, certificates,
                                                                          certificate_config, registered_cast,
                                                                          bar_of_this_year):
    cast = registered_cast()
    dossier_id, _ = dossier_in(dossiers, st.APPROVED, cast)
    wait_for(lambda: certificate_of(services, dossier_id))
    dossiers.revoke_title(dossier_id, cast.city_admin, reason="学历证书伪造", fraud=True)
    wait_for(lambda: sanctions(services, cast.applicant.account_id))

    event = bus_message(dossiers, certificate_config["AMQP_URI"], dossier_id, "dossier_title_revoked")
    ports = RpcDossierPort(services.dossier), RpcIdentityPort(services.identity)
    certificates.on_title_revoked(event, *ports)  # a redelivery, handled by a second instance
    certificates.record_sanctions(*ports)
    assert len(sanctions(services, cast.applicant.account_id)) == 1


def test_a_sanction_identity_could_not_take_is_recorded_by_the_sweep(services, certificates, certificate_db,
                                                                     registered_cast, bar_of_this_year):
    """An event of a dossier this test makes up (so the running service never sees it) meets identity down."""
    cast = registered_cast()
    event = dossier_event("dossier_title_revoked", status=st.REVOKED, version=30,
                          data={"reason": "业绩材料造假", "fraud": True})
    event["dossier"]["applicant_id"] = cast.applicant.account_id
    dossier = RpcDossierPort(services.dossier)

    assert certificates.on_title_revoked(event, dossier, IdentityDown(services.identity)) is False  # no certificate
    with certificate_db.connect() as connection:
        noted = connection.execute(fraud_sanctions.select().where(
            fraud_sanctions.c.dossier_id == event["dossier_id"])).mappings().one()
    assert noted["recorded_at"] is None and noted["attempts"] == 1 and "unavailable" in noted["last_error"]
    assert sanctions(services, cast.applicant.account_id) == []

    certificates.issue_pending(dossier, RpcIdentityPort(services.identity))  # the sweep

    (sanction,) = sanctions(services, cast.applicant.account_id)
    assert sanction["bars_until"] == years_after(beijing_today(), BAR_YEARS).isoformat()
    with certificate_db.connect() as connection:
        recorded = connection.execute(fraud_sanctions.select().where(
            fraud_sanctions.c.dossier_id == event["dossier_id"])).mappings().one()
    assert (recorded["bar_years"], recorded["sanction_id"]) == (BAR_YEARS, sanction["id"])
