"""The tablets without a network (docs/tablets.md, "Offline"), in a real browser with
Playwright's offline mode: the Wi-Fi drops in the middle of the form, the rater reloads, finishes
and presses 确认提交 with no network; when the network returns the ballot lands once, with the
grades tapped, and the receipt is shown. Nothing of the card stays on the device afterwards
(docs/anonymity.md, "On the tablet")."""

import pytest
from playwright.sync_api import expect

from meeting.models import Question, Satisfaction, SatisfactionVote
from sessions.models import Ballot, BallotGrade, Credential, DraftGrade, Grade, ReviewSession
from tests.factories import CredentialFactory

from .conftest import PHONE, TABLET
from .raters import (
    DEVICE,
    FORM_URL,
    KEPT_PAGES,
    READY,
    grade_of,
    hall_voting,
    rating_session,
    scan,
    tap,
)

pytestmark = [pytest.mark.browser, pytest.mark.old_chromium]


def wait_for_worker(page):
    """The service worker controls the page and keeps its copy: a reload without a network is
    served by it. (Polled from here: the pages' CSP refuses wait_for_function's eval.)"""
    for _ in range(300):
        if page.evaluate(READY):
            return
        page.wait_for_timeout(100)
    raise AssertionError("the service worker never kept a copy of the page")


@pytest.mark.parametrize("viewport", [TABLET, PHONE], ids=["tablet", "phone"])
def test_wifi_drops_mid_form_reload_finish_submit_offline_then_one_ballot(open_page, viewport):
    session, units = rating_session()
    credential = CredentialFactory(session=session)
    page = open_page(viewport)
    scan(page, credential)
    wait_for_worker(page)
    first, rest = units[:4], units[4:]
    for unit in first:
        tap(page, unit, grade_of(unit))
        expect(page.locator(f"#unit-{unit.pk} .save-state")).to_contain_text("已保存")

    page.context.set_offline(True)
    for unit in rest[:3]:
        tap(page, unit, grade_of(unit))
        row = page.locator(f"#unit-{unit.pk}")
        expect(row.locator(".save-state")).to_have_text("已存本机，待上传")
    status = page.locator("#device-status")
    expect(status).to_contain_text("3 项评价暂存在本机")
    expect(page.locator("#progress")).to_have_text(f"已评 7/{len(units)}")
    assert DraftGrade.objects.filter(credential=credential).count() == 4

    page.reload()  # no network: the service worker's copy, with the device's taps on top
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", level=1)).to_have_text("2026年年中述职评议")
    for unit in first + rest[:3]:
        expect(page.locator(f"#unit-{unit.pk} input[value='{grade_of(unit)}']")).to_be_checked()
    expect(status).to_contain_text("3 项评价暂存在本机")
    expect(page.locator("#progress")).to_have_text(f"已评 7/{len(units)}")

    for unit in rest[3:]:
        tap(page, unit, grade_of(unit))
        expect(page.locator(f"#unit-{unit.pk} .save-state")).to_have_text("已存本机，待上传")
    expect(page.locator("#progress")).to_have_text(f"已评 {len(units)}/{len(units)}")
    page.locator("summary", has_text="检查并提交").click()
    page.locator("#confirm").get_by_role("button", name="确认提交").click()
    expect(status).to_contain_text("确认提交已在本机排队")
    assert Ballot.objects.filter(session=session).count() == 0

    page.context.set_offline(False)

    expect(page.get_by_role("heading", level=1)).to_have_text("评议表已提交")
    stored = Credential.objects.get(pk=credential.pk)
    expect(page.locator("#receipt")).to_have_text(f"{stored.receipt[:4]} {stored.receipt[4:]}")
    ballot = Ballot.objects.get(session=session)
    assert dict(BallotGrade.objects.filter(ballot=ballot).values_list("unit_id", "grade")) == {
        unit.pk: grade_of(unit) for unit in units
    }
    # Nothing of the card is left on the device: no taps, no copy of the form.
    assert page.evaluate(DEVICE) is None
    assert page.evaluate(KEPT_PAGES) == []
    page.context.set_offline(True)
    page.reload()
    expect(page.locator("body")).to_contain_text("网络已断开")
    expect(page.locator(".rate-unit")).to_have_count(0)
    page.context.set_offline(False)
    assert Ballot.objects.filter(session=session).count() == 1


