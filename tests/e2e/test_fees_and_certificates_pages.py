"""Fees and certificates in headless Chromium: the applicant pays from the dossier page through the
simulator's cashier and gets a receipt; the city admin sees the year's fees as its notice sets them;
anyone verifies a certificate on the public page (the QR code's link), on a phone too; the city admin
revokes it and the public page shows it revoked with date and reason."""
from urllib.parse import unquote, urlparse

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.money_support import accepted, certify, notify, payment_id_of, status_of
from tests.e2e.review_support import UNIT_A, Staff, person_name, submitted_dossier, today
from tests.e2e.test_applicant_journey_http import PASSWORD
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.test_pages_journey import shot, sign_in
from tests.waiting import wait_until
from tests.factories import mobile_phone

expect.set_options(timeout=15000)
FETCH = """async url => { const r = await fetch(url);
  return [r.status, r.headers.get('content-type'), r.headers.get('content-disposition'), (await r.arrayBuffer()).byteLength]; }"""


@pytest.fixture(scope="module")
def staff(system):
    return Staff(system["client"], system["review_clock"])


@pytest.fixture(scope="module")
def accepted_dossier(system, staff):
    name, phone = person_name("冯"), mobile_phone()
    applicant, dossier_id = submitted_dossier(system["client"], name, UNIT_A, phone=phone)
    order = accepted(staff, applicant, dossier_id)
    return {"applicant": applicant, "id": dossier_id, "order": order, "phone": phone, "name": name}


def test_the_applicant_pays_at_the_cashier_and_downloads_the_receipt(new_page, accepted_dossier, screenshots):
    dossier_id, order = accepted_dossier["id"], accepted_dossier["order"]
    page = new_page()
    sign_in(page, accepted_dossier["phone"], PASSWORD)
    page.goto(f"/dossiers/{dossier_id}")
    row = page.locator(f"#order-{order['order_id']}")
    expect(row).to_contain_text(order["amount_yuan"])
    expect(row).to_contain_text("待缴费")
    shot(page, screenshots, "fees-01-dossier-awaiting-payment")

    page.click(f"#pay-{order['order_id']}")
    expect(page.locator("#cashier-amount")).to_have_text(f"¥ {order['amount_yuan']}")
    cashier = urlparse(page.url).path
    assert cashier.startswith("/payments/simulator/cashier/")
    shot(page, screenshots, "fees-02-cashier")

    page.click("#confirm-payment")
    expect(page.locator("#cashier-result")).to_contain_text("订单已确认缴费")
    shot(page, screenshots, "fees-03-paid")

    page.click("#back-to-dossier")
    expect(page.locator(f"#order-{order['order_id']}")).to_contain_text("已缴费")
    # The order is paid at once; the dossier records fee_paid when payment's event reaches it, which
    # may be after this page was rendered. Wait for that state, then look again.
    wait_until(lambda: status_of(accepted_dossier["applicant"], dossier_id) == "fee_paid",
               what="the dossier to record the fee")
    page.reload()
    expect(page.locator("#dossier-status")).to_have_text("已缴费")
    # Fetched by the page itself with its session cookie (Playwright's download events do not
    # complete under eventlet's monkey patching).
    href = page.locator(f"#receipt-{order['order_id']}").get_attribute("href")
    status, content_type, disposition, size = page.evaluate(FETCH, href)
    assert status == 200 and content_type == "application/pdf" and size > 1000
    assert order["order_id"] in unquote(disposition)
    shot(page, screenshots, "fees-04-dossier-paid")

    # Back at the cashier the payment is done: there is nothing more to confirm.
    page.goto(cashier)
    expect(page.locator("#cashier-status")).to_have_text("支付成功")
    expect(page.locator("#confirm-payment")).to_have_count(0)


