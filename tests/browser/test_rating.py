"""The rater in a real browser: a rater scans the card (its QR address /r/#CODE), fills the whole
form on a tablet (1024×768) and on a phone (390×844), reloads half way and resumes from the
drafts the server kept, submits once, and a second tablet scanning the same card sees the same
receipt. No request the browser sends carries the code, in its address or its Referer. A dropped
connection keeps the tap on the device and static/js/offline.js sends it once the network is
back, without a second tap; a submission that fails on the network is queued on the device, one
answered with a 5xx is retried (tests/browser/test_offline.py has the rest)."""

import re
import time

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from sessions.models import Ballot, Credential, DraftGrade, Grade
from sessions.views import card
from tests.factories import (
    CredentialFactory,
)

from .conftest import PHONE, TABLET
from .raters import (
    FORM_URL,
    GRADES,
    GRADES_IN_ONE_ROW,
    LABELS,
    qr_path,
    rating_session,
    scan,
    tap,
)

NO_CARD = "这台设备还没有打开评议卡（或已换卡、已过期）。请扫描评议卡上的二维码，或输入评议码。"

pytestmark = [pytest.mark.browser, pytest.mark.old_chromium]

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture(autouse=True)
def _empty_cache():
    # The live server shares this process's cache: wrong-code counts must not outlive a test.
    cache.clear()
    yield
    cache.clear()


def tap_and_see_saved(page, units, start, total):
    """Tap each unit's grade; each row says 已保存 and the progress line counts up."""
    for done, unit in enumerate(units, start=start + 1):
        grade = GRADES[unit.pk % len(GRADES)]
        tap(page, unit, grade)
        row = page.locator(f"#unit-{unit.pk}")
        expect(row.locator(".save-state")).to_have_text(f"已保存：{LABELS[grade]}")
        expect(page.locator("#progress")).to_have_text(f"已评 {done}/{total}")


def sent(page) -> list[str]:
    """Every request the page sends from now on: its address and its Referer."""
    seen: list[str] = []
    page.on(
        "request", lambda request: seen.extend([request.url, request.headers.get("referer", "")])
    )
    return seen


def rate_whole_form(page, credential, units):
    """Scan the card, half the form, reload, see it resumed, the rest, open the confirmation,
    confirm: the receipt."""
    total = len(units)
    half = total // 2
    requests = sent(page)
    scan(page, credential)
    expect(page.get_by_role("heading", level=1)).to_have_text("2026年年中述职评议")
    expect(page.locator("#progress")).to_have_text(f"已评 0/{total}")

    tap_and_see_saved(page, units[:half], 0, total)
    page.reload()
    page.wait_for_load_state("load")  # htmx (deferred) is bound before the next tap

    expect(page.locator("#progress")).to_have_text(f"已评 {half}/{total}")
    for unit in units[:half]:
        row = page.locator(f"#unit-{unit.pk}")
        grade = GRADES[unit.pk % len(GRADES)]
        expect(row.locator(f"input[value='{grade}']")).to_be_checked()
        expect(row.locator(".save-state")).to_have_text("已保存")  # rendered from the drafts
    for unit in units[half:]:
        expect(page.locator(f"#unit-{unit.pk} input:checked")).to_have_count(0)

    tap_and_see_saved(page, units[half:], half, total)
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    assert page.evaluate(GRADES_IN_ONE_ROW)
    confirm = page.locator("#confirm")
    expect(confirm).to_be_hidden()
    page.locator("summary", has_text="检查并提交").click()  # opens in the page, no request

    counts = {
        grade: sum(1 for u in units if GRADES[u.pk % len(GRADES)] == grade) for grade in GRADES
    }
    expect(confirm.locator("p").first).to_have_text(
        " · ".join(f"{LABELS[grade]} {counts[grade]}" for grade in GRADES)
    )
    expect(confirm.get_by_text("提交后评议表不能再修改，也不能撤回。")).to_be_visible()
    expect(confirm.locator("[data-when-missing]")).to_be_hidden()
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    confirm.get_by_role("button", name="确认提交").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("评议表已提交")
    receipt = Credential.objects.get(pk=credential.pk).receipt
    expect(page.locator("#receipt")).to_have_text(f"{receipt[:4]} {receipt[4:]}")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    # The code was only ever in the fragment of the first address, which is never sent.
    assert len(requests) > 2 * total
    assert [r for r in requests if credential.code in r] == []
    page.go_back()
    assert credential.code not in page.url  # nor is it left in the history
    return receipt


