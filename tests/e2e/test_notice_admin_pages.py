"""The city admin publishes a 2027 notice through the pages only (headless Chromium): a draft with
bad values is refused field by field and nothing is stored; the fixed draft is previewed and
published after a confirmation; a second version changes the unit publicity days and a fee, and the
versions page shows exactly those differences. The change is in force for 2027 only (read back over
RPC, as every service reads the year's policy), and the public home page shows the 2027 notice's
dates, fees and materials. Desktop and phone screenshots go to /tmp/shots/notice-admin/.

The 2027 window starts ten days from today, so the notice is announced but not yet open: the other
tests of the run keep applying for the open 2026 notice."""
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from shared.clock import beijing_today
from shared.contracts.year_policy import DEFAULT_POLICY
from tests.e2e.conftest import DEMO_PASSWORD, DESKTOP, login
from tests.e2e.test_pages_journey import sign_in

expect.set_options(timeout=15000)
SHOTS = Path("/tmp/shots/notice-admin")
YEAR = 2027
START = beijing_today() + timedelta(days=10)
END = START + timedelta(days=30)
WINDOW = {"start": f"{START.isoformat()}T09:00", "end": f"{END.isoformat()}T17:30"}
PHONE = {"width": 390, "height": 844}
UNIT_DEADLINE = f"{(END + timedelta(days=10)).isoformat()}T17:00"
DEFAULT_UNIT_DAYS = DEFAULT_POLICY["publicity"]["unit_working_days"]
DEFAULT_INTERMEDIATE_FEN = DEFAULT_POLICY["fees"]["review_fen"]["intermediate"]


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def yuan(fen):
    return f"{fen // 100}" if fen % 100 == 0 else f"{fen // 100}.{fen % 100:02d}"


@pytest.fixture(scope="module")
def city_api(system):
    return login(system["client"], "city_admin")


def save(page):
    page.click("#save-draft")


def test_the_city_admin_drafts_publishes_and_revises_a_notice_through_the_pages(new_page, city_api, cluster_rpc):
    page = new_page()
    sign_in(page, "city_admin", DEMO_PASSWORD)
    page.click("nav >> text=年度通知")
    expect(page.locator("#edit-next-year")).to_contain_text("年度通知")
    page.fill("#f-review_year", str(YEAR))
    page.click("#year-form button[type=submit]")
    expect(page.locator("h1")).to_have_text(f"{YEAR}年度评审通知与政策设置")
    # Unconfirmed defaults say so on the settings page, next to the setting.
    expect(page.locator("#f-policy-vote-quorum_share ~ .hint")).to_contain_text("未查到正式文件")
    expect(page.locator("#note-fees")).to_contain_text("云南省标准未查到")
    expect(page.locator("#f-policy-publicity-unit_working_days")).to_have_value(str(DEFAULT_UNIT_DAYS))
    shot(page, "01-edit-defaults-desktop")

    # Bad values: the window ends before it starts, no unit publicity days. Each is named at its input.
    page.fill("#f-window-start", WINDOW["start"])
    page.fill("#f-window-end", f"{(START - timedelta(days=1)).isoformat()}T17:30")
    page.fill("#f-deadlines-unit", UNIT_DEADLINE)
    page.fill("#f-policy-publicity-unit_working_days", "0")
    save(page)
    expect(page.locator("#err-window-end")).to_have_text("申报截止时间须晚于开始时间")
    expect(page.locator("#err-policy-publicity-unit_working_days")).to_have_text("应在 1 到 30 之间")
    expect(page.locator(".alert-error")).to_contain_text("年度评审通知填写有误")
    expect(page.locator("#f-policy-publicity-unit_working_days")).to_have_value("0")  # what was typed stays
    shot(page, "02-field-errors-desktop")
    assert city_api.get(f"/api/v1/notices/{YEAR}/draft").status == 404  # nothing stored
    assert city_api.get(f"/api/v1/notices/{YEAR}").status == 404

    # Fixed: saved as a draft, previewed as the public will see it, published after confirming.
    page.fill("#f-window-end", WINDOW["end"])
    page.fill("#f-policy-publicity-unit_working_days", str(DEFAULT_UNIT_DAYS))
    save(page)
    expect(page).to_have_url(f"{page.url.split('/admin')[0]}/admin/notices/{YEAR}/preview?msg=notice_draft_saved")
    preview = page.locator("#notice-preview")
    expect(preview.locator(".notice-window")).to_have_text(
        f"{WINDOW['start'].replace('T', ' ')} 至 {WINDOW['end'].replace('T', ' ')}(北京时间)")
    expect(preview.locator(".notice-deadline-unit")).to_have_text(UNIT_DEADLINE.replace("T", " "))
    expect(preview.locator(".notice-fees")).to_contain_text(f"中级评审费:{yuan(DEFAULT_INTERMEDIATE_FEN)} 元")
    assert city_api.get(f"/api/v1/notices/{YEAR}").status == 404  # a draft is nobody's policy yet
    page.click("#publish-draft")
    expect(page.locator("#confirm-lines")).to_contain_text("第 1 版发布")
    page.click("#confirm-action")
    expect(page.locator(".flash")).to_contain_text("通知已发布")
    expect(page.locator("#version-1")).to_contain_text("首次发布")
    assert cluster_rpc.dossier.get_notice(YEAR)["version"] == 1

    # A second version: the form starts from the published notice; two settings change.
    page.goto("/admin/notices")
    expect(page.locator(f"#year-{YEAR}")).to_contain_text("第 1 版")
    page.click(f"#edit-{YEAR}")
    expect(page.locator("#f-window-start")).to_have_value(WINDOW["start"])
    page.fill("#f-policy-publicity-unit_working_days", "7")
    page.fill("#f-policy-fees-review_fen-intermediate", "180.50")
    save(page)
    expect(page.locator("#notice-preview .notice-fees")).to_contain_text("中级评审费:180.50 元")
    shot(page, "03-preview-desktop")
    page.click("#publish-draft")
    expect(page.locator("#confirm-lines")).to_contain_text("第 2 版发布")
    shot(page, "04-confirm-desktop")
    page.click("#confirm-action")
    rows = page.locator("#version-2 table.changes tbody tr")
    expect(rows).to_have_count(2)
    unit_days = page.locator('#version-2 tr[data-path="policy.publicity.unit_working_days"]')
    expect(unit_days.locator("td").nth(0)).to_have_text("单位公示工作日数")
    expect(unit_days.locator("td.before")).to_have_text(str(DEFAULT_UNIT_DAYS))
    expect(unit_days.locator("td.after")).to_have_text("7")
    fee = page.locator('#version-2 tr[data-path="policy.fees.review_fen.intermediate"]')
    expect(fee.locator("td").nth(0)).to_have_text("中级评审费")
    expect(fee.locator("td.before")).to_have_text(f"{yuan(DEFAULT_INTERMEDIATE_FEN)} 元")
    expect(fee.locator("td.after")).to_have_text("180.50 元")
    shot(page, "05-versions-desktop")

    # In force for 2027 only: every service reads the year's policy from dossier.get_notice.
    policy_2027 = cluster_rpc.dossier.get_notice(YEAR)["policy"]
    assert policy_2027["publicity"]["unit_working_days"] == 7
    assert policy_2027["fees"]["review_fen"]["intermediate"] == 18050
    policy_2026 = cluster_rpc.dossier.get_notice(2026)["policy"]
    assert policy_2026["publicity"]["unit_working_days"] == DEFAULT_UNIT_DAYS
    assert policy_2026["fees"]["review_fen"]["intermediate"] == DEFAULT_INTERMEDIATE_FEN
    versions = city_api.get(f"/api/v1/notices/{YEAR}/versions").json["items"]
    assert [item["version"] for item in versions] == [1, 2]
    assert {change["path"] for change in versions[1]["changes"]} == {
        "policy.publicity.unit_working_days", "policy.fees.review_fen.intermediate"}


