"""The projector's read-only pages: no login, the token in the URL is the key.

- ``/screen/<token>/`` the whole page, 1920×1080, large type;
- ``/screen/<token>/state/`` the content fragment static/js/screen.js polls every 2 s with its
  own If-None-Match: 304 without rendering while nothing it shows has changed (docs/design.md
  §8: < 5 ms server time; bench/bench_screen.py).

Both say noindex and are never stored by a cache: the page is a live view, and its address is
a secret shared with the projector only.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.utils.cache import get_conditional_response, patch_cache_control
from django.views.decorators.http import require_GET

from .content import screen_context, screen_etag, screen_signature, stage_for_render

POLL_SECONDS = 2


def _signature(token: str):
    signature = screen_signature(token)
    if signature is None:
        raise Http404
    return signature


def _private(response, etag: str):
    response["ETag"] = etag
    response["X-Robots-Tag"] = "noindex, nofollow"
    # screen.js sends If-None-Match itself (fetch with cache "no-store"): nothing to keep.
    patch_cache_control(response, no_store=True)
    return response


@require_GET
def screen(request, token):
    signature = _signature(token)
    etag = screen_etag(signature)
    context = screen_context(stage_for_render(signature))
    context.update(
        etag=etag,
        poll_ms=POLL_SECONDS * 1000,
    )
    return _private(render(request, "screen/screen.html", context), etag)


@require_GET
def screen_state(request, token):
    """One query for a 304; a render adds the Stage and what its mode shows (2-4 queries)."""
    signature = _signature(token)
    etag = screen_etag(signature)
    response = get_conditional_response(request, etag=etag)
    if response is None:
        context = screen_context(stage_for_render(signature))
        response = render(request, "screen/screen.html#content", context)
    return _private(response, etag)