def expected_units(units, holder_unit):
    return [u for u in units if u != holder_unit]


def test_rater_fills_the_form_on_a_tablet_resumes_after_reload_and_submits_once(open_page):
    session, units = rating_session()
    credential = CredentialFactory(session=session, holder_unit=units[5])
    rateable = expected_units(units, units[5])
    page = open_page(TABLET)

    receipt = rate_whole_form(page, credential, rateable)

    other_tablet = open_page(TABLET)
    scan(other_tablet, credential)
    expect(other_tablet.get_by_role("heading", level=1)).to_have_text("评议表已提交")
    expect(other_tablet.locator("#receipt")).to_have_text(f"{receipt[:4]} {receipt[4:]}")
    ballot = Ballot.objects.get(session=session)
    # The anonymous ballot stores the holder's own unit as 弃权, so that every ballot of the
    # group has the same cells (docs/anonymity.md).
    assert sorted(ballot.grades.values_list("unit_id", "grade")) == sorted(
        [(u.pk, GRADES[u.pk % len(GRADES)]) for u in rateable] + [(units[5].pk, Grade.ABSTAIN)]
    )
    assert DraftGrade.objects.filter(credential=credential).count() == 0


def test_rater_fills_the_form_on_a_phone_without_sideways_scrolling(open_page):
    session, units = rating_session()
    CredentialFactory(session=session, holder_unit=units[5])  # the tablet's card, unused here
    credential = CredentialFactory(session=session, holder_unit=units[0])
    rateable = expected_units(units, units[0])
    page = open_page(PHONE)

    receipt = rate_whole_form(page, credential, rateable)

    other_phone = open_page(PHONE)
    scan(other_phone, credential)
    expect(other_phone.locator("#receipt")).to_have_text(f"{receipt[:4]} {receipt[4:]}")
    assert Ballot.objects.filter(session=session).count() == 1
    assert sorted(Ballot.objects.get(session=session).grades.values_list("unit_id", flat=True)) == (
        sorted(u.pk for u in units)  # the own unit as 弃权 (docs/anonymity.md)
    )


def test_rater_tap_while_offline_is_kept_on_the_device_and_sent_when_back(open_page):
    session, units = rating_session()
    credential = CredentialFactory(session=session)
    page = open_page(TABLET)
    scan(page, credential)
    row = page.locator(f"#unit-{units[2].pk}")

    page.context.set_offline(True)
    tap(page, units[2], Grade.FAIRLY_GOOD)

    expect(row.locator(".save-state")).to_have_text("已存本机，待上传")
    expect(page.locator("#device-status")).to_contain_text("1 项评价暂存在本机")
    expect(page.locator("#progress")).to_have_text("已评 1/12")
    expect(page.locator("#htmx-error")).to_be_hidden()  # nothing was lost: nothing to alarm
    assert DraftGrade.objects.filter(credential=credential).count() == 0

    page.context.set_offline(False)

    expect(row.locator(".save-state")).to_have_text("已保存")
    expect(page.locator("#device-status")).to_have_text("本机暂存的评价已全部保存到服务器。")
    assert list(
        DraftGrade.objects.filter(credential=credential).values_list("unit_id", "grade")
    ) == [(units[2].pk, Grade.FAIRLY_GOOD)]


