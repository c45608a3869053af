"""The results page's PDF link in a real browser: while the file is being made the link is busy
and a status line says so (static/js/download.js); both clear when the download starts."""

import pytest
from playwright.sync_api import expect

from org.access import Role
from sessions.models import ReviewSession
from tests.browser.staff import PASSWORD, log_in
from tests.factories import UserFactory
from tests.factories.scoring import scored_session

pytestmark = pytest.mark.browser

BUSY = "正在生成 PDF（通报和 5 份成绩单），请稍候……"


@pytest.fixture
def results_page(page):
    world = scored_session(leaders=["GFGAP", "GGFAA", "FGGPA"], departments=["GGFFA", "FGGAP"])
    ReviewSession.objects.filter(pk=world.session.pk).update(slug="2026-results")
    UserFactory(username="organiser", role=Role.ORGANISER, password=PASSWORD)
    log_in(page, "organiser")
    page.goto("/sessions/2026-results/results/")
    return page


def test_pdf_link_is_busy_until_the_servers_cookie_names_its_token(results_page):
    page = results_page
    # Keep the click from leaving the page (a navigation would hold Playwright's locators), so
    # the busy state can be read for as long as the test needs; the cookie is then set as the
    # server sets it.
    page.evaluate("() => window.addEventListener('click', (e) => e.preventDefault())")
    link = page.get_by_role("link", name="导出 PDF")
    status = page.locator("#download-status")
    expect(status).to_be_hidden()

    link.click()

    expect(status).to_have_text(BUSY)
    expect(link).to_have_attribute("aria-busy", "true")
    expect(link.locator(".busy-spinner")).to_be_visible()
    token = page.evaluate(
        "() => new URL(document.querySelector('a[data-download]').href)"
        ".searchParams.get('download_token')"
    )
    assert token.isdigit()
    page.evaluate(f"() => {{ document.cookie = 'huiji_download={token}; Path=/'; }}")
    expect(status).to_be_hidden()
    expect(link).not_to_have_attribute("aria-busy", "true")
    expect(link.locator(".busy-spinner")).to_be_hidden()


def test_pdf_download_clears_the_busy_state_when_the_file_arrives(results_page):
    page = results_page
    link = page.get_by_role("link", name="导出 PDF")

    with page.expect_download(timeout=30_000) as download:
        link.click(no_wait_after=True)

    assert download.value.suggested_filename == "评议结果-预览-2026-results.pdf"
    expect(page.locator("#download-status")).to_be_hidden()
    expect(link).not_to_have_attribute("aria-busy", "true")
