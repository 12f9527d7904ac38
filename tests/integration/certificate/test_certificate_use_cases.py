"""Certificate's use cases at the application layer: the real Certificates application on PostgreSQL,
the dossier and identity services replaced by in-memory fakes that subclass certificate's ports, and
the PDFs kept in memory. No broker, no S3 server and no nameko."""
import uuid
from datetime import datetime, timezone

import pytest

from services.certificate.application import Certificates
from services.certificate.exceptions import CertificateNotAllowedError, CertificateNotFound
from services.certificate.ports import ALREADY, RECORDED, REFUSED, DossierPort, IdentityPort
from services.certificate.storage import CertificateStore
from shared.contracts import certificate as published
from shared.contracts import dossier as st
from shared.contracts.year_policy import effective_policy
from shared.roles import APPLICANT, CITY_ADMIN, Actor
from tests.integration.shared.event_failure_support import dossier_event

CITY = Actor(account_id=str(uuid.uuid4()), role=CITY_ADMIN)
COMMITTEE = "昆明市工程系列中级评审委员会"


class InMemoryCertificateStore(CertificateStore):
    """The certificate store's verbs over a dict, so issuing is tested without an S3 server."""

    def __init__(self):
        super().__init__(client=None, bucket="in-memory")
        self.objects = {}

    def put_pdf(self, key, data, sha256):
        self.objects[key] = data

    def read(self, key):
        return self.objects[key]

    def exists(self, key):
        return key in self.objects


class FakeDossierPort(DossierPort):
    """Dossiers by id, as the dossier service answers ``get`` and ``history`` and records what it is told."""

    def __init__(self):
        self.dossiers, self.histories = {}, {}

    def add(self, status, **overrides):
        dossier_id = str(uuid.uuid4())
        self.dossiers[dossier_id] = {
            "id": dossier_id, "status": status, "status_label": st.STATUS_LABELS[status], "version": 20,
            "applicant_id": str(uuid.uuid4()), "applicant_name": "李明", "unit_name": "演示单位甲",
            "review_year": 2026, "series": "engineering", "level": "intermediate", "specialty": "土木工程",
            "sections": {}, "committee": {"committee_id": "c-1", "meeting_id": "m-1", "committee_name": COMMITTEE},
            **overrides}
        passing = next(name for name, result in st.EVENT_STATUS.items() if result == st.PASSED)
        self.histories[dossier_id] = [{"type": passing, "at": "2026-03-01T02:00:00+00:00"}]
        return dossier_id

    def get(self, dossier_id):
        return dict(self.dossiers[dossier_id])

    def history(self, dossier_id):
        return list(self.histories[dossier_id])

    def issue_certificate(self, dossier_id, number):
        dossier = self.dossiers[dossier_id]
        if dossier.get("certificate_number") == number:
            return ALREADY
        if dossier["status"] != st.APPROVED:
            return REFUSED
        dossier.update(status=st.CERTIFIED, certificate_number=number)
        return RECORDED

    def revoke_title(self, actor, dossier_id, reason, fraud):
        dossier = self.dossiers[dossier_id]
        if dossier["status"] == st.REVOKED:
            return ALREADY
        dossier.update(status=st.REVOKED, final_reason=reason, revoked_by=actor["account_id"])
        return RECORDED

    def notice(self, review_year):
        """Every year on the published default policy (no certificate fee)."""
        return {"review_year": review_year, "version": 1, "policy": effective_policy()}


class FakeIdentityPort(IdentityPort):
    def get_account(self, account_id):
        return {"id": account_id, "name": "李明", "gender": "male", "id_number_masked": "5301**********123X"}

    def record_sanction(self, account_id, reason, sanctioned_on, bar_years, reference):
        raise AssertionError("no fraud revocation in these cases")


@pytest.fixture(scope="module")
def certificates(database_url):
    app = Certificates(database_url("certificate_cases"), store=InMemoryCertificateStore(),
                       clock=lambda: datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc))
    yield app
    app.close()


@pytest.fixture
def dossier():
    return FakeDossierPort()


def holder_of(dossier, dossier_id):
    return Actor(account_id=dossier.dossiers[dossier_id]["applicant_id"], role=APPLICANT)


def publicity_ended(dossier_id, version=20):
    return dossier_event("dossier_publicity_ended", dossier_id=dossier_id, version=version, status=st.APPROVED)


