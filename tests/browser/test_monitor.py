"""In a real browser: the organisers' participation monitor polls its table
every 5 s; an unchanged poll is answered 304 and a new ballot shows without a reload."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from org.access import Role
from sessions.models import ReviewSession
from tests.browser.staff import PASSWORD, log_in
from tests.factories import (
    BallotFactory,
    CredentialFactory,
    RaterGroupFactory,
    ReviewSessionFactory,
    UserFactory,
)

pytestmark = pytest.mark.browser

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
POLL_MS = 5_000


def fragment_statuses(page):
    """The fragment's HTTP status codes as the server sent them. The page's XHR never sees a
    304: the browser revalidates its cached copy (If-None-Match) and hands the script a 200
    with the cached body, so only the network layer (Chrome DevTools Protocol) shows it."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    urls, statuses = {}, []
    cdp.on(
        "Network.requestWillBeSent", lambda e: urls.update({e["requestId"]: e["request"]["url"]})
    )
    cdp.on(
        "Network.responseReceivedExtraInfo",
        lambda e: (
            statuses.append(e["statusCode"])
            if urls.get(e["requestId"], "").endswith("/monitor/fragment/")
            else None
        ),
    )
    return statuses


@pytest.fixture
def session():
    session = ReviewSessionFactory(
        slug="2026-mid", title="2026年年中述职讲评会", status=ReviewSession.Status.RATING
    )
    now = timezone.now()
    for order, (name, issued, submitted) in enumerate([("县级领导", 20, 13), ("镇(街道)", 30, 7)]):
        group = RaterGroupFactory(session=session, name=name, order=order)
        for i in range(issued):
            credential = CredentialFactory(session=session, group=group, opened_at=now)
            if i < submitted:
                BallotFactory(credential=credential)
    return session


def test_monitor_table_updates_when_a_ballot_arrives(page, session):
    UserFactory(username="organiser", role=Role.ORGANISER, password=PASSWORD)
    log_in(page, "organiser")
    statuses = fragment_statuses(page)
    page.goto("/sessions/2026-mid/monitor/")
    expect(page.locator("#total-submitted")).to_have_text("20")

    # Two polls while nothing changes: the first fills the browser's cache, the second is a 304.
    page.wait_for_timeout(2 * POLL_MS + 1_000)
    group = session.rater_groups.get(name="镇(街道)")
    BallotFactory(credential=CredentialFactory(session=session, group=group))

    expect(page.locator("#total-submitted")).to_have_text("21", timeout=2 * POLL_MS)
    expect(page.locator("#total-percent")).to_have_text("41%")
    assert statuses[:2] == [200, 304]
    assert page.evaluate(NO_SIDEWAYS_SCROLL)


def test_monitor_fits_a_phone(phone_page, session):
    UserFactory(username="observer", role=Role.OBSERVER, password=PASSWORD)
    log_in(phone_page, "observer")

    phone_page.goto("/sessions/2026-mid/monitor/")

    expect(phone_page.locator("#participation-table")).to_be_visible()
    assert phone_page.evaluate(NO_SIDEWAYS_SCROLL)
