"""Ballot submission under faults: a PostgreSQL restart, a killed gunicorn worker, and the close
of rating while tablets are still submitting (docs/design.md §3, 4.13 and 8).

    .venv/bin/python bench/bench_faults.py [--credentials 10000] [--tablets 100]
                                           [--seconds 1800] [--no-restart] [--no-kill]
                                           (see --help)

What it does, all on 127.0.0.1:

1. Drops and recreates the PostgreSQL database ``huiji_faults`` and builds, through the
   project's services (bench_ballots.py's fixture helpers), a session in ``rating`` with
   ``--units`` participants, 4 rater groups and ``--credentials`` anonymous codes; in the two
   groups whose raters belong to a rated unit, ``--holder-share`` of the codes carry that unit
   (their form leaves it out; the ballot stores it as 弃权). Every code gets complete drafts,
   written directly in bulk as if every tap had been saved.
2. Starts gunicorn as docs/deployment.md runs it (``--workers 5 --threads 4``, production
   settings) and lets ``--tablets`` simulated tablets take codes from a queue. Each scans the
   card and loads the form (the rater's requests are in one place below), then submits with a
   double tap: two POSTs in quick succession, on one keep-alive connection or
   (``--two-connection-share``) on two at once, and follows the answer to the receipt page.
   Every request is retried as static/js/app.js retries a submission: after a connection
   error, a timeout or any 5xx answer, 2 s longer after each failed try (at most 15 s), or as
   long as a 503's ``Retry-After`` says (at most ``--retry-after-cap`` seconds). Every receipt
   a rater is shown is kept.
3. Meanwhile, by progress (share of codes finished): restarts PostgreSQL (stop, ``--outage``
   seconds, start; ``pg_ctlcluster``), kills one gunicorn worker with SIGKILL (gunicorn starts
   another), and closes rating with ``python manage.py set_status SLUG closed`` under the same
   environment as the server, while codes are still being submitted.
4. Checks the database against what the raters were shown and prints, each with its count:
   lost, duplicated, ballots after the close, bare 500 pages; then what the raters saw during
   the faults (503 with Retry-After, 500, connection errors, retries), throughput and the
   latency of a submission including its retries. Exits 1 if any of the four counts is not 0,
   if a fault could not be applied, or if a code ended in an answer no tablet expects.

Ballots are anonymous, so they are matched to codes in aggregate: per rater group, ballots
against used codes; per group, unit and grade, stored grades against the drafts of the used
codes. The close's moment is its audit entry (``review_auditlog``, written while the close
holds the session lock every submission shares, so before it commits): no code may be marked
used after it, and no answer to a request sent after it may show a receipt the database did
not already hold from before it.

Bounded: every request by ``--timeout``, its retries by ``--max-attempts``, the whole run by
``--seconds``. gunicorn is stopped and PostgreSQL is started again at the end, also after an
error. The restart stops the PostgreSQL server for everyone who uses it: on a shared machine
pass ``--no-restart``, or let the restart wait until nobody else's tests are running with
``--before-restart '! pgrep -f "[p]ytest"'``. Results: docs/benchmarks.md, "Ballots under
faults".
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import datetime
import http.client
import os
import queue
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import types
from pathlib import Path

import bench_ballots as bb

ROOT = bb.ROOT
DB_NAME = "huiji_faults"
DB_URL = bb.database_url(DB_NAME)
PG_CLUSTER = ["pg_ctlcluster", "--skip-systemctl-redirect", "15", "main"]
BARE_500 = "Server Error (500)"
RECEIPT_RE = re.compile(r'id="receipt">\s*([0-9A-Za-z]+)\s+([0-9A-Za-z]+)\s*<')
# "Rating has ended": the card's state page says 评议已结束, a submission the close overtook
# (it waited for the close's lock) is answered 422 with 评议已经结束.
ENDED_RE = re.compile("评议已(?:经)?结束")
# Groups (by name in bench_ballots.GROUPS) whose raters belong to a rated unit, and the
# category (index in bench_ballots.CATEGORIES; unit i is in category i % 4) of their units.
HOLDER_GROUPS = {"区直部门": (1, 2, 3), "镇(街道)": (0,)}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Ballot submission under faults.")
    parser.add_argument("--credentials", type=int, default=10_000, help="codes to submit")
    parser.add_argument("--tablets", type=int, default=100, help="concurrent simulated tablets")
    parser.add_argument("--units", type=int, default=40)
    parser.add_argument(
        "--holder-share",
        type=float,
        default=0.25,
        help="share of the unit raters' codes that carry their own unit",
    )
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=1800.0, help="time limit of the run")
    parser.add_argument("--timeout", type=float, default=60.0, help="socket timeout per request")
    parser.add_argument("--max-attempts", type=int, default=60, help="tries per request")
    parser.add_argument(
        "--retry-step", type=float, default=2.0, help="seconds added to the wait per failed try"
    )
    parser.add_argument("--retry-max-delay", type=float, default=15.0)
    parser.add_argument(
        "--retry-after-cap", type=float, default=5.0, help="longest wait a Retry-After gets"
    )
    parser.add_argument("--two-connection-share", type=float, default=0.3)
    parser.add_argument("--restart-at", type=float, default=0.25, help="progress share")
    parser.add_argument("--kill-at", type=float, default=0.5, help="progress share")
    parser.add_argument("--close-at", type=float, default=0.9, help="progress share")
    parser.add_argument("--outage", type=float, default=5.0, help="seconds PostgreSQL is down")
    parser.add_argument("--no-restart", action="store_true", help="leave PostgreSQL running")
    parser.add_argument(
        "--before-restart",
        metavar="COMMAND",
        help="shell command that must succeed before PostgreSQL is stopped, tried every second"
        " for up to 10 minutes (on a shared server: that nobody else is using it)",
    )
    parser.add_argument("--no-kill", action="store_true", help="kill no gunicorn worker")
    parser.add_argument("--seed", default="faults")
    args = parser.parse_args()
    if not 1 <= args.tablets <= 1000 or args.credentials < 1 or args.units < 2:
        parser.error("--tablets must be 1..1000, --credentials at least 1, --units at least 2")
    for name in ("restart_at", "kill_at", "close_at", "holder_share", "two_connection_share"):
        if not 0 <= getattr(args, name) <= 1:
            parser.error(f"--{name.replace('_', '-')} is a share between 0 and 1")
    return args


# ---------------------------------------------------------------- fixture


@dataclasses.dataclass
class Fixture:
    session_id: int
    slug: str
    codes: list[str]  # in the order tablets take them
    holder: dict[str, int | None]  # code -> holder unit id
    drafted: dict[str, list[tuple[int, str]]]  # code -> (unit id, grade) written as drafts
    group_names: dict[int, str]


def build_fixture(args: argparse.Namespace, rng: random.Random) -> Fixture:
    from django.core.management import call_command

    from sessions.models import Credential

    session, units, groups = bb.build_rating_session(args.units, args.seed, "故障测试评议会")
    # As docs/deployment.md sets up: the database cache shared by the workers needs its table.
    call_command("createcachetable", verbosity=0)
    codes: list[str] = []
    for index, group in enumerate(groups):
        share = args.credentials // len(groups) + (index < args.credentials % len(groups))
        categories = HOLDER_GROUPS.get(group.name, ())
        own = [unit for i, unit in enumerate(units) if i % len(bb.CATEGORIES) in categories]
        holders = round(share * args.holder_share) if own else 0
        for i, unit in enumerate(own):
            count = holders // len(own) + (i < holders % len(own))
            if count:
                codes += bb.issue_credentials(session, group, count, holder_unit=unit)
        codes += bb.issue_credentials(session, group, share - holders)
    rng.shuffle(codes)

    rows = Credential.objects.filter(session=session).values_list("code", "pk", "holder_unit_id")
    ids, holder_of = {}, {}
    for code, pk, holder_unit_id in rows:
        ids[code], holder_of[code] = pk, holder_unit_id
    values, weights = list(bb.GRADE_WEIGHTS), list(bb.GRADE_WEIGHTS.values())
    drafted = {}
    for code in codes:
        rated = [unit.pk for unit in units if unit.pk != holder_of[code]]
        drafted[code] = list(zip(rated, rng.choices(values, weights, k=len(rated)), strict=True))
    bb.write_drafts(
        (ids[code], unit_id, grade) for code in codes for unit_id, grade in drafted[code]
    )
    return Fixture(
        session_id=session.pk,
        slug=session.slug,
        codes=codes,
        holder=holder_of,
        drafted=drafted,
        group_names={group.pk: group.name for group in groups},
    )


# ---------------------------------------------------------------- the rater's requests
#
# The only place that knows the rater's URLs and pages. Each call of ``send`` is one request,
# which it retries as a tablet would. The card's QR code opens /r/#CODE: the browser GETs /r/
# (a fragment is never sent), the page's script posts the code with the form's CSRF token, and
# the answer keeps the code in a signed cookie for /r/form/ and /r/submit/.

TOKEN_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _token(page: bb.Response) -> str:
    found = TOKEN_RE.search(page.text)
    if found is None:
        raise GaveUp(f"no CSRF token in the page (HTTP {page.status})")
    return found.group(1)


def open_form(send, code: str) -> bb.Response:
    """Scan the card: the form page, or the card's state (submitted with its receipt, ended)."""
    entry = send("GET", "/r/", None, {}, "entry GET")
    card = send(
        "POST",
        "/r/",
        {"code": code, "csrfmiddlewaretoken": _token(entry)},
        {"Referer": "/r/"},
        "code POST",
    )
    if card.status != 303:
        return card
    return send("GET", "/r/form/", None, {"Referer": "/r/"}, "form GET")


