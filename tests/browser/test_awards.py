"""表彰 in a real browser on a phone (390 px): the programme's list, the 公示, the objections
and the final list fit without sideways scrolling. Screenshots go to $AWARDS_SCREENSHOTS (when
set) for a person to look at."""

import os
from pathlib import Path

import pytest

from awards.demo import load_demo_awards
from org.access import Role
from tests.browser.staff import PASSWORD, log_in
from tests.factories import UserFactory
from tests.factories.awards import published_world, with_target_scores

pytestmark = pytest.mark.browser

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
SHOTS = os.environ.get("AWARDS_SCREENSHOTS")


def test_awards_pages_fit_a_phone(phone_page):
    world = with_target_scores(published_world())
    units, _persons = load_demo_awards(world.session, None)
    UserFactory(username="organiser", role=Role.ORGANISER, password=PASSWORD)
    base = f"/awards/{units.district.code}/{units.year}/"
    log_in(phone_page, "organiser")
    for name, path in [
        ("list", base),
        ("programme", f"{base}{units.pk}/"),
        ("publicity", f"{base}{units.pk}/publicity/"),
        ("objections", f"{base}{units.pk}/objections/"),
        ("final", f"{base}final/"),
        ("decision", f"{base}decision/"),
        ("new", f"{base}new/"),
    ]:
        phone_page.goto(path)
        assert phone_page.locator("h1").first.is_visible(), name
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            phone_page.screenshot(path=str(Path(SHOTS) / f"awards-{name}-390.png"), full_page=True)
        assert phone_page.evaluate(NO_SIDEWAYS_SCROLL), name
