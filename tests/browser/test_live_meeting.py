"""The live meeting end to end in Chromium: a moderator (console and question queue,
1280×800), the big screen (1920×1080, no login) and two representatives' tablets (1024×768 and
a 390×844 phone) run one question through the live meeting: the speaker starts, a question is
asked, approved, put on screen, answered, both tablets vote, and the screen shows the tally.

Screenshots go to LIVE_MEETING_SHOTS (default /tmp/huiji-shots/live-meeting; run it once with
LIVE_MEETING_SHOTS=docs/screenshots to retake the README's)."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from meeting import agenda
from meeting.models import Question, SatisfactionVote
from meeting.stage import stage_for
from org.access import Role
from sessions.models import ReviewSession
from tests.browser.conftest import PHONE, TABLET
from tests.browser.raters import csrf_token, scan
from tests.browser.staff import PASSWORD, log_in
from tests.factories import (
    CredentialFactory,
    ParticipantFactory,
    RaterGroupFactory,
    ReviewSessionFactory,
    UnitCategoryFactory,
    UnitFactory,
    UserFactory,
)

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("LIVE_MEETING_SHOTS", "/tmp/huiji-shots/live-meeting"))  # noqa: S108
LAPTOP = {"width": 1280, "height": 800}
SCREEN = {"width": 1920, "height": 1080}
NO_SCROLL = (
    "document.documentElement.scrollWidth <= window.innerWidth"
    " && document.documentElement.scrollHeight <= window.innerHeight"
)
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
# The big screen polls every 2 s, the tablets' vote panel every 3 s, the queue every 5 s.
SCREEN_WAIT_MS = 6_000
TABLET_WAIT_MS = 8_000
QUEUE_WAIT_MS = 12_000
QUESTION = "<b>何时</b>完工？"
ALREADY_VOTED = "您已对该问题投过票，不能重复投票。"


def shot(page, name, *, full_page=False):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def seconds(text):
    minutes, secs = text.strip().split(":")
    return int(minutes) * 60 + int(secs)


@pytest.fixture
def hall():
    """A live mid-year session: four units on the agenda, two representatives who may ask
    (两代表一委员) and a leader who may not (县级领导)."""
    session = ReviewSessionFactory(
        slug="2026-mid",
        title="2026年年中述职讲评会",
        kind=ReviewSession.Kind.MIDYEAR,
        status=ReviewSession.Status.LIVE,
        venue="区行政中心三楼会议室",
    )
    towns = UnitCategoryFactory(session=session, name="镇(街道)", order=0)
    departments = UnitCategoryFactory(session=session, name="区直部门", order=1)
    for order, (name, category) in enumerate(
        [
            ("城关镇", towns),
            ("东风街道", towns),
            ("区住房和城乡建设局", departments),
            ("区教育局", departments),
        ],
        start=1,
    ):
        unit = UnitFactory(session=session, category=category, name=name)
        ParticipantFactory(session=session, unit=unit, speaking_order=order)
    agenda.agenda_generate(session=session, actor=None, limit_seconds=300)
    asking = RaterGroupFactory(session=session, name="两代表一委员", can_ask=True, order=1)
    leaders = RaterGroupFactory(session=session, name="县级领导", can_ask=False, order=0)
    UserFactory(username="moderator", role=Role.MODERATOR, password=PASSWORD)
    return {
        "session": session,
        "deputy": CredentialFactory(session=session, group=asking, code="LIVEASK1"),
        "member": CredentialFactory(session=session, group=asking, code="LIVEASK2"),
        "leader": CredentialFactory(session=session, group=leaders, code="LIVELDR1"),
    }


def test_live_meeting_from_speaker_to_satisfaction_tally(open_page, hall):
    session = hall["session"]
    console = open_page(LAPTOP)
    log_in(console, "moderator")
    queue = console.context.new_page()
    screen = open_page(SCREEN)
    tablet_a = open_page(TABLET)
    tablet_b = open_page(PHONE)
    errors = []
    for page in (console, queue, screen, tablet_a, tablet_b):
        page.on("pageerror", lambda error: errors.append(str(error)))
    screen.goto(f"/screen/{stage_for(session).screen_token}/")
    expect(screen.locator(".screen-title")).to_have_text("2026年年中述职讲评会")
    queue.goto("/sessions/2026-mid/questions/")
    expect(queue.locator("#q-pending")).to_contain_text("暂无待审核的问题。")

    # 1. The moderator starts the first speaker: the screen shows the unit and a running clock.
    console.goto("/sessions/2026-mid/console/")
    console.get_by_role("button", name="开始", exact=True).first.click()
    expect(console.locator("#console-current-title")).to_have_text("城关镇 述职")
    expect(screen.locator(".screen-speaker-name")).to_have_text("城关镇", timeout=SCREEN_WAIT_MS)
    expect(screen.locator(".screen-segment")).to_have_text("述职")
    expect(screen.locator(".screen-next")).to_have_text("下一位：东风街道 述职")
    clock = screen.locator(".screen-speaker .countdown")
    first = seconds(clock.inner_text())
    # Two readings apart by more than a second plus one 250 ms tick of the clock.
    screen.wait_for_timeout(1_500)
    second = seconds(clock.inner_text())
    assert 0 < second < first <= 300
    shot(screen, "live-screen-speaker")
    expect(console.locator(".console-current .countdown")).not_to_have_text("05:00")
    shot(console, "live-console")

    # 2. Tablet A asks a question with HTML in it; 我的提问 shows it pending, as text.
    scan(tablet_a, hall["deputy"])
    tablet_a.goto("/r/live/")
    tablet_a.get_by_label("向哪个单位提问").select_option(label="区住房和城乡建设局")
    tablet_a.get_by_label("问题").fill(QUESTION)
    tablet_a.get_by_role("button", name="提交问题").click()
    expect(tablet_a.get_by_text("问题已提交，等待主持人审核。")).to_be_visible()
    mine = tablet_a.locator("#my-questions .tablet-question")
    expect(mine).to_have_count(1)
    expect(mine.locator(".tablet-question-text")).to_have_text(QUESTION)
    expect(mine.locator(".badge")).to_have_text("待审核")
    expect(mine.locator(".tablet-question-text b")).to_have_count(0)
    shot(tablet_a, "live-tablet-ask", full_page=True)
    question = Question.objects.get(session=session)
    assert (question.text, question.status) == (QUESTION, Question.Status.SUBMITTED)

    # 3. The queue's poll brings it in; approved and put on the big screen, literally.
    pending = queue.locator("#q-pending .q-item")
    expect(pending).to_have_count(1, timeout=QUEUE_WAIT_MS)
    expect(pending.locator(".q-text")).to_have_text(QUESTION)
    pending.get_by_role("button", name="通过").click()
    approved = queue.locator("#q-approved .q-item")
    expect(approved.locator(".q-text")).to_have_text(QUESTION)
    approved.get_by_role("button", name="上大屏").click()
    expect(approved).to_contain_text("大屏显示中")
    text_on_screen = screen.locator(".screen-question-text")
    expect(text_on_screen).to_have_text(QUESTION, timeout=SCREEN_WAIT_MS)
    expect(text_on_screen.locator("b")).to_have_count(0)
    expect(screen.locator(".screen-question b")).to_have_count(0)
    expect(screen.locator(".screen-kicker")).to_have_text("现场问政 · 被问单位：区住房和城乡建设局")
    expect(screen.locator(".screen-asker")).to_have_text("提问人：两代表一委员")
    shot(screen, "live-screen-question")

    # 4. Answered, with a summary; the satisfaction vote opens.
    approved.get_by_text("记录答复").click()
    approved.get_by_label("答复摘要（可留空）").fill("年底前完成主体工程。")
    approved.get_by_role("button", name="已答复").click()
    answered = queue.locator("#q-answered .q-item")
    expect(answered.locator(".q-answer")).to_have_text("答复摘要：年底前完成主体工程。")
    answered.get_by_role("button", name="开启满意度投票").click()
    expect(answered.locator(".q-tally")).to_have_text("满意 0 · 基本满意 0 · 不满意 0 · 满意率 —")
    expect(screen.locator(".screen-tally-head")).to_have_text(
        "满意度投票 · 投票中 · 已投 0 票", timeout=SCREEN_WAIT_MS
    )

    # 5. Both tablets see the vote appear by their poll, and vote once each.
    scan(tablet_b, hall["member"])
    tablet_b.goto("/r/live/")
    panel_a = tablet_a.locator("#vote-panel")
    panel_b = tablet_b.locator("#vote-panel")
    for panel in (panel_a, panel_b):
        expect(panel.get_by_role("button", name="不满意")).to_be_visible(timeout=TABLET_WAIT_MS)
        expect(panel.locator(".tablet-vote-question")).to_have_text(QUESTION)
        expect(panel.locator(".tablet-vote-answer")).to_have_text("答复摘要：年底前完成主体工程。")
    assert tablet_b.evaluate(NO_SIDEWAYS_SCROLL)
    shot(tablet_b, "live-tablet-vote")
    panel_a.get_by_role("button", name="满意", exact=True).click()
    expect(panel_a.locator("#voted")).to_have_text("已投票：满意")
    panel_b.get_by_role("button", name="基本满意").click()
    expect(panel_b.locator("#voted")).to_have_text("已投票：基本满意")

    # A votes again: the page no longer offers it, and a hand-made POST is refused.
    tablet_a.reload()
    expect(panel_a.locator("#voted")).to_have_text("已投票：满意")
    expect(panel_a.get_by_role("button")).to_have_count(0)
    again = tablet_a.request.post(
        "/r/live/vote/",
        form={"question": str(question.pk), "choice": "dissatisfied"},
        headers={"HX-Request": "true", "X-CSRFToken": csrf_token(tablet_a)},
    )
    assert again.status == 409
    assert ALREADY_VOTED in again.text()
    assert sorted(
        SatisfactionVote.objects.filter(question=question).values_list("credential__code", "choice")
    ) == [("LIVEASK1", "satisfied"), ("LIVEASK2", "basically_satisfied")]

    # 6. The big screen and the queue show the tally.
    expect(screen.locator(".screen-tally-head")).to_have_text(
        "满意度投票 · 投票中 · 已投 2 票", timeout=SCREEN_WAIT_MS
    )
    counts = {
        choice: screen.locator(f".screen-tally-row.choice-{choice} .tally-count")
        for choice in ("satisfied", "basically_satisfied", "dissatisfied")
    }
    expect(counts["satisfied"]).to_have_text("1")
    expect(counts["basically_satisfied"]).to_have_text("1")
    expect(counts["dissatisfied"]).to_have_text("0")
    expect(screen.locator(".screen-tally-row .tally-label")).to_have_text(
        ["满意", "基本满意", "不满意"]
    )
    expect(screen.locator(".screen-tally-row .tally-percent")).to_have_text(["50%", "50%", "0%"])
    expect(screen.locator(".screen-rate")).to_have_text("满意率 100.00%")
    expect(text_on_screen.locator("b")).to_have_count(0)
    assert screen.evaluate(NO_SCROLL)
    shot(screen, "live-screen-tally")
    expect(answered.locator(".q-tally")).to_have_text(
        "满意 1（50%） · 基本满意 1（50%） · 不满意 0（0%） · 满意率 100.00%", timeout=QUEUE_WAIT_MS
    )
    assert queue.evaluate(NO_SIDEWAYS_SCROLL)
    shot(queue, "live-queue")
    # 我的提问 on tablet A follows the question to 已答复.
    expect(mine.locator(".badge")).to_have_text("已答复")

    # 7. A card of a group that may not ask is refused.
    leader = open_page(TABLET)
    scan(leader, hall["leader"])
    response = leader.goto("/r/live/")
    assert response.status == 403
    expect(leader.locator("#refused")).to_have_text("此评议码不能提问或投票。")
    assert errors == []
