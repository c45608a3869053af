"""In a real browser: an organiser sets a session up from the template and runs the
draws, on a tablet; the pages it uses fit a phone without sideways scrolling."""

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from org.access import Role
from sessions import draws, services, unit_services
from sessions.models import Draw, ReviewSession
from tests.browser.raters import DEPARTMENTS
from tests.browser.staff import PASSWORD, log_in
from tests.factories import UserFactory

pytestmark = pytest.mark.browser

TOWNS = ["城关镇", "东风街道", "滨河街道"]
SEED = "20260715"
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


def follow(page, link):
    """Click a link and wait for the new page's load event: htmx (a deferred script) binds the
    forms by then, so the next submit goes through htmx and its hx-confirm, not a plain POST."""
    link.click()
    page.wait_for_load_state("load")


def add_unit(page, name, category, *, fixed):
    form = page.locator("form[action$='/units/add/']")
    form.get_by_label("单位名称").fill(name)
    form.get_by_label("类别").select_option(label=category)
    form.get_by_label("固定参加述职").set_checked(fixed)
    form.get_by_role("button", name="添加").click()
    # htmx swaps the whole panel; wait for the new row before touching the (new) form again.
    row = page.locator("#units-panel tr", has=page.get_by_role("cell", name=name, exact=True))
    expect(row).to_contain_text("固定参加" if fixed else "候选池")


def test_organiser_creates_session_from_template_and_runs_draw(page):
    UserFactory(username="organiser", role=Role.ORGANISER, password=PASSWORD)
    confirmations = []

    def accept(dialog):  # hx-confirm asks before each draw
        confirmations.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    year = timezone.localdate().year

    log_in(page, "organiser")
    page.get_by_role("link", name="新建评议会").click()
    page.get_by_label("年中述职讲评").check()
    page.get_by_role("button", name="创建").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"{year}年年中述职讲评暨现场问政会")
    expect(page.locator("h1 + .badge")).to_have_text("草稿")

    follow(page, page.locator("nav.subnav").get_by_role("link", name="单位"))
    for name in TOWNS:
        add_unit(page, name, "镇(街道)", fixed=True)
    for name in DEPARTMENTS:
        add_unit(page, name, "政府部门", fixed=False)

    follow(page, page.locator("nav.subnav").get_by_role("link", name="抽签"))
    draw_form = page.locator("form[action$='/draws/participants/']")
    draw_form.get_by_label("政府部门", exact=True).fill("3")
    draw_form.get_by_label("抽签人").fill("城关镇党委书记 张三")
    draw_form.get_by_label("随机种子").fill(SEED)
    draw_form.get_by_role("button", name="抽选").click()

    expected_drawn = draws.draw_names(DEPARTMENTS, 3, SEED)
    rows = page.locator("#participants tbody tr")
    expect(rows).to_have_count(len(TOWNS) + 3)
    drawn_names = rows.filter(has=page.locator(".badge.drawn")).locator("td:nth-child(2)")
    assert sorted(drawn_names.all_inner_texts()) == sorted(expected_drawn)
    assert sorted(rows.locator("td:nth-child(2)").all_inner_texts()) == sorted(
        TOWNS + expected_drawn
    )
    session = ReviewSession.objects.get()
    recorded = session.draws.get(kind=Draw.Kind.PARTICIPANTS)
    assert (recorded.seed, recorded.result, recorded.drawn_by) == (
        SEED,
        expected_drawn,
        "城关镇党委书记 张三",
    )

    follow(page, page.locator("#draw-records").get_by_role("link", name="复核"))
    expect(page.locator("#reproduce-result")).to_contain_text("复核通过")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)  # the long Python line once widened this page

    follow(page, page.get_by_role("link", name="返回"))
    page.locator("#order-submit").click()
    expect(page.get_by_text("发言顺序已抽定。")).to_be_visible()
    expect(page.locator("#participants tbody tr td:first-child")).to_have_text(
        [str(n) for n in range(1, len(TOWNS) + 4)]
    )
    assert sorted(session.participants.values_list("speaking_order", flat=True)) == list(
        range(1, len(TOWNS) + 4)
    )
    assert confirmations == ["确认按所填种子进行抽选？结果将记录在案。", "确认抽签确定发言顺序？"]


def test_session_pages_fit_a_phone_without_sideways_scrolling(phone_page):
    UserFactory(username="organiser", role=Role.ORGANISER, password=PASSWORD)
    session = services.session_create(kind=ReviewSession.Kind.MIDYEAR, year=2026)
    town, department = session.categories.order_by("order")[:2]
    for name in TOWNS:
        unit_services.unit_save(
            session=session, actor=None, name=name, category=town, participates=True
        )
    for name in DEPARTMENTS:
        unit_services.unit_save(session=session, actor=None, name=name, category=department)

    log_in(phone_page, "organiser")
    for path in (session.get_absolute_url(), reverse("review:units", args=[session.slug])):
        phone_page.goto(path)
        expect(phone_page.get_by_role("heading", level=1)).to_have_text(session.title)
        assert phone_page.evaluate(NO_SIDEWAYS_SCROLL), path
