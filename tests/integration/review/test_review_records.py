"""The meeting record (评审会议纪要) on real PostgreSQL, RabbitMQ and an S3-compatible server, with the
real dossier and identity services: closing a meeting makes one signed record whose PDF is stored
once, with the lead reviewers' opinions attributed; the PDF reads in Chinese with its font embedded (pdftotext, pdffonts; page 1 as a PNG in
/tmp/shots/record/ to look at); the real PDF verifies, one altered byte or altered content does not;
only the office, the city admin and the auditor download it; a record the close could not store is
stored later with the same bytes."""
import base64
import copy
import hashlib
import subprocess
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from sqlalchemy import delete, select, text, update

from services.review.cases.committees import CommitteeCases
from services.review.cases.records import RecordCases, RecordKit
from services.review.committee_tables import meeting_records
from services.review.context import Clock
from services.review.domain import record_content
from services.review.exceptions import MeetingStateError, ReviewNotAllowedError
from services.review.record_signing import RecordKeys, RecordStore
from services.review.settings import RecordSettings, Settings
from shared.objectstore import ObjectStore
from shared.roles import Actor
from shared.tokens import load_public_key
from tests.ballot_casting import cast_sealed
from tests.conftest import RUN_ID
from tests.integration.review.review_support import (
    AUDITOR, CITY, EXPERTS, SECRETARY, UNIT_JIA, ReviewSystem, expert,
)

SHOTS = Path("/tmp/shots/record")
VERIFY_URL = "http://gateway.test/records/verify"
LEAD_OPINION = "申报人主持完成的给排水工程设计业绩突出,论文与继续教育符合条件,同意推荐。"


class RecordSystem(ReviewSystem):
    """The review system with an object store for the records' PDFs."""

    def __init__(self, database_url, amqp_uri, s3_settings):
        self.s3 = dict(s3_settings, bucket=f"records-{RUN_ID}")
        super().__init__(database_url, amqp_uri)

    def review_instance_config(self, database_url, **timers):
        config = super().review_instance_config(database_url, **timers)
        config["S3"] = dict(self.s3)
        config["RECORDS"] = copy.deepcopy(config["RECORDS"]) | {"VERIFY_URL": VERIFY_URL}
        return config


@pytest.fixture(scope="module")
def system(database_url, amqp_uri, s3_settings):
    started = RecordSystem(database_url, amqp_uri, s3_settings).start()
    yield started
    started.stop()


def vote(system, meeting_id, dossier_id, choices):
    """``{expert number: choice}`` cast on one dossier."""
    for number, choice in choices.items():
        cast_sealed(system.review, expert(number).to_dict(), meeting_id, dossier_id, choice)


@pytest.fixture(scope="module")
def closed(system):
    """Three dossiers voted on and closed: 6 of 9 (通过), 5 of 9 (未通过), and one from 演示单位甲 where
    experts 01 and 06 recuse (5 of 7, 通过)."""
    ordinary, jia = system.new_cast(), system.new_cast(unit_id=UNIT_JIA)
    d1 = system.fee_paid(ordinary, applicant_name="王建国")[0]
    d2 = system.fee_paid(ordinary, applicant_name="赵丽华")[0]
    d3 = system.fee_paid(jia, applicant_name="孙志强")[0]
    meeting = system.open_meeting([d1, d2, d3])
    mid = meeting["id"]
    system.review.name_leads(SECRETARY.to_dict(), mid, {"dossier_id": d1, "expert_ids": [EXPERTS[2], EXPERTS[4]]})
    system.review.write_lead_opinion(expert(3).to_dict(), mid, {"dossier_id": d1, "opinion": LEAD_OPINION})
    vote(system, mid, d1, dict(zip(range(1, 10), ["agree"] * 6 + ["disagree"] * 2 + ["abstain"], strict=True)))
    vote(system, mid, d2, dict(zip(range(1, 10), ["agree"] * 5 + ["disagree"] * 4, strict=True)))
    vote(system, mid, d3, dict(zip((2, 3, 4, 5, 7, 8, 9), ["agree"] * 5 + ["disagree", "abstain"], strict=True)))
    answer = system.review.close_meeting(SECRETARY.to_dict(), mid)
    assert answer["state"] == "closed"
    return {"meeting_id": mid, "ids": (d1, d2, d3), "applicant": ordinary.applicant}


