"""The meeting record in headless Chromium and over HTTP: the office downloads the signed PDF from the
closed meeting's page; the public verification page says 有效 for the real PDF and 无效 for one altered
byte (desktop and phone); experts and applicants are refused the PDF; the JSON check answers alike.
Screenshots go to /tmp/shots/record/."""
import hashlib
from pathlib import Path
from urllib.parse import unquote

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.review_support import (
    UNIT_A, Staff, accepted_and_paid, committee_with_pool, open_meeting, person_name, recommended, submitted_dossier,
    vote,
)
from tests.e2e.test_pages_journey import sign_in
from tests.waiting import wait_until

DRAWN = (2, 3, 4, 5, 7, 8, 9, 10, 12)  # nobody from 甲: the dossiers are 甲's
SHOTS = Path("/tmp/shots/record")
PHONE = {"width": 390, "height": 844}

expect.set_options(timeout=15000)


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def staff(system):
    return Staff(system["client"], system["review_clock"])


@pytest.fixture(scope="module")
def record(system, staff, cluster_rpc):
    """A closed meeting of two dossiers of 甲 (one 通过, one 未通过), its applicant and its record's PDF."""
    names = [person_name("纪"), person_name("要")]
    made = [submitted_dossier(system["client"], name) for name in names]
    ids = [dossier_id for _, dossier_id in made]
    recommended(staff, UNIT_A, *ids)
    accepted_and_paid(staff, cluster_rpc, UNIT_A, *ids)
    for dossier_id in ids:
        wait_until(lambda d=dossier_id: staff["city_admin"].get(f"/api/v1/review/queue/{d}").json["status"] == "fee_paid",
                   what="fee_paid event")
    committee = committee_with_pool(staff["city_admin"])
    secretary = staff["eng_secretary"]
    meeting = open_meeting(secretary, committee["id"], ids, DRAWN)
    for index, number in enumerate(DRAWN):
        assert vote(staff.expert(number), meeting["id"], ids[0], "agree").status == 201
        assert vote(staff.expert(number), meeting["id"], ids[1], "agree" if index < 4 else "disagree").status == 201
    closed = secretary.post(f"/api/v1/meetings/{meeting['id']}/close")
    assert closed.status == 200, closed
    pdf = secretary.get(f"/api/v1/meetings/{meeting['id']}/record")
    assert pdf.status == 200 and pdf.headers["Content-Type"] == "application/pdf", pdf
    # The file is named after the record's number, as its footer prints it: 评审会议纪要-PS2026-0001.pdf
    number = unquote(pdf.headers["Content-Disposition"].split("''", 1)[1]).removeprefix("评审会议纪要-").removesuffix(".pdf")
    return {"meeting_id": meeting["id"], "names": names, "applicant": made[0][0], "pdf": pdf.body, "number": number}


class TestTheOffice:
    def test_the_office_downloads_the_signed_record_from_the_meeting_page(self, record, new_page):
        page = new_page()
        sign_in(page, "eng_secretary", DEMO_PASSWORD)
        page.goto(f"/meetings/{record['meeting_id']}")
        expect(page.locator("#meeting-record")).to_contain_text("会议纪要")
        shot(page, "e2e-meeting-page-record")
        link = page.locator("#record-download")
        expect(link).to_be_visible()
        # The link as the browser follows it, with the office's own sign-in (Playwright's download event
        # never fires under this process's eventlet loop, so the file is fetched the same way by hand).
        answer = page.request.get(link.get_attribute("href"))
        assert answer.status == 200 and answer.headers["content-type"] == "application/pdf"
        assert "attachment" in answer.headers["content-disposition"] and record["number"] in unquote(
            answer.headers["content-disposition"])
        assert answer.body() == record["pdf"]  # the stored bytes, every time


class TestThePublicCheck:
    @pytest.mark.parametrize("viewport, name", [(None, "desktop"), (PHONE, "phone")])
    def test_the_real_pdf_is_valid_and_an_altered_one_is_not(self, record, staff, new_page, tmp_path, viewport, name):
        check = staff.client.get("/api/v1/meeting-records/PS0000-0000/verify",
                                 params={"sha256": hashlib.sha256(record["pdf"]).hexdigest()})
        assert check.status == 200 and check.json["found"] is False
        number = record["number"]
        real, altered = tmp_path / "纪要.pdf", tmp_path / "纪要-改.pdf"
        real.write_bytes(record["pdf"])
        changed = bytearray(record["pdf"])
        changed[len(changed) // 2] ^= 0x20
        altered.write_bytes(bytes(changed))

        page = new_page(viewport) if viewport else new_page()
        page.goto(f"/records/verify?number={number}")  # as the printed address and QR code open it
        expect(page.locator("#f-number")).to_have_value(number)
        page.set_input_files("#f-file", str(real))
        page.click("#record-verify-submit")
        expect(page.locator("#record-verdict")).to_have_text("✔ 有效")
        expect(page.locator("#record-summary")).to_contain_text("通过 1 件,未通过 1 件")
        expect(page.locator("#record-dossiers")).to_contain_text(record["names"][0])
        shot(page, f"e2e-record-verify-valid-{name}")

        page.goto(f"/records/verify?number={number}")
        page.set_input_files("#f-file", str(altered))
        page.click("#record-verify-submit")
        expect(page.locator("#record-verdict")).to_have_text("✘ 无效")
        expect(page.locator("#record-message")).to_contain_text("不一致")
        expect(page.locator("#record-dossiers")).to_have_count(0)  # nothing of the record for a file that is not it
        shot(page, f"e2e-record-verify-invalid-{name}")

    def test_the_json_check_and_the_published_keys(self, record, staff):
        number = record["number"]
        answer = staff.client.get(f"/api/v1/meeting-records/{number}/verify",
                                  params={"sha256": hashlib.sha256(record["pdf"]).hexdigest()})
        assert answer.status == 200 and answer.json["valid"] is True
        assert answer.json["key_id"] in staff.client.get("/api/v1/meeting-records/public-keys").json["keys"]
        refused = staff.client.get(f"/api/v1/meeting-records/{number}/verify", params={"sha256": "not-a-digest"})
        assert refused.status == 422 and "sha256" in refused.json["error"]["fields"]


class TestWhoMayDownload:
    def test_experts_and_applicants_are_refused(self, record, staff, new_page):
        for client in (staff.expert(3), record["applicant"]):
            assert client.get(f"/api/v1/meetings/{record['meeting_id']}/record").status == 403
        page = new_page()
        sign_in(page, "expert03", DEMO_PASSWORD)
        response = page.goto(f"/meetings/{record['meeting_id']}/record.pdf")
        assert response.status == 403
        assert staff["auditor"].get(f"/api/v1/meetings/{record['meeting_id']}/record").body == record["pdf"]
