"""The rater's entry page /r/ and the card it leaves on the device (sessions/views/rate.py,
sessions/views/card.py): the code is posted once and kept in a signed cookie, so it is in no
URL of the whole flow and in no log (docs/anonymity.md, "Logs"); the cookie cannot be forged;
the wrong-code throttle never refuses a valid code; a browser without cookies is told so."""

import re
import time

import pytest
from django.core import signing
from django.core.cache import cache
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.debug import SafeExceptionReporterFilter

from meeting import questions
from sessions.models import Credential, ReviewSession
from sessions.views import card
from tests.factories import CredentialFactory
from tests.factories.questions import AnsweredQuestionFactory, make_hall
from tests.factories.raters import HTMX, enter, page_token, rater

pytestmark = pytest.mark.django_db

Status = ReviewSession.Status
ENTRY = "/r/"
FORM = "/r/form/"
NO_CARD = "这台设备还没有打开评议卡（或已换卡、已过期）。请扫描评议卡上的二维码，或输入评议码。"
INVALID_CARD = "这台设备上的评议卡已失效。请重新扫描评议卡上的二维码，或输入评议码。"
UNKNOWN = "没有找到这个评议码。请核对评议卡上的字母和数字，或联系会务人员。"
REDACTED = SafeExceptionReporterFilter.cleansed_substitute


@pytest.fixture(autouse=True)
def _empty_cache():
    # The wrong-code counter lives in the cache; one test's attempts must not throttle the next.
    cache.clear()
    yield
    cache.clear()


def open_card(code="ABCDEFGH", status=Status.RATING) -> Credential:
    return CredentialFactory(code=code, session__status=status)


def main(response) -> str:
    """The page's <main>, without the CSRF tokens (masked afresh on every response)."""
    html = response.content.decode().split("<main>")[1].split("</main>")[0]
    return re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", html)


def signed(code: str, *, at: float | None = None) -> str:
    """A card cookie's value as the server signs it, optionally as if signed at ``at``."""
    response = HttpResponse()
    real_time = time.time
    if at is not None:
        time.time = lambda: at
    try:
        response.set_signed_cookie(card.COOKIE_NAME, code, salt=card.COOKIE_SALT)
    finally:
        time.time = real_time
    return response.cookies[card.COOKIE_NAME].value


# ---------------------------------------------------------------- GET /r/


def test_entry_shows_the_code_form_with_the_script_that_reads_the_fragment(client):
    response = client.get(ENTRY)

    html = response.content.decode()
    assert response.status_code == 200
    assert '<form method="post" action="/r/" data-code-entry>' in html
    assert '<script src="/static/js/rate-entry.js" defer></script>' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "这台设备上已经打开了一张评议卡。" not in html
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


def test_entry_offers_to_continue_or_give_up_a_card_the_device_holds(client):
    enter(client, open_card())

    html = client.get(ENTRY).content.decode()

    # Never a redirect: a new card's fragment is only read by the script on this page.
    assert "这台设备上已经打开了一张评议卡。" in html
    assert '<a class="btn secondary small" href="/r/form/">继续使用这张评议卡</a>' in html
    assert '<form class="rate-leave" method="post" action="/r/leave/">' in html


# ---------------------------------------------------------------- POST /r/


def test_entry_post_keeps_a_valid_code_in_a_signed_strict_cookie_and_sees_other_to_the_form(
    client,
):
    credential = open_card()

    response = enter(client, credential)

    assert (response.status_code, response["Location"]) == (303, FORM)
    cookie = response.cookies[card.COOKIE_NAME]
    request = RequestFactory().get(FORM)
    request.COOKIES[card.COOKIE_NAME] = cookie.value
    assert cookie.value != credential.code
    assert request.get_signed_cookie(card.COOKIE_NAME, salt=card.COOKIE_SALT) == credential.code
    assert (cookie["path"], cookie["samesite"], cookie["httponly"], cookie["secure"]) == (
        "/r/",
        "Strict",
        True,
        "",
    )
    assert cookie["max-age"] == 12 * 60 * 60
    assert client.get(FORM).context["credential"] == credential


def test_entry_cookie_is_secure_where_session_cookies_are(client, settings):
    settings.SESSION_COOKIE_SECURE = True

    response = enter(client, open_card())

    assert response.cookies[card.COOKIE_NAME]["secure"] is True


