"""The access log (issue 16 item 7) through the running system: reads by the applicant, a unit admin
who may not see the dossier, and the auditor are each recorded — who, role and organisation, when,
what, from which address, with which answer and correlation id — and the auditor reads them back by
dossier and by account, in JSON and in headless Chromium (desktop and a 390 px phone); reading the
log is itself recorded. Screenshots in /tmp/shots/access-log/."""
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DEMO_PASSWORD, login
from tests.e2e.review_support import person_name, submitted_dossier
from tests.e2e.test_pages_journey import sign_in
from tests.waiting import wait_until

SHOTS = Path("/tmp/shots/access-log")
PHONE = {"width": 390, "height": 844}

expect.set_options(timeout=15000)


def access(auditor, **query):
    answer = auditor.get("/api/v1/audit/access", params=query)
    assert answer.status == 200, answer
    return answer.json


@pytest.fixture(scope="module")
def reads(system):
    """A dossier, and four reads of it from known addresses under known correlation ids."""
    client = system["client"]
    name = person_name("欧阳")
    applicant, dossier_id = submitted_dossier(client, name)
    dossier = applicant.get(f"/api/v1/dossiers/{dossier_id}").json["dossier"]
    material_id = dossier["materials"][0]["material_id"]
    auditor, other_unit = login(client, "auditor"), login(client, "unit_b_admin")
    ids = {who: uuid.uuid4().hex for who in ("applicant", "material", "other_unit", "auditor")}
    answers = {
        "applicant": applicant.get(f"/api/v1/dossiers/{dossier_id}",
                                   headers={"X-Request-Id": ids["applicant"], "X-Forwarded-For": "203.0.113.9"}),
        "material": applicant.get(f"/api/v1/dossiers/{dossier_id}/materials/{material_id}",
                                  headers={"X-Request-Id": ids["material"], "X-Forwarded-For": "203.0.113.9"}),
        "other_unit": other_unit.get(f"/api/v1/dossiers/{dossier_id}",
                                     headers={"X-Request-Id": ids["other_unit"], "X-Forwarded-For": "198.51.100.4"}),
        "auditor": auditor.get(f"/api/v1/dossiers/{dossier_id}/history", headers={"X-Request-Id": ids["auditor"]}),
    }
    assert answers["applicant"].status == 200 and answers["material"].status == 200
    assert answers["other_unit"].status in (403, 404)
    def all_four():
        found = {item["correlation_id"]: item for item in access(auditor, dossier_id=dossier_id)["items"]}
        return found if set(ids.values()) <= set(found) else None

    by_correlation = wait_until(all_four, seconds=20, what="the four reads in the access log")
    return {"id": dossier_id, "name": name, "material_id": material_id, "ids": ids, "answers": answers,
            "records": {who: by_correlation.get(value) for who, value in ids.items()}, "auditor": auditor,
            "applicant": applicant}


def test_each_read_is_recorded_with_who_what_when_where_and_the_answer(reads):
    records = reads["records"]
    assert all(records.values()), records
    applicant = records["applicant"]
    assert (applicant["name"], applicant["kind"], applicant["status"], applicant["address"]) == \
        (reads["name"], "dossier", 200, "203.0.113.9")
    assert [role["role"] for role in applicant["roles"]] == ["applicant"]
    assert applicant["path"] == f"/api/v1/dossiers/{reads['id']}" and applicant["method"] == "GET"
    material = records["material"]
    assert (material["kind"], material["target"]) == ("material", f"material_id={reads['material_id']}")
    refused = records["other_unit"]
    assert refused["status"] == reads["answers"]["other_unit"].status
    assert any(role["role"] == "unit_admin" and role["org_id"] for role in refused["roles"])
    assert refused["address"] == "198.51.100.4"
    assert records["auditor"]["kind"] == "history"


def test_the_log_is_the_auditors_alone(reads, system):
    for username in ("city_admin", "unit_a_admin"):
        answer = login(system["client"], username).get("/api/v1/audit/access", params={"dossier_id": reads["id"]})
        assert answer.status == 403, answer
    answer = reads["applicant"].get("/api/v1/audit/access", params={"dossier_id": reads["id"]})
    assert answer.status == 403


def test_bad_filters_are_named_and_change_nothing(reads):
    answer = reads["auditor"].get("/api/v1/audit/access", params={"since": "2026-13-40", "kind": "x"})
    assert answer.status == 422
    assert set(answer.json["error"]["fields"]) == {"since", "kind"}


def test_the_auditor_reads_the_log_by_dossier_and_by_account_and_sees_their_own_reads(reads, new_page):
    page = new_page()
    sign_in(page, "auditor", DEMO_PASSWORD)
    page.goto(f"/audit/dossiers/{reads['id']}/access")
    rows = page.locator("#access-log tbody tr")
    expect(rows.filter(has_text=reads["name"]).first).to_be_visible()
    expect(page.locator("#access-log")).to_contain_text("203.0.113.9")
    expect(page.locator("#access-log")).to_contain_text("已拒绝")
    expect(page.locator("#access-log")).to_contain_text(reads["ids"]["applicant"])
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "dossier-access.png"), full_page=True)

    page.locator("#access-log a", has_text=reads["name"]).first.click()  # the applicant's own page
    expect(page.locator("h1")).to_contain_text(reads["name"])
    expect(page.locator("#access-log")).to_contain_text("查看申报材料")
    expect(page.locator("#access-log")).to_contain_text("查阅访问记录")  # their refused try at the log, too

    page.select_option("#f-kind", "material")
    page.click("#access-filters button[type=submit]")
    expect(page.locator("#access-log tbody tr")).to_have_count(1)
    expect(page.locator("#access-log")).to_contain_text("查看/下载证明材料")

    # The auditor's own reads of the workspace, a moment later, under their own name.
    me = reads["auditor"].get("/api/v1/me").json
    account_id = me.get("account_id") or me.get("id")
    page_path = f"/audit/dossiers/{reads['id']}/access"
    wait_until(lambda: any(item["path"] == page_path for item in access(
        reads["auditor"], account_id=account_id, kind="access_log", per_page=200)["items"]),
        seconds=20, what="the auditor's read of the dossier's access log recorded")
    page.goto(f"/audit/accounts/{account_id}/access")
    expect(page.locator("#access-log")).to_contain_text(page_path)
    expect(page.locator("#access-log")).to_contain_text("查阅访问记录")


def test_the_log_reads_on_a_390_px_phone(reads, new_page):
    page = new_page(PHONE)
    sign_in(page, "auditor", DEMO_PASSWORD)
    page.goto(f"/audit/dossiers/{reads['id']}/access")
    expect(page.locator("#access-log")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "dossier-access-phone.png"), full_page=True)
