"""The rater's form and the representative's page on Chromium 80, the oldest engine the users
carry (docs/tablets.md, "Browsers"), driven over the DevTools protocol (devtools.py) because
Playwright cannot drive it. The same walks as test_offline.py: half the form online, the network
cut (the page and its service worker), taps kept on the device, a reload served by the worker,
确认提交 queued, the network back, one ballot with the grades tapped and nothing left on the
device; a vote made offline lands once. No script may throw on the way."""

import base64
import json

import pytest

from meeting.models import Satisfaction, SatisfactionVote
from sessions.models import Ballot, BallotGrade, Credential, DraftGrade
from tests.factories import CredentialFactory

from .conftest import CHROMIUM_ARGS, DOCS_SHOTS, old_chromium
from .devtools import DevTools
from .old_chromium import OldChromium
from .raters import (
    DEVICE,
    GRADES_IN_ONE_ROW,
    KEPT_PAGES,
    LABELS,
    READY,
    grade_of,
    hall_voting,
    qr_path,
    rating_session,
)

pytestmark = pytest.mark.browser

CHROMIUM_80 = old_chromium("chromium-80")


@pytest.fixture
def chromium_80():
    if not CHROMIUM_80.exists():
        pytest.skip("Chromium 80 not fetched: run `python scripts/old_chromium.py`")
    browser = OldChromium(CHROMIUM_80, CHROMIUM_ARGS)
    devtools = DevTools(browser.devtools)
    yield devtools
    devtools.close()
    browser.close()


# A fetch the worker answers from the network (an asset address it has not kept).
THROUGH_THE_WORKER = (
    "fetch('/static/js/offline.js?probe=' + Date.now())"
    ".then(function () { return 'reached'; }, function () { return 'cut'; })"
)


def screenshot(tab, name):
    """Keep what the tablet shows (DOCS_SHOTS: docs/screenshots under HUIJI_SCREENSHOTS)."""
    tab.evaluate("window.scrollTo(0, 0)")
    png = tab.send("Page.captureScreenshot", {"format": "png"})["data"]
    DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
    (DOCS_SHOTS / name).write_bytes(base64.b64decode(png))


def text_of(selector):
    return f"(document.querySelector({json.dumps(selector)}) || {{}}).textContent"


def click(selector, text=None):
    """Click the first element matching ``selector`` (whose trimmed text is ``text``)."""
    return (
        f"(function () {{ var all = document.querySelectorAll({json.dumps(selector)});"
        f" for (var i = 0; i < all.length; i++) {{"
        f" if ({json.dumps(text)} === null || all[i].textContent.trim() === {json.dumps(text)})"
        f" {{ all[i].click(); return true; }} }} return false; }})()"
    )


def tap(tab, unit):
    assert tab.evaluate(click(f"#unit-{unit.pk} label.grade", LABELS[grade_of(unit)]))


def save_state_is(unit, text):
    return f"{text_of(f'#unit-{unit.pk} .save-state')} === {json.dumps(text)}"


def reload(tab):
    """Reload and wait for the new document to have loaded (htmx, deferred, bound)."""
    tab.evaluate("window.huijiOldDocument = true")
    tab.reload()
    tab.wait_for("!window.huijiOldDocument && document.readyState === 'complete'")


def open_card(tab, url, credential):
    tab.goto(url + qr_path(credential))
    tab.wait_for("location.pathname === '/r/form/' && document.readyState === 'complete'")
    assert "Chrome/80." in tab.evaluate("navigator.userAgent")


def test_chromium_80_wifi_drops_mid_form_and_the_queued_ballot_lands_once(chromium_80, live_server):
    session, units = rating_session()
    credential = CredentialFactory(session=session)
    tab = chromium_80.open_page(1024, 768)
    open_card(tab, live_server.url, credential)
    tab.wait_for(READY)
    assert tab.evaluate(GRADES_IN_ONE_ROW)
    first, rest = units[:4], units[4:]
    for unit in first:
        tap(tab, unit)
        tab.wait_for(save_state_is(unit, f"已保存：{LABELS[grade_of(unit)]}"))

    tab.set_offline(True)
    # The cut reaches the worker too: an asset it has not kept cannot be fetched through it.
    assert tab.evaluate(THROUGH_THE_WORKER) == "cut"
    for unit in rest[:3]:
        tap(tab, unit)
        tab.wait_for(save_state_is(unit, "已存本机，待上传"))
    tab.wait_for(f"{text_of('#device-status')}.indexOf('3 项评价暂存在本机') >= 0")
    screenshot(tab, "chromium-80-form-tablet.png")
    assert DraftGrade.objects.filter(credential=credential).count() == 4

    reload(tab)  # no network: the service worker's copy, with the device's taps on top
    assert tab.evaluate(text_of("h1")) == "2026年年中述职评议"
    for unit in first + rest[:3]:
        checked = f"#unit-{unit.pk} input[value='{grade_of(unit)}']"
        assert tab.evaluate(f"document.querySelector({json.dumps(checked)}).checked")
    tab.wait_for(f"{text_of('#progress')} === '已评 7/{len(units)}'")

    for unit in rest[3:]:
        tap(tab, unit)
        tab.wait_for(save_state_is(unit, "已存本机，待上传"))
    assert tab.evaluate(click("summary", "检查并提交"))
    assert tab.evaluate(click("#confirm button", "确认提交"))
    tab.wait_for(f"{text_of('#device-status')}.indexOf('确认提交已在本机排队') >= 0")
    assert Ballot.objects.filter(session=session).count() == 0

    tab.set_offline(False)

    tab.wait_for(f"{text_of('h1')} === '评议表已提交'")
    assert tab.evaluate(THROUGH_THE_WORKER) == "reached"
    stored = Credential.objects.get(pk=credential.pk)
    assert tab.evaluate(text_of("#receipt")) == f"{stored.receipt[:4]} {stored.receipt[4:]}"
    ballot = Ballot.objects.get(session=session)
    assert dict(BallotGrade.objects.filter(ballot=ballot).values_list("unit_id", "grade")) == {
        unit.pk: grade_of(unit) for unit in units
    }
    assert tab.evaluate(DEVICE) is None
    assert tab.evaluate(KEPT_PAGES) == []
    assert tab.exceptions() == []


def test_chromium_80_representative_votes_offline_and_the_vote_lands_once(chromium_80, live_server):
    hall, voting = hall_voting()
    tab = chromium_80.open_page(1024, 768)
    open_card(tab, live_server.url, hall.deputy)
    assert tab.evaluate(click("a", "现场问政：提问和满意度投票 →"))
    tab.wait_for(f"{text_of('#vote-panel')}.indexOf('道路什么时候修好？') >= 0")
    tab.wait_for(READY)

    tab.set_offline(True)
    reload(tab)  # the device's copy of the live page
    tab.wait_for(f"{text_of('#device-status')}.indexOf('网络已断开') >= 0")
    assert tab.evaluate(click("#vote-panel button", "基本满意"))
    tab.wait_for(f"{text_of('#vote-panel .device-note')}.indexOf('已存本机，尚未发送') >= 0")
    screenshot(tab, "chromium-80-live-tablet.png")
    assert SatisfactionVote.objects.count() == 0

    tab.set_offline(False)

    tab.wait_for(f"{text_of('#voted')} === '已投票：基本满意'")
    assert list(SatisfactionVote.objects.values_list("question_id", "credential_id", "choice")) == [
        (voting.pk, hall.deputy.pk, Satisfaction.BASICALLY_SATISFIED)
    ]
    assert tab.evaluate(DEVICE) is None
    assert tab.exceptions() == []
