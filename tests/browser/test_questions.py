"""In a real browser: two representatives' tablets and the moderator's queue.
A question is asked on a tablet, approved, answered, the satisfaction vote opened; both
tablets see it appear without a reload, vote once each, and a second vote from the same card
(on a second tablet) is refused. Screenshots go to /tmp/huiji-shots/questions/."""

import re
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from meeting import questions
from meeting.models import SatisfactionVote
from org.access import Role
from tests.browser.conftest import DOCS_SHOTS, PHONE, TABLET
from tests.browser.raters import scan
from tests.browser.staff import PASSWORD, log_in
from tests.factories import UserFactory
from tests.factories.questions import QuestionFactory, make_hall

pytestmark = pytest.mark.browser

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
SHOTS = Path(tempfile.gettempdir()) / "huiji-shots" / "questions"
QUESTION = "<b>滨河路</b>什么时候修好？"


def open_live(page, credential):
    """Scan the card, then follow the card page's link to 现场问政 (rating is not open yet)."""
    scan(page, credential)
    page.get_by_role("link", name="现场问政：提问和满意度投票 →").click()
    expect(page).to_have_url(re.compile(r"/r/live/$"))


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def test_question_from_a_tablet_to_a_satisfaction_vote(open_page):
    hall = make_hall()
    UserFactory(username="moderator", role=Role.MODERATOR, password=PASSWORD)
    deputy = open_page(TABLET)
    member = open_page(PHONE)
    moderator = open_page(TABLET)

    # A representative asks; HTML in the question stays text.
    open_live(deputy, hall.deputy)
    deputy.get_by_label("向哪个单位提问").select_option(label="东风街道")
    deputy.get_by_label("问题").fill(QUESTION)
    expect(deputy.locator(".tablet-counter")).to_have_text(f"{len(QUESTION)} / 500")
    deputy.get_by_role("button", name="提交问题").click()
    expect(deputy.get_by_text("问题已提交，等待主持人审核。")).to_be_visible()
    mine = deputy.locator("#my-questions .tablet-question")
    expect(mine).to_have_count(1)
    expect(mine).to_contain_text(QUESTION)
    expect(mine).to_contain_text("待审核")
    assert deputy.evaluate(NO_SIDEWAYS_SCROLL)

    # The moderator approves, records the answer and opens the vote.
    log_in(moderator, "moderator")
    moderator.goto("/sessions/2026-mid/questions/")
    pending = moderator.locator("#q-pending .q-item")
    expect(pending).to_have_count(1)
    expect(pending).to_contain_text(QUESTION)
    pending.get_by_role("button", name="通过").click()
    approved = moderator.locator("#q-approved .q-item")
    expect(approved).to_contain_text(QUESTION)
    approved.get_by_role("button", name="上大屏").click()
    expect(moderator.locator("#q-approved .q-item")).to_contain_text("大屏显示中")
    moderator.locator("#q-approved .q-item").get_by_text("记录答复").click()
    moderator.locator("#q-approved .q-item").get_by_label("答复摘要（可留空）").fill(
        "今年年底前完成。"
    )
    moderator.locator("#q-approved .q-item").get_by_role("button", name="已答复").click()
    answered = moderator.locator("#q-answered .q-item")
    expect(answered).to_contain_text("今年年底前完成。")
    open_live(member, hall.member)  # loaded before the vote opens
    expect(member.get_by_text("目前没有进行中的满意度投票。")).to_be_visible()
    answered.get_by_role("button", name="开启满意度投票").click()
    expect(answered).to_contain_text("满意 0 · 基本满意 0 · 不满意 0 · 满意率 —")
    shot(moderator, "queue-1024x768.png")

    # Both tablets see the vote appear by polling, without a reload.
    vote_panel = member.locator("#vote-panel")
    expect(vote_panel.get_by_role("button", name="不满意")).to_be_visible(timeout=8_000)
    expect(vote_panel).to_contain_text(QUESTION)
    assert member.evaluate(NO_SIDEWAYS_SCROLL)
    shot(member, "tablet-vote-390x844.png")
    deputy_panel = deputy.locator("#vote-panel")
    expect(deputy_panel.get_by_role("button", name="基本满意")).to_be_visible(timeout=8_000)
    shot(deputy, "tablet-vote-1024x768.png")

    # The same card on a second tablet, loaded while it has not voted yet.
    second_tablet = open_page(TABLET)
    open_live(second_tablet, hall.deputy)
    second_panel = second_tablet.locator("#vote-panel")
    expect(second_panel.get_by_role("button", name="满意", exact=True)).to_be_visible()
    # It stays as loaded: its poll would otherwise show the first tablet's vote, as it should,
    # before the second press this checks.
    second_tablet.route("**/r/live/vote/panel/", lambda route: route.abort())

    deputy_panel.get_by_role("button", name="满意", exact=True).click()
    expect(deputy_panel).to_contain_text("已投票：满意")
    expect(deputy_panel.get_by_role("button")).to_have_count(0)
    second_panel.get_by_role("button", name="不满意").click()
    expect(second_panel).to_contain_text("您已对该问题投过票，不能重复投票。")
    expect(second_panel).to_contain_text("已投票：满意")
    vote_panel.get_by_role("button", name="不满意").click()
    expect(vote_panel).to_contain_text("已投票：不满意")
    # 我的提问 follows the question's status by the same poll.
    expect(mine).to_contain_text("已答复", timeout=8_000)
    shot(deputy, "tablet-voted-1024x768.png")

    # The moderator's live tally follows by polling; then the vote is closed.
    expect(answered).to_contain_text(
        "满意 1（50%） · 基本满意 0（0%） · 不满意 1（50%） · 满意率 50.00%", timeout=8_000
    )
    answered.get_by_role("button", name="结束投票").click()
    expect(answered).to_contain_text("投票结束")
    assert sorted(SatisfactionVote.objects.values_list("choice", flat=True)) == [
        "dissatisfied",
        "satisfied",
    ]
    assert moderator.evaluate(NO_SIDEWAYS_SCROLL)


