"""Save screenshots of the organisers' pages at tablet and phone size into docs/screenshots/,
and of the big screen at 1920×1080.

Run it by hand against a running server, e.g. after ``make demo`` in another terminal:

    .venv/bin/python scripts/screenshots.py [--base-url http://127.0.0.1:8000]
        [--user organiser --password ...] [--out docs/screenshots]

It logs in through the login form and follows the pages' own links, never the database: the
first session of the session list, its 单位 and 抽签 tabs, and the oldest recorded draw (复核; in the demo, the participant draw).
So it works against any server whose first session has a draw, such as the demo's.

It drives Debian's Chromium (``apt-get install chromium``) through Playwright, because
Playwright cannot download its own browser on a closed network.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import urljoin

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
# Without these flags Chromium waits on network services a closed network never answers.
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
VIEWPORTS = {"tablet": {"width": 1024, "height": 768}, "phone": {"width": 390, "height": 844}}
DEMO_PASSWORD = "huiji-demo-2026"  # noqa: S105 -- the public password of seed_demo's accounts
TIMEOUT_MS = 15_000


class ScreenshotError(Exception):
    pass


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--user", default="organiser")
    parser.add_argument("--password", default=DEMO_PASSWORD, help="default: the demo password")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--chromium", default=CHROMIUM, help="path of the Chromium binary")
    return parser.parse_args(argv)


def log_in(page, base_url: str, user: str, password: str) -> None:
    page.goto(urljoin(base_url, "/login/"))
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    if "/login/" in page.url:
        raise ScreenshotError(f"login as {user!r} failed at {base_url}: check --user/--password")


def first_href(page, selector: str, what: str) -> str | None:
    link = page.locator(selector).first
    if link.count() == 0:
        print(f"skipped: no {what} found on {page.url}", file=sys.stderr)
        return None
    return urljoin(page.url, link.get_attribute("href"))


def discover_pages(page, base_url: str) -> list[tuple[str, str]]:
    """(name, absolute url) of each page to capture, found by following links."""
    session_list = urljoin(base_url, "/sessions/")
    pages = [("session-list", session_list)]
    page.goto(session_list)
    session = first_href(page, "main table tbody td a", "session")
    if session is None:
        return pages
    pages.append(("session-overview", session))
    page.goto(session)
    units = first_href(page, "nav.subnav a[href$='/units/']", "units tab")
    draws = first_href(page, "nav.subnav a[href$='/draws/']", "draw tab")
    # The live meeting's pages: in the demo the first session is the mid-year one,
    # live, with its questions, follow-ups and projects.
    meeting = [
        (name, first_href(page, f"nav.subnav a[href$='/{suffix}/']", f"{suffix} tab"))
        for name, suffix in (
            ("console", "console"),
            ("questions", "questions"),
            ("follow-ups", "follow-ups"),
            ("projects", "projects"),
        )
    ]
    pages += [(name, url) for name, url in (("units", units), ("draws", draws)) if url]
    pages += [(name, url) for name, url in meeting if url]
    if draws:
        page.goto(draws)
        detail = first_href(page, "#draw-records tbody tr:last-child a", "recorded draw")
        if detail:
            pages.append(("draw-detail", detail))
    return pages


def big_screen_url(page, base_url: str) -> str | None:
    """The projector's link, as the console shows it to the moderator."""
    page.goto(urljoin(base_url, "/sessions/"))
    session = first_href(page, "main table tbody td a", "session")
    if session is None:
        return None
    page.goto(session)
    console = first_href(page, "nav.subnav a[href$='/console/']", "console tab")
    if console is None:
        return None
    page.goto(console)
    link = first_href(page, "a[href*='/screen/']", "big-screen link")
    return link


def screenshot_big_screen(browser, url: str, out: Path) -> Path:
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = context.new_page()
    page.goto(url)
    page.wait_for_timeout(2_500)  # the first poll has filled the screen
    path = out / "big-screen.png"
    page.screenshot(path=path)
    context.close()
    return path


def take_screenshots(args: argparse.Namespace) -> list[Path]:
    written = []
    screen = None
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        try:
            for size, viewport in VIEWPORTS.items():
                context = browser.new_context(viewport=viewport, locale="zh-CN")
                context.set_default_timeout(TIMEOUT_MS)
                page = context.new_page()
                log_in(page, args.base_url, args.user, args.password)
                for name, url in discover_pages(page, args.base_url):
                    response = page.goto(url)
                    if response is None or not response.ok:
                        status = response.status if response else "no response"
                        raise ScreenshotError(f"{url} answered {status}")
                    args.out.mkdir(parents=True, exist_ok=True)
                    path = args.out / f"{name}-{size}.png"
                    page.screenshot(path=path, full_page=True)
                    written.append(path)
                if size == "tablet":
                    screen = big_screen_url(page, args.base_url)
                if screen:
                    written.append(screenshot_big_screen(browser, screen, args.out))
                    screen = None
                context.close()
        finally:
            browser.close()
    return written


def main(argv=None) -> int:
    args = parse_args(argv)
    args.out = args.out.resolve()
    if not Path(args.chromium).exists():
        print(f"{args.chromium} not found: apt-get install chromium", file=sys.stderr)
        return 2
    try:
        written = take_screenshots(args)
    except (ScreenshotError, PlaywrightError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
