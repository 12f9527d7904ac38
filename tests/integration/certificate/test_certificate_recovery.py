"""Nothing is lost and nothing is issued wrongly when a step fails: the sweep finishes interrupted
issues, a revoked title is never certified, and the development signing key survives restarts."""
import copy
import re

import pytest
from sqlalchemy import select

from services.certificate.dependencies import build_certificates
from services.certificate.ports import RpcDossierPort, RpcIdentityPort
from services.certificate.tables import certificates as certificates_table
from services.certificate.tables import dossier_progress
from shared.contracts import dossier as st
from tests.factories import Cast
from tests.integration.payment.dossier_journey import bus_message, dossier_in


class DossierDown(RpcDossierPort):
    """The dossier service answers queries but fails to record (as if it went away mid-issue)."""

    def issue_certificate(self, dossier_id, number):
        raise ConnectionError("dossier service unavailable")


class IdentityDown(RpcIdentityPort):
    def get_account(self, account_id):
        raise ConnectionError("identity service unavailable")


class StaleDossier(RpcDossierPort):
    """Its first answer predates the title's revocation (the race between gathering facts and recording)."""

    def __init__(self, proxy):
        super().__init__(proxy)
        self.stale_answers = 1

    def get(self, dossier_id):
        record = super().get(dossier_id)
        if self.stale_answers and record["status"] == "revoked":
            self.stale_answers -= 1
            return dict(record, status="approved")
        return record


def row_of(certificate_db, dossier_id):
    with certificate_db.connect() as connection:
        row = connection.execute(select(certificates_table).where(
            certificates_table.c.dossier_id == dossier_id)).mappings().first()
    return dict(row) if row else None


def progress_of(certificate_db, dossier_id):
    with certificate_db.connect() as connection:
        return dict(connection.execute(select(dossier_progress).where(
            dossier_progress.c.dossier_id == dossier_id)).mappings().one())


def queued(certificates, dossiers, amqp_uri, registered_cast):
    """An approved dossier whose publicity_ended the certificate application has taken (no service running)."""
    dossier_id, cast = dossier_in(dossiers, st.APPROVED, registered_cast())
    assert certificates.on_publicity_ended(bus_message(dossiers, amqp_uri, dossier_id, "dossier_publicity_ended"))
    return dossier_id, cast


class TestTheSweep:
    def test_an_issue_interrupted_before_the_dossier_recorded_it_is_finished_later(
            self, backends, certificates, certificate_config, certificate_db, dossiers, registered_cast):
        dossier_id, _ = queued(certificates, dossiers, certificate_config["AMQP_URI"], registered_cast)
        assert certificates.try_issue(dossier_id, DossierDown(backends.dossier), RpcIdentityPort(backends.identity)) is None
        row = row_of(certificate_db, dossier_id)
        assert row["dossier_recorded_at"] is None and dossiers.get(dossier_id)["status"] == st.APPROVED
        certificates.issue_pending(RpcDossierPort(backends.dossier), RpcIdentityPort(backends.identity))
        row = row_of(certificate_db, dossier_id)
        assert row["pdf_stored_at"] and row["dossier_recorded_at"]
        assert dossiers.get(dossier_id)["certificate_number"] == row["number"]

    def test_a_failed_gather_stays_queued_and_is_retried(self, backends, certificates, certificate_config,
                                                         certificate_db, dossiers, registered_cast):
        dossier_id, _ = queued(certificates, dossiers, certificate_config["AMQP_URI"], registered_cast)
        certificates.try_issue(dossier_id, RpcDossierPort(backends.dossier), IdentityDown(backends.identity))
        progress = progress_of(certificate_db, dossier_id)
        assert (progress["issue_requested"], progress["attempts"]) == (True, 1)
        assert "identity service unavailable" in progress["last_error"] and row_of(certificate_db, dossier_id) is None
        certificates.issue_pending(RpcDossierPort(backends.dossier), RpcIdentityPort(backends.identity))
        assert dossiers.get(dossier_id)["status"] == st.CERTIFIED
        assert progress_of(certificate_db, dossier_id)["issue_requested"] is False