def record_row(system, meeting_id):
    with system.review_engine.connect() as connection:
        row = connection.execute(select(meeting_records).where(meeting_records.c.meeting_id == meeting_id)).mappings().first()
    return dict(row) if row else None


def downloaded(system, actor, meeting_id):
    answer = system.review.meeting_record_pdf(actor.to_dict(), meeting_id)
    return answer, base64.b64decode(answer["content_base64"])


def run(*command, data=None):
    return subprocess.run(command, input=data, capture_output=True, check=True, timeout=60).stdout


class TestMadeAtClose:
    def test_closing_makes_one_signed_record_whose_stored_pdf_is_downloaded_byte_for_byte(self, system, closed):
        row = record_row(system, closed["meeting_id"])
        assert row is not None and row["pdf_stored_at"] is not None
        assert row["number"] == record_content.record_number(row["year"], row["serial"])
        answer, pdf = downloaded(system, SECRETARY, closed["meeting_id"])
        assert answer["number"] == row["number"] and answer["filename"] == f"评审会议纪要-{row['number']}.pdf"
        assert hashlib.sha256(pdf).hexdigest() == answer["sha256"] == row["pdf_sha256"]
        assert downloaded(system, AUDITOR, closed["meeting_id"])[1] == pdf
        stored = ObjectStore.from_config(system.s3).read(row["object_key"])
        assert stored == pdf
        system.review.close_meeting(SECRETARY.to_dict(), closed["meeting_id"])  # closing again: the same record
        assert record_row(system, closed["meeting_id"])["number"] == row["number"]

    def test_the_content_holds_the_tallies_recusals_and_the_draw_and_no_choice_beside_an_expert(self, system, closed):
        content = record_row(system, closed["meeting_id"])["content"]
        d1, d2, d3 = closed["ids"]
        by_id = {entry["dossier_id"]: entry for entry in content["dossiers"]}
        assert by_id[d1]["tally"] == {"agree": 6, "disagree": 2, "abstain": 1, "voters": 9, "required": 6}
        assert (by_id[d1]["outcome"], by_id[d2]["outcome"], by_id[d3]["outcome"]) == ("通过", "未通过", "通过")
        assert (by_id[d3]["recused"], by_id[d3]["tally"]["voters"], by_id[d3]["tally"]["required"]) == (2, 7, 5)
        assert (by_id[d1]["applicant_name"], by_id[d1]["series"], by_id[d1]["level"]) == ("王建国", "工程", "中级")
        assert content["experts"] == {"drawn": 9, "attending": 9, "absent": 0, "quorum_required": 6, "quorum_share": "2/3"}
        assert content["draw"]["replay_matches"] is True and len(content["draw"]["seed"]) == 32
        assert content["tally_check"]["ok"] is True  # the ballot box's own check of its encrypted tally
        assert content["summary"] == {"dossiers": 3, "carried": 2, "not_carried": 1}
        leads = sorted((lead["name"], lead["opinion"]) for lead in by_id[d1]["leads"])
        assert leads == [("评审专家03", LEAD_OPINION), ("评审专家05", "")]  # attributed; 05 wrote nothing
        assert by_id[d2]["leads"] == [] == by_id[d3]["leads"]
        text_form = record_content.canonical(content).decode()
        assert not any(expert(number).account_id in text_form for number in range(1, 16))


