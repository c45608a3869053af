"""重点项目 in a real browser: the board's tiles and filters swap the list without a reload,
the page fits a tablet and a phone, and the slideshow turns its pages. Screenshots go to
$PROJECTS_SCREENSHOTS (when set) for a person to look at."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from org.access import Role
from projects import demo
from tests.browser.staff import PASSWORD, log_in
from tests.factories import ReviewSessionFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.browser

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
SHOTS = os.environ.get("PROJECTS_SCREENSHOTS")


def shoot(page, name, *, element=None, full_page=False):
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        path = str(Path(SHOTS) / f"{name}.png")
        if element:
            page.locator(element).screenshot(path=path)
        else:
            page.screenshot(path=path, full_page=full_page)


@pytest.fixture
def session():
    session = ReviewSessionFactory(slug="2026-mid", title="2026年年中述职讲评暨现场问政会")
    for name in ["迎宾路街道", "古荥镇", "花园口镇", "区发改委", "区住建局", "区城管局"]:
        UnitFactory(session=session, name=name)
    demo.load_demo_projects(session, None)
    UserFactory(username="organiser", role=Role.ORGANISER, password=PASSWORD)
    return session


def test_projects_board_tiles_filter_and_fit(page, session):
    log_in(page, "organiser")
    page.goto("/sessions/2026-mid/projects/")
    expect(page.locator("#tile-green b")).to_have_text("78")
    expect(page.locator("#project-list tbody tr")).to_have_count(129)
    shoot(page, "board-1024")

    page.locator("#tile-red").click()
    expect(page.locator("#project-list tbody tr")).to_have_count(10)
    # htmx pushes the URL once the swap has settled; only then is the new filter form wired
    # up, and a change made before that would send nothing.
    expect(page).to_have_url(re.compile(r"/projects/\?colour=red$"))
    expect(page.locator(".htmx-settling, .htmx-swapping, .htmx-request")).to_have_count(0)
    expect(page.locator("#id_colour")).to_have_value("red")

    page.locator("#id_category").select_option("民生项目")
    expect(page).to_have_url(re.compile(r"colour=red&unit=&category=%E6%B0%91"))
    rows = page.locator("#project-list tbody tr")
    expect(rows).not_to_have_count(10)
    assert set(rows.evaluate_all("rows => rows.map(r => r.className)")) == {"row-red"}
    assert page.evaluate(NO_SIDEWAYS_SCROLL)


def test_projects_board_and_detail_fit_a_phone(phone_page, session):
    log_in(phone_page, "organiser")
    phone_page.goto("/sessions/2026-mid/projects/")
    expect(phone_page.locator("#colour-tiles")).to_be_visible()
    assert phone_page.evaluate(NO_SIDEWAYS_SCROLL)
    shoot(phone_page, "board-390")
    phone_page.locator("#tile-yellow").click()
    expect(phone_page.locator("#project-list tbody tr")).to_have_count(19)
    shoot(phone_page, "board-390-yellow", full_page=True)

    phone_page.locator("#project-list tbody tr a").first.click()
    expect(phone_page.locator("#milestones")).to_be_visible()
    assert phone_page.evaluate(NO_SIDEWAYS_SCROLL)
    shoot(phone_page, "detail-390", full_page=True)


def test_projects_detail_update_swaps_in_place(page, session):
    log_in(page, "organiser")
    project = session.key_projects.get(code="ZD2026-001")
    page.goto(f"/sessions/2026-mid/projects/{project.pk}/")
    shoot(page, "detail-1024")
    page.get_by_label("进展情况").fill("主体结构封顶")
    page.get_by_label("新的实际进度(%)").fill("99")
    page.get_by_role("button", name="保存进展").click()
    expect(page.locator("#actual-progress")).to_have_text("99%")
    expect(page.locator("#updates")).to_contain_text("主体结构封顶")


def test_projects_slideshow_turns_pages(open_page, session):
    page = open_page({"width": 1920, "height": 1080})
    log_in(page, "organiser")
    page.goto("/sessions/2026-mid/projects/slides/")
    current = page.locator(".slide-page.is-current")
    expect(current).to_have_count(1)
    expect(page.locator(".slide-page:visible")).to_have_count(1)
    first = current.locator(".slide-card h3").first.inner_text()
    shoot(page, "slides-1920", element=".project-slides")
    page.wait_for_timeout(8_500)
    assert page.locator(".slide-page.is-current .slide-card h3").first.inner_text() != first
    expect(page.locator(".slide-page:visible")).to_have_count(1)
