"""The demo of ``make run`` (deploy/dev/demo): loaded into fresh databases, a virtual host and buckets
of its own, on real PostgreSQL, RabbitMQ and S3. Each demo dossier stands at the step the cast gives it,
with a history that verifies and reads in time order; the certified one has a certificate that
verifies; the committee has its fifteen experts; and loading again changes nothing."""
import base64
import copy
from datetime import datetime, timedelta

import pytest
from sqlalchemy import create_engine, inspect, text

from deploy.dev.demo.cast import CAST, CITY, SECRETARY, applicant_at
from deploy.dev.demo.files import Evidence
from deploy.dev.demo.load import load_demo
from deploy.dev.demo.stage import SERVICE_CLASSES, Stage
from services.certificate.storage import CertificateStore
from shared.contracts import dossier as st
from services.identity.seed import ENGINEERING_COMMITTEE, EXPERT_COUNT, seed_id
from shared.clock import TravelClock, beijing_date, beijing_today, utc_now
from shared.config import service_config
from tests.e2e.conftest import seed_identity

DATABASES = ["identity", "dossier", "review", "payment", "paysim", "certificate", "notification"]


def demo_configs(database_url, amqp_uri, s3_settings):
    configs = {name: copy.deepcopy(service_config(name)) for name in SERVICE_CLASSES}
    for name, config in configs.items():
        config.update(AMQP_URI=amqp_uri, DATABASE_URL=database_url(f"demo_{name}"))
    configs["identity"]["PASSWORDS"].update(ARGON2_TIME_COST=1, ARGON2_MEMORY_KIB=8, ARGON2_PARALLELISM=1)
    configs["payment"]["SIMULATOR"].update(ENABLED=True, DATABASE_URL=database_url("demo_paysim"), NOTIFY_URL="")
    configs["certificate"]["S3"] = dict(s3_settings, bucket="demo-certificates")
    configs["evidence_s3"] = dict(s3_settings, bucket="demo-evidence")
    return configs


def row_counts(database_url):
    """``{database.table: rows}`` of every table the demo's services keep."""
    counts = {}
    for name in DATABASES:
        engine = create_engine(database_url(f"demo_{name}"))
        try:
            with engine.connect() as connection:
                for table in inspect(connection).get_table_names():
                    counts[f"{name}.{table}"] = connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar()
        finally:
            engine.dispose()
    return counts


@pytest.fixture(scope="module")
def demo(database_url, amqp_vhost, s3_settings):
    configs = demo_configs(database_url, amqp_vhost("demo"), s3_settings)
    seed_identity(configs["identity"])
    first = []
    dossier_ids = load_demo(configs, out=first.append)
    before = row_counts(database_url)
    second = []
    load_demo(configs, out=second.append)
    lost = forget_some_files(configs, dossier_ids)
    third = []
    load_demo(configs, out=third.append)
    after = row_counts(database_url)
    with Stage(configs, TravelClock()) as stage:  # to ask the services what the demo left
        yield {"rpc": stage.rpc, "ids": dossier_ids, "first": first, "second": second, "third": third,
               "lost": lost, "before": before, "after": after, "configs": configs}


def forget_some_files(configs, dossier_ids):
    """Remove one evidence file and the certificate PDF, as a restarted in-memory S3 server would have."""
    evidence = Evidence(configs["evidence_s3"]).store
    material_key = evidence.keys(f"dossiers/{dossier_ids[applicant_at(st.SUBMITTED).phone]}/")[0]
    certificates = CertificateStore.from_config(configs["certificate"]["S3"])
    (certificate_key,) = certificates.keys("certificates/")
    lost = {"evidence": (material_key, evidence.read(material_key)),
            "certificate": (certificate_key, certificates.read(certificate_key))}
    evidence.remove(material_key)
    certificates.remove(certificate_key)
    return lost


def dossier_of(demo, status):
    applicant = applicant_at(status)
    return applicant, demo["rpc"].dossier.get(demo["ids"][applicant.phone])