def test_rater_tap_refused_by_the_server_never_still_reads_saved(open_page):
    session, units = rating_session()
    credential = CredentialFactory(session=session)
    page = open_page(TABLET)
    scan(page, credential)
    row = page.locator(f"#unit-{units[0].pk}")
    tap(page, units[0], Grade.GOOD)
    expect(row.locator(".save-state")).to_have_text("已保存：好")
    page.context.clear_cookies(name=card.COOKIE_NAME)  # the card has expired meanwhile

    tap(page, units[0], Grade.POOR)

    # The server's short answer is shown as it is, and the row does not claim to be saved.
    expect(page.locator("#htmx-error")).to_have_text(NO_CARD)
    expect(row.locator(".save-state")).to_contain_text("未保存")
    assert list(
        DraftGrade.objects.filter(credential=credential).values_list("unit_id", "grade")
    ) == [(units[0].pk, Grade.GOOD)]


def test_rater_card_works_while_the_hall_address_is_throttled(open_page):
    # Everyone in the hall shares one address behind the venue's NAT: someone's wrong codes
    # must not lock out a rater with a valid card.
    session, units = rating_session()
    credential = CredentialFactory(session=session)
    page = open_page(TABLET)
    page.goto("/r/")
    for n in range(1000):
        page.get_by_label("评议码").fill(f"WRONG{n:03d}")
        with page.expect_navigation() as answer:
            page.get_by_role("button", name="进入").click()
        if answer.value.status == 429:
            page.goto("/r/")
            break
    else:
        raise AssertionError("1,000 wrong codes and still not throttled")

    scan(page, credential)
    tap_and_see_saved(page, units[:1], 0, len(units))


def test_rater_cannot_confirm_an_incomplete_form_and_is_shown_what_is_missing(open_page):
    session, units = rating_session()
    credential = CredentialFactory(session=session)
    page = open_page(TABLET)
    scan(page, credential)
    tap_and_see_saved(page, units[:-2], 0, len(units))

    page.locator("summary", has_text="检查并提交").click()

    confirm = page.locator("#confirm")
    expect(confirm.locator("[data-when-missing]")).to_contain_text(
        "还有 2 项没有评价（弃权也需选择）。"
    )
    expect(confirm.locator("[data-when-missing]")).to_be_visible()
    expect(confirm.get_by_role("button", name="确认提交")).to_be_disabled()
    confirm.get_by_role("link", name="查看未评单位").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("检查并提交")
    expect(page.locator(".rate-missing li")).to_have_text([units[-2].name, units[-1].name])
    assert Ballot.objects.count() == 0


def test_rater_change_of_mind_kept_on_the_device_is_in_the_queued_ballot(open_page):
    session, units = rating_session()
    credential = CredentialFactory(session=session)
    page = open_page(TABLET)
    scan(page, credential)
    tap_and_see_saved(page, units, 0, len(units))
    page.locator("summary", has_text="检查并提交").click()

    # A change of mind that has not reached the server (to a grade other than the first).
    changed = Grade.GOOD if GRADES[units[0].pk % len(GRADES)] != Grade.GOOD else Grade.POOR
    page.context.set_offline(True)
    tap(page, units[0], changed)
    expect(page.locator(f"#unit-{units[0].pk} .save-state")).to_have_text("已存本机，待上传")
    confirm = page.locator("#confirm").get_by_role("button", name="确认提交")
    confirm.click()

    expect(page.locator("#confirm .submit-state")).to_contain_text("确认提交已在本机排队")
    expect(confirm).to_be_disabled()
    assert Ballot.objects.count() == 0

    page.context.set_offline(False)

    expect(page.get_by_role("heading", level=1)).to_have_text("评议表已提交")
    receipt = Credential.objects.get(pk=credential.pk).receipt
    expect(page.locator("#receipt")).to_have_text(f"{receipt[:4]} {receipt[4:]}")
    ballot = Ballot.objects.get(session=session)
    assert ballot.grades.get(unit=units[0]).grade == changed


