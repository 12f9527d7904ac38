"""Issue 16's "Done when", as one auditor does it in headless Chromium against the running system: find
a dossier, open version N, compare N with N+3, open the PDF the unit admin approved on, export the audit
package — the project's offline check passes, and fails once one byte of the package is changed — and
find all of these reads under the auditor's own name in the access log. Screenshots in
/tmp/shots/audit-done/."""
import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DEMO_PASSWORD, ROOT, login
from tests.e2e.review_support import Staff, decide, person_name, printed_pdf, submitted_dossier
from tests.e2e.test_pages_journey import sign_in
from tests.waiting import wait_until

SHOTS = Path("/tmp/shots/audit-done")

expect.set_options(timeout=15000)


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def offline_check(package, key):
    return subprocess.run([sys.executable, "-m", "shared.audit_package", "verify", str(package), "--public-key", str(key)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def approved(system):
    """A submitted dossier the unit admin approved; the SHA-256 of the PDF it held then."""
    client, name = system["client"], person_name("诸葛")
    pdf = printed_pdf("DIPLOMA", "approved on this file")
    applicant, dossier_id = submitted_dossier(client, name, pdf=pdf)
    answer = decide(Staff(client)["unit_a_admin"], dossier_id, "approve")
    assert answer.status == 200, answer
    history = login(client, "auditor").get(f"/api/v1/dossiers/{dossier_id}/history").json["items"]
    n = next(event["version"] for event in history if event["type"] == "review_form_filled")
    return {"id": dossier_id, "name": name, "sha256": hashlib.sha256(pdf).hexdigest(), "n": n,
            "newest": len(history)}


def test_the_auditor_finds_replays_compares_opens_exports_and_sees_their_own_reads(approved, new_page, tmp_path):
    page = new_page()
    sign_in(page, "auditor", DEMO_PASSWORD)

    # Find the dossier.
    page.goto("/audit")
    page.fill("#f-applicant_name", approved["name"])
    page.click("#audit-search-submit")
    row = page.locator(f"#audit-row-{approved['id']}")
    expect(row).to_contain_text(approved["name"])
    row.locator("a", has_text="时间线").click()
    expect(page.locator("#verify-result")).to_contain_text("哈希链校验通过")
    shot(page, "1-timeline")

    # Version N, from its row in the timeline.
    n = approved["n"]
    page.locator(f"#event-{n} a.version-link").click()
    expect(page).to_have_url(re.compile(rf"/versions/{n}$"))
    expect(page.locator("#version-banner")).to_contain_text(f"第 {n} 版")
    shot(page, "2-version-n")

    # N compared with N+3.
    page.goto(f"/audit/dossiers/{approved['id']}/compare")
    page.select_option("#f-from", str(n))
    page.select_option("#f-to", str(n + 3))
    page.click("#compare-submit")
    expect(page.locator("#compare-counts")).to_be_visible()
    expect(page.locator("#diff-materials")).to_contain_text(approved["sha256"][:12])
    shot(page, "3-compare")

    # The PDF the unit admin approved on, opened from the unit's decision by its stored hash.
    page.click("#tab-decisions")
    card = page.locator("section.decision", has_text="单位审核")
    expect(card).to_contain_text("审核通过")
    link = card.locator("a.file-link").first
    href = link.get_attribute("href")
    assert href.endswith(approved["sha256"])
    opened = page.request.get(href)  # Playwright's download hangs under eventlet: fetch as the page would
    assert opened.status == 200 and opened.headers["content-type"].startswith("application/pdf")
    assert hashlib.sha256(opened.body()).hexdigest() == approved["sha256"]
    shot(page, "4-what-the-unit-admin-saw")

    # The audit package, from the timeline's button, checked offline with the published key.
    page.goto(f"/audit/dossiers/{approved['id']}")
    package_href = page.locator("#audit-package").get_attribute("href")
    exported = page.request.get(package_href)
    assert exported.status == 200, exported.text()[:300]
    package = tmp_path / "审计包.zip"
    package.write_bytes(exported.body())
    keys = page.request.get("/api/v1/audit/public-keys").json()
    key = tmp_path / "公钥.pem"
    key.write_text(keys["keys"][keys["current"]])
    passed = offline_check(package, key)
    assert passed.returncode == 0, passed.stderr
    assert "审计包校验通过" in passed.stdout

    altered = bytearray(package.read_bytes())
    altered[len(altered) // 2] ^= 0x01
    package.write_bytes(bytes(altered))
    failed = offline_check(package, key)
    assert failed.returncode == 1 and failed.stderr.strip(), failed

    # The access log names this auditor's own reads: the version, the comparison, the file, the package.
    me = page.request.get("/api/v1/me").json()
    account_id = me.get("account_id") or me.get("id")
    wanted = (f"/versions/{n}", "/compare", f"/files/{approved['sha256']}", "/package")

    def recorded():
        items = page.request.get(f"/api/v1/audit/access?account_id={account_id}&per_page=200").json()["items"]
        paths = [item["path"] for item in items if item.get("dossier_id") == approved["id"]]
        return all(any(part in path for path in paths) for part in wanted)

    wait_until(recorded, seconds=20, what="the auditor's reads in the access log")
    page.goto(f"/audit/accounts/{account_id}/access")
    log = page.locator("#access-log")
    for part in wanted:
        expect(log).to_contain_text(part)
    expect(log).to_contain_text("导出")
    expect(log).to_contain_text("查看/下载证明材料")
    shot(page, "5-own-reads")
