"""办事指南 and the error pages in headless Chromium, on a desktop and a 390×844 phone, against the whole
system with its published 2026 notice: the footer of the home page leads to /guide, which shows that
notice's title, its materials, fees and deadlines as the dossier service answers them, the FAQ and the
咨询电话; nothing is wider than the screen; an unknown address is the Chinese 404 page.
Screenshots in /tmp/shots/guide-errors/."""
from pathlib import Path

import pytest
from playwright.sync_api import expect

from gateway.pages.views import yuan_text
from shared.config import load_config
from shared.contracts.year_policy import review_fee_fen
from tests.e2e.conftest import DESKTOP, ROOT

PHONE = {"width": 390, "height": 844}
VIEWPORTS = (("desktop", DESKTOP), ("phone", PHONE))
SHOTS = Path("/tmp/shots/guide-errors")
PHONE_NUMBER = str(load_config(ROOT / "gateway/config.yaml")["GUIDE"]["PHONE"])

expect.set_options(timeout=15000)


@pytest.fixture(scope="module", autouse=True)
def shots():
    SHOTS.mkdir(parents=True, exist_ok=True)


def fits(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("name, viewport", VIEWPORTS)
def test_the_guide_is_reached_from_the_footer_and_shows_the_open_notice(system, new_page, name, viewport):
    notice = system["client"].get("/api/v1/notices/2026").json
    page = new_page(viewport)
    page.goto("/")
    expect(page.locator("#footer-phone")).to_have_text(PHONE_NUMBER)
    page.click("#footer-guide")
    expect(page).to_have_url(f"{system['client'].base_url}/guide")
    expect(page.locator("#guide-notice-title")).to_have_text(notice["notice"]["title"])
    expect(page.locator("#guide-notice-state")).to_have_text("正在受理")
    expect(page.locator("#guide-flow li")).to_have_count(11)
    expect(page.locator("#material-education_certificate")).to_contain_text("学历/学位证书")
    for level in ("primary", "intermediate", "associate_senior", "senior"):
        expect(page.locator(f"#fee-{level}")).to_contain_text(f"{yuan_text(review_fee_fen(notice['policy'], level))} 元")
    expect(page.locator("#deadline-window_end")).not_to_contain_text("未规定")
    expect(page.locator("#guide-phone")).to_have_text(PHONE_NUMBER)
    page.click("#faq-2 summary")
    expect(page.locator("#faq-2 p")).to_be_visible()
    assert fits(page)
    page.screenshot(path=str(SHOTS / f"guide-{name}.png"), full_page=True)


@pytest.mark.parametrize("name, viewport", VIEWPORTS)
def test_an_unknown_address_is_the_chinese_404_page(system, new_page, name, viewport):
    page = new_page(viewport)
    answer = page.goto("/no-such-page")
    assert answer.status == 404
    expect(page.locator("h1")).to_have_text("页面不存在")
    expect(page.locator("#footer-guide")).to_be_visible()
    assert "Not Found" not in page.content()
    assert fits(page)
    page.screenshot(path=str(SHOTS / f"404-{name}.png"), full_page=True)
