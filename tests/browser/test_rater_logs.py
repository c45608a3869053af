"""No rater code in any log of the documented deployment (docs/anonymity.md, "Logs";
docs/deployment.md): gunicorn as deployed (DEBUG off, collected static files, its default access
log format, which records the request line and the Referer), Django's log at its most verbose,
and Chromium doing what raters do: scan a card's QR code (/r/#CODE), fill and submit the form,
type a wrong code, hand the tablet on, ask and vote at 现场问政, and meet the error pages (a
forged card, a refused card, a CSRF refusal, a 404, a 405, the throttle). Afterwards no line of
the access log, gunicorn's error log or Django's log holds any code.

gunicorn reads the test's own database, so this needs one it can share: the PostgreSQL test
database (``DATABASE_URL=postgres://…``, with ``transactional_db`` so that the rows are
committed). SQLite's test database lives in this process's memory: skipped there.
"""

import time

import pytest
from django.db import connection
from playwright.sync_api import expect

from meeting import questions
from sessions.models import Grade, ReviewSession
from sessions.views import card
from tests.factories import CredentialFactory, ParticipantFactory, ReviewSessionFactory
from tests.factories.questions import AnsweredQuestionFactory, make_hall
from tests.gunicorn_server import (
    HOST,
    Gunicorn,
    collect_static,
    free_port,
    production_env,
    shared_database_url,
)

from .conftest import TABLET, TIMEOUT_MS
from .raters import FORM_URL, qr_path

pytestmark = pytest.mark.browser

LABELS = {value: str(label) for value, label in Grade.choices}


@pytest.fixture
def gunicorn(transactional_db, tmp_path):
    """gunicorn as docs/deployment.md runs it (production settings, plain HTTP as behind the
    proxy, ``--access-logfile`` in gunicorn's default format), with Django's log at DEBUG and
    every worker's output captured into the error log, as bench/bench_ballots.py starts it."""
    if connection.vendor != "postgresql":
        pytest.skip(
            "gunicorn needs a database it can share with the test: run with "
            "DATABASE_URL=postgres://… (SQLite's test database is in this process's memory)"
        )
    port = free_port()
    base_url = f"http://{HOST}:{port}"
    env = production_env(
        database_url=shared_database_url(),
        static_root=tmp_path / "static",
        SITE_URL=base_url,
        LOG_LEVEL="DEBUG",
    )
    static = collect_static(env)
    _out, err = static.communicate(timeout=120)
    assert static.returncode == 0, err
    logs = {"access": tmp_path / "access.log", "error": tmp_path / "error.log"}
    server = Gunicorn(
        env,
        tmp_path,
        workers=2,
        threads=2,
        port=port,
        args=(
            *("--access-logfile", str(logs["access"])),
            *("--error-logfile", str(logs["error"])),
            *("--log-level", "debug", "--capture-output"),
        ),
    )
    logs["output"] = server.log_path
    try:
        server.wait_ready()
        yield base_url, logs
    finally:
        server.stop()


def _rating_session():
    session = ReviewSessionFactory(status=ReviewSession.Status.RATING, title="2026年年中述职评议")
    units = [
        ParticipantFactory(session=session, unit__name=name, speaking_order=order).unit
        for order, name in enumerate(["城关镇", "东风街道", "财政局"], start=1)
    ]
    return session, units


def _scan(page, credential) -> None:
    page.goto(qr_path(credential))
    expect(page).to_have_url(FORM_URL)
    page.wait_for_load_state("load")


