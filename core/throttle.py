"""Wrong-code throttling for the rater's pages (docs/deployment.md, "Wrong-code throttle";
docs/anonymity.md).

The rule every rater view follows: look the code up first. A code that exists is never
refused here, whatever anybody else typed from the same address (a venue NAT or the proxy
puts a whole hall behind one address). Only a code that does not exist is counted, and once an
address has sent too many wrong codes its *wrong* codes get the throttle page instead of the
plain "无效" answer.

- ``client_address(request)`` the address the counters are kept for;
- ``record_wrong_code(request)`` count one wrong code; True when the address is now blocked;
- ``wrong_code_blocked(request)`` whether the address is over the limit;
- ``throttled(request)`` the 429 page;
- ``blocks()`` the addresses blocked now, for the organisers' monitor;
- ``block_lift(session=, address=, actor=)`` an organiser lifts a block, audited.

The counters live in Django's default cache, which every worker and host shares (the database
cache by default, Redis where ``REDIS_URL`` is set): counted per process, a limit multiplies by
the number of workers and a block depends on which worker answers. Per address the cache holds
its count of wrong codes and the end of its window, both expiring with the window, which opens
at the first wrong code; an address stays blocked until the window ends or an organiser lifts
it. Codes are valid in every session, so a block is not per session: a small registry of the
blocked addresses (when each was blocked, until when) sits in the same cache. No code is ever
stored, only addresses and counts.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.memcached import BaseMemcachedCache
from django.core.cache.backends.redis import RedisCache
from django.db import DatabaseError
from django.shortcuts import render
from django.utils.translation import gettext as _
from redis.exceptions import RedisError

from core.audit import audit

logger = logging.getLogger(__name__)

PREFIX = "wrong-code:"
REGISTRY_KEY = f"{PREFIX}blocks"
# A lock is held for a few cache round trips; one left by a killed worker frees itself (and
# two callers may then both take it in the database cache, which costs at most one count).
LOCK_SECONDS = 5
LOCK_WAIT_SECONDS = 2.0
# A cache that cannot be reached must not turn a typo into a server error: the throttle only
# slows the guessing of codes that cannot be guessed anyway (40 bits), so it lets the wrong
# code through as plain "无效" and says so in the log.
CACHE_ERRORS = (DatabaseError, RedisError)


@dataclass(frozen=True)
class Block:
    """An address whose wrong codes get the throttle page, as the monitor lists it."""

    address: str
    wrong_codes: int
    since: datetime
    until: datetime


# ---------------------------------------------------------------- the client address


def _address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, unless the deployment names a header its own proxies
    set (TRUSTED_PROXY_HEADER, docs/deployment.md "Client address behind a proxy").

    Each proxy appends the address it received the request from, so the entry
    TRUSTED_PROXY_COUNT places from the right was written by our outermost proxy; whatever
    stands left of it came from the client and may be invented. A header shorter than that, or
    an entry that is not an address, means the request did not come through the proxies as
    configured: REMOTE_ADDR then, never the client's word."""
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    header = settings.TRUSTED_PROXY_HEADER
    if not header:
        return remote
    hops = request.META.get(header, "").split(",")
    count = settings.TRUSTED_PROXY_COUNT
    if len(hops) < count:
        return remote
    return _address(hops[-count]) or remote


# ---------------------------------------------------------------- counting


def _count_key(address: str) -> str:
    return f"{PREFIX}count:{address}"


def _ends_key(address: str) -> str:
    return f"{PREFIX}ends:{address}"


def _seconds(until: float, now: float) -> int:
    """A cache timeout that lasts until ``until``: whole seconds, as Redis takes them, and one
    more, as the database cache rounds its expiry time down to the second. Whether a window has
    ended is decided by ``until`` itself, kept beside the count."""
    return max(1, math.ceil(until - now)) + 1


@contextmanager
def _cache_lock(name: str) -> Iterator[None]:
    """A short mutual exclusion between workers and hosts, built on ``cache.add`` (an INSERT
    on the primary key in the database cache, SET NX in Redis), which only one caller wins.
    After LOCK_WAIT_SECONDS the caller goes on without it: a count that is one short is
    better than a rater kept waiting."""
    key = f"{PREFIX}lock:{name}"
    give_up = time.monotonic() + LOCK_WAIT_SECONDS
    while not (held := cache.add(key, 1, LOCK_SECONDS)):
        if time.monotonic() > give_up:
            logger.warning("wrong-code throttle: went on without the lock %s", name)
            break
        time.sleep(0.005)
    try:
        yield
    finally:
        if held:
            cache.delete(key)


def _atomic_incr() -> bool:
    # Redis (INCR) and memcached increment on the server; the local-memory cache under its
    # process lock. The database and file caches implement incr as get-then-set, which two
    # workers can interleave and lose a count, and their set also restarts the expiry.
    backend = caches[DEFAULT_CACHE_ALIAS]
    return isinstance(backend, RedisCache | BaseMemcachedCache | LocMemCache)


