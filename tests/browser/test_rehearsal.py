"""彩排 end to end in Chromium (docs/rehearsal.md): the organiser starts a rehearsal of a ready
session, a real card is refused, a 彩排 card asks a question and votes on its answer and then
submits a ballot, rating is closed, and 结束彩排并恢复 brings the session page, its counts and
its audit log back to what they showed before, plus the one reset entry.

Screenshots go to REHEARSAL_SHOTS (default /tmp/rehearsal-shots; docs/screenshots for the docs)."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from core.audit import audit
from meeting import agenda
from org.access import Role
from sessions import cards
from sessions.models import AuditLog, Ballot, Credential, ReviewSession
from tests.browser.conftest import PHONE, TABLET
from tests.browser.raters import scan
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

SHOTS = Path(os.environ.get("REHEARSAL_SHOTS", "/tmp/rehearsal-shots"))  # noqa: S108
SLUG = "2026-mid"
TABLET_WAIT_MS = 8_000
QUEUE_WAIT_MS = 12_000


def shot(page, name, *, full_page=True):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


@pytest.fixture
def ready_session():
    session = ReviewSessionFactory(
        slug=SLUG,
        title="2026年年中述职讲评会",
        kind=ReviewSession.Kind.MIDYEAR,
        status=ReviewSession.Status.READY,
    )
    towns = UnitCategoryFactory(session=session, name="镇(街道)")
    units = []
    for order, name in enumerate(["城关镇", "东风街道", "滨河街道"], start=1):
        unit = UnitFactory(session=session, category=towns, name=name)
        ParticipantFactory(session=session, unit=unit, speaking_order=order)
        units.append(unit)
    agenda.agenda_generate(session=session, actor=None, segments=["work"], limit_seconds=300)
    asking = RaterGroupFactory(session=session, name="两代表一委员", can_ask=True, order=1)
    leaders = RaterGroupFactory(session=session, name="县级领导", can_ask=False, order=0)
    real = CredentialFactory(session=session, group=asking, code="REALASK1")
    CredentialFactory(session=session, group=leaders, code="REALLDR1")
    organiser = UserFactory(username="zuzhi", role=Role.ORGANISER, password=PASSWORD)
    audit(session=session, actor=organiser, action="session.status", message="状态：草稿 → 已就绪")
    return {"session": session, "units": units, "asking": asking, "real": real}


def _stats(page) -> str:
    page.goto(f"/sessions/{SLUG}/")
    return page.locator(".stats").inner_text()


def _log(page) -> list[str]:
    page.goto(f"/sessions/{SLUG}/audit/")
    return page.locator("table tbody tr").all_inner_texts()


def _transition(page, label):
    page.goto(f"/sessions/{SLUG}/")
    page.get_by_role("link", name=f"转为“{label}”").click()
    page.get_by_role("button", name=f"确认转为“{label}”").click()
    expect(page.locator(".messages")).to_contain_text(f"评议会已转为“{label}”")


def _rehearsal_code(session, group) -> Credential:
    return Credential.objects.filter(session=session, group=group, rehearsal=True).first()


def test_a_rehearsal_is_run_and_reset_to_what_the_session_showed_before(
    open_page, ready_session, tmp_path
):
    session, asking = ready_session["session"], ready_session["asking"]
    organiser = open_page(TABLET)
    errors = []
    organiser.on("pageerror", lambda error: errors.append(str(error)))
    log_in(organiser, "zuzhi")
    stats_before = _stats(organiser)
    expect(organiser.locator(".badge.ready")).to_have_text("已就绪")
    log_before = _log(organiser)
    assert len(log_before) == 2

    # 1. Start: one confirmation, then the banner on every page.
    organiser.goto(f"/sessions/{SLUG}/")
    organiser.get_by_role("link", name="开始彩排").click()
    organiser.get_by_role("button", name="确认开始彩排").click()
    expect(organiser.locator(".rehearsal-banner")).to_contain_text("彩排数据，不计入结果")
    expect(organiser.locator("#rehearsal")).to_contain_text("正在彩排")
    shot(organiser, "rehearsal-session-tablet")
    phone = open_page(PHONE)
    log_in(phone, "zuzhi")
    phone.goto(f"/sessions/{SLUG}/")
    expect(phone.locator(".rehearsal-banner")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(phone, "rehearsal-session-phone")
    assert Credential.objects.filter(session=session, rehearsal=True).count() == 6

    # The 彩排 card, as printed.
    codes = list(Credential.objects.filter(session=session, rehearsal=True)[:4])
    html = tmp_path / "rehearsal-cards.html"
    html.write_text(cards.render_cards_html(session=session, credentials=codes))
    for viewport, name in ((TABLET, "rehearsal-card-tablet"), (PHONE, "rehearsal-card-phone")):
        card_page = open_page(viewport)
        card_page.goto(html.as_uri())
        expect(card_page.locator(".rehearsal-mark").first).to_have_text("彩排")
        shot(card_page, name, full_page=False)

    # 2. Live: a real card is refused; a 彩排 card asks a question.
    _transition(organiser, "会议进行中")
    real_tablet = open_page(TABLET)
    scan(real_tablet, ready_session["real"])
    expect(real_tablet.get_by_role("heading", level=1)).to_have_text("正在彩排，评议尚未开始")
    tablet = open_page(TABLET)
    scan(tablet, _rehearsal_code(session, asking))
    expect(tablet.locator(".rehearsal-banner")).to_be_visible()
    tablet.goto("/r/live/")
    tablet.get_by_label("向哪个单位提问").select_option(label="东风街道")
    tablet.get_by_label("问题").fill("老旧小区改造什么时候完成？")
    tablet.get_by_role("button", name="提交问题").click()
    expect(tablet.get_by_text("问题已提交，等待主持人审核。")).to_be_visible()

    # The organiser moderates it, records the answer and holds the vote.
    organiser.goto(f"/sessions/{SLUG}/questions/")
    pending = organiser.locator("#q-pending .q-item")
    expect(pending).to_have_count(1, timeout=QUEUE_WAIT_MS)
    pending.get_by_role("button", name="通过").click()
    approved = organiser.locator("#q-approved .q-item")
    approved.get_by_text("记录答复").click()
    approved.get_by_label("答复摘要（可留空）").fill("年底前完成。")
    approved.get_by_role("button", name="已答复").click()
    answered = organiser.locator("#q-answered .q-item")
    answered.get_by_role("button", name="开启满意度投票").click()
    panel = tablet.locator("#vote-panel")
    expect(panel.get_by_role("button", name="满意", exact=True)).to_be_visible(
        timeout=TABLET_WAIT_MS
    )
    panel.get_by_role("button", name="满意", exact=True).click()
    expect(panel.locator("#voted")).to_have_text("已投票：满意")
    expect(answered.locator(".q-tally")).to_contain_text("满意 1", timeout=QUEUE_WAIT_MS)

    # 3. Rating: the same 彩排 card submits a ballot; then rating is closed.
    _transition(organiser, "评议中")
    tablet.goto("/r/form/")
    for unit in ready_session["units"]:
        tablet.locator(f"#unit-{unit.pk}").get_by_text("好", exact=True).click()
        expect(tablet.locator(f"#unit-{unit.pk} .save-state")).to_have_text("已保存：好")
    tablet.locator("summary", has_text="检查并提交").click()
    tablet.locator("#confirm").get_by_role("button", name="确认提交").click()
    expect(tablet.get_by_role("heading", level=1)).to_have_text("评议表已提交")
    _transition(organiser, "评议已结束")
    assert Ballot.objects.filter(session=session).count() == 1
    organiser.goto(f"/sessions/{SLUG}/results/")
    expect(organiser.locator("#result-banner")).to_contain_text("彩排数据，不计入结果")
    expect(organiser.get_by_role("link", name="发布结果")).to_have_count(0)

    # 4. The reset: one page listing what goes, then the session as it was.
    organiser.goto(f"/sessions/{SLUG}/")
    organiser.get_by_role("link", name="结束彩排并恢复").click()
    removals = organiser.locator("#rehearsal-removals")
    expect(removals).to_contain_text("彩排评议码")
    expect(removals).to_contain_text("问政问题")
    expect(removals).to_contain_text("满意度投票")
    shot(organiser, "rehearsal-reset-tablet")
    phone.goto(f"/sessions/{SLUG}/rehearsal/reset/")
    shot(phone, "rehearsal-reset-phone")
    organiser.get_by_role("button", name="确认结束彩排并恢复").click()
    expect(organiser.locator(".messages")).to_contain_text("彩排已结束")
    expect(organiser.locator(".rehearsal-banner")).to_have_count(0)
    expect(organiser.locator(".badge.ready")).to_have_text("已就绪")

    assert _stats(organiser) == stats_before
    log_after = _log(organiser)
    assert log_after[1:] == log_before
    assert "rehearsal.reset" in log_after[0] and "结束彩排并恢复" in log_after[0]
    assert AuditLog.objects.filter(session=session).count() == 3
    assert not Ballot.objects.filter(session=session).exists()
    assert not Credential.objects.filter(session=session, rehearsal=True).exists()
    # The real card works again once rating really opens; nothing of the rehearsal is left.
    real_tablet.goto("/r/form/")
    expect(real_tablet.get_by_role("heading", level=1)).not_to_have_text("正在彩排，评议尚未开始")
    assert errors == []