def test_no_log_line_of_the_whole_rater_flow_holds_a_code(browser, gunicorn):
    base_url, logs = gunicorn
    session, units = _rating_session()
    rater = CredentialFactory(session=session, code="KQ7RZ2MX")
    hall = make_hall(status=ReviewSession.Status.LIVE, code_prefix="HLG")
    question = AnsweredQuestionFactory(session=hall.session, unit=hall.units[0], text="何时修好？")
    questions.vote_open(question=question, actor=None)
    codes = [rater.code, hall.deputy.code, hall.member.code, hall.leader.code]
    context = browser.new_context(viewport=TABLET, base_url=base_url, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()

    # A rater scans the card, fills the form, reloads, and submits through htmx.
    _scan(page, rater)
    for done, unit in enumerate(units, start=1):
        page.locator(f"#unit-{unit.pk}").get_by_text(LABELS[Grade.GOOD], exact=True).click()
        expect(page.locator("#progress")).to_have_text(f"已评 {done}/{len(units)}")
    page.reload()
    page.locator("summary", has_text="检查并提交").click()
    page.locator("#confirm").get_by_role("button", name="确认提交").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("评议表已提交")
    page.goto("/r/submit/")  # a second look lands on the receipt again
    expect(page.locator("#receipt")).to_be_visible()

    # The tablet is handed on; the next person mistypes a code, then types the right one.
    page.get_by_role("button", name="下一位评议人").click()
    page.get_by_label("评议码").fill("ZZZZ2222")
    page.get_by_role("button", name="进入").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("评议码无效")
    page.get_by_label("评议码").fill(hall.deputy.code.lower())
    page.get_by_role("button", name="进入").click()
    expect(page).to_have_url(FORM_URL)

    # 现场问政: the card page links to it; ask, see the open vote by the poll, vote.
    page.get_by_role("link", name="现场问政：提问和满意度投票 →").click()
    page.get_by_label("向哪个单位提问").select_option(label="东风街道")
    page.get_by_label("问题").fill("学校什么时候扩建？")
    page.get_by_role("button", name="提交问题").click()
    expect(page.get_by_text("问题已提交，等待主持人审核。")).to_be_visible()
    page.wait_for_timeout(3_500)  # one poll of the vote panel
    page.locator("#vote-panel").get_by_role("button", name="满意", exact=True).click()
    expect(page.locator("#voted")).to_have_text("已投票：满意")

    # Error pages: a card of a group that may not ask, a forged card, a CSRF refusal, a path
    # that does not exist, a wrong method, and the throttle after many wrong codes.
    other = context.new_page()
    _scan(other, hall.leader)
    assert other.goto("/r/live/").status == 403
    context.add_cookies(
        [{"name": card.COOKIE_NAME, "value": "HLGASK01:forged:x", "url": f"{base_url}/r/"}]
    )
    page.goto("/r/form/")
    expect(page).to_have_url(f"{base_url}/r/")
    assert page.request.post("/r/grade/", form={"unit": "1", "grade": "good"}).status == 403
    assert page.request.get("/r/no-such-page/").status == 404
    assert page.request.get("/r/grade/").status == 405
    token = next(c["value"] for c in context.cookies() if c["name"] == "csrftoken")
    statuses = []
    for n in range(1000):
        answer = page.request.post(
            "/r/", form={"code": f"WRONG{n:03d}", "csrfmiddlewaretoken": token}
        )
        statuses.append(answer.status)
        if answer.status == 429:
            break
    context.close()
    time.sleep(1)  # the access log is written after each answer; let the last lines land

    lines = {
        name: path.read_text(errors="replace").splitlines()
        for name, path in logs.items()
        if path.exists()
    }
    every_line = [(name, line) for name, text in lines.items() for line in text]
    leaks = [
        (name, line)
        for name, line in every_line
        if any(code.lower() in line.lower() for code in codes)
    ]
    assert leaks == []
    # The logs are the real thing: every step is in the access log, Referer included, and
    # Django's own log lines (4xx warnings, the CSRF refusal) are in the error log.
    access = "\n".join(lines["access"])
    for request_line in (
        '"GET /r/ HTTP/1.1" 200',
        '"POST /r/ HTTP/1.1" 303',
        '"POST /r/ HTTP/1.1" 404',
        '"POST /r/ HTTP/1.1" 429',
        '"GET /r/form/ HTTP/1.1" 200',
        '"POST /r/grade/ HTTP/1.1" 200',
        '"POST /r/submit/ HTTP/1.1" 303',
        '"POST /r/leave/ HTTP/1.1" 303',
        '"GET /r/live/ HTTP/1.1" 200',
        '"GET /r/live/ HTTP/1.1" 403',
        '"POST /r/live/ask/ HTTP/1.1" 200',
        '"GET /r/live/vote/panel/ HTTP/1.1"',
        '"POST /r/live/vote/ HTTP/1.1" 200',
        '"POST /r/grade/ HTTP/1.1" 403',
        '"GET /r/no-such-page/ HTTP/1.1" 404',
    ):
        assert request_line in access, request_line
    assert f'"{base_url}/r/form/"' in access  # the Referer field
    errors = "\n".join(lines["error"])
    assert "Not Found: /r/" in errors
    assert "Forbidden (CSRF" in errors
    assert statuses[-1] == 429
