"""A database outage or a stuck lock never shows a bare 500 (huiji_review/views.py; the
timeouts in huiji_review/settings.py, database_from_url; docs/deployment.md, "Database outages
and stuck locks").

The outage is real: the default connection is pointed at a closed port (PostgreSQL) or at a file
that cannot be opened (SQLite) for the length of a test. The stuck lock is real too: a thread
holds a credential's row with SELECT ... FOR UPDATE on its own connection (PostgreSQL).
"""

import logging
import re
import socket
import sys
import threading
import time

import psycopg
import pytest
from django.core.management import call_command
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    connection,
    connections,
    transaction,
)
from django.http import HttpResponse
from django.test import Client
from django.urls import include, path, reverse
from django.views.debug import SafeExceptionReporterFilter

import huiji_review.urls
from huiji_review.settings import database_from_url
from huiji_review.views import database_unavailable
from sessions import rating
from sessions.models import Credential, DraftGrade, Grade, ReviewSession
from sessions.views import card
from tests.factories import CredentialFactory, ParticipantFactory, ReviewSessionFactory

POSTGRES = connection.vendor == "postgresql"
needs_postgres = pytest.mark.skipif(not POSTGRES, reason="row locks and lock_timeout: PostgreSQL")

HTMX = {"HTTP_HX_REQUEST": "true"}
WAIT_HEADING = "系统正在恢复，请稍候"
WAIT_SAFE = "您已保存的评价都在，不会丢失，无需重新填写。"
ERROR_HEADING = "服务器出错"
PLAIN_503 = (
    "数据库暂时无法访问，请稍候，系统会自动重试。"
    " The database is briefly unavailable; retrying by itself."
)
PLAIN_500 = "服务器出错，刚才的操作没有完成。 Server error: the last action was not completed."
NEVER_CACHED = "max-age=0, no-cache, no-store, must-revalidate, private"


# A URLconf for the 500 page: the project's, plus a view with a bug that is not the database's.
def _bug(request):
    raise ZeroDivisionError("a bug in a view")


urlpatterns = [path("bug/", _bug), path("", include(huiji_review.urls.urlpatterns))]
handler500 = huiji_review.urls.handler500


# ---------------------------------------------------------------- helpers


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def database_down(django_db_blocker, tmp_path):
    """The default connection cannot reach its database until the test ends.

    The open connection is set aside, not closed: SQLite's in-memory test database lives only
    as long as its connection. Tests using it must not use the ``db`` fixture, whose
    transaction would be lost with the connection."""
    wrapper = connections[DEFAULT_DB_ALIAS]
    saved_settings = dict(wrapper.settings_dict)
    saved_connection = wrapper.connection
    wrapper.connection = None
    if wrapper.vendor == "postgresql":
        wrapper.settings_dict.update(HOST="127.0.0.1", PORT=str(closed_port()))
    else:
        wrapper.settings_dict["NAME"] = str(tmp_path / "missing" / "db.sqlite3")
    try:
        with django_db_blocker.unblock():
            yield
    finally:
        if wrapper.connection is not None:
            wrapper.connection.close()
        wrapper.connection = saved_connection
        wrapper.errors_occurred = False
        wrapper.settings_dict.clear()
        wrapper.settings_dict.update(saved_settings)


def device(**extra) -> Client:
    """A browser whose request errors become answers, as in production."""
    return Client(raise_request_exception=False, **extra)


def with_card(client: Client, code: str = "ABCDEFGH") -> Client:
    """The client holds a rater's card for ``code`` (signed as the server signs it; made
    without the database)."""
    response = HttpResponse()
    card.card_set(response, Credential(code=code))
    client.cookies[card.COOKIE_NAME] = response.cookies[card.COOKIE_NAME].value
    return client


def with_staff_session(client: Client) -> Client:
    """The client sends a staff session cookie: who it belongs to is in the database."""
    client.cookies["sessionid"] = "a" * 32
    return client


def heading(response) -> str:
    return re.search(r"<h1>(.*?)</h1>", response.content.decode()).group(1)