@pytest.mark.parametrize("name, viewport", [("desktop", DESKTOP), ("phone", PHONE)])
def test_the_public_home_page_shows_the_announced_notice_with_dates_fees_and_materials(new_page, name, viewport):
    page = new_page(viewport)
    page.goto("/")
    notice = page.locator(f"#notice-{YEAR}")
    expect(notice.locator(".notice-state")).to_have_text("尚未开始")
    expect(notice.locator(".notice-window")).to_contain_text(
        f"{WINDOW['start'].replace('T', ' ')} 至 {WINDOW['end'].replace('T', ' ')}")
    expect(notice.locator(".notice-deadline-unit")).to_have_text(UNIT_DEADLINE.replace("T", " "))
    expect(notice.locator(".notice-fees")).to_contain_text("中级评审费:180.50 元")
    expect(notice.locator(".notice-fees")).to_contain_text("证书工本费:不收取")
    expect(notice.locator(".notice-materials")).to_contain_text("学历/学位证书")
    expect(notice.locator(".notice-materials")).to_contain_text("年度考核登记表")
    # The open 2026 notice comes first and keeps its default fee.
    expect(page.locator(".notice").first).to_contain_text("2026年度")
    expect(page.locator("#notice-2026 .notice-fees")).to_contain_text(f"中级评审费:{yuan(DEFAULT_INTERMEDIATE_FEN)} 元")
    shot(page, f"06-home-{name}")


def test_the_settings_and_versions_pages_fit_a_phone(new_page):
    page = new_page(PHONE)
    sign_in(page, "city_admin", DEMO_PASSWORD)
    page.goto(f"/admin/notices/{YEAR}/edit")
    expect(page.locator("#f-policy-publicity-unit_working_days")).to_have_value("7")
    shot(page, "07-edit-phone")
    page.goto(f"/admin/notices/{YEAR}/versions")
    expect(page.locator("#version-2 table.changes")).to_be_visible()
    shot(page, "08-versions-phone")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
