"""In a real browser: the moderator's console (1024×768) drives the big
screen (1920×1080, no login): the speaker and a running countdown appear, pausing freezes it,
and a screen that loses the network keeps its content, says so, and catches up."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from meeting import agenda
from meeting.models import Question, SatisfactionVote
from meeting.stage import stage_for, stage_touch
from org.access import Role
from scoring.models import ResultSnapshot
from sessions.models import ReviewSession
from tests.browser.conftest import DOCS_SHOTS
from tests.browser.staff import PASSWORD, log_in
from tests.factories import (
    BallotFactory,
    CredentialFactory,
    ParticipantFactory,
    RaterGroupFactory,
    ReviewSessionFactory,
    UnitCategoryFactory,
    UnitFactory,
    UserFactory,
)

pytestmark = pytest.mark.browser

SCREEN = {"width": 1920, "height": 1080}
SMALL_SCREEN = {"width": 1280, "height": 720}
LAPTOP = {"width": 1280, "height": 800}
TABLET = {"width": 1024, "height": 768}
NO_SCROLL = (
    "document.documentElement.scrollWidth <= window.innerWidth"
    " && document.documentElement.scrollHeight <= window.innerHeight"
)
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
POLL_MS = 2_000
# Every element the selector matches shows its whole text (wrapped, not cut with an ellipsis).
NOTHING_CUT = (
    "s => [...document.querySelectorAll(s)].every(e => e.scrollWidth <= e.clientWidth"
    " && getComputedStyle(e).textOverflow !== 'ellipsis')"
)
FONT_PX = (
    "s => [...document.querySelectorAll(s)].map(e => parseFloat(getComputedStyle(e).fontSize))"
)
LONG_NAME = "区委办公室（区档案馆、区保密局、区机要局、区委党史研究室）"
# Screenshots for people to look at (and to copy into docs/screenshots): CONSOLE_SHOTS or /tmp.
SHOTS = Path(os.environ.get("CONSOLE_SHOTS", "/tmp/huiji-shots/console"))  # noqa: S108

TOWNS = ["城关镇", "东风街道", "滨河街道", "白沙镇", "龙湖镇", "新华街道", "张庄镇", "北关街道"]
DEPARTMENTS = [
    "区发展和改革委员会",
    "区财政局",
    "区住房和城乡建设局",
    "区教育局",
    "区卫生健康委员会",
    "区市场监督管理局",
    "区自然资源局",
    "区交通运输局",
    "区民政局",
    "区人力资源和社会保障局",
    "区城市管理局",
    "区农业农村局",
]


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


@pytest.fixture
def session():
    session = ReviewSessionFactory(
        slug="2026-mid",
        title="2026年年中述职讲评会",
        kind=ReviewSession.Kind.MIDYEAR,
        status=ReviewSession.Status.LIVE,
        venue="区行政中心三楼会议室",
    )
    towns = UnitCategoryFactory(session=session, name="镇(街道)", order=0)
    departments = UnitCategoryFactory(session=session, name="区直部门", order=1)
    for order, name in enumerate(TOWNS + DEPARTMENTS, start=1):
        category = towns if name in TOWNS else departments
        unit = UnitFactory(session=session, category=category, name=name)
        ParticipantFactory(session=session, unit=unit, speaking_order=order)
    # 61 s: the countdown starts white and turns amber a second later.
    agenda.agenda_generate(session=session, actor=None, limit_seconds=61)
    return session


@pytest.fixture
def moderator_page(open_page):
    UserFactory(username="moderator", role=Role.MODERATOR, password=PASSWORD)
    page = open_page(TABLET)
    log_in(page, "moderator")
    return page


def screen_url(session):
    return f"/screen/{stage_for(session).screen_token}/"


def seconds(text):
    minutes, secs = text.strip().split(":")
    return int(minutes) * 60 + int(secs)


def test_console_drives_the_big_screen(moderator_page, open_page, session):
    console = moderator_page
    console.goto("/sessions/2026-mid/console/")
    screen = open_page(SCREEN)
    screen.goto(screen_url(session))
    expect(screen.locator(".screen-title")).to_have_text("2026年年中述职讲评会")

    console.get_by_role("button", name="开始", exact=True).first.click()
    expect(console.locator("#console-current-title")).to_have_text("城关镇 述职")

    # The screen follows within a poll: the speaker, and a countdown that runs.
    name = screen.locator(".screen-speaker-name")
    clock = screen.locator(".screen-speaker .countdown")
    expect(name).to_have_text("城关镇", timeout=3 * POLL_MS)
    expect(screen.locator(".screen-segment")).to_have_text("述职")
    expect(screen.locator(".screen-next")).to_have_text("下一位：东风街道 述职")
    expect(clock).to_have_class("countdown countdown-amber", timeout=3_000)
    first = seconds(clock.inner_text())
    screen.wait_for_timeout(1_600)
    assert seconds(clock.inner_text()) < first
    shot(screen, "screen-speaker-amber-1920")
    assert screen.evaluate(NO_SCROLL)

    # Pause: the screen shows it and its clock stands still.
    console.get_by_role("button", name="暂停").click()
    expect(screen.locator(".screen-timer-state")).to_have_text("已暂停", timeout=3 * POLL_MS)
    frozen = clock.inner_text()
    screen.wait_for_timeout(1_500)
    assert clock.inner_text() == frozen

    # The network drops: the content stays, a small mark says so, and the clock (running
    # again) counts on locally.
    console.get_by_role("button", name="继续").click()
    expect(screen.locator(".screen-timer-state")).to_have_text("", timeout=3 * POLL_MS)
    screen.context.set_offline(True)
    expect(screen.locator("#screen-offline")).to_be_visible(timeout=3 * POLL_MS)
    expect(screen.locator("#screen-offline")).to_have_text("连接中断，正在重连…")
    offline_at = seconds(clock.inner_text())
    shot(screen, "screen-offline-1920")
    prompts = []
    console.once("dialog", lambda d: (prompts.append(d.message), d.accept()))
    console.get_by_role("button", name="下一位").click()
    expect(console.locator("#console-current-title")).to_have_text("东风街道 述职")
    assert prompts == ["结束“城关镇 述职”并开始下一位“东风街道 述职”？"]
    screen.wait_for_timeout(2 * POLL_MS)
    expect(name).to_have_text("城关镇")
    assert seconds(clock.inner_text()) < offline_at

    # Back online: it catches up and the mark goes.
    screen.context.set_offline(False)
    expect(name).to_have_text("东风街道", timeout=4 * POLL_MS)
    expect(screen.locator("#screen-offline")).to_be_hidden()


def test_console_fits_a_tablet_and_a_laptop(moderator_page, open_page, session):
    moderator_page.goto("/sessions/2026-mid/console/")
    moderator_page.get_by_role("button", name="开始", exact=True).first.click()
    moderator_page.get_by_role("button", name="延长1分钟").click()
    expect(moderator_page.locator(".console-limit")).to_have_text(
        "述职 · 限时 01:01 · 已延长 01:00"
    )
    expect(moderator_page.locator("#console-current-title")).to_have_text("城关镇 述职")
    assert moderator_page.evaluate(NO_SIDEWAYS_SCROLL)
    shot(moderator_page, "console-1024")
    moderator_page.get_by_role("link", name="编辑议程").click()
    expect(moderator_page.locator("#agenda-items tbody tr")).to_have_count(20)
    assert moderator_page.evaluate(NO_SIDEWAYS_SCROLL)
    moderator_page.screenshot(path=str(SHOTS / "agenda-1024.png"), full_page=True)

    laptop = open_page(LAPTOP)
    UserFactory(username="organiser", role=Role.ORGANISER, password=PASSWORD)
    log_in(laptop, "organiser")
    laptop.goto("/sessions/2026-mid/console/")
    expect(laptop.locator(".console-current .countdown")).to_be_visible()
    assert laptop.evaluate(NO_SIDEWAYS_SCROLL)
    shot(laptop, "console-1280")


def test_console_asks_before_ending_a_speaker(moderator_page, session):
    console = moderator_page
    console.goto("/sessions/2026-mid/console/")
    console.get_by_role("button", name="开始", exact=True).first.click()
    expect(console.locator("#console-current-title")).to_have_text("城关镇 述职")
    prompts = []

    # Cancel 结束: the speaker goes on.
    console.once("dialog", lambda d: (prompts.append(d.message), d.dismiss()))
    console.get_by_role("button", name="结束", exact=True).click()
    console.wait_for_timeout(500)
    expect(console.locator(".console-current .badge")).to_have_text("进行中")

    # Confirm 结束: the item is done.
    console.once("dialog", lambda d: (prompts.append(d.message), d.accept()))
    console.get_by_role("button", name="结束", exact=True).click()
    expect(console.locator(".console-current .badge")).to_have_text("已结束")
    assert (
        prompts == ["结束“城关镇 述职”？计时将停止，本项用时定为最终用时，不能再继续或延长。"] * 2
    )
    assert agenda.AgendaItem.objects.filter(state="done").count() == 1


def test_console_switches_the_screen_without_javascript_errors(moderator_page, open_page, session):
    errors = []
    moderator_page.on("pageerror", lambda error: errors.append(str(error)))
    moderator_page.goto("/sessions/2026-mid/console/")
    screen = open_page(SCREEN)
    screen.on("pageerror", lambda error: errors.append(str(error)))
    screen.goto(screen_url(session))

    moderator_page.get_by_role("button", name="评议进度").click()

    expect(screen.locator(".screen-heading")).to_have_text("评议进度", timeout=3 * POLL_MS)
    expect(moderator_page.get_by_role("button", name="评议进度")).to_have_attribute(
        "aria-pressed", "true"
    )
    assert errors == []


def test_screen_participation_and_ranking_fit_the_projector(open_page, session):
    stage = stage_for(session)
    for order, (name, issued, submitted) in enumerate(
        [
            ("县级领导", 20, 17),
            ("区直部门", 40, 22),
            ("镇(街道)", 30, 30),
            ("两代表一委员/社会公众代表", 15, 4),
        ]
    ):
        group = RaterGroupFactory(session=session, name=name, order=order)
        for i in range(issued):
            credential = CredentialFactory(session=session, group=group)
            if i < submitted:
                BallotFactory(credential=credential)
    stage_touch(session, mode="participation")
    screen = open_page(SCREEN)
    screen.goto(screen_url(session))
    expect(screen.locator(".screen-group.total .group-count")).to_have_text("73 / 105")
    assert screen.evaluate(NO_SCROLL)
    # The long group name wraps instead of being cut.
    assert screen.evaluate(NOTHING_CUT, ".group-name")
    shot(screen, "screen-participation-1920")
    screen.screenshot(path=str(DOCS_SHOTS / "screen-participation.png"))

    units = {u.name: u for u in session.units.all()}
    rows = {}
    for key, names in (("towns", TOWNS), ("departments", DEPARTMENTS)):
        rows[key] = [
            {
                "unit": str(units[name].pk),
                "unit_name": name,
                "rank": rank,
                "total": f"{95 - rank * 1.37:.2f}",
                "band": "excellent"
                if rank <= len(names) * 0.3
                else "good"
                if rank < 8
                else "average",
            }
            for rank, name in enumerate(names, start=1)
        ]
    ResultSnapshot.objects.create(
        session=session,
        number=1,
        scheme={},
        inputs_hash="0" * 64,
        engine_version="test",
        result={
            "categories": [
                {"category": "t", "name": "镇(街道)", "rows": rows["towns"]},
                {"category": "d", "name": "区直部门", "rows": rows["departments"]},
            ]
        },
    )
    ReviewSession.objects.filter(pk=session.pk).update(status=ReviewSession.Status.PUBLISHED)
    stage_touch(session, mode="ranking")
    expect(screen.locator(".screen-heading")).to_have_text("评议结果", timeout=3 * POLL_MS)
    expect(screen.locator(".ranking-page.is-current .ranking-row")).to_have_count(20)
    assert screen.evaluate(NO_SCROLL)
    assert screen.evaluate(NOTHING_CUT, ".ranking-name")
    assert min(screen.evaluate(FONT_PX, ".ranking-name, .ranking-total")) >= 32
    shot(screen, "screen-ranking-1920")
    screen.screenshot(path=str(DOCS_SHOTS / "screen-ranking.png"))

    small = open_page(SMALL_SCREEN)
    small.goto(screen_url(session))
    expect(small.locator(".ranking-row")).to_have_count(20)
    assert small.evaluate(NO_SCROLL)
    shot(small, "screen-ranking-1280")
    assert stage.screen_token in screen.url


def test_screen_question_with_votes(open_page, session):
    group = RaterGroupFactory(session=session, name="两代表一委员", can_ask=True)
    question = Question.objects.create(
        session=session,
        unit=session.units.get(name="区住房和城乡建设局"),
        asker="人大代表 李某",
        text="城关镇三个老旧小区改造去年就已立项，为什么到现在还没有开工？群众反映强烈，"
        "请说明目前的进展、遇到的困难和具体的完工时间。",
        status=Question.Status.ANSWERED,
        vote=Question.Vote.OPEN,
    )
    for choice in ["satisfied"] * 9 + ["basically_satisfied"] * 4 + ["dissatisfied"] * 2:
        SatisfactionVote.objects.create(
            question=question,
            credential=CredentialFactory(session=session, group=group),
            choice=choice,
        )
    stage_touch(session, mode="question", question_on_screen=question)
    screen = open_page(SCREEN)

    screen.goto(screen_url(session))

    expect(screen.locator(".screen-rate b")).to_have_text("86.67%")
    assert screen.evaluate(NO_SCROLL)
    shot(screen, "screen-question-1920")


def test_screen_ranking_of_forty_units_fits(open_page):
    """The annual review: 40 units in four categories, one column each, on one screen."""
    session = ReviewSessionFactory(
        title="2026年度综合考核述职评议会", status=ReviewSession.Status.PUBLISHED
    )
    sizes = [("镇(街道)", 10), ("政府部门", 16), ("统筹协调部门", 7), ("党群服务部门", 7)]
    categories = []
    for c, (name, size) in enumerate(sizes):
        rows = [
            {
                "unit": f"{c}-{i}",
                "unit_name": LONG_NAME
                if (c, i) == (1, 2)
                else f"区人力资源和社会保障局{i}"
                if i % 3 == 0
                else f"{name[:2]}单位{i}",
                "rank": i,
                "total": f"{96 - i * 1.21:.2f}",
                "band": "excellent" if i <= size * 0.3 else "good" if i < size - 2 else "average",
            }
            for i in range(1, size + 1)
        ]
        categories.append({"category": str(c), "name": name, "rows": rows})
    ResultSnapshot.objects.create(
        session=session,
        number=2,
        reason="更正一处录入错误",
        scheme={},
        inputs_hash="0" * 64,
        engine_version="test",
        result={"categories": categories},
    )
    stage_touch(session, mode="ranking")
    screen = open_page(SCREEN)

    screen.goto(screen_url(session))

    # Two pages of two columns, type readable from the back of the hall, long names whole.
    current = screen.locator(".ranking-page.is-current")
    expect(screen.locator(".ranking-row")).to_have_count(40)
    expect(current.locator(".ranking-row")).to_have_count(22)
    expect(current.locator(".ranking-pageno")).to_have_text("1 / 2")
    assert screen.evaluate(NO_SCROLL)
    assert min(screen.evaluate(FONT_PX, ".ranking-page.is-current .ranking-name")) >= 32
    assert min(screen.evaluate(FONT_PX, ".ranking-page.is-current .ranking-total")) >= 32
    assert screen.evaluate(NOTHING_CUT, ".ranking-page.is-current .ranking-name")
    expect(current.get_by_text(LONG_NAME)).to_be_visible()
    shot(screen, "screen-ranking-40-1920")
    screen.screenshot(path=str(DOCS_SHOTS / "screen-ranking-40-page1.png"))
    # The screen turns to the second page by itself.
    expect(current.locator(".ranking-pageno")).to_have_text("2 / 2", timeout=15_000)
    expect(current.locator(".ranking-row")).to_have_count(18)
    expect(current.locator(".ranking-category").first).to_have_text("政府部门（续）")
    assert screen.evaluate(NO_SCROLL)
    assert screen.evaluate(NOTHING_CUT, ".ranking-page.is-current .ranking-name")
    screen.screenshot(path=str(DOCS_SHOTS / "screen-ranking-40-page2.png"))


def test_screen_projects_mode_shows_the_slideshow(moderator_page, open_page, session):
    moderator_page.goto("/sessions/2026-mid/console/")
    screen = open_page(SCREEN)
    errors = []
    screen.on("pageerror", lambda error: errors.append(str(error)))
    screen.goto(screen_url(session))

    moderator_page.locator("#project-colour").select_option("red")
    moderator_page.get_by_role("button", name="重点项目").click()

    expect(screen.locator(".screen-projects")).to_be_visible(timeout=3 * POLL_MS)
    assert screen.locator(".project-slides, .screen-placeholder").count() == 1
    assert errors == []
    shot(screen, "screen-projects-1920")
