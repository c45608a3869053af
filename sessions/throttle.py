"""Wrong-code throttling for the rater's pages (docs/anonymity.md and docs/deployment.md).

The rule every rater view follows: look the code up first. A code that exists is never
refused here, whatever anybody else typed from the same address (a venue NAT or the proxy
puts a whole hall behind one address). Only a code that does not exist is counted, and once an
address has sent too many wrong codes its *wrong* codes get the throttle page instead of the
plain "无效" answer.

- ``client_address(request)`` the address the counters are kept for;
- ``record_wrong_code(request)`` count one wrong code; True when the address is now blocked;
- ``wrong_code_blocked(request)`` whether the address is over the limit;
- ``throttled(request)`` the 429 page.
"""

from __future__ import annotations

from django.core.cache import cache
from django.shortcuts import render

# Wrong codes allowed per client address in a window before its wrong codes get 429.
ENTRY_ATTEMPTS = 30
ENTRY_WINDOW_SECONDS = 600


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")


def _key(request) -> str:
    return f"rate-entry:{client_address(request)}"


def wrong_code_blocked(request) -> bool:
    return cache.get(_key(request), 0) >= ENTRY_ATTEMPTS


def record_wrong_code(request) -> bool:
    key = _key(request)
    cache.add(key, 0, ENTRY_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, ENTRY_WINDOW_SECONDS)
        count = 1
    return count >= ENTRY_ATTEMPTS


def throttled(request):
    return render(request, "rate/throttled.html", status=429)
