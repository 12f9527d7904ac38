"""The city admin office confirms, in the browser, a review role that the sysadmin asked for; the
account signs in only after that, and the page shows who decided what."""
import secrets

from playwright.sync_api import expect

from tests.e2e.conftest import DEMO_PASSWORD, PHONE, login
from tests.e2e.test_pages_journey import shot, sign_in

expect.set_options(timeout=15000)


def requested_city_admin(client):
    """An account a sysadmin created with the city_admin role: pending until confirmed."""
    city_org = client.get("/api/v1/orgs", params={"kind": "city"}).json["items"][0]["id"]
    login_name = f"ca{secrets.token_hex(4)}"
    asked = login(client, "sysadmin").post("/api/v1/accounts", json_body={
        "login_name": login_name, "name": f"待审核员{login_name[-4:]}", "password": DEMO_PASSWORD,
        "role": "city_admin", "org_id": city_org})
    assert asked.status == 202, asked
    return login_name, asked.json["pending_role_requests"][0]["id"]


def can_sign_in(client, login_name):
    return client.post("/api/v1/auth/login", json_body={"username": login_name, "password": DEMO_PASSWORD}).status == 200


def test_a_second_city_admin_confirms_the_role_on_the_page(system, new_page, screenshots):
    client = system["client"]
    login_name, request_id = requested_city_admin(client)
    assert not can_sign_in(client, login_name)
    page = new_page()
    sign_in(page, "city_admin", DEMO_PASSWORD)
    page.click("a[href='/admin/role-requests']")
    row = page.locator(f"#role-request-{request_id}")
    expect(row).to_contain_text("市人社局审核员")
    expect(row).to_contain_text(login_name)
    expect(row).to_contain_text("新建账号")
    shot(page, screenshots, "role-requests-01-pending")
    page.click(f"#confirm-{request_id}")
    expect(page.locator(".flash")).to_contain_text("已确认授予")
    expect(page.locator(f"#role-request-{request_id}")).to_have_count(0)
    expect(page.locator("#decided-role-requests")).to_contain_text("已确认")
    assert can_sign_in(client, login_name)


def test_a_refusal_with_its_reason_grants_nothing_and_reads_well_on_a_phone(system, new_page, screenshots):
    client = system["client"]
    login_name, request_id = requested_city_admin(client)
    page = new_page(PHONE)
    sign_in(page, "city_admin", DEMO_PASSWORD)
    page.goto("/admin/role-requests")
    page.fill(f"#role-request-{request_id} input[name=reason]", "未经人事处批准")
    shot(page, screenshots, "role-requests-02-phone")
    page.click(f"#refuse-{request_id}")
    expect(page.locator("#decided-role-requests")).to_contain_text("未经人事处批准")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert not can_sign_in(client, login_name)


def test_the_page_is_the_city_admin_offices_only(system, new_page):
    page = new_page()
    sign_in(page, "unit_a_admin", DEMO_PASSWORD)
    answer = page.goto("/admin/role-requests")
    assert answer.status == 403
