"""Issue 3 in a real browser: a rater fills the whole form on a tablet (1024×768) and on a phone
(390×844), reloads half way and resumes from the drafts the server kept, submits once, and a
second tablet opening the same card sees the same receipt. A dropped connection marks the tap
未保存 and static/js/app.js saves it once the network is back, without a second tap."""

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from sessions.models import Ballot, Credential, DraftGrade, Grade, ReviewSession, UnitCategory
from tests.factories import (
    CredentialFactory,
    ParticipantFactory,
    ReviewSessionFactory,
    UnitCategoryFactory,
)

from .conftest import PHONE, TABLET

pytestmark = pytest.mark.browser

TOWNS = ["城关镇", "东风街道", "滨河街道", "新华街道"]
DEPARTMENTS = [
    "发展和改革委员会",
    "财政局",
    "教育局",
    "民政局",
    "人力资源和社会保障局",
    "住房和城乡建设局",
    "交通运输局",
    "卫生健康委员会",
]
# Grades cycle over the whole scale, so no two neighbouring rows look alike.
GRADES = [Grade.GOOD, Grade.FAIRLY_GOOD, Grade.AVERAGE, Grade.POOR, Grade.ABSTAIN]
LABELS = {value: str(label) for value, label in Grade.choices}
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture(autouse=True)
def _empty_cache():
    # The live server shares this process's cache: wrong-code counts must not outlive a test.
    cache.clear()
    yield
    cache.clear()


def rating_session():
    """A session in rating with 12 participants in two categories, in speaking order."""
    session = ReviewSessionFactory(status=ReviewSession.Status.RATING, title="2026年年中述职评议")
    town = UnitCategoryFactory(
        session=session, name="镇(街道)", side=UnitCategory.Side.TOWN, order=1
    )
    department = UnitCategoryFactory(
        session=session, name="政府部门", side=UnitCategory.Side.DEPARTMENT, order=2
    )
    names = [(town, n) for n in TOWNS] + [(department, n) for n in DEPARTMENTS]
    units = [
        ParticipantFactory(
            session=session, unit__category=category, unit__name=name, speaking_order=order
        ).unit
        for order, (category, name) in enumerate(names, start=1)
    ]
    return session, units


def tap(page, unit, grade):
    page.locator(f"#unit-{unit.pk}").get_by_text(LABELS[grade], exact=True).click()


def tap_and_see_saved(page, units, start, total):
    """Tap each unit's grade; each row says 已保存 and the progress line counts up."""
    for done, unit in enumerate(units, start=start + 1):
        grade = GRADES[unit.pk % len(GRADES)]
        tap(page, unit, grade)
        row = page.locator(f"#unit-{unit.pk}")
        expect(row.locator(".save-state")).to_have_text(f"已保存：{LABELS[grade]}")
        expect(page.locator("#progress")).to_have_text(f"已评 {done}/{total}")