def submit_post(send, code: str, form: bb.Response) -> bb.Response:
    """确认提交 in the form's confirmation box (it opens in the page without a request); htmx
    posts it."""
    return send(
        "POST",
        "/r/submit/",
        {"csrfmiddlewaretoken": _token(form)},
        {"HX-Request": "true", "HX-Current-URL": "/r/form/", "Referer": "/r/form/"},
        "submit POST",
    )


def after_submit(send, code: str, post: bb.Response) -> bb.Response | None:
    """The page the submission's answer leads to (htmx follows the 303): the receipt."""
    if post.status not in (302, 303):
        return None
    location = re.sub(r"^https?://[^/]+", "", post.headers.get("Location") or "/r/form/")
    headers = {"HX-Request": "true", "HX-Current-URL": "/r/form/", "Referer": "/r/form/"}
    return send("GET", location, None, headers, "receipt GET")


def page_state(page: bb.Response) -> tuple[str, str]:
    """("form", ""), ("receipt", receipt), ("ended", status) or ("unexpected", what)."""
    text = page.text
    found = RECEIPT_RE.search(text)
    if page.status == 200 and found:
        return "receipt", found.group(1) + found.group(2)
    if page.status == 200 and bb.CONFIRM_READY in text:
        return "form", ""
    if page.status < 500 and ENDED_RE.search(text):
        return "ended", f"HTTP {page.status}"
    return "unexpected", f"HTTP {page.status}: " + re.sub(r"\s+", " ", text)[:160]