class TestThePdf:
    def test_it_reads_in_chinese_with_every_font_embedded_and_page_one_renders(self, system, closed):
        row = record_row(system, closed["meeting_id"])
        _, pdf = downloaded(system, CITY, closed["meeting_id"])
        words = run("pdftotext", "-layout", "-", "-", data=pdf).decode()
        for expected in ("表决结果汇总表 / 评审会议纪要", row["content"]["committee"]["name"], "昆明市人力资源和社会保障局",
                         "抽取 9 人,出席 9 人,缺席 0 人", "王建国", "赵丽华", "孙志强", "未通过", "计票核验:通过", "复核一致",
                         "主审专家 评审专家03:申报人主持完成", "主审专家 评审专家05:(未提交主审意见)",
                         row["content"]["draw"]["seed"], row["number"], row["content_sha256"], row["key_id"],
                         f"{VERIFY_URL}?number={row['number']}"):
            assert expected in words, expected
        fonts = run("pdffonts", "-", data=pdf).decode().splitlines()[2:]
        assert fonts and all(" yes yes yes " in line for line in fonts), fonts  # embedded, subset, with ToUnicode
        SHOTS.mkdir(parents=True, exist_ok=True)
        source = SHOTS / "meeting-record.pdf"
        source.write_bytes(pdf)
        run("pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", str(source), str(SHOTS / "meeting-record-page"))
        page_one = next(SHOTS.glob("meeting-record-page-1*.png"))
        assert page_one.stat().st_size > 20_000  # a page with text on it, not a blank one