def test_rater_submit_failing_on_the_network_is_queued_on_the_device(open_page):
    # The network answers nothing although the browser believes it is online (the hall's
    # access point is up, the server unreachable): the request fails and the device keeps it.
    session, units = rating_session()
    credential = CredentialFactory(session=session)
    page = open_page(TABLET)
    scan(page, credential)
    tap_and_see_saved(page, units, 0, len(units))
    page.locator("summary", has_text="检查并提交").click()

    page.route("**/r/submit/", lambda route: route.abort("connectionrefused"))
    page.route("**/r/sync/", lambda route: route.abort("connectionrefused"))
    page.locator("#confirm").get_by_role("button", name="确认提交").click()

    expect(page.locator("#confirm .submit-state")).to_contain_text("确认提交已在本机排队")
    expect(page.locator("#confirm").get_by_role("button", name="确认提交")).to_be_disabled()
    assert Ballot.objects.count() == 0

    page.unroute("**/r/submit/")
    page.unroute("**/r/sync/")

    expect(page.get_by_role("heading", level=1)).to_have_text("评议表已提交", timeout=30_000)
    receipt = Credential.objects.get(pk=credential.pk).receipt
    expect(page.locator("#receipt")).to_have_text(f"{receipt[:4]} {receipt[4:]}")
    assert Ballot.objects.filter(session=session).count() == 1


def test_rater_submit_answered_503_waits_its_retry_after_and_gets_the_receipt(open_page):
    # While the database restarts the server answers 503 with Retry-After (the answers here
    # are made up by the browser's router; the third attempt reaches the server).
    session, units = rating_session()
    credential = CredentialFactory(session=session)
    page = open_page(TABLET)
    scan(page, credential)
    tap_and_see_saved(page, units, 0, len(units))
    attempts = []

    def database_restarting(route):
        attempts.append(time.monotonic())
        if len(attempts) <= 2:
            route.fulfill(status=503, headers={"Retry-After": "2"}, body="restarting")
        else:
            route.continue_()

    page.route("**/r/submit/", database_restarting)
    page.locator("summary", has_text="检查并提交").click()
    page.locator("#confirm").get_by_role("button", name="确认提交").click()

    expect(page.locator("#confirm .submit-state")).to_have_text("未提交，正在重试……")
    expect(page.get_by_role("heading", level=1)).to_have_text("评议表已提交", timeout=15_000)
    assert len(attempts) == 3
    assert attempts[1] - attempts[0] >= 1.9  # Retry-After, not the 2 s × tries of a tap
    assert attempts[2] - attempts[1] >= 1.9
    receipt = Credential.objects.get(pk=credential.pk).receipt
    expect(page.locator("#receipt")).to_have_text(f"{receipt[:4]} {receipt[4:]}")
    assert Ballot.objects.filter(session=session).count() == 1


def test_rater_hands_the_tablet_on_with_another_card(open_page):
    session, units = rating_session()
    first = CredentialFactory(session=session)
    second = CredentialFactory(session=session)
    page = open_page(TABLET)
    scan(page, first)
    tap_and_see_saved(page, units[:2], 0, len(units))

    page.get_by_role("button", name="换一张评议卡").click()

    expect(page).to_have_url(re.compile(r"/r/$"))
    expect(page.locator(".messages")).to_contain_text("已退出这张评议卡。")
    page.goto("/r/form/")  # the last rater's form is gone from this tablet
    expect(page).to_have_url(re.compile(r"/r/$"))
    expect(page.locator(".messages")).to_contain_text(NO_CARD)
    page.get_by_label("评议码").fill(second.code.lower())  # typed by hand this time
    page.get_by_role("button", name="进入").click()
    expect(page).to_have_url(FORM_URL)
    expect(page.locator("#progress")).to_have_text(f"已评 0/{len(units)}")
    assert DraftGrade.objects.filter(credential=first).count() == 2


