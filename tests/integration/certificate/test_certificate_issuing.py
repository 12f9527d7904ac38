"""Issuing on publicity_ended with the real dossier, identity and S3 server: the fields of docs/domain-rules.md R9.1,
the signed and stored PDF, the dossier's certificate_issued, and exactly one certificate per dossier
however the event is delivered (twice, to two instances) or the issue is called (concurrently)."""
import base64
import hashlib
import io
import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import eventlet
import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from pypdf import PdfReader
from sqlalchemy import select

from services.certificate.exceptions import CertificateNotAllowedError, CertificateNotFound
from services.certificate.dependencies import build_certificates
from services.certificate.ports import RpcDossierPort, RpcIdentityPort
from services.certificate.service import CertificateService
from services.certificate.storage import CertificateStore
from services.certificate.tables import certificate_counters
from services.certificate.tables import certificates as certificates_table
from shared.contracts import dossier as st
from tests.factories import Cast
from tests.integration.payment.dossier_journey import (
    JOURNEY_COMMITTEE, bus_message, dossier_in, publish, queue_depth, wait_for,
)
from shared.clock import beijing_today

SHANGHAI = ZoneInfo("Asia/Shanghai")
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "certificates"
PUBLICITY_ENDED_QUEUE = "evt-dossier-dossier_publicity_ended--certificate.handle_dossier_publicity_ended"


def png_for_review(pdf, name):
    """The page as test-artifacts/certificates/<name>.png (pdftoppm), for people to look at."""
    if shutil.which("pdftoppm") is None:
        return
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    source = ARTIFACTS / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-singlefile", str(source), str(ARTIFACTS / name)], check=True)


def certificate_of(proxy, dossier_id):
    try:
        view = proxy.certificate.get_by_dossier(dossier_id)
    except CertificateNotFound:
        return None
    return view if view["pdf_ready"] and view["dossier_recorded"] else None


def rows_of(certificate_db, dossier_id):
    with certificate_db.connect() as connection:
        return [dict(row) for row in connection.execute(
            select(certificates_table).where(certificates_table.c.dossier_id == dossier_id)).mappings()]


def counter(certificate_db, year=2026, series_code="01", level_digit="2"):
    with certificate_db.connect() as connection:
        return connection.execute(select(certificate_counters.c.last_serial).where(
            certificate_counters.c.year == year, certificate_counters.c.series_code == series_code,
            certificate_counters.c.level_digit == level_digit)).scalar() or 0


def event_types(dossiers, dossier_id):
    return [entry["type"] for entry in dossiers.history(dossier_id)]