class TestTheDossiers:
    def test_each_demo_dossier_stands_at_the_step_the_cast_gives_it(self, demo):
        statuses = {applicant.name: demo["rpc"].dossier.get(demo["ids"][applicant.phone])["status"] for applicant in CAST}
        assert statuses == {applicant.name: applicant.status for applicant in CAST}
        assert len(demo["first"]) == len(CAST)
        for applicant, line in zip(CAST, demo["first"], strict=True):
            assert applicant.name in line and st.STATUS_LABELS[applicant.status] in line

    def test_every_history_verifies_and_reads_in_time_order_within_the_last_weeks(self, demo):
        now = utc_now()
        for applicant in CAST:
            dossier_id = demo["ids"][applicant.phone]
            assert demo["rpc"].dossier.verify(dossier_id)["ok"], applicant.name
            moments = [datetime.fromisoformat(entry["at"]) for entry in demo["rpc"].dossier.history(dossier_id)]
            assert moments == sorted(moments), applicant.name
            assert now - timedelta(days=75) < moments[0] and moments[-1] < now, applicant.name

    def test_the_returned_dossier_says_why_and_which_sections(self, demo):
        _, dossier = dossier_of(demo, st.RETURNED)
        assert dossier["return_notice"]["reason"]
        assert set(dossier["return_notice"]["sections"]) == {"continuing_education", "materials"}

    def test_the_accepted_dossier_has_a_review_fee_order_still_to_pay(self, demo):
        _, dossier = dossier_of(demo, st.ACCEPTED)
        (order,) = demo["rpc"].payment.orders_of_dossier(dossier["id"])
        assert order["status"] == "pending"
        assert datetime.fromisoformat(order["expires_at"]) > utc_now() + timedelta(hours=12)

    def test_the_dossier_sent_to_committee_waits_for_a_meeting_still_to_come(self, demo):
        _, dossier = dossier_of(demo, st.SENT_TO_COMMITTEE)
        meeting = demo["rpc"].review.get_meeting(SECRETARY, dossier["committee"]["meeting_id"])
        assert meeting["state"] == "planned" and meeting["meeting_date"] > beijing_today().isoformat()

    def test_the_publicity_window_is_open_today(self, demo):
        _, dossier = dossier_of(demo, st.IN_PUBLICITY)
        assert dossier["publicity"]["start"] <= beijing_today().isoformat() <= dossier["publicity"]["end"]


class TestTheCertificate:
    def test_it_was_issued_after_the_publicity_window_closed_and_verifies(self, demo):
        applicant, dossier = dossier_of(demo, st.CERTIFIED)
        history = demo["rpc"].dossier.history(dossier["id"])
        ended = next(entry for entry in history if entry["type"] == "publicity_ended")
        assert beijing_date(datetime.fromisoformat(ended["at"])).isoformat() > dossier["publicity"]["end"]
        certificate = demo["rpc"].certificate.get_by_dossier(dossier["id"])
        assert certificate["number"] == dossier["certificate_number"] and certificate["pdf_ready"]
        answer = demo["rpc"].certificate.verify(certificate["number"], certificate["verification_code"])
        assert answer["valid"] and not answer["revoked"]
        assert answer["holder"]["name"] == applicant.name

    def test_its_pdf_downloads_for_the_holder(self, demo):
        applicant, dossier = dossier_of(demo, st.CERTIFIED)
        pdf = demo["rpc"].certificate.pdf(applicant.actor, dossier["id"])
        assert base64.b64decode(pdf["content_base64"]).startswith(b"%PDF-")


class TestTheCommittee:
    def test_the_engineering_committee_has_the_fifteen_demo_experts_in_its_pool(self, demo):
        (committee,) = [c for c in demo["rpc"].review.list_committees(CITY) if c["name"] == ENGINEERING_COMMITTEE]
        detail = demo["rpc"].review.get_committee(CITY, committee["id"])
        assert detail["pool_size"] == EXPERT_COUNT and detail["pool_complete"]
        assert detail["office_org_id"] == seed_id("org", ENGINEERING_COMMITTEE)
        pool = {expert["expert_id"] for expert in detail["experts"]}
        assert pool == {seed_id("account", f"expert{n:02d}") for n in range(1, EXPERT_COUNT + 1)}


class TestLoadingAgain:
    def test_a_second_load_adds_no_event_and_no_row_and_says_so_in_one_line(self, demo):
        assert demo["after"] == demo["before"]
        assert len(demo["second"]) == 1 and "已载入" in demo["second"][0] and "补回" not in demo["second"][0]

    def test_files_the_object_store_forgot_come_back_byte_for_byte(self, demo):
        assert len(demo["third"]) == 1 and "补回对象存储中缺失的 2 个" in demo["third"][0]
        evidence = Evidence(demo["configs"]["evidence_s3"]).store
        certificates = CertificateStore.from_config(demo["configs"]["certificate"]["S3"])
        for store, (key, data) in ((evidence, demo["lost"]["evidence"]), (certificates, demo["lost"]["certificate"])):
            assert store.read(key) == data