def test_entry_accepts_a_typed_code_in_any_case_with_separators(client):
    credential = open_card()

    response = enter(client, " abcd-efgh ")

    assert response.status_code == 303
    assert client.get(FORM).context["credential"] == credential


@pytest.mark.parametrize("typed", ["ABC", "ABCDEFGHJ", "ABCD<EFG"])
def test_entry_refuses_a_code_of_the_wrong_shape(client, typed):
    response = enter(client, typed)

    assert response.status_code == 422
    assert "评议码是 8 位字母和数字，请核对后重新输入。" in response.content.decode()
    assert card.COOKIE_NAME not in response.cookies


def test_entry_unknown_code_is_404_sets_no_card_and_reveals_nothing(client):
    credential = open_card()

    first = enter(client, "ZZZZ2222")
    second = enter(client, "YYYY3333")

    assert (first.status_code, second.status_code) == (404, 404)
    html = first.content.decode()
    assert "<h1>评议码无效</h1>" in html
    assert UNKNOWN in html
    assert credential.session.title not in html
    assert "ZZZZ2222" not in html
    # Nothing on the page depends on what was typed.
    assert main(first) == main(second)
    assert card.COOKIE_NAME not in client.cookies


def test_entry_post_is_never_in_an_error_report():
    # sensitive_post_parameters: Django's error report shows the code as stars.
    credential = open_card()
    response = enter(Client(), credential)
    request = response.wsgi_request

    post = SafeExceptionReporterFilter().get_post_parameters(request)

    assert post["code"] == REDACTED


def test_card_cookie_is_redacted_in_an_error_report(client):
    credential = open_card()
    enter(client, credential)
    request = client.get(FORM).wsgi_request

    cookies = SafeExceptionReporterFilter().get_safe_cookies(request)

    assert cookies[card.COOKIE_NAME] == REDACTED


# ---------------------------------------------------------------- the cookie cannot be forged


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(lambda code: code, id="the-bare-code"),
        pytest.param(lambda code: signed(code)[:-1] + "x", id="signature-changed"),
        pytest.param(lambda code: "ZZZZ2222" + signed(code)[8:], id="code-swapped"),
        pytest.param(
            lambda code: signing.TimestampSigner(key="another-key", salt="x").sign(code),
            id="signed-elsewhere",
        ),
        pytest.param(lambda code: signed(code, at=time.time() - 13 * 3600), id="expired"),
        pytest.param(lambda code: signed("NOPE2345"), id="no-such-code"),
    ],
)
def test_forged_card_goes_back_to_the_entry_page_and_is_cleared(client, value):
    credential = open_card()
    client.cookies[card.COOKIE_NAME] = value(credential.code)

    response = client.get(FORM)

    assert (response.status_code, response["Location"]) == (303, ENTRY)
    assert response.cookies[card.COOKIE_NAME].value == ""
    assert response.cookies[card.COOKIE_NAME]["max-age"] == 0
    page = client.get(ENTRY).content.decode()
    assert INVALID_CARD in page
    assert Credential.objects.get(pk=credential.pk).opened_at is None


def test_forged_card_on_a_tap_is_403_text(client):
    credential = open_card()
    client.cookies[card.COOKIE_NAME] = signed(credential.code)[:-2] + "xy"

    response = client.post(reverse("rate:grade"), {"unit": 1, "grade": "good"}, **HTMX)

    assert response.status_code == 403
    assert response.content.decode() == INVALID_CARD


def test_the_genuine_signature_is_what_lets_a_device_in(client):
    # The control for the forgeries above: the same value the server would set works.
    credential = open_card()
    client.cookies[card.COOKIE_NAME] = signed(credential.code)

    response = client.get(FORM)

    assert response.status_code == 200
    assert response.context["credential"] == credential


# ---------------------------------------------------------------- 换一张评议卡


def test_leave_forgets_the_card_on_this_device(client):
    enter(client, open_card())

    response = client.post(reverse("rate:leave"), follow=True)

    assert response.redirect_chain == [(ENTRY, 303)]
    assert "已退出这张评议卡。下一位评议人请扫描自己的评议卡。" in response.content.decode()
    assert client.cookies[card.COOKIE_NAME].value == ""
    assert client.get(FORM)["Location"] == ENTRY


