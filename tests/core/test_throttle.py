"""core/throttle.py, the raters' wrong-code throttle (docs/deployment.md, "Client address
behind a proxy" and "Wrong-code throttle"): which address is counted, counting and expiry in
every cache it runs on, the registry of blocks and lifting one, the 429 page, and the hall that
keeps rating while one address sends 1,000 wrong codes to two gunicorn workers."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory

from core import throttle
from sessions.models import AuditLog, ReviewSession
from tests.factories import (
    CredentialFactory,
    ParticipantFactory,
    RaterGroupFactory,
    ReviewSessionFactory,
    UnitCategoryFactory,
)
from tests.gunicorn_server import Gunicorn, production_env, shared_database_url

ROOT = Path(__file__).resolve().parents[2]
HALL = "10.0.0.7"
OFFICE = "10.0.0.8"
PROXY = "127.0.0.1"
LIMIT = 30  # WRONG_CODE_LIMIT's default

CACHES = {
    "database": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "huiji_cache",
    },
    # Per process, so never for a deployment; here it runs the code path of the backends
    # that increment atomically when no Redis is at hand.
    "local memory": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
}
if os.environ.get("REDIS_URL"):
    CACHES["redis"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["REDIS_URL"],
        "KEY_PREFIX": "huiji-tests",
    }


def use_cache(settings, name: str) -> None:
    settings.CACHES = {"default": CACHES[name]}
    # Made with the test database only where it is the configured cache (not under REDIS_URL).
    call_command("createcachetable")
    cache.clear()


@pytest.fixture(params=list(CACHES))
def backend(request, db, settings):
    use_cache(settings, request.param)
    yield request.param
    cache.clear()


@pytest.fixture
def clean_cache(db):
    """The configured cache, emptied before and after (the database cache by default)."""
    cache.clear()
    yield
    cache.clear()


def request_from(address: str = HALL, **meta):
    return RequestFactory().post("/r/", REMOTE_ADDR=address, **meta)


def wrong_codes(n: int, address: str = HALL) -> list[bool]:
    return [throttle.record_wrong_code(request_from(address)) for _ in range(n)]


# ---------------------------------------------------------------- the client address


def test_client_address_is_remote_addr_by_default():
    assert throttle.client_address(request_from(HALL)) == HALL


def test_client_address_ignores_a_forwarded_for_header_unless_configured():
    spoofed = request_from(HALL, HTTP_X_FORWARDED_FOR="192.0.2.1")

    assert throttle.client_address(spoofed) == HALL


@pytest.mark.parametrize(
    ("header", "count", "expected"),
    [
        ("10.0.0.7", 1, "10.0.0.7"),
        ("192.0.2.1, 10.0.0.7", 1, "10.0.0.7"),  # the client's own entry comes first
        ("192.0.2.1,10.0.0.7", 1, "10.0.0.7"),
        ("192.0.2.1, 10.0.0.7, 172.16.0.2", 2, "10.0.0.7"),  # gateway, then nginx
        ("10.0.0.7, 172.16.0.2", 2, "10.0.0.7"),
        (" 2001:DB8::0:1 ", 1, "2001:db8::1"),
    ],
)
def test_client_address_takes_the_entry_as_many_from_the_right_as_proxies(
    settings, header, count, expected
):
    settings.TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.TRUSTED_PROXY_COUNT = count

    request = request_from(PROXY, HTTP_X_FORWARDED_FOR=header)

    assert throttle.client_address(request) == expected


@pytest.mark.parametrize(
    ("meta", "count"),
    [
        ({}, 1),  # not through the proxy at all
        ({"HTTP_X_FORWARDED_FOR": ""}, 1),
        ({"HTTP_X_FORWARDED_FOR": "10.0.0.7"}, 2),  # fewer entries than proxies
        ({"HTTP_X_FORWARDED_FOR": "192.0.2.1, unknown"}, 1),
        ({"HTTP_X_FORWARDED_FOR": "10.0.0.7:51234"}, 1),
    ],
)
def test_client_address_falls_back_to_remote_addr_when_the_header_is_not_the_proxys(
    settings, meta, count
):
    settings.TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.TRUSTED_PROXY_COUNT = count

    assert throttle.client_address(request_from(PROXY, **meta)) == PROXY


def test_client_address_reads_the_configured_header_only(settings):
    settings.TRUSTED_PROXY_HEADER = "HTTP_X_REAL_IP"

    request = request_from(PROXY, HTTP_X_REAL_IP="10.0.0.7", HTTP_X_FORWARDED_FOR="192.0.2.1")

    assert throttle.client_address(request) == "10.0.0.7"


def test_client_address_without_remote_addr_is_unknown():
    request = RequestFactory().post("/r/", REMOTE_ADDR="")

    assert throttle.client_address(request) == "unknown"


# ---------------------------------------------------------------- settings


def _settings_value(expression: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REDIS_URL", "TRUSTED_PROXY_HEADER", "TRUSTED_PROXY_COUNT")
    }
    environment.update(env)
    return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [
            sys.executable,
            "manage.py",
            "shell",
            "--no-imports",
            "-c",
            f"from django.conf import settings; print({expression})",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_settings_keep_the_counters_in_the_database_cache_by_default():
    result = _settings_value("settings.CACHES['default']")

    assert result.returncode == 0, result.stderr
    assert "'django.core.cache.backends.db.DatabaseCache'" in result.stdout
    assert "'LOCATION': 'huiji_cache'" in result.stdout


def test_settings_keep_the_counters_in_redis_when_redis_url_is_set():
    result = _settings_value(
        "settings.CACHES['default']['BACKEND'], settings.CACHES['default']['LOCATION']",
        REDIS_URL="redis://127.0.0.1:6379/3",
    )

    assert result.stdout == (
        "django.core.cache.backends.redis.RedisCache redis://127.0.0.1:6379/3\n"
    )


def test_settings_trust_no_proxy_header_by_default():
    result = _settings_value("repr(settings.TRUSTED_PROXY_HEADER), settings.TRUSTED_PROXY_COUNT")

    assert result.stdout == "'' 1\n"


@pytest.mark.parametrize(
    "env",
    [
        {"TRUSTED_PROXY_HEADER": "X-Forwarded-For"},
        {"TRUSTED_PROXY_HEADER": "HTTP_X_FORWARDED_FOR", "TRUSTED_PROXY_COUNT": "0"},
    ],
)
def test_settings_refuse_a_proxy_header_they_cannot_read(env):
    result = _settings_value("settings.TRUSTED_PROXY_HEADER", **env)

    assert result.returncode != 0
    assert "TRUSTED_PROXY_HEADER must be a request.META name" in result.stderr


# ---------------------------------------------------------------- counting


def test_wrong_codes_block_the_address_at_the_limit(backend):
    answers = wrong_codes(LIMIT)

    assert answers == [False] * (LIMIT - 1) + [True]
    assert throttle.wrong_code_blocked(request_from(HALL)) is True


def test_wrong_codes_below_the_limit_do_not_block(backend):
    wrong_codes(LIMIT - 1)

    assert throttle.wrong_code_blocked(request_from(HALL)) is False
    assert throttle.blocks() == []


def test_wrong_codes_are_counted_per_address(backend):
    wrong_codes(LIMIT, HALL)

    assert throttle.wrong_code_blocked(request_from(OFFICE)) is False
    assert throttle.record_wrong_code(request_from(OFFICE)) is False


def test_wrong_codes_behind_the_proxy_are_counted_per_client(backend, settings):
    settings.TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
    for _ in range(LIMIT):
        throttle.record_wrong_code(request_from(PROXY, HTTP_X_FORWARDED_FOR=HALL))

    hall = request_from(PROXY, HTTP_X_FORWARDED_FOR=f"{OFFICE}, {HALL}")  # spoofed in vain
    office = request_from(PROXY, HTTP_X_FORWARDED_FOR=OFFICE)

    assert throttle.wrong_code_blocked(hall) is True
    assert throttle.wrong_code_blocked(office) is False
    assert [block.address for block in throttle.blocks()] == [HALL]


def test_wrong_codes_follow_the_limit_setting(backend, settings):
    settings.WRONG_CODE_LIMIT = 3

    assert wrong_codes(4) == [False, False, True, True]


def test_wrong_codes_keep_counting_while_blocked(backend):
    wrong_codes(LIMIT + 12)

    [block] = throttle.blocks()
    assert (block.address, block.wrong_codes) == (HALL, LIMIT + 12)


def test_block_lists_since_and_until_the_window_ends(backend, settings):
    settings.WRONG_CODE_WINDOW_SECONDS = 600
    first = time.time()
    wrong_codes(LIMIT - 1)
    reached = time.time()
    wrong_codes(1)

    [block] = throttle.blocks()

    assert reached <= block.since.timestamp() <= time.time()
    assert first + 600 <= block.until.timestamp() <= reached + 600
    assert block.since.tzinfo is not None


def test_blocks_lists_every_blocked_address_earliest_first(backend):
    wrong_codes(LIMIT, OFFICE)
    wrong_codes(LIMIT, HALL)
    wrong_codes(LIMIT - 1, "10.0.0.9")

    assert [(b.address, b.wrong_codes) for b in throttle.blocks()] == [
        (OFFICE, LIMIT),
        (HALL, LIMIT),
    ]


def test_a_window_ends_and_later_codes_do_not_move_its_end(backend, settings):
    settings.WRONG_CODE_WINDOW_SECONDS = 2
    start = time.monotonic()
    wrong_codes(LIMIT)
    time.sleep(1)
    still = throttle.record_wrong_code(request_from(HALL))  # inside the window: no new end
    time.sleep(max(0, start + 2.6 - time.monotonic()))

    assert still is True
    assert throttle.wrong_code_blocked(request_from(HALL)) is False
    assert throttle.blocks() == []
    assert wrong_codes(LIMIT) == [False] * (LIMIT - 1) + [True]  # counted from 1 again


def test_wrong_codes_store_no_code_only_the_address_and_counts(db, settings):
    use_cache(settings, "database")
    wrong_codes(LIMIT)

    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM huiji_cache")
        keys = sorted(row[0] for row in cursor.fetchall())

    assert keys == [
        ":1:wrong-code:blocks",
        f":1:wrong-code:count:{HALL}",
        f":1:wrong-code:ends:{HALL}",
    ]


def test_wrong_codes_answer_as_not_blocked_when_the_cache_fails(db, settings, caplog):
    # A cache server nobody listens on: the wrong code is answered, not turned into an error.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
        }
    }

    assert throttle.record_wrong_code(request_from(HALL)) is False
    assert throttle.wrong_code_blocked(request_from(HALL)) is False
    assert "wrong-code throttle: the cache failed" in caplog.text


# ---------------------------------------------------------------- lifting a block


@pytest.fixture
def session(db):
    return ReviewSessionFactory(slug="2026-mid", status=ReviewSession.Status.RATING)


def test_block_lift_unblocks_and_counts_from_zero(backend, session, organiser):
    wrong_codes(LIMIT + 5)

    lifted = throttle.block_lift(session=session, address=HALL, actor=organiser)

    assert (lifted.address, lifted.wrong_codes) == (HALL, LIMIT + 5)
    assert throttle.blocks() == []
    assert throttle.wrong_code_blocked(request_from(HALL)) is False
    assert wrong_codes(LIMIT) == [False] * (LIMIT - 1) + [True]


def test_block_lift_leaves_other_blocks(backend, session, organiser):
    wrong_codes(LIMIT, HALL)
    wrong_codes(LIMIT, OFFICE)

    throttle.block_lift(session=session, address=HALL, actor=organiser)

    assert [block.address for block in throttle.blocks()] == [OFFICE]
    assert throttle.wrong_code_blocked(request_from(OFFICE)) is True


def test_block_lift_writes_the_audit_log(backend, session, organiser):
    wrong_codes(LIMIT + 2)
    [block] = throttle.blocks()

    throttle.block_lift(session=session, address=HALL, actor=organiser)

    entry = AuditLog.objects.get(action="rate.unblock")
    assert (entry.session, entry.actor, entry.message) == (
        session,
        organiser,
        f"解除地址 {HALL} 的评议码输错限制（输错 {LIMIT + 2} 次）",
    )
    assert entry.detail == {
        "address": HALL,
        "wrong_codes": LIMIT + 2,
        "since": str(block.since),
        "until": str(block.until),
    }


def test_block_lift_of_an_address_not_blocked_does_nothing(backend, session, organiser):
    wrong_codes(LIMIT - 1)

    assert throttle.block_lift(session=session, address=HALL, actor=organiser) is None
    assert not AuditLog.objects.filter(action="rate.unblock").exists()
    assert throttle.record_wrong_code(request_from(HALL)) is True  # its count stands


# ---------------------------------------------------------------- the 429 page


def test_throttled_page_says_the_code_was_wrong_and_a_right_one_works(clean_cache):
    response = throttle.throttled(request_from(HALL))

    html = response.content.decode()
    texts = [
        " ".join(re.sub(r"<[^>]+>", " ", p).split())
        for p in re.findall(r"<p\b[^>]*>(.*?)</p>", html, flags=re.S)
    ]
    assert response.status_code == 429
    assert re.findall(r"<h1>(.*?)</h1>", html) == ["评议码不正确"]
    assert texts == [
        "刚才输入的评议码不正确。",
        "从这个网络输错评议码的次数过多：此后最长 10 分钟内，输错的评议码都会显示本页。",
        "正确的评议码不受影响，仍然可以使用：请核对评议卡上的字母和数字后重新输入，或扫描评议卡上的二维码。",
        "如果确认评议码无误仍无法进入，请联系会务人员。",
    ]
    assert '<a class="btn" href="/r/">重新输入评议码</a>' in html
    assert "网络异常" not in html and "HTTP" not in html


# ---------------------------------------------------------------- two workers, one count


WRONG = 1000
VALID_EVERY = 10  # one valid code of another rater after every 10 wrong ones
ATTACKER = "10.9.0.1"
SESSION_TITLE = "2026年年中述职讲评会"


class HallServer(Gunicorn):
    """gunicorn with two workers and production settings (as bench/bench_ballots.py starts it),
    on the test's own database, trusting X-Forwarded-For from one proxy so that the test can
    speak for any client address."""

    def request(self, method, path, *, address=ATTACKER, **kwargs):
        return super().request(method, path, headers={"X-Forwarded-For": address}, **kwargs)

    def worker_pids(self) -> Counter:
        lines = (self.log_dir / "access.log").read_text().splitlines()
        return Counter(line.split()[0] for line in lines if " POST /r/ " in line)


@pytest.fixture
def server(transactional_db, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("two gunicorn workers need a database they share: run on PostgreSQL")
    cache.clear()
    env = production_env(
        database_url=shared_database_url(),
        static_root=tmp_path,
        DJANGO_SETTINGS_MODULE="tests.server_settings",
        TRUSTED_PROXY_HEADER="HTTP_X_FORWARDED_FOR",
        TRUSTED_PROXY_COUNT="1",
        LOG_LEVEL="ERROR",
    )
    server = HallServer(
        env,
        tmp_path,
        workers=2,
        args=(
            *("--timeout", "60", "--graceful-timeout", "5"),
            # The worker's pid and the path: which worker answered, and no code.
            *("--access-logfile", str(tmp_path / "access.log")),
            *("--access-logformat", "%(p)s %(m)s %(U)s %(s)s"),
        ),
    )
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()  # before the test database is flushed and dropped: they hold connections
        cache.clear()


def _hall_codes(count: int) -> list[str]:
    session = ReviewSessionFactory(title=SESSION_TITLE, status=ReviewSession.Status.RATING)
    category = UnitCategoryFactory(session=session, name="镇(街道)")
    for order, name in enumerate(["城关镇", "东风街道"], start=1):
        ParticipantFactory(
            session=session, unit__category=category, unit__name=name, speaking_order=order
        )
    group = RaterGroupFactory(session=session, name="县级领导")
    return [CredentialFactory(session=session, group=group).code for _ in range(count)]


def test_valid_codes_keep_working_while_one_address_sends_1000_wrong_codes_to_two_workers(
    server,
):
    codes = _hall_codes(WRONG // VALID_EVERY)
    entry = server.request("GET", "/r/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', entry.text).group(1)
    csrf = {"csrftoken": entry.cookies["csrftoken"].value}

    def wrong(n: int):
        # Half of them claim another address in front: only the proxy's entry counts.
        address = f"192.0.2.{n % 200}, {ATTACKER}" if n % 2 else ATTACKER
        fields = {"code": f"W{n:07d}", "csrfmiddlewaretoken": token}
        return server.request("POST", "/r/", fields=fields, cookies=csrf, address=address)

    def valid(code: str):
        fields = {"code": code, "csrfmiddlewaretoken": token}
        entered = server.request("POST", "/r/", fields=fields, cookies=csrf)
        card = {name: morsel.value for name, morsel in entered.cookies.items()}
        form = server.request("GET", "/r/form/", cookies=csrf | card)
        return entered, form

    jobs = []
    with ThreadPoolExecutor(max_workers=4) as pool:
        for n in range(1, WRONG + 1):
            jobs.append(("wrong", pool.submit(wrong, n)))
            if n % VALID_EVERY == 0:
                jobs.append(("valid", pool.submit(valid, codes[n // VALID_EVERY - 1])))
    wrong_answers = [job.result() for kind, job in jobs if kind == "wrong"]
    valid_answers = [job.result() for kind, job in jobs if kind == "valid"]

    assert [(e.status, e.getheader("Location")) for e, _ in valid_answers] == [
        (303, "/r/form/")
    ] * len(codes)
    assert [(f.status, SESSION_TITLE in f.text) for _, f in valid_answers] == [(200, True)] * len(
        codes
    )
    statuses = Counter(answer.status for answer in wrong_answers)
    assert statuses == {404: LIMIT - 1, 429: WRONG - LIMIT + 1}
    assert {
        answer.status: "刚才输入的评议码不正确。" in answer.text for answer in wrong_answers
    } == {404: False, 429: True}
    # One count for the address across both workers: each worker counting its own would
    # have listed about half, and the first 429 would have come after twice the limit.
    [block] = throttle.blocks()
    assert (block.address, block.wrong_codes) == (ATTACKER, WRONG)
    assert block.until - block.since <= timedelta(seconds=600)
    pids = server.worker_pids()
    assert len(pids) == 2, pids
    assert sum(pids.values()) == WRONG + len(codes)