def rate_whole_form(page, credential, units):
    """Half the form, reload, see it resumed, the rest, open the confirmation, confirm: the
    receipt."""
    total = len(units)
    half = total // 2
    page.goto(f"/r/{credential.code}/")
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
    confirm = page.locator("#confirm")
    expect(confirm).to_be_hidden()
    page.locator("summary", has_text="检查并提交").click()  # opens in the page, no request

    counts = {
        grade: sum(1 for u in units if GRADES[u.pk % len(GRADES)] == grade) for grade in GRADES
    }
    expect(confirm.locator("p").first).to_have_text(
        " · ".join(f"{LABELS[grade]} {counts[grade]}" for grade in GRADES)
    )
    expect(confirm).to_contain_text("提交后评议表不能再修改，也不能撤回。")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    confirm.get_by_role("button", name="确认提交").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("评议表已提交")
    receipt = Credential.objects.get(pk=credential.pk).receipt
    expect(page.locator("#receipt")).to_have_text(f"{receipt[:4]} {receipt[4:]}")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
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
    other_tablet.goto(f"/r/{credential.code}/")
    expect(other_tablet.get_by_role("heading", level=1)).to_have_text("评议表已提交")
    expect(other_tablet.locator("#receipt")).to_have_text(f"{receipt[:4]} {receipt[4:]}")
    ballot = Ballot.objects.get(session=session)
    assert sorted(ballot.grades.values_list("unit_id", "grade")) == sorted(
        (u.pk, GRADES[u.pk % len(GRADES)]) for u in rateable
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
    other_phone.goto(f"/r/{credential.code}/")
    expect(other_phone.locator("#receipt")).to_have_text(f"{receipt[:4]} {receipt[4:]}")
    assert Ballot.objects.filter(session=session).count() == 1
    assert sorted(Ballot.objects.get(session=session).grades.values_list("unit_id", flat=True)) == (
        sorted(u.pk for u in rateable)
    )


def test_rater_tap_while_offline_is_marked_unsaved_and_retried(open_page):
    session, units = rating_session()
    credential = CredentialFactory(session=session)
    page = open_page(TABLET)
    page.goto(f"/r/{credential.code}/")
    page.wait_for_load_state("load")
    row = page.locator(f"#unit-{units[2].pk}")

    page.context.set_offline(True)
    tap(page, units[2], Grade.FAIRLY_GOOD)

    expect(row.locator(".save-state")).to_contain_text("未保存")
    expect(page.locator("#htmx-error")).to_be_visible()
    assert DraftGrade.objects.filter(credential=credential).count() == 0

    page.context.set_offline(False)

    expect(row.locator(".save-state")).to_have_text("已保存：较好")
    expect(page.locator("#progress")).to_have_text("已评 1/12")
    expect(page.locator("#htmx-error")).to_be_hidden()
    assert list(
        DraftGrade.objects.filter(credential=credential).values_list("unit_id", "grade")
    ) == [(units[2].pk, Grade.FAIRLY_GOOD)]


def test_rater_tap_refused_by_the_server_never_still_reads_saved(open_page):
    session, units = rating_session()
    credential = CredentialFactory(session=session)
    page = open_page(TABLET)
    page.goto(f"/r/{credential.code}/")
    page.wait_for_load_state("load")
    row = page.locator(f"#unit-{units[0].pk}")
    tap(page, units[0], Grade.GOOD)
    expect(row.locator(".save-state")).to_have_text("已保存：好")
    for n in range(30):  # someone on the same venue address guesses codes: it is throttled
        assert page.request.get(f"/r/WRONG{n:03d}/").status == 404

    tap(page, units[0], Grade.POOR)

    expect(page.locator("#htmx-error")).to_contain_text("HTTP 429")
    expect(row.locator(".save-state")).to_contain_text("未保存")
    assert list(
        DraftGrade.objects.filter(credential=credential).values_list("unit_id", "grade")
    ) == [(units[0].pk, Grade.GOOD)]


def test_rater_cannot_confirm_an_incomplete_form_and_is_shown_what_is_missing(open_page):
    session, units = rating_session()
    credential = CredentialFactory(session=session)
    page = open_page(TABLET)
    page.goto(f"/r/{credential.code}/")
    page.wait_for_load_state("load")
    tap_and_see_saved(page, units[:-2], 0, len(units))

    page.locator("summary", has_text="检查并提交").click()

    confirm = page.locator("#confirm")
    expect(confirm).to_contain_text("还有 2 项没有评价（弃权也需选择）。")
    expect(confirm.get_by_role("button", name="确认提交")).to_be_disabled()
    confirm.get_by_role("link", name="查看未评单位").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("检查并提交")
    expect(page.locator(".rate-missing li")).to_have_text([units[-2].name, units[-1].name])
    assert Ballot.objects.count() == 0


def test_rater_confirm_waits_for_an_unsaved_tap(open_page):
    session, units = rating_session()
    credential = CredentialFactory(session=session)
    page = open_page(TABLET)
    page.goto(f"/r/{credential.code}/")
    page.wait_for_load_state("load")
    tap_and_see_saved(page, units, 0, len(units))
    page.locator("summary", has_text="检查并提交").click()

    page.context.set_offline(True)
    tap(page, units[0], Grade.POOR)  # a change of mind that has not reached the server
    expect(page.locator(f"#unit-{units[0].pk} .save-state")).to_contain_text("未保存")
    page.locator("#confirm").get_by_role("button", name="确认提交").click()

    expect(page.locator("#htmx-error")).to_contain_text("还有评价没有保存")
    assert Ballot.objects.count() == 0

    page.context.set_offline(False)
    expect(page.locator(f"#unit-{units[0].pk} .save-state")).to_have_text("已保存：差")
    page.locator("#confirm").get_by_role("button", name="确认提交").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("评议表已提交")
    ballot = Ballot.objects.get(session=session)
    assert ballot.grades.get(unit=units[0]).grade == Grade.POOR
