"""ETag polling: a page's fragment is fetched every few seconds and answered 304, without
rendering, while nothing it shows has changed (docs/design.md §8; docs/benchmarks.md).

The browser, not htmx, sends If-None-Match (from its cache) and turns the 304 into a 200 with
the cached body for the page's XHR, so htmx swaps in the same markup again: nothing changes on
screen, and no body crosses the venue Wi-Fi.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import quote_etag


def etag_of(key: tuple) -> str:
    """A strong ETag for everything a fragment shows, given as ``key`` (a tuple whose repr is
    stable: a fragment version, the language, the rows' values)."""
    return quote_etag(hashlib.blake2b(repr(key).encode(), digest_size=12).hexdigest())


def polled(request, etag: str, render_fragment: Callable[[], HttpResponse]) -> HttpResponse:
    """304 when the browser holds ``etag``, else ``render_fragment()``; either way with the
    ETag, kept by the browser but revalidated on every poll."""
    response = get_conditional_response(request, etag=etag)
    if response is None:
        response = render_fragment()
    response["ETag"] = etag
    patch_cache_control(response, private=True, no_cache=True)
    return response