def test_representative_votes_and_asks_offline_and_each_lands_once_when_back(open_page):
    hall, voting = hall_voting()
    page = open_page(TABLET)
    scan(page, hall.deputy)
    page.get_by_role("link", name="现场问政：提问和满意度投票 →").click()
    expect(page.locator("#vote-panel")).to_contain_text("道路什么时候修好？")
    wait_for_worker(page)

    page.context.set_offline(True)
    page.reload()  # the device's copy of the live page
    page.wait_for_load_state("load")
    status = page.locator("#device-status")
    expect(status).to_contain_text("网络已断开")
    expect(page.locator("#vote-panel")).to_contain_text("道路什么时候修好？")

    page.get_by_role("button", name="基本满意").click()
    expect(page.locator("#vote-panel .device-note")).to_contain_text("已存本机，尚未发送")
    page.get_by_label("向哪个单位提问").select_option(label="东风街道")
    page.get_by_label("问题").fill("公交站什么时候建？")
    page.get_by_role("button", name="提交问题").click()
    expect(page.locator("#ask .device-note")).to_contain_text("已存本机，尚未发送")
    assert SatisfactionVote.objects.count() == 0
    assert Question.objects.filter(credential=hall.deputy).count() == 0

    page.context.set_offline(False)

    expect(page.locator("#voted")).to_have_text("已投票：基本满意")
    expect(page.locator("#my-questions")).to_contain_text("公交站什么时候建？")
    expect(status).to_be_hidden()
    assert list(SatisfactionVote.objects.values_list("question_id", "credential_id", "choice")) == [
        (voting.pk, hall.deputy.pk, Satisfaction.BASICALLY_SATISFIED)
    ]
    assert list(Question.objects.filter(credential=hall.deputy).values_list("text", flat=True)) == [
        "公交站什么时候建？"
    ]
    assert page.evaluate(DEVICE) is None


def test_taps_kept_on_the_device_when_rating_closes_are_said_not_to_count(open_page):
    session, units = rating_session()
    credential = CredentialFactory(session=session)
    page = open_page(TABLET)
    scan(page, credential)
    page.context.set_offline(True)
    tap(page, units[0], Grade.GOOD)
    tap(page, units[1], Grade.POOR)
    expect(page.locator("#device-status")).to_contain_text("2 项评价暂存在本机")
    ReviewSession.objects.filter(pk=session.pk).update(status=ReviewSession.Status.CLOSED)

    page.context.set_offline(False)

    expect(page.locator("#device-status")).to_have_text(
        "评议已经结束，不再接收评议表。 本机暂存的 2 项评价没有计入。"
    )
    assert page.evaluate(DEVICE) is None
    assert DraftGrade.objects.filter(credential=credential).count() == 0


def test_without_a_network_the_missing_link_shows_the_first_row_without_a_grade(open_page):
    session, units = rating_session()
    credential = CredentialFactory(session=session)
    page = open_page(PHONE)
    scan(page, credential)
    page.context.set_offline(True)
    for unit in units[:5]:
        tap(page, unit, grade_of(unit))
    page.locator("summary", has_text="检查并提交").click()
    missing = page.locator("#confirm [data-when-missing]")
    expect(missing).to_contain_text(f"还有 {len(units) - 5} 项没有评价")

    missing.get_by_role("link", name="查看未评单位").click()

    expect(page).to_have_url(FORM_URL)  # stayed on the form: the check page needs the server
    expect(page.locator(f"#unit-{units[5].pk}")).to_be_in_viewport()
    page.context.set_offline(False)
    # The taps go up as soon as the network is back: the test ends once they have.
    expect(page.locator("#device-status")).to_have_text("本机暂存的评价已全部保存到服务器。")
    assert DraftGrade.objects.filter(credential=credential).count() == 5
