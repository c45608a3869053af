"""The halls' traffic, one asyncio loop (aiohttp): every representative's tablet polling its vote
panel, every big screen polling its state, and raters' ballots arriving (docs/deployment.md,
section 8; docs/benchmarks.md, "Several application servers").

What a browser does, as far as the server can tell:

- a tablet (templates/meeting/tablet.html: ``hx-get`` ``/r/live/vote/panel/`` with
  ``hx-trigger="every 3s"`` and an outerHTML swap) holds its card cookie and one keep-alive
  connection; the browser sends the panel's ETag in If-None-Match and gets 304 while nothing
  changed. The swap puts in a new panel whose timer starts again, so the next poll is 3 s after
  an answer; after a failure nothing is swapped and the old timer fires on its 3 s beat, a
  beat that comes while a poll is still out being dropped (htmx's default hx-sync);
- a big screen (static/js/screen.js) fetches ``/screen/<token>/state/`` with its ETag 2 s after
  each answer, and again 2 s after a failure;
- a ballot comes from a device of its own (a fresh connection and cookie jar, as a phone that
  scans the card): GET ``/r/``, POST the code with the CSRF token (303 and the card cookie),
  GET ``/r/form/``, one htmx POST ``/r/grade/`` per unit, POST ``/r/submit/`` (303), and GET
  ``/r/form/``, which shows the receipt. Every request is retried as static/js/app.js retries
  确认提交: after a connection error, a timeout or any 5xx, 2 s longer after each failed try
  (at most 15 s), or as long as a 503's Retry-After says. Every receipt shown is kept.
"""

from __future__ import annotations

import array
import asyncio
import dataclasses
import math
import random
import re
import time
from collections import defaultdict

import aiohttp
from bench_ballots import CSRF_FIELD_RE, GRADE_WEIGHTS, UNIT_RE
from yarl import URL

RECEIPT_RE = re.compile(r'id="receipt">\s*([0-9A-Za-z]+)\s+([0-9A-Za-z]+)\s*<')
PANEL = "/r/live/vote/panel/"
KINDS = [
    "poll",
    "screen",
    "entry GET",
    "code POST",
    "form GET",
    "tap POST",
    "submit POST",
    "receipt GET",
]
KIND_INDEX = {kind: i for i, kind in enumerate(KINDS)}
NETWORK_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError, OSError)


class Samples:
    """Every try of every request: kind, when sent and answered (wall clock), HTTP status (0: no
    answer). Kept in flat arrays: a full run makes about a million."""

    def __init__(self):
        self.kind = array.array("b")
        self.sent = array.array("d")
        self.done = array.array("d")
        self.status = array.array("h")
        self.errors: defaultdict[str, int] = defaultdict(int)

    def add(self, kind: str, sent: float, done: float, status: int, error: str = "") -> None:
        self.kind.append(KIND_INDEX[kind])
        self.sent.append(sent)
        self.done.append(done)
        self.status.append(status)
        if error:
            self.errors[error] += 1


@dataclasses.dataclass
class Ballot:
    district: int
    code: str
    started: float = 0.0
    finished: float = 0.0
    receipts: set[str] = dataclasses.field(default_factory=set)
    submit_answered: bool = False  # a submit POST got its 303 (or the card said "submitted")
    outcome: str = ""  # receipt / gave up: ... / unexpected: ...
    retries: int = 0


class GaveUp(Exception):
    pass


@dataclasses.dataclass
class Settings:
    base: str  # http://127.0.0.1:PORT (HAProxy)
    poll_seconds: float = 3.0
    screen_seconds: float = 2.0
    timeout: float = 30.0
    max_attempts: int = 40
    retry_step: float = 2.0
    retry_max_delay: float = 15.0
    retry_after_cap: float = 5.0
    seed: str = "scale"