# ---------------------------------------------------------------- tablets


class GaveUp(Exception):
    pass


class Tally:
    """Everything the tablets saw, shared by all of them."""

    def __init__(self):
        self.lock = threading.Lock()
        self.status: collections.Counter = collections.Counter()  # (kind, status)
        self.status_500 = 0
        self.bare_500 = 0
        self.server_error_answers = 0  # status 500 or Django's bare page, each answer once
        self.unavailable_retry_after = 0
        self.unavailable_bare = 0
        self.other_5xx = 0
        self.connection_errors: collections.Counter = collections.Counter()
        self.retries = 0
        self.events: list[tuple[float, str]] = []  # (wall time it failed, what)
        self.receipts: dict[str, set[str]] = collections.defaultdict(set)
        self.sightings: list[tuple[str, str, float]] = []  # (code, receipt, request sent)
        self.outcome: dict[str, str] = {}
        self.unexpected: list[str] = []
        self.submission_seconds: list[float] = []
        self.whole_seconds: list[float] = []
        self.double_taps: collections.Counter = collections.Counter()
        self.finished = 0
        self.last_receipt = 0.0
        self.resent = 0  # requests the HTTP client sent again on a fresh keep-alive connection

    def answered(self, kind: str, response: bb.Response, sent: float) -> None:
        with self.lock:
            self.status[kind, response.status] += 1
            bare = BARE_500 in response.text
            self.bare_500 += bare
            self.server_error_answers += response.status == 500 or bare
            if response.status == 500:
                self.status_500 += 1
            elif response.status == 503 and response.headers.get("Retry-After"):
                self.unavailable_retry_after += 1
            elif response.status == 503:
                self.unavailable_bare += 1
            elif response.status >= 500:
                self.other_5xx += 1
            if response.status >= 500 or bare:
                self.events.append((time.time(), f"HTTP {response.status}"))

    def resend(self) -> None:
        with self.lock:
            self.events.append((time.time(), "sent again on a new connection"))

    def failed(self, exc: BaseException) -> None:
        with self.lock:
            self.connection_errors[type(exc).__name__] += 1
            self.events.append((time.time(), type(exc).__name__))

    def saw_receipt(self, code: str, receipt: str, sent: float) -> None:
        with self.lock:
            self.receipts[code].add(receipt)
            self.sightings.append((code, receipt, sent))
            self.last_receipt = max(self.last_receipt, time.time())

    def done(self, code: str, outcome: str, detail: str = "") -> None:
        with self.lock:
            self.outcome[code] = outcome
            self.finished += 1
            if outcome == "unexpected":
                self.unexpected.append(f"{code}: {detail}")