class TestIssuing:
    def test_a_dossier_whose_publicity_ended_gets_one_signed_stored_and_recorded_certificate(
            self, certificates, dossier):
        dossier_id = dossier.add(st.APPROVED)
        assert certificates.on_publicity_ended(publicity_ended(dossier_id)) is True

        issued = certificates.try_issue(dossier_id, dossier, FakeIdentityPort())
        again = certificates.try_issue(dossier_id, dossier, FakeIdentityPort())

        assert again["number"] == issued["number"] and issued["status"] == published.VALID
        assert issued["pdf_ready"] and issued["dossier_recorded"]
        assert dossier.dossiers[dossier_id]["certificate_number"] == issued["number"]
        assert dossier.dossiers[dossier_id]["status"] == st.CERTIFIED
        answer = certificates.verify(issued["number"], issued["verification_code"])
        assert answer["valid"] is True and answer["revoked"] is False
        assert certificates.pdf(holder_of(dossier, dossier_id), dossier_id)["content_base64"]

    def test_a_dossier_not_yet_through_publicity_is_refused_and_its_request_closed(self, certificates, dossier):
        dossier_id = dossier.add(st.IN_PUBLICITY)
        certificates.on_publicity_ended(publicity_ended(dossier_id))

        assert certificates.try_issue(dossier_id, dossier, FakeIdentityPort()) is None

        with pytest.raises(CertificateNotFound):
            certificates.by_dossier(dossier_id)
        queued, _ = certificates.issue_pending(dossier, FakeIdentityPort())
        assert dossier_id not in queued
        assert "certificate_number" not in dossier.dossiers[dossier_id]

    def test_a_repeated_publicity_ended_event_queues_nothing_new(self, certificates, dossier):
        dossier_id = dossier.add(st.APPROVED)
        assert certificates.on_publicity_ended(publicity_ended(dossier_id)) is True
        assert certificates.on_publicity_ended(publicity_ended(dossier_id)) is False

    def test_the_sweep_issues_what_the_event_queued(self, certificates, dossier):
        dossier_id = dossier.add(st.APPROVED)
        certificates.on_publicity_ended(publicity_ended(dossier_id))

        queued, _ = certificates.issue_pending(dossier, FakeIdentityPort())

        assert dossier_id in queued
        assert certificates.by_dossier(dossier_id)["number"] == dossier.dossiers[dossier_id]["certificate_number"]


class TestRevoking:
    def issued(self, certificates, dossier):
        dossier_id = dossier.add(st.APPROVED)
        certificates.on_publicity_ended(publicity_ended(dossier_id))
        return dossier_id, certificates.try_issue(dossier_id, dossier, FakeIdentityPort())

    def test_the_city_admin_revokes_and_the_dossier_and_verification_say_so(self, certificates, dossier):
        dossier_id, issued = self.issued(certificates, dossier)

        revoked = certificates.revoke(CITY, issued["number"], "材料造假", True, dossier)

        assert revoked["status"] == published.REVOKED and revoked["revoked_reason"] == "材料造假"
        assert dossier.dossiers[dossier_id]["status"] == st.REVOKED
        answer = certificates.verify(issued["number"], issued["verification_code"])
        assert answer["valid"] is False and answer["revoked"] is True
        with pytest.raises(CertificateNotAllowedError):
            certificates.pdf(holder_of(dossier, dossier_id), dossier_id)

    def test_only_the_city_admin_may_revoke(self, certificates, dossier):
        dossier_id, issued = self.issued(certificates, dossier)

        with pytest.raises(CertificateNotAllowedError):
            certificates.revoke(holder_of(dossier, dossier_id), issued["number"], "不想要了", False, dossier)
        assert certificates.by_dossier(dossier_id)["status"] == published.VALID
        assert dossier.dossiers[dossier_id]["status"] == st.CERTIFIED

    def test_a_title_revoked_event_revokes_the_certificate_too(self, certificates, dossier):
        dossier_id, issued = self.issued(certificates, dossier)
        event = dossier_event("dossier_title_revoked", dossier_id=dossier_id, version=30, status=st.REVOKED,
                              data={"reason": "职称已撤销:论文抄袭"})

        assert certificates.on_title_revoked(event) is True

        assert certificates.by_dossier(dossier_id)["revoked_reason"] == "职称已撤销:论文抄袭"
        assert certificates.verify(issued["number"], issued["verification_code"])["revoked"] is True