def test_the_fees_page_shows_the_years_notice_and_sends_changes_to_the_notice(new_page, screenshots, cluster_rpc):
    """Read only (docs/domain-rules.md R8.2): the fees are the year's notice's, changed by publishing it."""
    notice = cluster_rpc.dossier.get_notice(2026)
    review_fen = notice["policy"]["fees"]["review_fen"]
    page = new_page()
    sign_in(page, "city_admin", DEMO_PASSWORD)
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        page.goto("/admin/fees?review_year=2026")
        expect(page.locator("#fee-notice-version")).to_contain_text(f"第 {notice['version']} 版")
        expect(page.locator("#fee-intermediate")).to_contain_text(f"{review_fen['intermediate'] // 100}.")
        expect(page.locator("#fee-form")).to_have_count(0)
        expect(page.locator("#edit-fees-in-notice")).to_have_attribute("href", "/admin/notices")
        shot(page, screenshots, f"fees-05-year-fees-{name}")
    page.goto("/admin/fees?review_year=2041")  # no notice yet: the defaults, said so
    expect(page.locator("#fee-schedule h2")).to_contain_text("默认标准")
    expect(page.locator("#fees-unpublished")).to_contain_text("尚未发布")


@pytest.fixture(scope="module")
def certificate(system, staff, accepted_dossier, cluster_rpc):
    """The accepted dossier, paid (by the page test or here) and taken to its certificate."""
    applicant, dossier_id = accepted_dossier["applicant"], accepted_dossier["id"]
    if applicant.get(f"/api/v1/dossiers/{dossier_id}").json["dossier"]["status"] == "accepted":
        started = applicant.post(f"/api/v1/orders/{accepted_dossier['order']['order_id']}/pay").json
        assert notify(system["client"], cluster_rpc.payment.cashier_confirm(payment_id_of(started["cashier_url"]))).status == 200
    return certify(system, staff, applicant, dossier_id)["certificate"]


def test_anyone_verifies_the_certificate_from_its_qr_link(new_page, certificate, accepted_dossier, screenshots):
    path = urlparse(certificate["verify_url"])
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = new_page(viewport)
        page.goto(f"{path.path}?{path.query}")
        expect(page.locator("#verify-verdict")).to_contain_text("证书真实有效")
        expect(page.locator("#verify-name")).to_have_text(accepted_dossier["name"])
        expect(page.locator("#verify-id")).to_have_text(certificate["fields"]["id_number_masked"])
        expect(page.locator("#verify-title")).to_have_text(certificate["fields"]["qualification"])
        expect(page.locator("#verify-issuer")).to_have_text(certificate["fields"]["issuing_body"])
        shot(page, screenshots, f"certificate-01-verify-valid-{name}")


def test_a_wrong_code_or_a_missing_field_is_explained(new_page, certificate):
    page = new_page()
    page.goto("/certificates/verify")
    page.fill("#f-number", certificate["number"])
    page.click("#verify-submit")
    expect(page.locator("#err-code")).to_have_text("请填写验证码")
    page.fill("#f-code", "ZZZZZZ")
    page.click("#verify-submit")
    expect(page.locator("#verify-verdict")).to_contain_text("未找到与该证书编号和验证码相符的证书")


def test_revocation_by_the_city_admin_shows_on_the_public_page(new_page, certificate, screenshots):
    admin = new_page()
    sign_in(admin, "city_admin", DEMO_PASSWORD)
    admin.goto(f"/admin/certificates?number={certificate['number']}")
    expect(admin.locator("#certificate-status")).to_have_text("有效")
    admin.click("#revoke summary")
    admin.click("#confirm-revoke")
    expect(admin.locator("#err-reason")).to_be_visible()
    reason = "经查实,申报业绩材料弄虚作假"
    admin.fill("#f-reason", reason)
    admin.check("#f-fraud")
    shot(admin, screenshots, "certificate-02-revoke-form")
    admin.click("#confirm-revoke")
    expect(admin.locator(".flash")).to_contain_text("证书已撤销")
    expect(admin.locator("#certificate-status")).to_have_text("已撤销")

    public = new_page()
    path = urlparse(certificate["verify_url"])
    public.goto(f"{path.path}?{path.query}")
    expect(public.locator("#verify-verdict")).to_contain_text("该证书已被撤销")
    expect(public.locator("#verify-revoked")).to_contain_text(reason)
    expect(public.locator("#verify-revoked")).to_contain_text(today().isoformat())
    shot(public, screenshots, "certificate-03-verify-revoked")