def test_queue_with_every_column_fits_a_tablet(page):
    hall = make_hall()
    UserFactory(username="moderator", role=Role.MODERATOR, password=PASSWORD)
    for n, unit in enumerate(hall.units):
        QuestionFactory(
            session=hall.session, unit=unit, asker=f"人大代表 {n}", text=f"{unit.name}的问题" * 4
        )
    for unit in hall.units[:2]:
        questions.question_approve(
            question=QuestionFactory(session=hall.session, unit=unit, collected_before=True),
            actor=None,
        )
    main = questions.question_approve(
        question=QuestionFactory(session=hall.session, unit=hall.units[2]), actor=None
    )
    duplicate = QuestionFactory(session=hall.session, unit=hall.units[2], asker="政协委员 乙")
    questions.question_merge(question=duplicate, into=main, actor=None)
    questions.question_answered(question=main, actor=None, summary="已列入明年计划。")
    questions.vote_open(question=main, actor=None)
    questions.vote_cast(credential=hall.deputy, question_id=main.pk, choice="satisfied")
    rejected = QuestionFactory(session=hall.session, unit=hall.units[0], text="与述职无关的问题")
    questions.question_reject(question=rejected, actor=None, reason="与述职无关")
    log_in(page, "moderator")

    page.goto("/sessions/2026-mid/questions/")

    expect(page.locator("#q-pending .q-item")).to_have_count(3)
    expect(page.locator("#q-approved .q-item")).to_have_count(2)
    expect(page.locator("#q-answered")).to_contain_text("合并了 1 个同类问题：政协委员 乙")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    shot(page, "queue-full-1024x768.png")
    page.set_viewport_size(PHONE)
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    shot(page, "queue-full-390x844.png")


def test_queue_poll_waits_while_the_moderator_types_a_reason(page):
    hall = make_hall()
    UserFactory(username="moderator", role=Role.MODERATOR, password=PASSWORD)
    QuestionFactory(session=hall.session, unit=hall.units[0], text="第一个问题")
    log_in(page, "moderator")
    page.goto("/sessions/2026-mid/questions/")
    item = page.locator("#q-pending .q-item")
    item.get_by_text("不采纳").first.click()
    item.get_by_label("未采纳理由（提问人可见）").fill("与述职")

    questions.question_submit(credential=hall.deputy, unit_id=hall.units[1].pk, text="平板新问题")
    page.wait_for_timeout(6_000)  # more than one poll

    expect(item.get_by_label("未采纳理由（提问人可见）")).to_have_value("与述职")
    expect(page.locator("#q-pending")).not_to_contain_text("平板新问题")
    item.get_by_role("button", name="不采纳").click()
    expect(page.locator("#q-pending")).to_contain_text("平板新问题")
    expect(page.locator("#q-closed")).to_contain_text("未采纳理由：与述职")