def test_leave_is_offered_on_every_rater_page(client):
    hall = make_hall(status=Status.RATING)
    enter(client, hall.deputy)
    leave = '<form class="rate-leave" method="post" action="/r/leave/">'

    pages = {path: client.get(path).content.decode() for path in (FORM, "/r/submit/", "/r/live/")}

    assert {path: leave in html for path, html in pages.items()} == dict.fromkeys(pages, True)


def test_leave_answers_only_post(client):
    assert client.get(reverse("rate:leave")).status_code == 405


# ---------------------------------------------------------------- no cookies, no CSRF token


def test_entry_tells_a_browser_without_cookies_so_plainly():
    browser = Client(enforce_csrf_checks=True)  # it keeps nothing: no CSRF cookie comes back
    credential = open_card()

    response = browser.post(ENTRY, {"code": credential.code})

    assert response.status_code == 403
    html = response.content.decode()
    assert "<h1>浏览器拒绝了 Cookie</h1>" in html
    assert "请在浏览器设置中允许本网站的 Cookie" in html
    assert card.COOKIE_NAME not in response.cookies


def test_entry_post_with_a_cookie_but_no_token_is_refused_by_csrf():
    browser = Client(enforce_csrf_checks=True)
    browser.get(ENTRY)  # the CSRF cookie is set

    response = browser.post(ENTRY, {"code": open_card().code})

    assert response.status_code == 403
    assert "浏览器拒绝了 Cookie" not in response.content.decode()
    assert card.COOKIE_NAME not in response.cookies


def test_entry_post_with_the_pages_token_is_accepted():
    browser = Client(enforce_csrf_checks=True)
    token = page_token(browser.get(ENTRY))

    response = browser.post(ENTRY, {"code": open_card().code, "csrfmiddlewaretoken": token})

    assert (response.status_code, response["Location"]) == (303, FORM)


# ---------------------------------------------------------------- the wrong-code throttle


def _wrong_codes_until_throttled(client, address: str) -> int:
    for n in range(1, 1001):
        response = client.post(ENTRY, {"code": f"WRONG{n:03d}"}, REMOTE_ADDR=address)
        if response.status_code == 429:
            return n
        assert response.status_code == 404
    raise AssertionError("1,000 wrong codes and still not throttled")


def test_throttle_answers_429_to_wrong_codes_from_a_blocked_address(client):
    _wrong_codes_until_throttled(client, "10.0.0.7")

    again = client.post(ENTRY, {"code": "ZZZZ2222"}, REMOTE_ADDR="10.0.0.7")
    elsewhere = client.post(ENTRY, {"code": "ZZZZ2222"}, REMOTE_ADDR="10.0.0.8")

    assert again.status_code == 429
    assert elsewhere.status_code == 404


def test_throttle_never_refuses_a_valid_code_from_a_blocked_address(client):
    credential = open_card()
    _wrong_codes_until_throttled(Client(), "10.0.0.7")

    response = enter(client, credential, REMOTE_ADDR="10.0.0.7")

    assert (response.status_code, response["Location"]) == (303, FORM)
    assert client.get(FORM, REMOTE_ADDR="10.0.0.7").status_code == 200


def test_throttle_leaves_the_entry_form_open_to_a_blocked_address(client):
    _wrong_codes_until_throttled(client, "10.0.0.7")

    assert client.get(ENTRY, REMOTE_ADDR="10.0.0.7").status_code == 200


def test_throttle_does_not_count_valid_codes(client):
    credential = open_card()
    for _ in range(100):
        assert enter(client, credential, REMOTE_ADDR="10.0.0.7").status_code == 303

    assert enter(client, "ZZZZ2222", REMOTE_ADDR="10.0.0.7").status_code == 404


# ---------------------------------------------------------------- the code in no URL


CODE = "QXRZ7K2M"


def assert_no_code(response, what: str) -> None:
    """The code is nowhere in the answer: no Location, no link, form action or hx-* URL, no
    text at all; only in the card's own Set-Cookie, which no log records."""
    headers = {name: value for name, value in response.items() if name.lower() != "set-cookie"}
    assert CODE not in repr(headers), f"{what}: the code in a header"
    for name, morsel in response.cookies.items():
        if name != card.COOKIE_NAME:
            assert CODE not in morsel.OutputString(), f"{what}: the code in cookie {name}"
    body = response.content.decode(errors="replace")
    assert CODE not in body, f"{what}: the code in the body"
    assert CODE.lower() not in body.lower(), f"{what}: the code in the body"