class Traffic:
    """All tablets, screens and ballots; started and stopped from another thread."""

    def __init__(self, settings: Settings, halls, cards: dict[str, str]):
        self.settings = settings
        self.halls = halls
        self.cards = cards  # code -> card cookie value
        self.samples = Samples()
        self.ballots: list[Ballot] = []
        self.ballot_rate = 0.0  # ballots per second per hall; changed while running
        self.stopping = False
        self.kill_time: float | None = None
        # tablet -> when the first poll sent after the kill was answered (200 or 304)
        self.back_after_kill: dict[int, float] = {}
        self.lag: list[tuple[float, float]] = []  # (wall time, how late the loop woke)
        self.unused = [list(reversed(hall.codes)) for hall in halls]
        self.loop: asyncio.AbstractEventLoop | None = None
        self.tasks: list[asyncio.Task] = []
        self.ballot_tasks: set[asyncio.Task] = set()
        self.warmed = 0  # tablets that have had an answer (and so hold the panel's ETag)
        self.tablet_hall: list[int] = [i for i, hall in enumerate(halls) for _code in hall.codes]
        self.tablet_count = len(self.tablet_hall)
        # Halls whose meeting goes on; a hall taken out stops its tablets, screen and ballots.
        self.active: set[int] = set(range(len(halls)))

    # ------------------------------------------------------------ control (other threads)

    def set_ballot_rate(self, per_hall_per_second: float) -> None:
        self.ballot_rate = per_hall_per_second

    def mark_kill(self, when: float) -> None:
        self.kill_time = when

    def burst(self, count: int) -> None:
        """``count`` raters of the halls still going start at once (a moderator has just said
        "please rate now"): many taps are in flight at the same moment."""

        def start() -> None:
            halls = sorted(self.active)
            for number in range(count):
                index = halls[number % len(halls)]
                if not self.unused[index]:
                    continue
                self._start_ballot(index, random.random())

        self.loop.call_soon_threadsafe(start)

    def keep_halls(self, count: int) -> None:
        """Only the first ``count`` halls go on; the others' meetings end."""
        self.active = set(range(count))

    # ------------------------------------------------------------ the loop

    async def main(self, ready) -> None:
        self.loop = asyncio.get_running_loop()
        tablet_id = 0
        for index, hall in enumerate(self.halls):
            self.tasks.append(asyncio.create_task(self.screen(index, hall)))
            self.tasks.append(asyncio.create_task(self.arrivals(index)))
            for code in hall.codes:
                self.tasks.append(asyncio.create_task(self.tablet(index, tablet_id, code)))
                tablet_id += 1
        self.tasks.append(asyncio.create_task(self.watch_lag()))
        ready.set()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def drain(self, seconds: float) -> int:
        """Wait for the ballots still under way (at most ``seconds``); how many were left."""
        deadline = time.monotonic() + seconds
        while self.ballot_tasks and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        left = len(self.ballot_tasks)
        for task in list(self.ballot_tasks):
            task.cancel()
        return left

    async def watch_lag(self) -> None:
        """How late the loop wakes from a 100 ms sleep: a late loop means the load generator,
        not the servers, set the pace."""
        while not self.stopping:
            start = time.monotonic()
            await asyncio.sleep(0.1)
            self.lag.append((time.time(), time.monotonic() - start - 0.1))

    def _session(self, *, limit: int = 1, jar=None) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=limit, keepalive_timeout=30, ttl_dns_cache=None),
            timeout=aiohttp.ClientTimeout(total=self.settings.timeout),
            cookie_jar=jar if jar is not None else aiohttp.DummyCookieJar(),
        )

    async def tablet(self, hall: int, tablet_id: int, code: str) -> None:
        s = self.settings
        rng = random.Random(f"{s.seed}-tablet-{tablet_id}")
        headers = {
            "Cookie": f"rater_key={self.cards[code]}",
            "HX-Request": "true",
            "HX-Current-URL": s.base + "/r/live/",
            "HX-Target": "vote-panel",
            "Accept-Encoding": "gzip, deflate, br",
        }
        etag, warm = "", False
        # The tablets were switched on over the first poll interval, not all at once.
        await asyncio.sleep(rng.uniform(0, s.poll_seconds))
        async with self._session() as session:
            while not self.stopping and hall in self.active:
                if etag:
                    headers["If-None-Match"] = etag
                sent = time.time()
                status, error = 0, ""
                try:
                    async with session.get(s.base + PANEL, headers=headers) as answer:
                        await answer.read()
                        status = answer.status
                        etag = answer.headers.get("ETag", etag)
                except NETWORK_ERRORS as exc:
                    error = type(exc).__name__
                done = time.time()
                self.samples.add("poll", sent, done, status, error)
                ok = status in (200, 304)
                if ok and not warm:
                    warm = True
                    self.warmed += 1
                kill = self.kill_time
                if (
                    ok
                    and kill is not None
                    and sent >= kill
                    and tablet_id not in self.back_after_kill
                ):
                    self.back_after_kill[tablet_id] = done
                if ok:
                    next_poll = done + s.poll_seconds
                else:  # the old panel's timer, on its beat
                    beats = max(1, math.ceil((done - sent) / s.poll_seconds))
                    next_poll = sent + beats * s.poll_seconds
                await asyncio.sleep(max(0.0, next_poll - time.time()))

    async def screen(self, index: int, hall) -> None:
        s = self.settings
        url = f"{s.base}/screen/{hall.screen_token}/state/"
        etag = ""
        await asyncio.sleep(random.Random(f"{s.seed}-{hall.slug}").uniform(0, s.screen_seconds))
        async with self._session() as session:
            while not self.stopping and index in self.active:
                headers = {"If-None-Match": etag} if etag else {}
                sent = time.time()
                status, error = 0, ""
                try:
                    async with session.get(url, headers=headers) as answer:
                        await answer.read()
                        status = answer.status
                        etag = answer.headers.get("ETag", etag)
                except NETWORK_ERRORS as exc:
                    error = type(exc).__name__
                self.samples.add("screen", sent, time.time(), status, error)
                await asyncio.sleep(s.screen_seconds)

    async def arrivals(self, index: int) -> None:
        """Raters of hall ``index`` arriving one by one (a Poisson process at the current
        rate), each with a code no one has used."""
        rng = random.Random(f"{self.settings.seed}-arrivals-{index}")
        while not self.stopping:
            rate = self.ballot_rate
            if rate <= 0 or index not in self.active:
                await asyncio.sleep(0.2)
                continue
            await asyncio.sleep(rng.expovariate(rate))
            if (
                self.stopping
                or self.ballot_rate <= 0
                or index not in self.active
                or not self.unused[index]
            ):
                continue
            self._start_ballot(index, rng.random())

    # ------------------------------------------------------------ one ballot

    def _start_ballot(self, index: int, seed: float) -> None:
        """A rater of hall ``index`` starts on an unused code (on the loop's thread)."""
        ballot = Ballot(district=index, code=self.unused[index].pop())
        self.ballots.append(ballot)
        task = asyncio.create_task(self.ballot(ballot, seed))
        self.ballot_tasks.add(task)
        task.add_done_callback(self.ballot_tasks.discard)

    async def ballot(self, ballot: Ballot, seed: float) -> None:
        rng = random.Random(seed)
        ballot.started = time.time()
        jar = aiohttp.CookieJar(unsafe=True)  # cookies from an IP address (127.0.0.1)
        try:
            async with self._session(limit=1, jar=jar) as session:
                await self._rate(session, jar, ballot, rng)
        except GaveUp as exc:
            ballot.outcome = f"gave up: {exc}"
        except asyncio.CancelledError:
            ballot.outcome = "gave up: cut off at the end of the run"
            raise
        finally:
            ballot.finished = time.time()

    async def _send(self, session, ballot: Ballot, kind: str, method: str, path: str, **kw):
        """One request of a ballot, retried as static/js/app.js retries 确认提交."""
        s = self.settings
        for attempt in range(1, s.max_attempts + 1):
            sent = time.time()
            wait = min(s.retry_step * attempt, s.retry_max_delay)
            try:
                async with session.request(
                    method, s.base + path, allow_redirects=False, **kw
                ) as answer:
                    text = await answer.text()
                    status = answer.status
                    headers = answer.headers
            except NETWORK_ERRORS as exc:
                self.samples.add(kind, sent, time.time(), 0, type(exc).__name__)
            else:
                self.samples.add(kind, sent, time.time(), status)
                if status < 500:
                    return status, headers, text
                # app.js waits as long as a 5xx's Retry-After says (the application's 503,
                # HAProxy's 502/503/504), capped here to keep the run short.
                retry_after = headers.get("Retry-After", "")
                if retry_after.isdigit():
                    wait = min(float(retry_after), s.retry_after_cap)
            if self.stopping and kind != "submit POST" and kind != "receipt GET":
                raise GaveUp(f"{kind}: the run ended")
            ballot.retries += 1
            await asyncio.sleep(wait)
        raise GaveUp(f"{kind}: no answer after {s.max_attempts} tries")

    async def _rate(self, session, jar, ballot: Ballot, rng: random.Random) -> None:
        base = self.settings.base
        entry = await self._send(
            session, ballot, "entry GET", "GET", "/r/", headers={"Referer": base + "/r/"}
        )
        token = CSRF_FIELD_RE.search(entry[2])
        if entry[0] != 200 or token is None:
            raise GaveUp(f"entry GET: HTTP {entry[0]} without a CSRF token")
        status, headers, _text = await self._send(
            session,
            ballot,
            "code POST",
            "POST",
            "/r/",
            data={"code": ballot.code, "csrfmiddlewaretoken": token.group(1)},
            headers={"Referer": base + "/r/", "Origin": base},
        )
        if status != 303:
            raise GaveUp(f"code POST: HTTP {status}")
        form = await self._send(
            session, ballot, "form GET", "GET", "/r/form/", headers={"Referer": base + "/r/"}
        )
        if self._saw_receipt(ballot, form[2]):  # already submitted (it never is here)
            return
        units = UNIT_RE.findall(form[2])
        if form[0] != 200 or not units:
            raise GaveUp(f"form GET: HTTP {form[0]} with {len(units)} units")
        csrf = jar.filter_cookies(URL(base + "/r/")).get("csrftoken")
        htmx = {
            "HX-Request": "true",
            "HX-Current-URL": base + "/r/form/",
            "Referer": base + "/r/form/",
            "Origin": base,
            "X-CSRFToken": csrf.value if csrf else "",
        }
        grades = rng.choices(list(GRADE_WEIGHTS), list(GRADE_WEIGHTS.values()), k=len(units))
        for unit, grade in zip(units, grades, strict=True):
            tap = await self._send(
                session,
                ballot,
                "tap POST",
                "POST",
                "/r/grade/",
                data={"unit": unit, "grade": grade},
                headers=htmx,
            )
            if tap[0] != 200:
                raise GaveUp(f"tap POST: HTTP {tap[0]}")
        submit = await self._send(
            session,
            ballot,
            "submit POST",
            "POST",
            "/r/submit/",
            data={"csrfmiddlewaretoken": token.group(1)},
            headers=htmx,
        )
        if submit[0] != 303:
            raise GaveUp(f"submit POST: HTTP {submit[0]}")
        ballot.submit_answered = True
        page = await self._send(session, ballot, "receipt GET", "GET", "/r/form/", headers=htmx)
        if not self._saw_receipt(ballot, page[2]):
            ballot.outcome = (
                f"unexpected: the page after 确认提交 (HTTP {page[0]}) shows no receipt"
            )

    @staticmethod
    def _saw_receipt(ballot: Ballot, text: str) -> bool:
        found = RECEIPT_RE.search(text)
        if found is None:
            return False
        ballot.receipts.add(found.group(1) + found.group(2))
        ballot.submit_answered = True
        ballot.outcome = "receipt"
        return True
