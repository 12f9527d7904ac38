"""Every RPC of the running certificate service answers what its application answered before the answer
schemas came in: the service's answer over the wire is compared with the application's own answer for
the same certificate, read on the same database and bucket."""
import json

import pytest

from shared.contracts import dossier as st
from shared.roles import Actor
from tests.integration.certificate.test_certificate_issuing import certificate_of
from tests.integration.payment.dossier_journey import dossier_in, wait_for

CITY_ADMIN = {"account_id": "city-admin-answers", "role": "city_admin", "org_id": "city"}


def as_sent(value):
    """*value* as the RPC's JSON carries it."""
    return json.loads(json.dumps(value, ensure_ascii=False))


@pytest.fixture
def certified(services, dossiers, registered_cast):
    cast = registered_cast()
    dossier_id, _ = dossier_in(dossiers, st.APPROVED, cast)
    view = wait_for(lambda: certificate_of(services, dossier_id))
    assert view, "no certificate was issued"
    return view, dossier_id, cast


def test_a_certificate_its_pdf_and_its_verification_are_the_applications(services, certificates, certified):
    view, dossier_id, cast = certified
    assert view == as_sent(certificates.by_dossier(dossier_id))
    assert services.certificate.get(CITY_ADMIN, view["number"]) == as_sent(
        certificates.by_number(Actor.from_dict(CITY_ADMIN), view["number"]))
    assert services.certificate.pdf(cast.applicant.to_dict(), dossier_id) == as_sent(
        certificates.pdf(cast.applicant, dossier_id))
    valid = services.certificate.verify(view["number"], view["verification_code"])
    assert valid["valid"] is True and valid == as_sent(certificates.verify(view["number"], view["verification_code"]))
    unknown = services.certificate.verify(view["number"], "0000-0000")
    assert unknown["found"] is False and unknown == as_sent(certificates.verify(view["number"], "0000-0000"))
    assert services.certificate.public_keys() == as_sent(certificates.public_keys())


def test_a_revoked_certificate_answers_as_the_application_does(services, certificates, certified):
    view, dossier_id, _ = certified
    revoked = services.certificate.revoke(CITY_ADMIN, view["number"], "学历造假")
    assert revoked["status"] == "revoked" and revoked == as_sent(certificates.by_dossier(dossier_id))
    verified = services.certificate.verify(view["number"], view["verification_code"])
    assert (verified["found"], verified["revoked"], verified["reason"]) == (True, True, "学历造假")
    assert verified == as_sent(certificates.verify(view["number"], view["verification_code"]))


def test_health_answers_its_counts(services):
    report = services.certificate.health()
    assert report["service"] == "certificate" and report["status"] in ("ok", "degraded")
    assert {"certificates", "queued", "key_id", "failed_event_handlings"} <= set(report)