def test_no_answer_of_the_whole_rater_flow_holds_the_code():
    hall = make_hall(status=Status.RATING)
    credential = hall.deputy
    Credential.objects.filter(pk=credential.pk).update(code=CODE)
    question = AnsweredQuestionFactory(session=hall.session, unit=hall.units[0], text="问")
    questions.vote_open(question=question, actor=None)
    tablet = Client(enforce_csrf_checks=True)
    answers = []

    def record(what, response):
        answers.append((what, response))
        return response

    def post(what, path, data=None, **extra):
        token = tablet.cookies["csrftoken"].value
        return record(what, tablet.post(path, data or {}, HTTP_X_CSRFTOKEN=token, **extra))

    record("entry page", tablet.get(ENTRY))
    post("wrong code", ENTRY, {"code": "ZZZZ2222"})
    post("malformed code", ENTRY, {"code": "ZZ"})
    entered = post("entry", ENTRY, {"code": CODE.lower()})
    assert (entered.status_code, entered["Location"]) == (303, FORM)
    record("entry page holding the card", tablet.get(ENTRY))
    record("form", tablet.get(FORM))
    units = [u.pk for u in hall.units]
    for unit in units[:-1]:
        post("tap", "/r/grade/", {"unit": unit, "grade": "good"}, **HTMX)
    post("plain tap", "/r/grade/", {"unit": units[-1], "grade": "average"})
    post("refused tap", "/r/grade/", {"unit": hall.other_unit.pk, "grade": "good"}, **HTMX)
    post("refused plain tap", "/r/grade/", {"unit": "x", "grade": "good"})
    record("check page", tablet.get("/r/submit/"))
    record("live page", tablet.get("/r/live/"))
    record("vote panel", tablet.get("/r/live/vote/panel/", **HTMX))
    post("ask", "/r/live/ask/", {"unit": units[1], "text": "何时完工？"}, **HTMX)
    post("plain ask", "/r/live/ask/", {"unit": units[1], "text": "何时开工？"})
    post("bad ask", "/r/live/ask/", {"unit": "x", "text": ""}, **HTMX)
    post("vote", "/r/live/vote/", {"question": question.pk, "choice": "satisfied"}, **HTMX)
    post("second vote", "/r/live/vote/", {"question": question.pk, "choice": "satisfied"})
    post("submit", "/r/submit/", **HTMX)
    receipt = record("receipt", tablet.get(FORM))
    assert "评议表已提交" in receipt.content.decode()
    post("submit again", "/r/submit/")
    post("tap after submitting", "/r/grade/", {"unit": units[0], "grade": "poor"}, **HTMX)
    post("leave", "/r/leave/")
    record("form without a card", tablet.get(FORM))
    post("tap without a card", "/r/grade/", {"unit": units[0], "grade": "poor"}, **HTMX)
    tablet.cookies[card.COOKIE_NAME] = signed(CODE)[:-1] + "x"
    record("forged card", tablet.get("/r/live/"))
    record("entry page after that", tablet.get(ENTRY))
    refused = rater(hall.leader)  # a group that may not ask
    record("tablet refused", refused.get("/r/live/"))
    for n in range(1000):
        if post("throttle", ENTRY, {"code": f"WRONG{n:03d}"}).status_code == 429:
            break

    assert len(answers) > 30
    for what, response in answers:
        assert_no_code(response, what)
    statuses = {what: response.status_code for what, response in answers}
    assert statuses["submit"] == 303
    assert statuses["throttle"] == 429
    assert statuses["forged card"] == 303
    assert statuses["tablet refused"] == 403


def test_every_rater_url_is_free_of_codes():
    paths = [
        reverse("rate:entry"),
        reverse("rate:form"),
        reverse("rate:grade"),
        reverse("rate:submit"),
        reverse("rate:leave"),
        reverse("tablet:live"),
        reverse("tablet:ask"),
        reverse("tablet:vote"),
        reverse("tablet:vote_panel"),
    ]

    assert paths == [
        "/r/",
        "/r/form/",
        "/r/grade/",
        "/r/submit/",
        "/r/leave/",
        "/r/live/",
        "/r/live/ask/",
        "/r/live/vote/",
        "/r/live/vote/panel/",
    ]


def test_a_code_in_the_old_address_finds_nothing(client):
    credential = open_card()

    response = client.get(f"/r/{credential.code}/")

    assert response.status_code == 404
