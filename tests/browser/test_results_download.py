"""The results page's PDFs in a real browser.

The 通报 is made in the request: while it is made its link is busy and a status line says so
(static/js/download.js); both clear when the download starts. The working copy with its report
cards is made off the request (docs/results.md, "PDFs in the background"): its button is busy
until the job's page opens, and that page follows the job every second until the file can be
downloaded."""

import re

import pytest
from playwright.sync_api import expect

from org.access import Role
from sessions.models import ReviewSession
from tests.browser.staff import PASSWORD, log_in
from tests.factories import UserFactory
from tests.factories.scoring import scored_session

pytestmark = pytest.mark.browser

NOTICE_BUSY = "正在生成通报（公文格式），请稍候……"
WORKING_BUSY = "正在生成 PDF（通报和 5 份成绩单），请稍候……"
JOB_PAGE = re.compile(r"/sessions/2026-results/results/export\.pdf/[0-9a-f-]{36}/$")


@pytest.fixture
def results_page(page):
    world = scored_session(leaders=["GFGAP", "GGFAA", "FGGPA"], departments=["GGFFA", "FGGAP"])
    ReviewSession.objects.filter(pk=world.session.pk).update(slug="2026-results")
    UserFactory(username="organiser", role=Role.ORGANISER, password=PASSWORD)
    log_in(page, "organiser")
    page.goto("/sessions/2026-results/results/")
    return page


def test_notice_link_is_busy_until_the_servers_cookie_names_its_token(results_page):
    page = results_page
    # Keep the click from leaving the page (a navigation would hold Playwright's locators), so
    # the busy state can be read for as long as the test needs; the cookie is then set as the
    # server sets it.
    page.evaluate("() => window.addEventListener('click', (e) => e.preventDefault())")
    link = page.get_by_role("link", name="导出通报（公文格式）")
    status = page.locator("#download-status")
    expect(status).to_be_hidden()

    link.click()

    expect(status).to_have_text(NOTICE_BUSY)
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


def test_notice_download_clears_the_busy_state_when_the_file_arrives(results_page):
    page = results_page
    link = page.get_by_role("link", name="导出通报（公文格式）")

    with page.expect_download(timeout=30_000) as download:
        link.click(no_wait_after=True)

    assert download.value.suggested_filename == "评议结果通报-预览-2026-results.pdf"
    expect(page.locator("#download-status")).to_be_hidden()
    expect(link).not_to_have_attribute("aria-busy", "true")


def test_working_copy_button_is_busy_and_lets_one_click_through(results_page):
    page = results_page
    # After download.js has seen a submission (listeners on document run before window's),
    # record whether it let it through, then keep it from leaving the page.
    page.evaluate(
        """() => {
          window.seen = [];
          window.addEventListener('submit', (e) => { window.seen.push(e.defaultPrevented); e.preventDefault(); });
        }"""
    )
    button = page.get_by_role("button", name="导出 PDF（工作稿）")

    button.click()
    button.click()

    expect(page.locator("#download-status")).to_have_text(WORKING_BUSY)
    expect(button).to_have_attribute("aria-busy", "true")
    expect(button.locator(".busy-spinner")).to_be_visible()
    assert page.evaluate("() => window.seen") == [False, True]  # the second click not sent


def test_working_copy_opens_its_job_page_done_and_downloads(results_page):
    page = results_page

    page.get_by_role("button", name="导出 PDF（工作稿）").click()

    expect(page).to_have_url(JOB_PAGE)
    expect(page.locator("#job-status")).to_have_text(re.compile(r"^已生成（[0-9.]+\sKB）。$"))
    with page.expect_download(timeout=30_000) as download:
        page.get_by_role("link", name="下载 PDF").click()
    assert download.value.suggested_filename == "评议结果-预览-2026-results.pdf"


def test_job_page_follows_a_queued_job_until_the_worker_has_made_it(
    results_page, database_tasks, run_db_worker
):
    page = results_page

    page.get_by_role("button", name="导出 PDF（工作稿）").click()
    expect(page).to_have_url(JOB_PAGE)
    expect(page.locator("#job-status")).to_have_text("排队中，等待后台生成……")
    run_db_worker()

    # No reload: htmx polls the job every second and swaps the finished state in.
    expect(page.locator("#job-status")).to_have_text(
        re.compile(r"^已生成（[0-9.]+\sKB）。$"), timeout=5_000
    )
    with page.expect_download(timeout=30_000) as download:
        page.get_by_role("link", name="下载 PDF").click()
    assert download.value.suggested_filename == "评议结果-预览-2026-results.pdf"
