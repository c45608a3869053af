"""A rater's device in the browser tests: the card's QR code opens /r/#CODE (the code only in
the fragment, which is never sent), static/js/rate-entry.js posts it, and the form opens with
the card kept in a cookie; no address the browser shows or sends holds the code."""

import re

from django.conf import settings
from playwright.sync_api import expect

FORM_URL = re.compile(r"/r/form/$")


def qr_path(credential) -> str:
    """The card's QR address on the test server: /r/#CODE."""
    return credential.rating_url.removeprefix(settings.SITE_URL)


def scan(page, credential) -> None:
    """Scan the card: the entry page posts the code and the form (or the card's state) opens."""
    page.goto(qr_path(credential))
    expect(page).to_have_url(FORM_URL)
    page.wait_for_load_state("load")  # htmx (deferred) is bound before the first tap
    assert credential.code not in page.url


def csrf_token(page) -> str:
    """The token the page hands to htmx (hx-headers on <body>), for a hand-made request."""
    return page.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken']")