class Tablet:
    """One tablet: two keep-alive connections (a second tap may open another) with one
    browser's cookies."""

    def __init__(self, index: int, port: int, args, tally: Tally, deadline: float, stop):
        self.stop = stop  # set when the run is cut short: no more tries
        self.rng = random.Random(f"{args.seed}-tablet-{index}")
        self.clients = [bb.Client(port, args.timeout), bb.Client(port, args.timeout)]
        self.clients[1].cookies = self.clients[0].cookies
        self.args = args
        self.tally = tally
        self.deadline = deadline

    def sender(self, client: bb.Client):
        def send(method: str, path: str, fields, headers: dict, kind: str) -> bb.Response:
            headers = {  # the browser sends these as whole addresses
                key: client.origin + value if key in ("Referer", "HX-Current-URL") else value
                for key, value in headers.items()
            }
            for attempt in range(1, self.args.max_attempts + 1):
                sent = time.time()
                resent = client.retries
                # As static/js/app.js retries 确认提交: 2 s more after each failed try.
                wait = min(self.args.retry_step * attempt, self.args.retry_max_delay)
                try:
                    response = client.request(method, path, fields, headers)
                except (OSError, http.client.HTTPException) as exc:  # refused, reset, timeout
                    client.close()
                    self.tally.failed(exc)
                else:
                    if client.retries != resent:
                        self.tally.resend()
                    self.tally.answered(kind, response, sent)
                    if response.status < 500:
                        response.sent = sent  # when it went out (wall clock): the close check
                        return response
                    retry_after = response.headers.get("Retry-After", "")
                    if response.status == 503 and retry_after.isdigit():
                        wait = min(float(retry_after), self.args.retry_after_cap)
                if attempt == self.args.max_attempts or time.monotonic() + wait > self.deadline:
                    break
                with self.tally.lock:
                    self.tally.retries += 1
                if self.stop.wait(wait):
                    break
            raise GaveUp(f"{kind}: no answer after {attempt} tries")

        return send

    def land(self, client: bb.Client, code: str, post: bb.Response) -> tuple[str, str]:
        send = self.sender(client)
        page = after_submit(send, code, post)
        if page is None:  # answered in place (422 when the close overtook it)
            page = post
        state, detail = page_state(page)
        if state == "receipt":
            self.tally.saw_receipt(code, detail, page.sent)
        if state == "form":
            return "unexpected", f"submit POST HTTP {post.status} led back to the form"
        return state, detail

    def rate(self, code: str) -> None:
        start = time.perf_counter()
        a, b = self.clients
        form = open_form(self.sender(a), code)
        state, detail = page_state(form)
        if state == "receipt":
            self.tally.saw_receipt(code, detail, form.sent)
        if state != "form":
            self.tally.done(code, state, detail)
            return
        submitted = time.perf_counter()
        if self.rng.random() < self.args.two_connection_share:
            # Two taps on two connections, the second a few milliseconds after the first; each
            # lands on its own receipt page.
            second: list = []

            def tap_again() -> None:
                time.sleep(self.rng.uniform(0.0, 0.03))
                try:
                    post = submit_post(self.sender(b), code, form)
                    second.append(self.land(b, code, post))
                except (GaveUp, OSError, http.client.HTTPException) as exc:
                    second.append(("gave up", str(exc)))

            helper = threading.Thread(target=tap_again, daemon=True)
            helper.start()
            landed = [self.land(a, code, submit_post(self.sender(a), code, form))]
            helper.join(timeout=max(0.0, self.deadline - time.monotonic()) + 2 * self.args.timeout)
            landed += second
            taps = "two connections"
        else:
            # Two taps on one connection: the browser drops the first answer for the second.
            first = submit_post(self.sender(a), code, form)
            if first.status not in (302, 303) and page_state(first)[0] != "ended":
                with self.tally.lock:
                    self.tally.unexpected.append(f"{code}: first tap answered HTTP {first.status}")
            landed = [self.land(a, code, submit_post(self.sender(a), code, form))]
            taps = "one connection"
        states = {state for state, _detail in landed}
        if "receipt" in states:
            outcome = "receipt"
            seconds = time.perf_counter()
            with self.tally.lock:
                self.tally.submission_seconds.append(seconds - submitted)
                self.tally.whole_seconds.append(seconds - start)
        else:
            outcome = sorted(states)[0]
        with self.tally.lock:
            self.tally.double_taps[taps] += 1
        details = "; ".join(detail for state, detail in landed if state != "receipt")
        self.tally.done(code, outcome, details)

    def close(self) -> None:
        for client in self.clients:
            client.close()