class TestRevokedTitles:
    def test_a_title_revoked_before_issuing_is_never_certified(self, backends, certificates, certificate_config,
                                                               certificate_db, dossiers, registered_cast, ports):
        amqp = certificate_config["AMQP_URI"]
        dossier_id, _ = queued(certificates, dossiers, amqp, registered_cast)
        dossiers.revoke_title(dossier_id, Cast().city_admin, reason="公示期后查实造假", fraud=True)
        certificates.on_title_revoked(bus_message(dossiers, amqp, dossier_id, "dossier_title_revoked"))
        certificates.issue_pending(*ports)
        assert row_of(certificate_db, dossier_id) is None
        # the same events in the other order: publicity_ended is older, so it is ignored
        assert certificates.on_publicity_ended(bus_message(dossiers, amqp, dossier_id, "dossier_publicity_ended")) is False
        assert progress_of(certificate_db, dossier_id)["issue_requested"] is False

    def test_a_title_revoked_while_issuing_leaves_a_revoked_certificate(self, backends, certificates, certificate_config,
                                                                       certificate_db, dossiers, registered_cast):
        dossier_id, _ = queued(certificates, dossiers, certificate_config["AMQP_URI"], registered_cast)
        dossiers.revoke_title(dossier_id, Cast().city_admin, reason="撤销", fraud=False)
        view = certificates.issue(dossier_id, StaleDossier(backends.dossier), RpcIdentityPort(backends.identity))
        assert (view["status"], view["revoked_reason"]) == ("revoked", "撤销")
        answer = certificates.verify(view["number"], view["verification_code"])
        assert (answer["valid"], answer["revoked"]) == (False, True)
        assert "certificate_issued" not in [entry["type"] for entry in dossiers.history(dossier_id)]


class TestNumbering:
    def test_serials_have_no_gaps_even_when_an_issue_fails_midway(self, backends, ports, certificates, certificate_db,
                                                                  dossiers, registered_cast, monkeypatch):
        key = {"year": 2033, "series_code": "01", "level_digit": "3"}
        issued = []
        for attempt in range(4):
            dossier_id, _ = dossier_in(dossiers, st.APPROVED, registered_cast(), review_year=2033,
                                       level="associate_senior")
            if attempt == 1:  # signing fails after the number was taken: the transaction rolls it back
                with monkeypatch.context() as patch:
                    patch.setattr(certificates.signer, "sign", _explode)
                    with pytest.raises(RuntimeError):
                        certificates.issue(dossier_id, *ports)
                assert row_of(certificate_db, dossier_id) is None
            issued.append(certificates.issue(dossier_id, *ports)["number"])
        with certificate_db.connect() as connection:
            serials = sorted(row.serial for row in connection.execute(
                select(certificates_table.c.serial).where(certificates_table.c.counter_key == key)))
        assert serials == list(range(1, len(serials) + 1)) and len(serials) >= 4
        assert all(re.fullmatch(r"20335301013\d{6}", number) for number in issued)
        assert [int(number[-6:]) for number in issued] == serials[-4:]


def _explode(*_):
    raise RuntimeError("signing device unavailable")


def test_without_a_configured_key_every_instance_and_restart_signs_with_one_kept_key(certificate_config, database_url):
    config = copy.deepcopy(certificate_config)
    config["DATABASE_URL"] = database_url("certificate_devkey")
    config["SIGNING"] = {"PRIVATE_KEY": None, "PREVIOUS_PUBLIC_KEYS": None}
    first, second = build_certificates(config), build_certificates(config)
    try:
        assert first.signer.key_id == second.signer.key_id
    finally:
        first.close()
        second.close()
    restarted = build_certificates(config)
    try:
        assert restarted.signer.key_id == first.signer.key_id
    finally:
        restarted.close()
    rotated_config = copy.deepcopy(config)
    rotated_config["SIGNING"]["PRIVATE_KEY"] = certificate_config["SIGNING"]["PRIVATE_KEY"]
    rotated = build_certificates(rotated_config)
    try:
        assert rotated.signer.key_id != first.signer.key_id and first.signer.key_id in rotated.signer.public_keys
    finally:
        rotated.close()

