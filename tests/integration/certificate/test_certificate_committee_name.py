"""The certificate names the committee that actually reviewed the dossier (docs/domain-rules.md R9.6):
review sends the dossier with its committee's name (``send_to_committee``), the dossier keeps it, and
the real certificate service prints it. No name is made up from a template: a dossier sent without
one gets no certificate, and the request says why."""
from sqlalchemy import select

from services.certificate.tables import dossier_progress
from shared.contracts import dossier as st
from tests.integration.certificate.test_certificate_issuing import certificate_of
from tests.integration.payment.dossier_journey import REACHES, dossier_in, drive, wait_for


def sent_to(dossiers, cast, committee_name, **overrides):
    """A fee-paid dossier sent to a meeting of the committee called *committee_name*, then taken on
    through the vote and publicity until its certificate is due."""
    dossier_id, _ = dossier_in(dossiers, st.FEE_PAID, cast, **overrides)
    dossiers.send_to_committee(dossier_id, cast.city_admin, committee_id="committee-health-senior",
                               meeting_id="meeting-1", committee_name=committee_name)  # the journey goes on in meeting-1
    drive(dossiers, dossier_id, cast, st.APPROVED, start=REACHES[st.FEE_PAID] + 1)
    return dossier_id


def progress(certificate_db, dossier_id):
    with certificate_db.connect() as connection:
        return connection.execute(select(dossier_progress).where(
            dossier_progress.c.dossier_id == dossier_id)).mappings().first()


def test_the_certificate_prints_the_committee_the_dossier_was_sent_to(services, dossiers, registered_cast):
    reviewing = "昆明市卫生系列高级职称评审委员会(第三届)"
    cast = registered_cast()
    dossier_id = sent_to(dossiers, cast, reviewing, series="health", level="associate_senior", specialty="内科学")

    view = wait_for(lambda: certificate_of(services, dossier_id))
    assert view, "no certificate was issued"
    assert dossiers.get(dossier_id)["committee"]["committee_name"] == reviewing
    assert view["fields"]["committee"] == reviewing
    assert {"label": "评审委员会", "value": reviewing} in view["face"]


def test_a_dossier_that_does_not_name_its_committee_gets_no_certificate_and_says_why(services, dossiers,
                                                                                   registered_cast, certificate_db):
    cast = registered_cast()
    dossier_id = sent_to(dossiers, cast, "")

    closed = wait_for(lambda: (lambda row: row if row and not row["issue_requested"] else None)(
        progress(certificate_db, dossier_id)))
    assert closed, "the issue request should be closed"
    assert "评审委员会" in closed["last_error"]
    assert certificate_of(services, dossier_id) is None
    assert dossiers.get(dossier_id)["status"] == st.APPROVED