def _increment(address: str, now: float, window: int) -> tuple[int, float]:
    """One more wrong code from ``address``: (its count in the window, when the window ends)."""
    count_key, ends_key = _count_key(address), _ends_key(address)
    if _atomic_incr():
        if cache.add(count_key, 1, window):
            cache.set(ends_key, now + window, window)
            return 1, now + window
        try:
            count = cache.incr(count_key)
        except ValueError:  # the window ended between add and incr: this code opens the next
            cache.set_many({count_key: 1, ends_key: now + window}, window)
            return 1, now + window
        return count, cache.get(ends_key) or now + window
    # The database cache: the read and the write under a lock every worker takes, and the
    # expiry set to the window's end again, which a plain incr would move.
    with _cache_lock(address):
        held = cache.get_many([count_key, ends_key])
        count, ends = held.get(count_key), held.get(ends_key)
        if count is None or ends is None or ends <= now:
            count, ends = 0, now + window
        count += 1
        cache.set_many({count_key: count, ends_key: ends}, _seconds(ends, now))
    return count, ends


def record_wrong_code(request) -> bool:
    """Count one wrong code from the client's address; True when the address is now blocked."""
    address = client_address(request)
    now = time.time()
    try:
        count, ends = _increment(address, now, settings.WRONG_CODE_WINDOW_SECONDS)
        if count < settings.WRONG_CODE_LIMIT:
            return False
        _register(address, now, ends)
    except CACHE_ERRORS:
        logger.warning("wrong-code throttle: the cache failed, not counted", exc_info=True)
        return False
    return True


def wrong_code_blocked(request) -> bool:
    address = client_address(request)
    try:
        held = cache.get_many([_count_key(address), _ends_key(address)])
    except CACHE_ERRORS:
        logger.warning("wrong-code throttle: the cache failed, not checked", exc_info=True)
        return False
    return (
        held.get(_count_key(address), 0) >= settings.WRONG_CODE_LIMIT
        and held.get(_ends_key(address), 0) > time.time()
    )


def throttled(request):
    return render(
        request,
        "rate/throttled.html",
        {"minutes": math.ceil(settings.WRONG_CODE_WINDOW_SECONDS / 60)},
        status=429,
    )


# ---------------------------------------------------------------- the registry of blocks


def _live(registry: dict, now: float) -> dict[str, tuple[float, float]]:
    """The registry's entries that have not ended: address -> (since, until), epoch seconds."""
    return {address: span for address, span in registry.items() if span[1] > now}


def _register(address: str, now: float, until: float) -> None:
    if address in _live(cache.get(REGISTRY_KEY) or {}, now):
        return  # already listed since the first code over the limit: one read per wrong code
    with _cache_lock("registry"):
        registry = _live(cache.get(REGISTRY_KEY) or {}, now)
        registry.setdefault(address, (now, until))
        cache.set(REGISTRY_KEY, registry, _seconds(max(u for _, u in registry.values()), now))


def _as_datetime(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def blocks() -> list[Block]:
    """The addresses blocked now, earliest first, each with its wrong codes in the window.

    An address is listed while its count is over the limit; a window that has ended, or a
    block lifted, takes it off (its count is gone)."""
    now = time.time()
    try:
        registry = _live(cache.get(REGISTRY_KEY) or {}, now)
        counts = cache.get_many([_count_key(address) for address in registry])
    except CACHE_ERRORS:
        # The monitor must still open while the cache is down; nothing can be blocked then.
        logger.warning("wrong-code blocks unreadable: cache unavailable")
        return []
    listed = [
        Block(address, count, _as_datetime(since), _as_datetime(until))
        for address, (since, until) in registry.items()
        if (count := counts.get(_count_key(address), 0)) >= settings.WRONG_CODE_LIMIT
    ]
    return sorted(listed, key=lambda block: (block.since, block.address))


def block_for(address: str) -> Block | None:
    return next((block for block in blocks() if block.address == address), None)


def block_lift(*, session, address: str, actor) -> Block | None:
    """Lift the block on ``address`` at once: its count starts again from zero. Written to the
    audit log of ``session``, the one whose monitor it was lifted from (the block itself is
    not any session's: codes are valid in every session). None when it was not blocked."""
    block = block_for(address)
    if block is None:
        return None
    now = time.time()
    with _cache_lock("registry"):
        registry = _live(cache.get(REGISTRY_KEY) or {}, now)
        registry.pop(address, None)
        if registry:
            cache.set(REGISTRY_KEY, registry, _seconds(max(u for _, u in registry.values()), now))
        else:
            cache.delete(REGISTRY_KEY)
        cache.delete_many([_count_key(address), _ends_key(address)])
    audit(
        session=session,
        actor=actor,
        action="rate.unblock",
        message=_("解除地址 %(address)s 的评议码输错限制（输错 %(count)s 次）")
        % {"address": address, "count": block.wrong_codes},
        address=address,
        wrong_codes=block.wrong_codes,
        since=block.since,
        until=block.until,
    )
    return block
