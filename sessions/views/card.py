"""The rater's card on this device: a signed cookie that holds the code (docs/anonymity.md, "Logs").

A code in an address lands in every access log (the request line and the next page's Referer)
and in Django's error log, and whoever reads a log could then take over a code that was opened
and not yet submitted. So the code travels once, in the body of ``POST /r/``, and from then on
in this cookie, never in a URL:

- signed with SECRET_KEY, with a time limit: a changed or made-up value is refused;
- HttpOnly (no script reads it) and scoped to ``/r/`` (no other page receives it);
- SameSite=Strict: no other site's page makes the browser send it, and the rater's POSTs
  check the CSRF token as well, now that the card is ambient authority;
- named so that Django's error reports redact it (``SafeExceptionReporterFilter`` hides the
  value of every cookie whose name contains KEY).

The code is the only thing in the cookie: nothing else about the rater is stored on the device.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from .. import rater_sql
from ..models import Credential

COOKIE_NAME = "rater_key"
COOKIE_SALT = "sessions.rater-card"
COOKIE_PATH = "/r/"
# A rating day with its meeting. A tablet left overnight has forgotten the card by morning.
COOKIE_MAX_AGE = 12 * 60 * 60


class NoCard(Exception):
    """The request carries no usable card; ``reason`` is "missing" or "invalid"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def see_other(name: str) -> HttpResponseRedirect:
    """A 303 to a named URL: after a POST the browser must GET the next page."""
    response = HttpResponseRedirect(reverse(name))
    response.status_code = 303
    return response


def card_set(response: HttpResponse, credential: Credential) -> None:
    response.set_signed_cookie(
        COOKIE_NAME,
        credential.code,
        salt=COOKIE_SALT,
        max_age=COOKIE_MAX_AGE,
        path=COOKIE_PATH,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )


def card_clear(response: HttpResponse) -> None:
    response.delete_cookie(COOKIE_NAME, path=COOKIE_PATH, samesite="Strict")


def card_present(request) -> bool:
    return COOKIE_NAME in request.COOKIES


def card_credential(request) -> Credential:
    """The credential of the card this device holds, with its session, scheme, group and
    holder unit attached; NoCard when there is none or it was not issued by this server.

    A signed code is never counted as a wrong code: only the server can have set it."""
    if not card_present(request):
        raise NoCard("missing")
    try:
        code = request.get_signed_cookie(COOKIE_NAME, salt=COOKIE_SALT, max_age=COOKIE_MAX_AGE)
    except signing.BadSignature:  # a changed value, or an expired one (SignatureExpired)
        raise NoCard("invalid") from None
    credential = rater_sql.credential_with_session(code=code)
    if credential is None:  # the card's session was deleted meanwhile
        raise NoCard("invalid")
    return credential


def device_key(credential: Credential) -> str:
    """The name under which a tablet keeps this card's unsent taps (docs/tablets.md,
    "Offline"): the same for every page of the card, different for every card, and saying
    nothing about the code to whoever reads the device (a keyed hash of the row id)."""
    return salted_hmac("sessions.device-key", str(credential.pk)).hexdigest()[:20]


OFFLINE_HEADER = "X-Offline-Page"


def keep_offline(response: HttpResponse) -> HttpResponse:
    """Mark a page the service worker may keep as this card's offline copy; every other answer
    to the same address makes it drop the copy (docs/tablets.md, "Offline")."""
    response[OFFLINE_HEADER] = "keep"
    return response


def no_card_message(reason: str) -> str:
    if reason == "invalid":
        return _("这台设备上的评议卡已失效。请重新扫描评议卡上的二维码，或输入评议码。")
    return _("这台设备还没有打开评议卡（或已换卡、已过期）。请扫描评议卡上的二维码，或输入评议码。")


def no_card_answer(request, reason: str, *, page: bool) -> HttpResponse:
    """A page goes back to ``/r/`` with the reason; an htmx request gets the reason as short
    text with 403, which static/js/app.js shows and treats as "not saved"."""
    message = no_card_message(reason)
    if page:
        messages.warning(request, message)
        response = see_other("rate:entry")
    else:
        response = HttpResponse(message, status=403, content_type="text/plain; charset=utf-8")
    if reason == "invalid":
        card_clear(response)
    return response


def with_card(view):
    """Call ``view(request, credential, ...)`` with the card's credential, or answer why not."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            credential = card_credential(request)
        except NoCard as no_card:
            return no_card_answer(request, no_card.reason, page=not request.htmx)
        return view(request, credential, *args, **kwargs)

    return wrapped