def test_tablet_page_refuses_a_card_that_may_not_ask(page):
    hall = make_hall()

    scan(page, hall.leader)
    response = page.goto("/r/live/")

    assert response.status == 403
    expect(page.locator("#refused")).to_have_text("此评议码不能提问或投票。")


def test_moderator_rewords_a_question_before_the_screen_and_the_original_stays(open_page):
    hall = make_hall()
    UserFactory(username="moderator", role=Role.MODERATOR, password=PASSWORD)
    asked = questions.question_submit(
        credential=hall.deputy, unit_id=hall.units[0].pk, text="<b>请具体说明</b>"
    )
    moderator = open_page(TABLET)
    log_in(moderator, "moderator")
    moderator.goto("/sessions/2026-mid/questions/")

    item = moderator.locator(f"#question-{asked.pk}")
    item.get_by_text("修改措辞", exact=True).click()
    item.get_by_label("上大屏的措辞（原文会保留，修改记入审计日志）").fill(
        "请具体说明滨河路改造的完工时间。"
    )
    item.get_by_role("button", name="保存措辞").click()

    item = moderator.locator(f"#question-{asked.pk}")
    expect(item.locator(".q-text")).to_have_text("请具体说明滨河路改造的完工时间。")
    expect(item.locator(".q-original")).to_have_text("已修改措辞 原文：<b>请具体说明</b>")
    assert moderator.evaluate(NO_SIDEWAYS_SCROLL)
    item.get_by_role("button", name="通过").click()
    approved = moderator.locator("#q-approved .q-item")
    approved.get_by_role("button", name="上大屏").click()
    expect(approved).to_contain_text("大屏显示中")
    # Shown once: the wording is what the hall has read, no longer editable.
    expect(approved.get_by_text("修改措辞", exact=True)).to_have_count(0)
    DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
    moderator.screenshot(path=str(DOCS_SHOTS / "questions-reworded-tablet.png"), full_page=True)
    moderator.set_viewport_size(PHONE)
    assert moderator.evaluate(NO_SIDEWAYS_SCROLL)
    moderator.screenshot(path=str(DOCS_SHOTS / "questions-reworded-phone.png"), full_page=True)


def test_opening_a_vote_that_closes_another_asks_first(open_page):
    hall = make_hall()
    UserFactory(username="moderator", role=Role.MODERATOR, password=PASSWORD)
    first = QuestionFactory(session=hall.session, unit=hall.units[0], text="修路何时完工？")
    second = QuestionFactory(session=hall.session, unit=hall.units[1], text="学校何时建成？")
    for question in (first, second):
        questions.question_approve(question=question, actor=None)
        questions.question_answered(question=question, actor=None, summary="年底")
    questions.vote_open(question=first, actor=None)
    moderator = open_page(TABLET)
    log_in(moderator, "moderator")
    moderator.goto("/sessions/2026-mid/questions/")
    button = moderator.locator(f"#question-{second.pk}").get_by_role(
        "button", name="开启满意度投票"
    )
    prompts = []

    # Cancel: nothing changes.
    moderator.once("dialog", lambda d: (prompts.append(d.message), d.dismiss()))
    button.click()
    moderator.wait_for_timeout(500)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.vote, second.vote) == ("open", "none")

    # Confirm: the old vote closes, the new one opens.
    moderator.once("dialog", lambda d: (prompts.append(d.message), d.accept()))
    button.click()
    expect(moderator.locator(f"#question-{second.pk}")).to_contain_text("投票中")
    expect(moderator.locator(f"#question-{first.pk}")).to_contain_text("投票结束")
    assert (
        prompts
        == [
            "打开新表决会关闭正在进行的表决“修路何时完工？”。确定开启对“东风街道”答复的满意度投票吗？"
        ]
        * 2
    )