class TestVerification:
    def test_the_real_pdf_verifies_and_its_signature_checks_with_the_published_key_alone(self, system, closed):
        row = record_row(system, closed["meeting_id"])
        _, pdf = downloaded(system, SECRETARY, closed["meeting_id"])
        answer = system.review.verify_meeting_record(row["number"].lower(), hashlib.sha256(pdf).hexdigest().upper())
        assert (answer["found"], answer["valid"], answer["file_matches"], answer["signature_valid"]) == (True,) * 4
        assert answer["content"]["number"] == row["number"]
        keys = system.review.meeting_record_public_keys()
        public_key = load_public_key(keys["keys"][answer["key_id"]])
        public_key.verify(base64.b64decode(answer["signature"]), answer["canonical_content"].encode())
        public_key.verify(base64.b64decode(answer["file_signature"]), record_content.file_seal(
            row["number"], hashlib.sha256(answer["canonical_content"].encode()).hexdigest(), hashlib.sha256(pdf).hexdigest()))
        with pytest.raises(InvalidSignature):
            public_key.verify(base64.b64decode(answer["signature"]), answer["canonical_content"].replace("通过", "未通过").encode())

    def test_one_altered_byte_makes_the_file_invalid_and_shows_nothing_of_the_record(self, system, closed):
        row = record_row(system, closed["meeting_id"])
        _, pdf = downloaded(system, SECRETARY, closed["meeting_id"])
        altered = bytearray(pdf)
        altered[len(altered) // 2] ^= 0x01
        answer = system.review.verify_meeting_record(row["number"], hashlib.sha256(bytes(altered)).hexdigest())
        assert (answer["found"], answer["valid"], answer["file_matches"], answer["signature_valid"]) == (True, False, False, True)
        assert "content" not in answer and "不一致" in answer["message"]
        assert system.review.verify_meeting_record("PS1999-0001", row["pdf_sha256"])["found"] is False

    def test_content_altered_in_the_database_fails_however_the_file_matches(self, system, closed):
        row = record_row(system, closed["meeting_id"])
        with system.review_engine.begin() as connection:
            connection.execute(text(
                "UPDATE meeting_records SET content = jsonb_set(content, '{summary,carried}', '3') WHERE meeting_id = :m"),
                {"m": closed["meeting_id"]})
        try:
            answer = system.review.verify_meeting_record(row["number"], row["pdf_sha256"])
            assert (answer["valid"], answer["file_matches"], answer["signature_valid"]) == (False, True, False)
            assert "content" not in answer and "签名校验未通过" in answer["message"]
        finally:
            with system.review_engine.begin() as connection:
                connection.execute(update(meeting_records).where(meeting_records.c.meeting_id == closed["meeting_id"])
                                   .values(content=row["content"]))
        assert system.review.verify_meeting_record(row["number"], row["pdf_sha256"])["valid"] is True


class TestWhoDownloads:
    @pytest.mark.parametrize("who", ["expert", "applicant", "other office"])
    def test_experts_applicants_and_other_offices_are_refused(self, system, closed, who):
        actor = {"expert": expert(2), "applicant": closed["applicant"],
                 "other office": Actor(account_id="another-secretary", role="committee_secretary", org_id="another-office")}[who]
        with pytest.raises(ReviewNotAllowedError):
            system.review.meeting_record_pdf(actor.to_dict(), closed["meeting_id"])

    def test_a_meeting_still_voting_has_no_record(self, system):
        ids = system.fee_paid(system.new_cast(), applicant_name="钱文斌")
        meeting = system.open_meeting(ids)
        with pytest.raises(MeetingStateError) as raised:
            system.review.meeting_record_pdf(SECRETARY.to_dict(), meeting["id"])
        assert "尚未结束表决" in raised.value.message
        assert record_row(system, meeting["id"]) is None


class TestMadeLater:
    def test_a_record_the_store_refused_at_close_is_stored_by_the_first_download_with_the_sealed_bytes(self, system):
        ids = system.fee_paid(system.new_cast(), applicant_name="周晓梅")
        meeting = system.open_meeting(ids)
        vote(system, meeting["id"], ids[0], {number: "agree" for number in range(1, 10)})
        system.review.close_meeting(SECRETARY.to_dict(), meeting["id"])
        row = record_row(system, meeting["id"])  # undone: as if the close had run where the store was down
        with system.review_engine.begin() as connection:
            connection.execute(delete(meeting_records).where(meeting_records.c.meeting_id == meeting["id"]))
        ObjectStore.from_config(system.s3).remove(row["object_key"])

        settings = RecordSettings.from_config(system.review_config)
        unreachable = RecordStore.from_config({**system.s3, "endpoint": "127.0.0.1:9", "timeout_seconds": 1})
        committees = CommitteeCases(system.review_engine, None, Settings(), Clock(), policies=None)  # records read no policy
        records = RecordCases(system.review_engine, committees, RecordKit(settings, unreachable, RecordKeys(settings)),
                              Clock())
        assert records.make_quietly(meeting["id"]) is None  # the store is down: logged, not raised
        made = record_row(system, meeting["id"])
        assert made is not None and made["pdf_stored_at"] is None

        answer, pdf = downloaded(system, SECRETARY, meeting["id"])
        assert hashlib.sha256(pdf).hexdigest() == made["pdf_sha256"] == answer["sha256"]
        assert record_row(system, meeting["id"])["pdf_stored_at"] is not None
        assert system.review.verify_meeting_record(made["number"], answer["sha256"])["valid"] is True

    def test_the_timer_makes_the_record_of_a_closed_meeting_that_has_none(self, system):
        ids = system.fee_paid(system.new_cast(), applicant_name="吴海燕")
        meeting = system.open_meeting(ids)
        vote(system, meeting["id"], ids[0], {number: "disagree" for number in range(1, 10)})
        system.review.close_meeting(SECRETARY.to_dict(), meeting["id"])
        with system.review_engine.begin() as connection:
            connection.execute(delete(meeting_records).where(meeting_records.c.meeting_id == meeting["id"]))
        ran = system.review.run_timers(CITY.to_dict())
        assert meeting["id"] in ran["records"]
        row = record_row(system, meeting["id"])
        assert row["pdf_stored_at"] is not None and row["content"]["summary"]["not_carried"] == 1
