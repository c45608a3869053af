"""回头看 in Chromium (docs/meeting.md, "回头看"): a unit's commitments from the January review
come back at the mid-year meeting. The moderator puts them in the queue from the 回头看 page,
puts them on the big screen (1920×1080, no login), which lists them done or not, records the
unit's answer and opens the vote; a representative votes from a phone and the screen's tally
moves. The vote is kept, and is not 问政满意度."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from meeting.models import FollowUp, Question, SatisfactionVote
from meeting.selectors import satisfaction_by_unit
from meeting.stage import stage_for
from sessions.models import ReviewSession
from tests.browser.conftest import PHONE
from tests.browser.raters import scan
from tests.browser.staff import log_in
from tests.browser.test_live_meeting import (  # noqa: F401 -- the live session as a fixture
    LAPTOP,
    SCREEN,
    SCREEN_WAIT_MS,
    TABLET_WAIT_MS,
    hall,
)
from tests.factories import ReviewSessionFactory, UnitCategoryFactory, UnitFactory
from tests.factories.followups import FollowUpFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def january(hall):  # noqa: F811
    """The January review of the same district: 城关镇 committed to two things, one done."""
    session = hall["session"]
    session.date = datetime.date(2026, 7, 16)
    session.save(update_fields=["date"])
    annual = ReviewSessionFactory(
        slug="2025-annual",
        title="2025年度综合考核述职评议会",
        date=datetime.date(2026, 1, 20),
        status=ReviewSession.Status.CLOSED,
    )
    towns = UnitCategoryFactory(session=annual, name="镇(街道)", order=0)
    town = UnitFactory(session=annual, category=towns, name="城关镇")
    done = FollowUpFactory(session=annual, unit=town, title="年内完成 12 条背街小巷改造")
    FollowUp.objects.filter(pk=done.pk).update(done_at=timezone.now())
    FollowUpFactory(session=annual, unit=town, title="老旧小区雨污分流改造 10 月底前完工")
    return annual


def test_a_units_commitments_come_back_to_the_hall_for_a_second_vote(open_page, hall, january):  # noqa: F811
    session = hall["session"]
    moderator = open_page(LAPTOP)
    log_in(moderator, "moderator")
    screen = open_page(SCREEN)
    phone = open_page(PHONE)
    errors = []
    for page in (moderator, screen, phone):
        page.on("pageerror", lambda error: errors.append(str(error)))
    screen.goto(f"/screen/{stage_for(session).screen_token}/")

    # 1. The 回头看 page lists 城关镇 with both commitments; the moderator puts them.
    moderator.goto("/sessions/2026-mid/questions/")
    moderator.get_by_role("link", name="回头看（以评促改）：以前评议会的督办事项办理情况 →").click()
    card = moderator.locator(".card.recheck")
    expect(card).to_have_count(1)
    expect(card.locator("h3")).to_contain_text("城关镇 2 项：已办结 1，未办结 1")
    card.get_by_role("button", name="加入问政队列").click()
    expect(moderator.locator("ul.messages")).to_contain_text("回头看已加入问政队列")
    expect(card.locator(".badge")).to_have_text("已通过")

    # 2. In the queue, approved; on the big screen, the commitments done or not.
    moderator.goto("/sessions/2026-mid/questions/")
    item = moderator.locator("#q-approved .q-item")
    expect(item.locator(".q-text")).to_contain_text(
        "回头看：城关镇在以前评议会上承诺的 2 项督办事项"
    )
    item.get_by_role("button", name="上大屏").click()
    expect(screen.locator(".screen-kicker")).to_have_text("回头看 · 城关镇", timeout=SCREEN_WAIT_MS)
    expect(screen.locator(".screen-recheck-head")).to_have_text(
        "以前评议会承诺的 2 项督办事项，已办结 1 项"
    )
    expect(screen.locator(".screen-recheck li")).to_have_text(
        ["已办结 年内完成 12 条背街小巷改造", "未办结 老旧小区雨污分流改造 10 月底前完工"]
    )

    # 3. The unit answers; the vote opens; a representative votes from a phone.
    item.get_by_text("记录答复").click()
    item.get_by_label("答复摘要（可留空）").fill("雨污分流已完成 60%，10 月底前完工。")
    item.get_by_role("button", name="已答复").click()
    answered = moderator.locator("#q-answered .q-item")
    answered.get_by_role("button", name="开启满意度投票").click()
    expect(screen.locator(".screen-tally-head")).to_have_text(
        "满意度投票 · 投票中 · 已投 0 票", timeout=SCREEN_WAIT_MS
    )
    scan(phone, hall["deputy"])
    phone.goto("/r/live/")
    panel = phone.locator("#vote-panel")
    expect(panel.get_by_role("button", name="基本满意")).to_be_visible(timeout=TABLET_WAIT_MS)
    expect(panel.locator(".tablet-vote-question")).to_contain_text("回头看：城关镇")
    panel.get_by_role("button", name="基本满意").click()
    expect(panel.locator("#voted")).to_have_text("已投票：基本满意")
    expect(screen.locator(".screen-tally-head")).to_have_text(
        "满意度投票 · 投票中 · 已投 1 票", timeout=SCREEN_WAIT_MS
    )
    expect(screen.locator(".screen-recheck li")).to_have_count(2)

    recheck = Question.objects.get(session=session, kind=Question.Kind.RECHECK)
    assert list(
        SatisfactionVote.objects.filter(question=recheck).values_list("choice", flat=True)
    ) == ["basically_satisfied"]
    # Shown and kept, but not 问政满意度.
    assert satisfaction_by_unit(session) == {}
    assert errors == []
