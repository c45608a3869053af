"""Wide tables on a phone (390×844) and in English on a tablet (1024×768), on the demo: the
results, 其他考核 and sensitivity tables scroll inside their wrapper with the unit column kept in
view; the codes' 操作 and the console's 开始 buttons can be pressed without scrolling; the English
results table shows 等次 at 1024 px and 其他考核 fits; no page scrolls sideways."""

from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from huiji_review.management.commands import seed_demo

from .conftest import PHONE, TABLET

pytestmark = pytest.mark.browser

ANNUAL = f"/sessions/{seed_demo.ANNUAL_SLUG}"
MIDYEAR = f"/sessions/{seed_demo.MIDYEAR_SLUG}"
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
# Each wrapper scrolled to its right end; then, for each table, is its first row's unit cell
# inside the wrapper and the element actually drawn at its centre (not covered by a column
# scrolled under it)?
UNIT_CELL_IN_VIEW = """cellSelector => [...document.querySelectorAll('.table-wrap')]
  .filter(w => w.querySelector(cellSelector))
  .map(w => {
    w.scrollLeft = w.scrollWidth;
    const cell = w.querySelector(cellSelector);
    cell.scrollIntoView({block: 'center', inline: 'nearest'});
    const c = cell.getBoundingClientRect(), b = w.getBoundingClientRect();
    const hit = document.elementFromPoint((c.left + c.right) / 2, (c.top + c.bottom) / 2);
    return [w.scrollLeft > 0, c.left >= b.left - 1 && c.right <= b.right + 1,
            cell === hit || cell.contains(hit)];
  })"""
# With every table scrolled back to its start, every matching button lies whole inside its
# table's scrolling box and is the element drawn there (the page scrolls only up and down).
BUTTONS_PRESSABLE = """selector => [...document.querySelectorAll(selector)].map(e => {
  document.querySelectorAll('.table-wrap').forEach(w => { w.scrollLeft = 0; });
  window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 200);
  const r = e.getBoundingClientRect();
  const hit = document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2);
  const box = e.closest('.table-wrap').getBoundingClientRect();  // not clipped by its table
  return r.left >= box.left - 1 && r.right <= box.right + 1 && (hit === e || e.contains(hit));
})"""


@pytest.fixture
def demo(settings):
    settings.DEBUG = True  # seed_demo is a development command
    call_command("seed_demo", stdout=StringIO())
    settings.DEBUG = False


def log_in(page, *, english=False):
    page.goto("/login/")
    page.locator("input[name=username]").fill("organiser")
    page.locator("input[name=password]").fill("huiji-demo-2026")
    page.locator("main form button[type=submit]").click()
    expect(page).not_to_have_url("/login/")
    if english:  # the language switch in the top bar
        page.get_by_role("button", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")


@pytest.mark.parametrize(
    "path, unit_cell, tables",
    [
        (f"{ANNUAL}/results/", ".result-table tbody tr:first-child td:nth-child(2)", 4),
        (f"{ANNUAL}/scores/", "#scores-table tbody tr:first-child td:first-child", 1),
        (f"{ANNUAL}/results/sensitivity/", "table.sensitivity td.unit", 4),
    ],
    ids=["results", "scores", "sensitivity"],
)
def test_phone_wide_tables_keep_the_unit_column_in_view(open_page, demo, path, unit_cell, tables):
    page = open_page(PHONE)
    log_in(page)

    page.goto(path)

    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    seen = page.evaluate(UNIT_CELL_IN_VIEW, unit_cell)
    assert seen == [[True, True, True]] * tables
    assert page.evaluate(NO_SIDEWAYS_SCROLL)


@pytest.mark.parametrize(
    "path, buttons",
    [
        (f"{MIDYEAR}/console/", "#console-agenda button[value=start]"),
        (f"{ANNUAL}/credentials/", "#credential-list td.actions .btn"),
    ],
    ids=["console-start", "codes-actions"],
)
def test_phone_row_buttons_can_be_pressed_without_scrolling_the_table(
    open_page, demo, path, buttons
):
    page = open_page(PHONE)
    log_in(page)

    page.goto(path)

    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    pressable = page.evaluate(BUTTONS_PRESSABLE, buttons)
    assert len(pressable) >= 6
    assert set(pressable) == {True}


def test_english_results_and_scores_fit_a_tablet(open_page, demo):
    page = open_page(TABLET)
    log_in(page, english=True)

    page.goto(f"{ANNUAL}/results/")

    expect(page.locator("html")).to_have_attribute("lang", "en")
    fits = page.evaluate(
        "[...document.querySelectorAll('.result-table')]"
        ".map(t => t.scrollWidth <= t.parentElement.clientWidth)"
    )
    assert fits == [True] * 4
    assert page.evaluate(NO_SIDEWAYS_SCROLL)

    page.goto(f"{ANNUAL}/scores/")  # its long English headers wrap too
    assert page.evaluate(
        "(t => t.scrollWidth <= t.parentElement.clientWidth)"
        "(document.querySelector('#scores-table'))"
    )