def assert_wait_page(response, *, reload='content="5"'):
    html = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Cache-Control"] == NEVER_CACHED
    assert heading(response) == WAIT_HEADING
    assert WAIT_SAFE in html
    assert f'<meta http-equiv="refresh" {reload}>' in html
    assert "Traceback" not in html
    assert "Error" not in html  # no exception class, no driver message


def assert_plain_503(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == PLAIN_503


def rateable_card(code: str = "ABCDEFGH") -> Credential:
    """A credential that can rate now, on a form of two units."""
    session = ReviewSessionFactory(status=ReviewSession.Status.RATING)
    ParticipantFactory.create_batch(2, session=session)
    return CredentialFactory(session=session, code=code)


def enter(client: Client, credential: Credential) -> Client:
    response = client.post(reverse("rate:entry"), {"code": credential.code})
    assert response.status_code == 303
    return client


# ---------------------------------------------------------------- 503: the database is down


def test_rater_page_when_the_database_is_down_is_503_that_retries(database_down):
    response = with_card(device()).get(reverse("rate:form"))

    assert_wait_page(response)


def test_staff_page_when_the_session_cannot_be_read_is_503_that_retries(database_down):
    # login_required reads request.user, which loads the session from the database.
    response = with_staff_session(device()).get(reverse("review:session_list"))

    assert_wait_page(response)


def test_htmx_tap_when_the_database_is_down_is_short_text_503(database_down):
    data = {"unit": "1", "grade": Grade.GOOD, "criterion": ""}

    response = with_card(device()).post(reverse("rate:grade"), data, **HTMX)

    assert_plain_503(response)


def test_submit_when_the_database_is_down_is_503_that_retries(database_down):
    response = with_card(device()).post(reverse("rate:submit"))

    assert_wait_page(response)


def test_plain_post_when_the_database_is_down_reloads_the_page_it_came_from(database_down):
    # A reload would GET the POST's address, which may answer POST only (/r/grade/).
    client = with_card(device())
    data = {"unit": "1", "grade": Grade.GOOD, "criterion": ""}

    from_form = client.post(reverse("rate:grade"), data, HTTP_REFERER="http://testserver/r/form/")
    from_elsewhere = client.post(reverse("rate:grade"), data, HTTP_REFERER="https://evil.example/")

    assert_wait_page(from_form, reload='content="5; url=http://testserver/r/form/"')
    assert_wait_page(from_elsewhere)


def test_database_failing_inside_a_middleware_is_503(database_down, settings):
    # RequestBodyLimitMiddleware asks whether the user is logged in before it lets a large body
    # through: the session is read in the middleware, before any view runs.
    settings.REQUEST_BODY_MAX_BYTES = 10
    client = with_staff_session(device())

    page = client.post(reverse("review:session_list"), {"title": "x" * 100})
    fragment = client.post(reverse("review:session_list"), {"title": "x" * 100}, **HTMX)

    assert_wait_page(page)
    assert_plain_503(fragment)


def test_outage_answer_logs_no_posted_value(database_down, settings, caplog, mailoutbox):
    # Django logs the failure with the request, and with ADMINS set its mail_admins handler
    # mails a report that lists the POST: it must show no value (a rater's grades, a code).
    settings.ADMINS = [("ops", "ops@example.org")]
    data = {"unit": "1", "grade": "posted-grade-value", "criterion": ""}

    with caplog.at_level(logging.DEBUG):
        response = with_card(device()).post(reverse("rate:grade"), data, **HTMX)

    assert response.status_code == 503
    assert [record.getMessage() for record in caplog.records] == ["Service Unavailable: /r/grade/"]
    assert "posted-grade-value" not in caplog.text
    [report] = mailoutbox
    assert "posted-grade-value" not in report.body
    assert f"grade = '{SafeExceptionReporterFilter.cleansed_substitute}'" in report.body


# ---------------------------------------------------------------- 500: anything else


@pytest.mark.urls(__name__)
def test_page_with_a_bug_is_the_500_page():
    response = device().get("/bug/")
    html = response.content.decode()

    assert response.status_code == 500
    assert "Retry-After" not in response
    assert heading(response) == ERROR_HEADING
    assert 'http-equiv="refresh"' not in html
    assert "ZeroDivisionError" not in html
    assert "Traceback" not in html


@pytest.mark.urls(__name__)
def test_htmx_request_with_a_bug_is_short_text_500():
    response = device().get("/bug/", **HTMX)

    assert (response.status_code, response.content.decode()) == (500, PLAIN_500)
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "Retry-After" not in response


def test_root_urlconf_routes_server_errors_to_the_outage_aware_view():
    assert huiji_review.urls.handler500 == "huiji_review.views.server_error"


def _raised(exc: BaseException, cause: BaseException | None = None) -> BaseException:
    try:
        raise exc from cause
    except BaseException as raised:  # noqa: BLE001
        return raised


@pytest.mark.parametrize(
    ("exc", "unavailable"),
    [
        (OperationalError("server closed the connection unexpectedly"), True),
        (InterfaceError("connection already closed"), True),
        # lock_timeout (55P03) and statement_timeout (57014), as Django raises them.
        (_raised(DatabaseError("x"), psycopg.errors.LockNotAvailable("lock timeout")), True),
        (_raised(DatabaseError("x"), psycopg.errors.QueryCanceled("statement timeout")), True),
        (psycopg.errors.AdminShutdown("terminating connection"), True),
        (IntegrityError("duplicate key"), False),
        (DatabaseError("syntax error"), False),
        (ZeroDivisionError("a bug"), False),
        (None, False),
    ],
)
def test_database_unavailable_recognises_outages_and_timeouts(exc, unavailable):
    assert database_unavailable(exc) is unavailable


# ---------------------------------------------------------------- /readyz/


@pytest.mark.django_db
def test_readyz_is_ok_when_the_database_and_the_cache_answer(client):
    call_command("createcachetable", verbosity=0)  # the database cache's table, if it is one

    response = client.get("/readyz/")

    assert (response.status_code, response.content) == (200, b"ok")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Cache-Control"] == NEVER_CACHED


def test_readyz_when_the_database_is_down_is_503_with_one_line(database_down):
    response = device().get("/readyz/")

    assert (response.status_code, response.content.decode()) == (
        503,
        "database unavailable (OperationalError)",
    )
    assert response["Retry-After"] == "5"


@pytest.mark.django_db
def test_readyz_when_the_cache_fails_is_503_with_one_line(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "no_such_cache_table",
        }
    }

    response = client.get("/readyz/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert re.fullmatch(r"cache unavailable \(\w+\)", response.content.decode())


# ---------------------------------------------------------------- timeouts on connections

URL = "postgres://huiji@db.example:5432/huiji"


@pytest.mark.parametrize(
    ("argv", "startup"),
    [
        (
            ["/srv/huiji-review/.venv/bin/gunicorn"],
            "-c lock_timeout=1500 -c statement_timeout=20000",
        ),
        (["manage.py", "runserver"], "-c lock_timeout=1500 -c statement_timeout=20000"),
        (["manage.py", "migrate"], "-c lock_timeout=1500"),
        (["/srv/huiji-review/.venv/bin/django-admin", "import_ballots"], "-c lock_timeout=1500"),
    ],
)
def test_database_from_url_sets_timeouts_on_connections(monkeypatch, argv, startup):
    monkeypatch.setenv("DB_LOCK_TIMEOUT_MS", "1500")
    monkeypatch.setenv("DB_STATEMENT_TIMEOUT_MS", "20000")
    monkeypatch.setenv("DB_PREPARED_STATEMENTS", "true")
    monkeypatch.delenv("DB_CONNECT_TIMEOUT_S", raising=False)
    monkeypatch.setattr(sys, "argv", argv)

    options = database_from_url(URL)["OPTIONS"]

    assert options == {
        "server_side_binding": True,
        "prepare_threshold": 2,
        "options": startup,
        "connect_timeout": 5,
    }


def test_database_from_url_leaves_a_zero_timeout_to_the_server(monkeypatch):
    monkeypatch.setenv("DB_LOCK_TIMEOUT_MS", "0")
    monkeypatch.setenv("DB_STATEMENT_TIMEOUT_MS", "0")
    monkeypatch.setenv("DB_PREPARED_STATEMENTS", "false")
    monkeypatch.setenv("DB_CONNECT_TIMEOUT_S", "10")
    monkeypatch.setattr(sys, "argv", ["gunicorn"])

    assert database_from_url(URL)["OPTIONS"] == {"connect_timeout": 10}


@needs_postgres
@pytest.mark.django_db
def test_connections_of_the_suite_carry_the_configured_timeouts():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, setting FROM pg_settings"
            " WHERE name IN ('lock_timeout', 'statement_timeout') ORDER BY name"
        )
        rows = cursor.fetchall()

    expected = database_from_url("postgres://x@y/z")["OPTIONS"]["options"]
    assert " ".join(f"-c {name}={setting}" for name, setting in rows) == expected


