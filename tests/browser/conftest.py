"""Fixtures for the browser tests: headless Debian Chromium driven by Playwright's sync API
against pytest-django's live server.

Playwright cannot download its own browser on this network, so the tests use Debian's: its
headless build of Chromium (``apt-get install chromium-headless-shell``) where installed, else
the desktop browser (``chromium``), and skip, saying so, where neither is.

Tests marked ``old_chromium`` (the raters' and representatives' pages) run again on Chromium 83
and 92, the old engines of the 信创 browsers and government tablets (docs/tablets.md,
"Browsers"), which ``scripts/old_chromium.py`` fetches into ``var/chromium/``.
"""

import os
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from .old_chromium import OldChromium

# Playwright's sync API runs an asyncio event loop in the test thread for as long as the browser
# is open. Django sees that running loop and refuses every ORM call made from the test itself
# (factories, assertions on rows) with SynchronousOnlyOperation, although nothing runs
# concurrently there: the live server answers from its own thread with its own connection.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# The headless shell is the same Chromium release (same Blink and V8, the same source package)
# built without the desktop browser's windowing and compositing, which is what Playwright itself
# runs for headless tests; it uses a third of the desktop browser's CPU for the same pages, and
# the browser tests are most of the suite's CPU (docs/benchmarks.md, "The test suite").
CHROMIUMS = (Path("/usr/bin/chromium-headless-shell"), Path("/usr/bin/chromium"))
CHROMIUM = next((path for path in CHROMIUMS if path.exists()), CHROMIUMS[-1])
# Without these flags Chromium waits on network services (updates, sync, QUIC probes) that a
# closed network never answers.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
HERE = Path(__file__).resolve().parent
# Chromium 80, the oldest, is checked without Playwright (test_chromium_80.py): Playwright
# cannot drive an engine older than 83.
OLD_CHROMIUM_DIR = HERE.parent.parent / "var" / "chromium"
OLD_ENGINES = ("chromium-83", "chromium-92")
CURRENT = "chromium"
TIMEOUT_MS = 15_000
# Screenshots the docs show: written to docs/screenshots only when asked
# (HUIJI_SCREENSHOTS=docs/screenshots), so that a test run leaves the checkout as it was.
DOCS_SHOTS = Path(
    os.environ.get("HUIJI_SCREENSHOTS") or Path(tempfile.gettempdir()) / "huiji-shots" / "docs"
)
TABLET = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}


def old_chromium(engine):
    return OLD_CHROMIUM_DIR / engine.removeprefix("chromium-") / "chromium"


def pytest_generate_tests(metafunc):
    if metafunc.definition.get_closest_marker("old_chromium"):
        metafunc.parametrize("engine", (CURRENT, *OLD_ENGINES), indirect=True, scope="session")


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(
        reason="Chromium not found: install Debian's with "
        "`apt-get install chromium-headless-shell` (or `chromium`)"
    )
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def engine(request):
    """The Chromium a test runs on: Debian's, or an old engine for tests marked old_chromium."""
    return getattr(request, "param", CURRENT)


@pytest.fixture(scope="session")
def browser(engine):
    old = None
    if engine != CURRENT:
        if not old_chromium(engine).exists():
            pytest.skip(f"{engine} not fetched: run `python scripts/old_chromium.py`")
        old = OldChromium(old_chromium(engine), CHROMIUM_ARGS)
    expect.set_options(timeout=TIMEOUT_MS)
    try:
        with sync_playwright() as playwright:
            if old:
                # Playwright's locators need a method the old engines lack (old_chromium.py).
                browser = playwright.chromium.connect_over_cdp(old.relay())
            else:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
                )
            yield browser
            browser.close()
    finally:
        if old:
            old.close()


@pytest.fixture
def open_page(browser, live_server):
    """Open a fresh browser context (no cookies) of the given viewport on the live server."""
    contexts = []

    def open_page(viewport=TABLET):
        context = browser.new_context(viewport=viewport, base_url=live_server.url, locale="zh-CN")
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page):
    """A tablet-sized page (1024×768), the organisers' and raters' device."""
    return open_page(TABLET)


@pytest.fixture
def phone_page(open_page):
    return open_page(PHONE)