# ---------------------------------------------------------------- faults


def pg_cluster(action: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603  (fixed arguments)
        [*PG_CLUSTER, action], capture_output=True, text=True, timeout=timeout, check=False
    )


def ensure_postgres_running() -> None:
    if pg_cluster("status").returncode != 0:
        started = pg_cluster("start")
        print(f"PostgreSQL started again: rc {started.returncode} {started.stderr.strip()}")


@dataclasses.dataclass
class Fault:
    name: str
    start: float  # wall clock
    end: float
    detail: str
    ok: bool


class Faults(threading.Thread):
    """Applies the faults by progress (codes finished), one after another."""

    def __init__(self, args, server: bb.Server, tally: Tally, fixture: Fixture, env, deadline):
        super().__init__(daemon=True)
        self.args, self.server, self.tally = args, server, tally
        self.fixture, self.env, self.deadline = fixture, env, deadline
        self.stopping = threading.Event()
        self.done: list[Fault] = []
        self.give_up_at = 1.0
        self.rng = random.Random(f"{args.seed}-faults")

    def wait_for(self, share: float) -> bool:
        goal = share * len(self.fixture.codes)
        while self.tally.finished < goal:
            if self.stopping.wait(0.05) or time.monotonic() > self.deadline:
                return False
        return True

    def run(self) -> None:
        plan = [  # (progress share, name, how, wanted)
            (self.args.restart_at, "PostgreSQL restart", self.restart, not self.args.no_restart),
            (self.args.kill_at, "worker SIGKILL", self.kill_worker, not self.args.no_kill),
            (self.args.close_at, "close (set_status closed)", self.close, True),
        ]
        plan = sorted(step for step in plan if step[3])
        for index, (share, name, apply, _wanted) in enumerate(plan):
            if not self.wait_for(share):
                continue
            # A fault that has to wait (--before-restart) gives up when the next one is due.
            self.give_up_at = plan[index + 1][0] if index + 1 < len(plan) else 1.0
            start = time.time()
            try:
                ok, detail = apply()
            except Exception as exc:  # reported with the results, never left to a thread's stderr
                ok, detail = False, f"{type(exc).__name__}: {exc}"
            self.done.append(Fault(name, start, time.time(), detail, ok))
            print(
                f"  {name}: {'ok' if ok else 'FAILED'} at {self.tally.finished} codes done,"
                f" {time.time() - start:.1f} s: {detail}",
                flush=True,
            )

    def gate_open(self) -> bool:
        """--before-restart, the operator's own command (e.g. nobody else's tests are running)."""
        gate = self.args.before_restart
        if not gate:
            return True
        done = subprocess.run(gate, shell=True, stdout=subprocess.DEVNULL, check=False)  # noqa: S602
        return done.returncode == 0

    def restart(self) -> tuple[bool, str]:
        gate, waited = self.args.before_restart, time.monotonic()
        while not self.gate_open():
            late = self.tally.finished >= self.give_up_at * len(self.fixture.codes)
            if self.stopping.wait(1.0) or late or time.monotonic() - waited > 600:
                return False, f"--before-restart failed for {time.monotonic() - waited:.0f} s"
        waited = time.monotonic() - waited
        stopped = pg_cluster("stop")
        if stopped.returncode != 0:
            return False, f"stop: rc {stopped.returncode} {stopped.stderr.strip()}"
        self.stopping.wait(self.args.outage)
        started = pg_cluster("start")
        return started.returncode == 0, (
            (f"waited {waited:.0f} s for --before-restart, " if gate else "")
            + f"stopped, {self.args.outage:g} s down, start rc {started.returncode}"
        )

    def kill_worker(self) -> tuple[bool, str]:
        workers = self.server.pids()[1:]
        if not workers:
            return False, "no worker found"
        victim = self.rng.choice(workers)
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # gunicorn's master starts a new worker
            now = self.server.pids()[1:]
            if victim not in now and len(now) >= len(workers):
                return True, f"pid {victim} killed; {len(now)} workers again"
            self.stopping.wait(0.2)
        return False, f"pid {victim} killed; {len(self.server.pids()) - 1} workers after 30 s"

    def close(self) -> tuple[bool, str]:
        done = subprocess.run(  # noqa: S603  (our own manage.py, fixed arguments)
            [sys.executable, "manage.py", "set_status", self.fixture.slug, "closed"],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        output = (done.stdout + done.stderr).strip().replace("\n", " | ")
        return done.returncode == 0, f"rc {done.returncode}: {output[:300]}"


# ---------------------------------------------------------------- the run


def run(args, server: bb.Server, fixture: Fixture, env) -> tuple[Tally, list[Fault], float]:
    tally = Tally()
    deadline = time.monotonic() + args.seconds
    work: queue.Queue[str] = queue.Queue()
    for code in fixture.codes:
        work.put(code)
    stop = threading.Event()
    tablets = [Tablet(i, server.port, args, tally, deadline, stop) for i in range(args.tablets)]

    def worker(tablet: Tablet) -> None:
        while time.monotonic() < deadline and not stop.is_set():
            try:
                code = work.get_nowait()
            except queue.Empty:
                return
            try:
                tablet.rate(code)
            except GaveUp as exc:
                tally.done(code, "gave up", str(exc))

    faults = Faults(args, server, tally, fixture, env, deadline)
    threads = [threading.Thread(target=worker, args=(t,), daemon=True) for t in tablets]
    started = time.time()
    faults.start()
    for thread in threads:
        thread.start()
    # A request in flight at the deadline may take its whole timeout, and its double tap's too.
    join_until = deadline + 2 * args.timeout + 5
    try:
        for thread in threads:
            thread.join(timeout=max(0.0, join_until - time.monotonic()))
        # The close may still be running when the last tablet has its answer.
        faults.join(timeout=max(0.0, join_until + 60 - time.monotonic()))
    finally:
        stop.set()
        faults.stopping.set()
        faults.join(timeout=args.outage + 130)
        for tablet, thread in zip(tablets, threads, strict=True):
            thread.join(timeout=0.1)
            if not thread.is_alive():  # one still waiting for an answer keeps its connection
                tablet.close()
        tally.resent = sum(client.retries for tablet in tablets for client in tablet.clients)
    return tally, faults.done, started


# ---------------------------------------------------------------- checks


def close_moment(session_id: int) -> datetime.datetime | None:
    from sessions.models import AuditLog

    entry = (
        AuditLog.objects.filter(
            session_id=session_id, action="session.status", detail__after="closed"
        )
        .order_by("created_at")
        .first()
    )
    return entry.created_at if entry else None


def check(fixture: Fixture, tally: Tally, closed_at: datetime.datetime | None) -> dict:
    from django.db.models import Count

    from sessions.models import Ballot, BallotGrade, Credential

    used = {
        code: (group_id, submitted_at, receipt)
        for code, group_id, submitted_at, receipt in Credential.objects.filter(
            session_id=fixture.session_id, submitted_at__isnull=False
        ).values_list("code", "group_id", "submitted_at", "receipt")
    }
    used_per_group = collections.Counter(group for group, _at, _receipt in used.values())
    ballots_per_group = collections.Counter(
        dict(
            Ballot.objects.filter(session_id=fixture.session_id)
            .values_list("group_id")
            .annotate(n=Count("pk"))
        )
    )
    stored = collections.Counter(
        {
            (group, unit, grade): n
            for group, unit, grade, n in BallotGrade.objects.filter(
                ballot__session_id=fixture.session_id
            )
            .values_list("ballot__group_id", "unit_id", "grade")
            .annotate(n=Count("pk"))
        }
    )
    expected = collections.Counter()
    for code, (group, _at, _receipt) in used.items():
        expected.update((group, unit, grade) for unit, grade in fixture.drafted[code])
        if fixture.holder[code] is not None:
            expected[group, fixture.holder[code], "abstain"] += 1

    groups = set(used_per_group) | set(ballots_per_group)
    receipt_codes: dict[str, set[str]] = collections.defaultdict(set)
    for code, receipts in tally.receipts.items():
        for receipt in receipts:
            receipt_codes[receipt].add(code)
    stored_receipts = collections.Counter(receipt for _g, _at, receipt in used.values())

    close_ts = closed_at.timestamp() if closed_at else float("inf")
    after_close = [(code, receipt) for code, receipt, sent in tally.sightings if sent > close_ts]
    new_after_close = {
        (code, receipt)
        for code, receipt in after_close
        if not (code in used and used[code][1].timestamp() < close_ts)
    }
    reshown_after_close = sum(1 for seen in after_close if seen not in new_after_close)
    return {
        "lost": {
            "receipts shown with no used code holding them": sum(
                1
                for code, receipts in tally.receipts.items()
                for receipt in receipts
                if code not in used or used[code][2] != receipt
            ),
            "ballots missing (used codes minus ballots, per group)": sum(
                max(0, used_per_group[g] - ballots_per_group[g]) for g in groups
            ),
            "grades missing against the drafts (per group, unit, grade)": sum(
                (expected - stored).values()
            ),
        },
        "duplicated": {
            "ballots beyond the used codes, per group": sum(
                max(0, ballots_per_group[g] - used_per_group[g]) for g in groups
            ),
            "grades beyond the drafts (per group, unit, grade)": sum((stored - expected).values()),
            "receipts shown for two different codes": sum(
                1 for codes in receipt_codes.values() if len(codes) > 1
            ),
            "codes shown two different receipts": sum(
                1 for receipts in tally.receipts.values() if len(receipts) > 1
            ),
            "receipts stored for two codes": sum(1 for n in stored_receipts.values() if n > 1),
        },
        "ballots after close": {
            "receipts not held before the close, shown to requests sent after it": len(
                new_after_close
            ),
            "codes marked used after the close": sum(
                1 for _g, at, _receipt in used.values() if at.timestamp() > close_ts
            ),
        },
        "bare 500 pages": {
            "total": tally.server_error_answers,
            "answers with status 500": tally.status_500,
            f'answers containing "{BARE_500}"': tally.bare_500,
        },
        "info": {
            "used": len(used),
            "ballots": sum(ballots_per_group.values()),
            "grades": sum(stored.values()),
            "per group": {
                fixture.group_names.get(g, str(g)): (used_per_group[g], ballots_per_group[g])
                for g in sorted(groups)
            },
            "used without the rater seeing a receipt": sum(
                1 for code in used if code not in tally.receipts
            ),
            "receipts re-shown after the close (ballots from before it)": reshown_after_close,
        },
    }


# ---------------------------------------------------------------- report


def print_faults(faults: list[Fault], tally: Tally, started: float) -> None:
    print("\nFaults applied (seconds from the start of submission)")
    for fault in faults:
        print(
            f"  {fault.name:<28} {fault.start - started:7.1f} – {fault.end - started:7.1f} s"
            f"  {'ok' if fault.ok else 'FAILED'}: {fault.detail}"
        )
    print("\nWhat the raters saw (every try of every request)")
    kinds: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for (kind, status), n in tally.status.items():
        kinds[kind][status] += n
    for kind, statuses in kinds.items():
        print(f"  {kind:<12} " + ", ".join(f"{s} ×{n}" for s, n in sorted(statuses.items())))
    print(
        f"  503 with Retry-After: {tally.unavailable_retry_after}; 503 without: "
        f"{tally.unavailable_bare}; 500: {tally.status_500}; other 5xx: {tally.other_5xx}"
    )
    errors = sum(tally.connection_errors.values())
    names = ", ".join(f"{k} ×{n}" for k, n in tally.connection_errors.most_common())
    print(f"  connection errors and timeouts: {errors}" + (f" ({names})" if names else ""))
    print(
        f"  retries by the tablets: {tally.retries}; requests the HTTP client sent again at"
        f" once on a new connection (as browsers do when a kept-alive one was closed):"
        f" {tally.resent} (gunicorn closes a connection idle for 2 s)"
    )
    # Each failed or resent try is put down to the last fault that began before it.
    spans: dict[str, list[float]] = collections.defaultdict(list)
    kinds_by_cause: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for when, what in sorted(tally.events):
        cause = "before any fault"
        for fault in faults:
            if fault.start <= when:
                cause = f"after {fault.name}"
        spans[cause].append(when)
        kinds_by_cause[cause][what] += 1
    for cause, times in spans.items():
        what = kinds_by_cause[cause]
        print(
            f"  {cause}: {len(times)} failed or resent tries between"
            f" {min(times) - started:.1f} and {max(times) - started:.1f} s ("
            + ", ".join(f"{k} ×{n}" for k, n in what.most_common())
            + ")"
        )


def main() -> int:
    args = parse_args()
    # SIGTERM (a CI timeout) ends like Ctrl-C, so that gunicorn and PostgreSQL are restored.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    rng = random.Random(args.seed)
    print(f"machine: {bb.machine()}")
    print(f"date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC")
    print(f"setting up {DB_NAME} ...", flush=True)
    server = None
    try:
        setup_started = time.perf_counter()
        bb.recreate_database(DB_NAME)
        bb.setup_django(DB_URL)
        fixture = build_fixture(args, rng)
        holders = sum(1 for unit in fixture.holder.values() if unit is not None)
        print(
            f"  session {fixture.slug}: {args.units} units, {len(fixture.group_names)} groups,"
            f" {len(fixture.codes)} codes ({holders} with a holder unit), complete drafts"
            f" ({time.perf_counter() - setup_started:.1f} s)",
            flush=True,
        )
        from django.db import connections

        connections.close_all()
        with tempfile.TemporaryDirectory(prefix="huiji-faults-") as tmp:
            env = bb.server_env(str(Path(tmp) / "static"), DB_URL)
            bb.collectstatic(env)
            server = bb.Server(env, args.workers, args.threads, Path(tmp) / "gunicorn.log")
            server.wait_ready()
            print(
                f"gunicorn on {bb.HOST}:{server.port}: --workers {args.workers}"
                f" --threads {args.threads}; {args.tablets} tablets, double taps"
                f" ({args.two_connection_share:.0%} on two connections)",
                flush=True,
            )
            meter = bb.CpuMeter(server, DB_NAME)
            tally, faults, started = run(args, server, fixture, env)
            wall = time.time() - started
            cpu = meter.stop()
            problems = server.log_problems()
            server.stop()
            server = None
    finally:
        if server is not None:
            server.stop()
        ensure_postgres_running()

    from django.db import connections

    connections.close_all()  # those from before the restart are gone
    closed_at = close_moment(fixture.session_id)
    results = check(fixture, tally, closed_at)
    outcomes = collections.Counter(tally.outcome.values())

    print_faults(faults, tally, started)
    print(f"  gunicorn's log: {len(problems)} Traceback/ERROR lines")
    for line in list(dict.fromkeys(problems))[:3]:
        print(f"    {line[:160]}")

    print("\nOutcomes")
    print(
        f"  {len(tally.outcome)} of {len(fixture.codes)} codes finished: "
        + ", ".join(f"{k} {n}" for k, n in outcomes.most_common())
    )
    if not outcomes["ended"]:
        print(
            "  note: the close turned no rater away (every code had submitted before it);"
            " a lower --close-at makes it meet submissions still arriving"
        )
    print("  double taps: " + ", ".join(f"{k} {n}" for k, n in tally.double_taps.items()))
    for line in tally.unexpected[:5]:
        print(f"  unexpected: {line}")
    info = results.pop("info")
    print(
        f"  database: {info['used']} codes used, {info['ballots']} ballots, {info['grades']}"
        " grades; per group (used, ballots): "
        + ", ".join(f"{name} {u}/{b}" for name, (u, b) in info["per group"].items())
    )
    print(
        f"  used without the rater seeing a receipt: {info['used without the rater seeing a receipt']}"
    )
    print(
        "  receipts shown again after the close, for ballots from before it: "
        f"{info['receipts re-shown after the close (ballots from before it)']}"
    )
    if closed_at:
        print(
            f"  close's audit entry: {closed_at.astimezone(datetime.UTC):%H:%M:%S.%f} UTC"
            f" ({closed_at.timestamp() - started:.1f} s into the run)"
        )
    else:
        print("  close's audit entry: NONE (rating was not closed)")

    receipts = outcomes["receipt"]
    busy = max(tally.last_receipt - started, 1e-9)
    print("\nThroughput and latency")
    print(
        f"  {receipts} ballots with a receipt in {busy:.1f} s: {receipts / busy:.1f} ballots/s"
        f" (whole run {wall:.1f} s)"
    )
    for label, values in (
        ("submission incl. retries (first POST → receipt)", tally.submission_seconds),
        ("whole (form GET → receipt)", tally.whole_seconds),
    ):
        if values:
            print(
                f"  {label}: p50 {bb.ms(bb.pct(values, 50)).strip()} ms,"
                f" p95 {bb.ms(bb.pct(values, 95)).strip()} ms,"
                f" p99 {bb.ms(bb.pct(values, 99)).strip()} ms,"
                f" max {bb.ms(max(values)).strip()} ms"
            )
    bb.print_cpu(types.SimpleNamespace(cpu=cpu, wall=wall))

    print("\nChecks")
    failed = False
    for name, parts in results.items():
        # Each finding counts once; an answer that is both a 500 and the bare page, once.
        total = parts.pop("total") if "total" in parts else sum(parts.values())
        failed |= total != 0
        print(f"  {name}: {total}")
        for label, n in parts.items():
            print(f"      {label}: {n}")
    # A run that applied no fault, or whose tablets could not submit, proves nothing.
    incomplete = [f.name for f in faults if not f.ok]
    wanted = 1 + (not args.no_restart) + (not args.no_kill)
    stuck = outcomes["unexpected"] + outcomes["gave up"] + len(fixture.codes) - len(tally.outcome)
    if len(faults) < wanted or incomplete or closed_at is None or stuck or not receipts:
        print(
            f"  RUN INCOMPLETE: {len(faults)} of {wanted} faults tried (failed: {incomplete}),"
            f" {stuck} codes unexpected, given up or not reached, {receipts} receipts"
        )
        failed = True
    print(f"\nmachine after the run: {bb.machine()}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