def test_rater_scanning_a_new_card_on_a_tablet_holding_one_switches_to_it(open_page):
    session, units = rating_session()
    first = CredentialFactory(session=session)
    second = CredentialFactory(session=session)
    page = open_page(TABLET)
    scan(page, first)
    tap_and_see_saved(page, units[:1], 0, len(units))

    page.goto(qr_path(second))

    expect(page).to_have_url(FORM_URL)
    expect(page.locator("#progress")).to_have_text(f"已评 0/{len(units)}")
    tap_and_see_saved(page, units[:1], 0, len(units))
    assert DraftGrade.objects.filter(credential=second).count() == 1


def test_rater_tap_refused_after_submission_does_not_stay_lit(open_page):
    """Two tablets hold one card; the second submits. A tap on the first is refused (409): the
    tapped button goes back to the grade the server holds (or to none), and the refusal is said
    in the row and at the top."""
    session, units = rating_session()
    credential = CredentialFactory(session=session)
    first = open_page(TABLET)
    scan(first, credential)
    tap_and_see_saved(first, units[:1], 0, len(units))
    second = open_page(TABLET)
    scan(second, credential)
    tap_and_see_saved(second, units[1:], 1, len(units))
    second.locator("summary", has_text="检查并提交").click()
    second.locator("#confirm").get_by_role("button", name="确认提交").click()
    expect(second.get_by_role("heading", level=1)).to_have_text("评议表已提交")
    refused = "此评议码已提交评议表，不能再修改。"

    saved_row = first.locator(f"#unit-{units[0].pk}")
    saved = GRADES[units[0].pk % len(GRADES)]
    other = Grade.GOOD if saved != Grade.GOOD else Grade.POOR  # a tap that changes something
    tap(first, units[0], other)

    expect(saved_row.locator(".save-state")).to_have_text(refused)
    expect(first.locator("#htmx-error")).to_have_text(refused)
    expect(saved_row.locator(f"input[value='{saved}']")).to_be_checked()
    expect(saved_row.locator("input:checked")).to_have_count(1)

    # A row this tablet never saved (the other one did) goes back to no grade at all.
    blank_row = first.locator(f"#unit-{units[1].pk}")
    tap(first, units[1], Grade.POOR)
    expect(blank_row.locator(".save-state")).to_have_text(refused)
    expect(blank_row.locator("input:checked")).to_have_count(0)
    ballot = Ballot.objects.get(session=session)
    assert ballot.grades.get(unit=units[0]).grade == saved
    assert ballot.grades.get(unit=units[1]).grade == GRADES[units[1].pk % len(GRADES)]


def test_rater_receipt_hands_the_tablet_to_the_next_rater(open_page):
    """下一位评议人 on the receipt: the card is forgotten, the code entry opens, the ballot count
    is unchanged, and nothing of the card is left on the device (docs/anonymity.md)."""
    session, units = rating_session()
    credential = CredentialFactory(session=session)
    page = open_page(TABLET)
    scan(page, credential)
    tap_and_see_saved(page, units, 0, len(units))
    page.locator("summary", has_text="检查并提交").click()
    page.locator("#confirm").get_by_role("button", name="确认提交").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("评议表已提交")
    assert Ballot.objects.filter(session=session).count() == 1

    page.get_by_role("button", name="下一位评议人").click()

    expect(page).to_have_url(re.compile(r"/r/$"))
    expect(page.locator(".messages")).to_contain_text("下一位评议人请扫描自己的评议卡。")
    expect(page.get_by_label("评议码")).to_have_value("")
    assert [c["name"] for c in page.context.cookies() if c["name"] == card.COOKIE_NAME] == []
    assert page.evaluate("window.localStorage.length + window.sessionStorage.length") == 0
    assert Ballot.objects.filter(session=session).count() == 1
    # Back and forward lead to the code entry, never to the last rater's receipt.
    page.go_back()
    page.wait_for_load_state("load")
    expect(page.locator("#receipt")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/r/$"))
    assert credential.code not in page.content()