# ---------------------------------------------------------------- a stuck row lock

LOCK_TIMEOUT_S = 0.5


class RowLock:
    """Another client holding a credential's row: a thread with its own connection, inside a
    transaction that took SELECT ... FOR UPDATE and waits to be told to end."""

    def __init__(self, credential: Credential):
        self.pk = credential.pk
        self.locked = threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._hold, daemon=True)

    def _hold(self):
        try:
            with transaction.atomic():
                Credential.objects.select_for_update().get(pk=self.pk)
                self.locked.set()
                self.release.wait(timeout=30)
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        assert self.locked.wait(timeout=10)
        return self

    def __exit__(self, *exc_info):
        self.release.set()
        self.thread.join(timeout=10)


@pytest.fixture
def short_lock_timeout(transactional_db):
    # The deployment's 3 s would do as well; a test need not wait that long.
    with connection.cursor() as cursor:
        cursor.execute(f"SET lock_timeout = '{int(LOCK_TIMEOUT_S * 1000)}ms'")
    yield
    with connection.cursor() as cursor:
        cursor.execute("RESET lock_timeout")


def _timed(send):
    start = time.monotonic()
    response = send()
    return response, time.monotonic() - start


@needs_postgres
def test_tap_on_a_locked_credential_is_503_within_the_lock_timeout_then_saves(
    short_lock_timeout,
):
    credential = rateable_card()
    client = enter(device(), credential)
    unit = credential.session.participants.first().unit
    data = {"unit": unit.pk, "grade": Grade.GOOD, "criterion": ""}

    with RowLock(credential):
        refused, waited = _timed(lambda: client.post(reverse("rate:grade"), data, **HTMX))
        drafts_meanwhile = DraftGrade.objects.filter(credential=credential).count()
    retried = client.post(reverse("rate:grade"), data, **HTMX)

    assert_plain_503(refused)
    assert LOCK_TIMEOUT_S <= waited < LOCK_TIMEOUT_S + 2
    assert drafts_meanwhile == 0
    assert retried.status_code == 200
    assert list(DraftGrade.objects.filter(credential=credential).values_list("grade")) == [
        (Grade.GOOD,)
    ]


@needs_postgres
def test_submit_on_a_locked_credential_is_503_within_the_lock_timeout_then_submits(
    short_lock_timeout,
):
    credential = rateable_card()
    for participant in credential.session.participants.all():
        rating.draft_grade_set(
            credential=credential, unit_id=participant.unit_id, criterion_id=None, grade="good"
        )
    client = enter(device(), credential)

    with RowLock(credential):
        refused, waited = _timed(lambda: client.post(reverse("rate:submit")))
    retried = client.post(reverse("rate:submit"))
    credential.refresh_from_db()

    assert_wait_page(refused)
    assert LOCK_TIMEOUT_S <= waited < LOCK_TIMEOUT_S + 2
    assert (retried.status_code, retried["Location"]) == (303, reverse("rate:form"))
    assert credential.submitted_at is not None
    assert len(credential.receipt) == 8