class TestIssuing:
    def test_publicity_ended_issues_a_signed_stored_certificate_with_every_field(self, services, dossiers,
                                                                                registered_cast):
        cast = registered_cast(name="王芳", male=False)
        dossier_id, _ = dossier_in(dossiers, st.APPROVED, cast, applicant_name="王芳", specialty="电气工程")
        view = wait_for(lambda: certificate_of(services, dossier_id))
        assert view, "no certificate was issued"
        passed_at = next(e["at"] for e in dossiers.history(dossier_id) if e["type"] == "passed")
        fields = view["fields"]
        assert re.fullmatch(r"20265301012\d{6}", view["number"])
        assert fields == {
            "number": view["number"], "name": "王芳", "gender": "女", "id_number_masked": cast.account["id_number_masked"],
            "unit": "演示单位甲", "series": "工程", "specialty": "电气工程", "qualification": "工程师", "level": "中级",
            "method": "评审", "committee": JOURNEY_COMMITTEE,  # the committee the dossier was sent to
            "pass_date": datetime.fromisoformat(passed_at).astimezone(SHANGHAI).date().isoformat(),
            "issuing_body": "昆明市人力资源和社会保障局", "issue_date": beijing_today().isoformat(),
        }
        assert re.fullmatch(r"\d{4}\*{10}\d{3}[\dX]", fields["id_number_masked"])
        dossier = dossiers.get(dossier_id)
        assert (dossier["status"], dossier["certificate_number"]) == (st.CERTIFIED, view["number"])
        issued_event = dossiers.history(dossier_id)[-1]
        assert (issued_event["type"], issued_event["actor"]["role"]) == ("certificate_issued", "system")
        # the holder downloads the PDF from object storage; its text holds the fields
        download = services.certificate.pdf(cast.applicant.to_dict(), dossier_id)
        assert download["object_key"] == f"certificates/2026/{view['number']}.pdf"
        pdf = base64.b64decode(download["content_base64"])
        assert hashlib.sha256(pdf).hexdigest() == download["sha256"]
        text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
        for item in view["face"]:
            assert item["value"] in text, item["label"]
        assert view["verification_code"] in text
        png_for_review(pdf, "issued-certificate")
        # and anyone can verify it by number and code
        answer = services.certificate.verify(view["number"], view["verification_code"])
        assert (answer["valid"], answer["revoked"], answer["signature_valid"]) == (True, False, True)
        assert answer["holder"] == {"name": "王芳", "id_number_masked": cast.account["id_number_masked"]}
        assert (answer["title"], answer["issuing_body"]) == ("工程师", "昆明市人力资源和社会保障局")

    def test_other_applicants_cannot_download_the_certificate(self, services, dossiers, registered_cast):
        dossier_id, _ = dossier_in(dossiers, st.APPROVED, registered_cast())
        assert wait_for(lambda: certificate_of(services, dossier_id))
        with pytest.raises(CertificateNotAllowedError):
            services.certificate.pdf(Cast().applicant.to_dict(), dossier_id)
        assert services.certificate.pdf({"account_id": "aud", "role": "auditor"}, dossier_id)["size"] > 10000


class TestExactlyOnce:
    def test_publicity_ended_delivered_twice_to_two_instances_issues_one_certificate(
            self, services, run_services, certificate_config, certificate_db, dossiers, registered_cast):
        run_services((CertificateService, certificate_config))  # a second instance on the same queue
        before = counter(certificate_db)
        dossier_id, cast = dossier_in(dossiers, st.APPROVED, registered_cast())
        message = bus_message(dossiers, certificate_config["AMQP_URI"], dossier_id, "dossier_publicity_ended")
        publish(certificate_config["AMQP_URI"], message, times=3)  # plus the relay's own delivery
        assert wait_for(lambda: certificate_of(services, dossier_id))
        wait_for(lambda: queue_depth(certificate_config["AMQP_URI"], PUBLICITY_ENDED_QUEUE) == 0)
        eventlet.sleep(1.0)
        (row,) = rows_of(certificate_db, dossier_id)
        assert counter(certificate_db) == before + 1 == row["serial"]
        assert event_types(dossiers, dossier_id).count("certificate_issued") == 1
        assert CertificateStore.from_config(certificate_config["S3"]).exists(row["object_key"])

    def test_concurrent_direct_calls_from_two_instances_issue_one_certificate(
            self, services, certificates, certificate_config, certificate_db, dossiers, registered_cast):
        other_instance = build_certificates(certificate_config)
        before = counter(certificate_db)
        dossier_id, _ = dossier_in(dossiers, st.APPROVED, registered_cast())

        def issue(app):
            with ClusterRpcProxy({"AMQP_URI": certificate_config["AMQP_URI"]}, timeout=30) as proxy:
                return app.issue(dossier_id, RpcDossierPort(proxy.dossier), RpcIdentityPort(proxy.identity))["number"]

        try:
            calls = [eventlet.spawn(issue, app) for app in [certificates, other_instance] * 4]
            numbers = {call.wait() for call in calls}
        finally:
            other_instance.close()
        (row,) = rows_of(certificate_db, dossier_id)
        assert numbers == {row["number"]}
        assert counter(certificate_db) == before + 1
        wait_for(lambda: certificate_of(services, dossier_id))
        assert event_types(dossiers, dossier_id).count("certificate_issued") == 1
