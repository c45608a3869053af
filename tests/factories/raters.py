"""Acting as a rater in tests: a device enters a card the way the entry page does, by posting
the code to /r/; the answer's signed cookie is the card from then on (sessions/views/card.py)."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from sessions.models import Credential

HTMX = {"HTTP_HX_REQUEST": "true"}
ENTRY = "/r/"


def enter(client: Client, card: Credential | str, **extra):
    """Post the code (a credential's, or as typed) on the entry page; the client keeps the
    card's cookie. Returns the answer, a 303 to /r/form/ for a valid code."""
    code = card.code if isinstance(card, Credential) else card
    return client.post(reverse("rate:entry"), {"code": code}, **extra)


def holding(client: Client, card: Credential | str) -> Client:
    """The client, holding ``card`` (entered on /r/ as a rater's device does)."""
    response = enter(client, card)
    assert response.status_code == 303, response.status_code
    return client


def rater(card: Credential | str, **client_options) -> Client:
    """A fresh device (its own cookies) that has entered ``card``."""
    client = Client(**client_options)
    if client_options.get("enforce_csrf_checks"):
        token = page_token(client.get(ENTRY))
        response = client.post(ENTRY, {"code": card.code, "csrfmiddlewaretoken": token})
    else:
        response = enter(client, card)
    assert response.status_code == 303, response.status_code
    return client


def page_token(response) -> str:
    """The CSRF token a page hands to its scripts (hx-headers on <body>)."""
    return re.search(r'"X-CSRFToken": "([^"]+)"', response.content.decode()).group(1)
