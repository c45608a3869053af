"""Benchmark ballot submission on tablets (docs/design.md §8).

    .venv/bin/python bench/bench_ballots.py [--raters 100] [--units 40] [--ballots 2000]
                                            [--workers N] [--threads N] (see --help)

What it does, all on 127.0.0.1:

1. Drops and recreates the PostgreSQL database ``huiji_bench`` (127.0.0.1:5432, user postgres),
   migrates it and builds, through the project's services, a session in ``rating``: ``--units``
   participants in 4 categories, 4 rater groups, and anonymous credentials for every phase.
   For the submission phases the drafts are written directly (bulk_create), as if every tap
   had happened; the full-flow phase taps every grade over HTTP.
2. Collects the static files into a temporary STATIC_ROOT (whitenoise's compressed manifest
   storage, as DEBUG=false uses) and starts gunicorn with production settings (DEBUG=false, a
   generated SECRET_KEY, plain HTTP). gunicorn is stopped at the end, also after an error.
3. Drives it with threads and ``http.client`` (one keep-alive connection per simulated rater):
   - the form page at concurrency 1 (client latency: a fair proxy for server time, since one
     request at a time leaves nothing to queue behind) and its transferred size with its CSS
     and scripts, compressed as the server sends them;
   - submission: ``--raters`` raters take credentials from a queue and do what a tablet does
     for a filled form: scan the card (GET ``/r/``, whose script posts the code from the QR
     code's ``#`` fragment with the CSRF token: POST ``/r/``, answered 303 with the card's
     cookie), GET the form ``/r/form/``, then POST ``/r/submit/`` from the form's confirmation
     box, which opens in the page without a request (303 = success);
   - submission POST only: the same POST, i.e. the cost of the submission itself (each card
     is entered on ``/r/`` before the phase, untimed, and its cookie handed to the rater);
   - the same POST offered at ``--paced-rate`` ballots/s (open loop). Back to back, 100 raters
     always waiting make the mean latency 100 / throughput (Little's law), so a p99 target
     only means something at a given rate;
   - full flow: scan the card, GET the form, one htmx POST per grade, POST;
   - the ceiling: ``--raters`` clients requesting ``/healthz/`` (no database, no template).
4. Checks the database afterwards: one ballot per successful submission, none for anything
   else, no receipt twice, grades as drafted and tapped, and no errors in gunicorn's log.

Every loop ends by count and by ``--phase-seconds``. Not a test: numbers depend on the machine
and on whatever else runs on it, so the CPU time of the client, gunicorn and PostgreSQL and the
machine's total busy time are printed per phase, with the rate the CPU per ballot implies for
a machine running nothing else. Results and analysis: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import functools
import gzip
import http.client
import os
import queue
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HOST = "127.0.0.1"
PG = "host=127.0.0.1 port=5432 user=postgres"
DB_NAME = "huiji_bench"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
CATEGORIES = ["镇(街道)", "政府部门", "统筹协调部门", "党群服务部门"]
GROUPS = [("县级领导", 40), ("区直部门", 20), ("镇(街道)", 20), ("两代表一委员", 20)]
# Roughly what raters do: mostly 好/较好, some 一般, few 差 and 弃权. No ballot rule is on.
GRADE_WEIGHTS = {"good": 35, "fairly_good": 35, "average": 20, "poor": 5, "abstain": 5}
# The form page's confirmation box once every unit is graded (templates/rate/_submit_form.html).
CONFIRM_READY = '<button type="submit" >确认提交</button>'
# The rater's cookies: Django's CSRF cookie, and the card (sessions/views/card.py).
CSRF_COOKIE = "csrftoken"
CARD_COOKIE = "rater_key"
CSRF_FIELD_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
UNIT_RE = re.compile(r'name="unit" value="(\d+)"')
ASSET_RE = re.compile(r'(?:href|src)="(/static/[^"]+)"')
BROWSER_ENCODING = "gzip, deflate, br"
TARGET_BALLOTS_PER_S = 200
TARGET_P99_MS = 300
TARGET_PAGE_P95_MS = 50
TARGET_PAGE_KB = 100


def parse_args() -> argparse.Namespace:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description="Benchmark ballot submission.")
    parser.add_argument("--raters", type=int, default=100, help="concurrent simulated raters")
    parser.add_argument("--units", type=int, default=40, help="units on each ballot")
    parser.add_argument("--ballots", type=int, default=2000, help="ballots in the submit phase")
    parser.add_argument(
        "--post-ballots", type=int, default=2000, help="ballots in the POST-only phase (0: skip)"
    )
    parser.add_argument(
        "--paced-rate",
        type=float,
        default=200.0,
        help="ballots/s offered in the open-loop POST-only phase (0: skip)",
    )
    parser.add_argument("--paced-ballots", type=int, default=2000)
    parser.add_argument(
        "--flow-ballots", type=int, default=200, help="ballots in the full-flow phase (0: skip)"
    )
    parser.add_argument("--page-samples", type=int, default=100, help="form GETs at concurrency 1")
    parser.add_argument("--workers", type=int, default=2 * cores + 1)
    # As docs/deployment.md runs it: threads keep connections alive between requests.
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--ceiling-seconds", type=float, default=10.0)
    parser.add_argument("--phase-seconds", type=float, default=300.0, help="time limit per phase")
    parser.add_argument("--timeout", type=float, default=30.0, help="socket timeout per request")
    parser.add_argument("--seed", default="bench")
    args = parser.parse_args()
    if not 1 <= args.raters <= 1000 or args.units < 1 or args.ballots < 1:
        parser.error("--raters must be 1..1000, --units and --ballots at least 1")
    return args


# ---------------------------------------------------------------- database and data


def database_url(name: str) -> str:
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def recreate_database(name: str = DB_NAME) -> None:
    with psycopg.connect(PG + " dbname=postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")


def setup_django(url: str = DATABASE_URL) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "true"  # in-process only (setup and checks); gunicorn runs without
    os.environ["DJANGO_SETTINGS_MODULE"] = "huiji_review.settings"
    import django

    django.setup()


@dataclasses.dataclass
class Fixture:
    session_id: int
    units: int
    pools: dict[str, list[str]]  # phase -> credential codes
    drafted: dict[str, list[str]]  # code -> the grades written as drafts


def build_rating_session(unit_count: int, seed: str, title: str = "基准测试评议会"):
    """Migrate, then build through the services a session in ``rating``: ``unit_count``
    participants in the 4 categories (unit i in category i % 4) and the 4 rater groups.
    Returns (session, units, groups)."""
    from django.core.management import call_command

    from sessions import draw_services, services, unit_services
    from sessions.models import ReviewSession

    call_command("migrate", verbosity=0)
    session = services.session_create(
        kind=ReviewSession.Kind.CUSTOM, year=2026, title=title, with_preset=False
    )
    categories = [
        unit_services.category_save(session=session, actor=None, name=name) for name in CATEGORIES
    ]
    units = [
        unit_services.unit_save(
            session=session,
            actor=None,
            name=f"{categories[i % 4].name}单位{i + 1:02d}",
            category=categories[i % 4],
            participates=True,
        )
        for i in range(unit_count)
    ]
    groups = [
        unit_services.group_save(session=session, actor=None, name=name, weight=weight)
        for name, weight in GROUPS
    ]
    draw_services.draw_speaking_order(session=session, actor=None, seed=seed)
    session = services.session_transition(session=session, target="ready", actor=None)
    session = services.session_transition(session=session, target="rating", actor=None)
    return session, units, groups


def issue_credentials(session, group, count: int, holder_unit=None) -> list[str]:
    """``count`` anonymous codes for ``group`` (in calls of at most MAX_PER_CALL)."""
    from sessions import credentials

    codes: list[str] = []
    while count > 0:
        batch = min(count, credentials.MAX_PER_CALL)
        issued = credentials.credentials_generate(
            session=session, group=group, actor=None, count=batch, holder_unit=holder_unit
        )
        codes += [c.code for c in issued]
        count -= batch
    return codes


def write_drafts(rows) -> None:
    """Drafts written directly, as if every tap had been saved: ``rows`` yields
    (credential id, unit id, grade)."""
    from sessions.models import DraftGrade

    DraftGrade.objects.bulk_create(
        (
            DraftGrade(credential_id=credential_id, unit_id=unit_id, grade=grade)
            for credential_id, unit_id, grade in rows
        ),
        batch_size=5000,
    )


def build_fixture(args: argparse.Namespace, rng: random.Random) -> Fixture:
    from sessions.models import Credential

    session, units, groups = build_rating_session(args.units, args.seed)

    sizes = {
        "page": args.page_samples and max(10, args.page_samples // 2),
        "submit": args.ballots,
        "post": args.post_ballots,
        "paced": args.paced_ballots if args.paced_rate else 0,
        "flow": args.flow_ballots,
    }
    total = sum(sizes.values())
    codes: list[str] = []
    for index, group in enumerate(groups):
        share = total // len(groups) + (1 if index < total % len(groups) else 0)
        codes += issue_credentials(session, group, share)
    rng.shuffle(codes)
    pools, start = {}, 0
    for phase, size in sizes.items():
        pools[phase] = codes[start : start + size]
        start += size

    # Complete drafts, as if every tap had been saved, for all but the full-flow credentials.
    prefilled = pools["page"] + pools["submit"] + pools["post"] + pools["paced"]
    ids = dict(Credential.objects.filter(code__in=prefilled).values_list("code", "pk"))
    values, weights = list(GRADE_WEIGHTS), list(GRADE_WEIGHTS.values())
    drafted = {code: rng.choices(values, weights, k=len(units)) for code in prefilled}
    write_drafts(
        (ids[code], unit.pk, grade)
        for code in prefilled
        for unit, grade in zip(units, drafted[code], strict=True)
    )
    return Fixture(session_id=session.pk, units=len(units), pools=pools, drafted=drafted)


# ---------------------------------------------------------------- gunicorn


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def server_env(static_root: str, url: str = DATABASE_URL) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS=HOST,
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",
        DATABASE_URL=url,
        STATIC_ROOT=static_root,
        LOG_LEVEL="WARNING",
    )
    return env


def collectstatic(env: dict[str, str]) -> None:
    subprocess.run(  # noqa: S603  (our own manage.py, fixed arguments)
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )


class Server:
    """gunicorn as in deployment.md, without the access log (a line per request would be
    measured too; a production proxy logs requests anyway)."""

    def __init__(self, env: dict[str, str], workers: int, threads: int, log_path: Path):
        self.port = free_port()
        self.log_path = log_path
        self.log = log_path.open("wb")
        self.proc = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "gunicorn",
                "huiji_review.wsgi:application",
                "--bind",
                f"{HOST}:{self.port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--timeout",
                "60",
                "--graceful-timeout",
                "5",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}: {self.log_path}")
            conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
            try:
                conn.request("GET", "/healthz/")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            finally:
                conn.close()
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer /healthz/ within {seconds:.0f} s")

    def pids(self) -> list[int]:
        """The master and its workers (for their CPU time)."""
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            return [self.proc.pid]
        return [self.proc.pid, *(int(pid) for pid in children.split())]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: gunicorn stops its workers gracefully
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()

    def log_problems(self) -> list[str]:
        text = self.log_path.read_text(errors="replace")
        return [line for line in text.splitlines() if "Traceback" in line or "[ERROR]" in line]


# ---------------------------------------------------------------- CPU accounting


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def machine_busy() -> float:
    """CPU seconds the whole machine spent on anything but idle and I/O wait."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds spent by this process (the client), gunicorn and the bench DB's backends.

    A backend lives only as long as its connection (DB_CONN_MAX_AGE, 60 s), so the processes
    are sampled twice a second and each one's last reading is kept. A sample that cannot reach
    PostgreSQL (a restart under test) is skipped and the connection opened again."""

    def __init__(self, server: Server, db_name: str = DB_NAME):
        self.server = server
        self.db_name = db_name
        self.pg: psycopg.Connection | None = psycopg.connect(
            PG + " dbname=postgres", autocommit=True
        )
        self.first: dict[str, dict[int, float]] = {}
        self.last: dict[str, dict[int, float]] = {"gunicorn": {}, "postgres": {}}
        self.machine = machine_busy()
        self.client = cpu_seconds(os.getpid())
        self._poll()
        self.first = {who: dict(pids) for who, pids in self.last.items()}
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _backends(self) -> list[int]:
        try:
            if self.pg is None or self.pg.closed:
                self.pg = psycopg.connect(
                    PG + " dbname=postgres", autocommit=True, connect_timeout=2
                )
            rows = self.pg.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.db_name,)
            ).fetchall()
        except psycopg.Error:
            if self.pg is not None:
                self.pg.close()
            self.pg = None
            return []
        return [row[0] for row in rows]

    def _poll(self) -> None:
        backends = self._backends()
        for who, pids in (("gunicorn", self.server.pids()), ("postgres", backends)):
            for pid in pids:
                seconds = cpu_seconds(pid)
                if seconds:  # 0.0: the process has just gone
                    self.last[who][pid] = seconds

    def _run(self) -> None:
        while not self.stopping.wait(0.5):
            self._poll()

    def stop(self) -> dict[str, float]:
        self.stopping.set()
        self.thread.join(timeout=5)
        self._poll()
        if self.pg is not None:
            self.pg.close()
        used = {
            who: sum(now - self.first[who].get(pid, 0.0) for pid, now in self.last[who].items())
            for who in ("gunicorn", "postgres")
        }
        used["client"] = cpu_seconds(os.getpid()) - self.client
        machine = machine_busy()
        used["machine"] = machine - self.machine
        used["others"] = max(
            0.0, used["machine"] - used["client"] - used["gunicorn"] - used["postgres"]
        )
        return used


# ---------------------------------------------------------------- HTTP client


class RequestFailed(Exception):
    pass


@dataclasses.dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    seconds: float

    @property
    def text(self) -> str:
        body = self.body
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        return body.decode("utf-8", errors="replace")


class Client:
    """One simulated tablet: one keep-alive connection and its cookies."""

    def __init__(self, port: int, timeout: float):
        self.origin = f"http://{HOST}:{port}"
        self.conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
        self.cookies: dict[str, str] = {}
        self.retries = 0

    def request(self, method: str, path: str, fields=None, headers=None) -> Response:
        body = urlencode(fields) if fields is not None else None
        sent = {"Accept-Encoding": BROWSER_ENCODING, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent["Origin"] = self.origin
        for attempt in (1, 2):
            reused = self.conn.sock is not None
            start = time.perf_counter()
            try:
                self.conn.request(method, path, body=body, headers=sent)
                response = self.conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                # A keep-alive connection the server had just closed: a browser retries too.
                if reused and attempt == 1:
                    self.retries += 1
                    continue
                raise
            seconds = time.perf_counter() - start
            break
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return Response(response.status, response.headers, data, seconds)

    def close(self) -> None:
        self.conn.close()


# ---------------------------------------------------------------- phases


class Recorder:
    def __init__(self):
        self.latency: dict[str, list[float]] = collections.defaultdict(list)
        self.errors: list[str] = []
        self.done: list[str] = []  # codes whose submission succeeded
        self.tapped: dict[str, list[str]] = {}
        self.lock = threading.Lock()

    def ok(self, kind: str, response: Response) -> None:
        self.took(kind, response.seconds)

    def took(self, kind: str, seconds: float) -> None:
        with self.lock:  # a defaultdict's first insert of a key is not atomic
            self.latency[kind].append(seconds)

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


def expect(response: Response, status: int, what: str, location: str | None = None) -> None:
    if response.status != status:
        snippet = response.text[:120].replace("\n", " ")
        raise RequestFailed(f"{what}: HTTP {response.status}, expected {status}: {snippet}")
    if location is not None and response.headers.get("Location") != location:
        raise RequestFailed(f"{what}: redirected to {response.headers.get('Location')}")


def enter(client: Client, code: str, rec: Recorder | None = None) -> None:
    """Scan the card. Its QR code opens /r/#CODE: the browser GETs /r/ (a fragment is never
    sent), the page's script posts the code with the form's CSRF token, and the answer's
    cookie is the card from then on. No code is in any address."""
    page = client.request("GET", "/r/", headers={"Referer": client.origin + "/r/"})
    expect(page, 200, "entry GET")
    token = CSRF_FIELD_RE.search(page.text)
    if token is None:
        raise RequestFailed("entry GET: no CSRF token in the page")
    card = client.request(
        "POST",
        "/r/",
        {"code": code, "csrfmiddlewaretoken": token.group(1)},
        {"Referer": client.origin + "/r/"},
    )
    expect(card, 303, "code POST", "/r/form/")
    if CARD_COOKIE not in client.cookies:
        raise RequestFailed("code POST: no card cookie in the answer")
    if rec is not None:
        rec.ok("entry GET", page)
        rec.ok("code POST", card)


def enter_cards(server, args, codes: list[str]) -> dict[str, str]:
    """Every card of ``codes`` entered on /r/ as its tablet would, before a phase that times one
    request alone: code -> the card cookie the server set."""
    cards: dict[str, str] = {}
    clients = [Client(server.port, args.timeout) for _ in range(min(args.raters, 20))]

    def work(client: Client, mine: list[str]) -> None:
        for code in mine:
            enter(client, code)
            cards[code] = client.cookies[CARD_COOKIE]

    threads = [
        threading.Thread(target=work, args=(c, codes[i :: len(clients)]), daemon=True)
        for i, c in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=args.phase_seconds)
    for client in clients:
        client.close()
    if len(cards) != len(codes):
        raise RuntimeError(f"entered {len(cards)} of {len(codes)} cards before the phase")
    return cards


def hold(client: Client, card: str) -> None:
    """Hand the client a card entered beforehand, with a CSRF cookie as its entry page set."""
    if CSRF_COOKIE not in client.cookies:
        expect(client.request("GET", "/r/"), 200, "entry GET")
    client.cookies[CARD_COOKIE] = card


def htmx_headers(client: Client) -> dict[str, str]:
    """What htmx sends from the form page: the CSRF token from hx-headers on <body> (the
    cookie's secret is as good a token as the page's masked one)."""
    return {
        "HX-Request": "true",
        "HX-Current-URL": client.origin + "/r/form/",
        "Referer": client.origin + "/r/form/",
        "X-CSRFToken": client.cookies[CSRF_COOKIE],
    }


def submit_post(client: Client, code: str, rec: Recorder) -> None:
    """The 确认提交 button of the form page's confirmation box, which htmx posts; success is
    a 303 to the page that shows the receipt (the browser's XHR follows it)."""
    response = client.request("POST", "/r/submit/", {}, htmx_headers(client))
    expect(response, 303, "submit POST", "/r/form/")
    rec.ok("submit POST", response)
    rec.done.append(code)


def ballot_job(client: Client, code: str, rec: Recorder, _rng: random.Random) -> None:
    """A filled form on the tablet: scan the card, load the form (its confirmation box is in
    the page and opens without a request), then submit."""
    start = time.perf_counter()
    enter(client, code, rec)
    form = client.request("GET", "/r/form/", headers={"Referer": client.origin + "/r/"})
    expect(form, 200, "form GET")
    if CONFIRM_READY not in form.text:
        raise RequestFailed("form GET: the confirmation box does not offer 确认提交")
    rec.ok("form GET", form)
    submit_post(client, code, rec)
    rec.took("whole ballot (4 requests)", time.perf_counter() - start)


def post_only_job(
    cards: dict[str, str], client: Client, code: str, rec: Recorder, _rng: random.Random
) -> None:
    hold(client, cards[code])
    submit_post(client, code, rec)


def flow_job(client: Client, code: str, rec: Recorder, rng: random.Random) -> None:
    """Everything a rater does: scan the card, the empty form, one htmx save per tap, the
    submit."""
    start = time.perf_counter()
    enter(client, code, rec)
    form = client.request("GET", "/r/form/", headers={"Referer": client.origin + "/r/"})
    expect(form, 200, "form GET")
    rec.ok("form GET", form)
    units = UNIT_RE.findall(form.text)
    values, weights = list(GRADE_WEIGHTS), list(GRADE_WEIGHTS.values())
    grades = rng.choices(values, weights, k=len(units))
    headers = htmx_headers(client)
    for unit, grade in zip(units, grades, strict=True):
        tap = client.request("POST", "/r/grade/", {"unit": unit, "grade": grade}, headers)
        expect(tap, 200, "tap POST")
        if "hx-swap-oob" not in tap.text:
            raise RequestFailed("tap POST: no progress fragment in the answer")
        rec.ok("tap POST", tap)
    rec.tapped[code] = grades
    if CONFIRM_READY not in tap.text:
        raise RequestFailed("tap POST: the last tap did not enable 确认提交")
    submit_post(client, code, rec)
    rec.took("whole ballot (entry+form+taps+submit)", time.perf_counter() - start)


@dataclasses.dataclass
class PhaseResult:
    name: str
    short: str
    rec: Recorder
    wall: float
    cpu: dict[str, float]
    retries: int
    timed_out: bool


def run_phase(name, short, server, args, codes, job, rate=0.0) -> PhaseResult:
    """``args.raters`` threads take codes from a queue until it is empty or time is up.

    With ``rate``, ballots arrive on a fixed schedule (open loop) instead of back to back: the
    n-th starts at n / rate seconds, or as soon as a rater is free, and its latency counts
    from the scheduled time, so that waiting for a free rater is not hidden."""
    work: queue.Queue[tuple[int, str]] = queue.Queue()
    for item in enumerate(codes):
        work.put(item)
    rec = Recorder()
    clients = [Client(server.port, args.timeout) for _ in range(args.raters)]
    ready = threading.Barrier(args.raters + 1)
    clock: dict[str, float] = {}

    def rater(client: Client, index: int) -> None:
        rng = random.Random(f"{args.seed}-{name}-{index}")
        ready.wait()
        while time.monotonic() < clock["deadline"]:
            try:
                number, code = work.get_nowait()
            except queue.Empty:
                return
            if rate:
                due = clock["start"] + number / rate
                time.sleep(max(0.0, due - time.monotonic()))
            try:
                job(client, code, rec, rng)
                if rate:
                    rec.took("whole ballot, from arrival", time.monotonic() - due)
            except (RequestFailed, OSError, http.client.HTTPException) as exc:
                rec.error(f"{code}: {type(exc).__name__}: {exc}")
                client.close()

    threads = [
        threading.Thread(target=rater, args=(client, i), daemon=True)
        for i, client in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    meter = CpuMeter(server)
    start = time.perf_counter()
    clock["start"] = time.monotonic()
    clock["deadline"] = clock["start"] + args.phase_seconds
    ready.wait()
    for thread in threads:
        thread.join(timeout=max(0.0, clock["deadline"] - time.monotonic()) + args.timeout * 2 + 5)
    wall = time.perf_counter() - start
    cpu = meter.stop()
    for client in clients:
        client.close()
    return PhaseResult(
        name=name,
        short=short,
        rec=rec,
        wall=wall,
        cpu=cpu,
        retries=sum(c.retries for c in clients),
        timed_out=not work.empty() or any(t.is_alive() for t in threads),
    )


def run_ceiling(server, args) -> PhaseResult:
    rec = Recorder()
    clients = [Client(server.port, args.timeout) for _ in range(args.raters)]
    ready = threading.Barrier(args.raters + 1)
    stop_at: list[float] = []

    def hammer(client: Client) -> None:
        ready.wait()
        while time.monotonic() < stop_at[0]:
            try:
                response = client.request("GET", "/healthz/")
                expect(response, 200, "healthz")
                rec.ok("healthz GET", response)
            except (RequestFailed, OSError, http.client.HTTPException) as exc:
                rec.error(f"healthz: {type(exc).__name__}: {exc}")
                client.close()

    threads = [threading.Thread(target=hammer, args=(c,), daemon=True) for c in clients]
    for thread in threads:
        thread.start()
    stop_at.append(time.monotonic() + args.ceiling_seconds)
    meter = CpuMeter(server)
    start = time.perf_counter()
    ready.wait()
    for thread in threads:
        thread.join(timeout=args.ceiling_seconds + args.timeout + 5)
    wall = time.perf_counter() - start
    cpu = meter.stop()
    for client in clients:
        client.close()
    retries = sum(c.retries for c in clients)
    return PhaseResult("ceiling: /healthz/", "ceiling", rec, wall, cpu, retries, False)


def measure_page(server, args, codes: list[str]) -> dict:
    """The form at concurrency 1, after a concurrent warm-up that reaches every worker, and what
    a tablet downloads for it on a first visit (the card entered, nothing cached)."""
    cards = enter_cards(server, args, codes)
    warm = [Client(server.port, args.timeout) for _ in range(min(args.raters, 20))]

    def warm_up(client: Client, mine: list[str]) -> None:
        for code in mine:
            hold(client, cards[code])
            client.request("GET", "/r/form/")
            client.request("GET", "/r/submit/")

    threads = [
        threading.Thread(target=warm_up, args=(c, codes[i :: len(warm)]), daemon=True)
        for i, c in enumerate(warm)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for client in warm:
        client.close()

    client = Client(server.port, args.timeout)
    form_times, check_times, deadline = [], [], time.monotonic() + args.phase_seconds
    while len(form_times) < args.page_samples and time.monotonic() < deadline:
        hold(client, cards[codes[len(form_times) % len(codes)]])
        form = client.request("GET", "/r/form/")
        expect(form, 200, "form GET")
        form_times.append(form.seconds)
        check = client.request("GET", "/r/submit/")
        expect(check, 200, "check GET")
        check_times.append(check.seconds)
    html = form.text

    sizes = {}
    for encoding in (BROWSER_ENCODING, "gzip"):
        fresh = Client(server.port, args.timeout)  # a first visit: only the card, no cache
        fresh.cookies[CARD_COOKIE] = cards[codes[0]]
        page = fresh.request("GET", "/r/form/", headers={"Accept-Encoding": encoding})
        rows = [("form HTML", page)]
        for asset in dict.fromkeys(ASSET_RE.findall(page.text)):
            rows.append((asset, fresh.request("GET", asset, headers={"Accept-Encoding": encoding})))
        fresh.close()
        sizes[encoding] = [
            (
                label,
                response.status,
                response.headers.get("Content-Encoding") or "identity",
                len(response.body),
                sum(len(k) + len(v) + 4 for k, v in response.headers.items()) + 17,
            )
            for label, response in rows
        ]
    client.close()
    return {"form": form_times, "check": check_times, "sizes": sizes, "html_bytes": len(html)}


# ---------------------------------------------------------------- checks and report


def verify(fixture: Fixture, results: list[PhaseResult]) -> list[tuple[str, bool, str]]:
    from django.db.models import Count

    from sessions.models import Ballot, BallotGrade, Credential, DraftGrade

    done = [code for r in results for code in r.rec.done]
    done_set = set(done)
    submitted = Credential.objects.filter(session_id=fixture.session_id, submitted_at__isnull=False)
    submitted_codes = set(submitted.values_list("code", flat=True))
    ballots = Ballot.objects.filter(session_id=fixture.session_id)
    receipts = list(submitted.values_list("receipt", flat=True))
    by_group_ballots = dict(ballots.values_list("group_id").annotate(n=Count("pk")))
    by_group_creds = dict(submitted.values_list("group_id").annotate(n=Count("pk")))
    expected = collections.Counter()
    for result in results:
        for code in result.rec.done:
            expected.update(fixture.drafted.get(code) or result.rec.tapped[code])
    stored = dict(
        BallotGrade.objects.filter(ballot__session_id=fixture.session_id)
        .values_list("grade")
        .annotate(n=Count("pk"))
    )
    errors = sum(len(r.rec.errors) for r in results)
    leftover = DraftGrade.objects.filter(credential__code__in=done_set).count()
    return [
        ("no request errors in any phase", errors == 0, f"{errors} errors"),
        ("no credential answered 303 twice", len(done) == len(done_set), f"{len(done)} answers"),
        (
            "ballots stored = successful submissions",
            ballots.count() == len(done_set),
            f"{ballots.count()} ballots, {len(done_set)} successes",
        ),
        (
            "credentials marked used = exactly the successful ones",
            submitted_codes == done_set,
            f"{len(submitted_codes)} marked, {len(submitted_codes - done_set)} not in the successes",
        ),
        (
            "one distinct receipt per used credential",
            None not in receipts and len(set(receipts)) == len(receipts),
            f"{len(set(receipts))} receipts",
        ),
        (
            "ballots per group = used credentials per group",
            by_group_ballots == by_group_creds,
            " ".join(f"{k}:{v}" for k, v in sorted(by_group_ballots.items())),
        ),
        (
            f"grades stored = {fixture.units} per ballot, tallies as drafted/tapped",
            stored == dict(expected) and sum(stored.values()) == fixture.units * len(done_set),
            f"{sum(stored.values())} grades",
        ),
        ("drafts of submitted credentials deleted", leftover == 0, f"{leftover} left"),
        (
            "anonymous: no ballot names its credential",
            not ballots.filter(credential__isnull=False).exists(),
            "",
        ),
    ]


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(-(-p * len(ordered) // 100)) - 1))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f}"


def print_latency_table(result: PhaseResult) -> None:
    print(f"  {'request':<34}{'n':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for kind, values in result.rec.latency.items():
        print(
            f"  {kind:<34}{len(values):>7} {ms(pct(values, 50))} {ms(pct(values, 95))}"
            f" {ms(pct(values, 99))} {ms(max(values))}"
        )


def print_cpu(result: PhaseResult) -> None:
    cpu, wall = result.cpu, result.wall
    parts = ", ".join(
        f"{who} {cpu[who]:.1f} s ({cpu[who] / wall:.2f} cores)"
        for who in ("gunicorn", "postgres", "client", "others")
    )
    print(f"  CPU: {parts}; machine busy {cpu['machine'] / (wall * (os.cpu_count() or 1)):.0%}")


def print_cpu_per_ballot(result: PhaseResult) -> None:
    """CPU per ballot barely depends on what else runs; the rate it implies for a machine that
    runs nothing but this (client included) is what the wall-clock figure would be on it."""
    done = len(result.rec.done)
    if not done:
        return
    cpu = {who: result.cpu[who] * 1000 / done for who in ("gunicorn", "postgres", "client")}
    projected = (os.cpu_count() or 1) * 1000 / sum(cpu.values())
    print(
        f"  CPU per ballot: gunicorn {cpu['gunicorn']:.1f} ms, postgres {cpu['postgres']:.1f} ms,"
        f" client {cpu['client']:.1f} ms -> at most {projected:.0f} ballots/s on"
        f" {os.cpu_count()} otherwise idle cores"
    )


def print_phase(result: PhaseResult, per_ballot: bool = True) -> None:
    rec = result.rec
    requests = sum(len(v) for k, v in rec.latency.items() if not k.startswith("whole"))
    print(f"\n{result.name}")
    print(
        f"  wall {result.wall:.2f} s, {requests} requests ok ({requests / result.wall:.0f}/s),"
        f" {len(rec.errors)} errors, {result.retries} keep-alive retries"
        + (", STOPPED BY THE TIME LIMIT" if result.timed_out else "")
    )
    if per_ballot:
        print(f"  ballots submitted {len(rec.done)}: {len(rec.done) / result.wall:.1f} ballots/s")
    if "tap POST" in rec.latency:
        print(f"  taps {len(rec.latency['tap POST']) / result.wall:.0f}/s")
    print_latency_table(result)
    print_cpu(result)
    if per_ballot:
        print_cpu_per_ballot(result)
    for line in rec.errors[:5]:
        print(f"  error: {line}")


def print_page(page: dict) -> None:
    form, check = page["form"], page["check"]
    print("\nForm page at concurrency 1 (client latency, a proxy for server time)")
    print(
        f"  form GET  n={len(form)} p50 {ms(pct(form, 50))} p95 {ms(pct(form, 95))} ms"
        f" (target p95 < {TARGET_PAGE_P95_MS} ms); check GET p50 {ms(pct(check, 50))}"
        f" p95 {ms(pct(check, 95))} ms"
    )
    for encoding, rows in page["sizes"].items():
        body = sum(r[3] for r in rows)
        headers = sum(r[4] for r in rows)
        print(f"  first visit, Accept-Encoding: {encoding}")
        for label, status, coding, size, _headers in rows:
            print(f"    {label:<44} {status} {coding:<9} {size / 1024:7.1f} KiB")
        print(
            f"    total {body / 1024:.1f} KiB bodies + {headers / 1024:.1f} KiB headers"
            f" (target < {TARGET_PAGE_KB} KB)"
        )


def machine() -> str:
    model = ""
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout  # noqa: S607
    for line in lscpu.splitlines():
        if line.startswith("Model name:"):
            model = line.split(":", 1)[1].strip()
    mem = subprocess.run(["free", "-h"], capture_output=True, text=True, check=False).stdout  # noqa: S607
    total = mem.splitlines()[1].split()[1] if mem else "?"
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    return f"{os.cpu_count()} cores ({model}), {total} RAM, load average {load}"


# ---------------------------------------------------------------- main


def main() -> int:
    args = parse_args()
    # SIGTERM (a CI timeout) ends like Ctrl-C, so that gunicorn is always stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    rng = random.Random(args.seed)
    print(f"machine: {machine()}")
    print(f"setting up {DB_NAME} ...", flush=True)
    started = time.perf_counter()
    recreate_database()
    setup_django()
    fixture = build_fixture(args, rng)
    print(
        f"  session with {fixture.units} units, 4 groups; credentials: "
        + ", ".join(f"{k} {len(v)}" for k, v in fixture.pools.items())
        + f" ({time.perf_counter() - started:.1f} s)"
    )
    from django.db import connections

    connections.close_all()  # the server's phases should not share the DB with idle setup

    with tempfile.TemporaryDirectory(prefix="huiji-bench-") as tmp:
        env = server_env(str(Path(tmp) / "static"))
        collectstatic(env)
        server = Server(env, args.workers, args.threads, Path(tmp) / "gunicorn.log")
        results: list[PhaseResult] = []
        try:
            server.wait_ready()
            print(
                f"gunicorn on {HOST}:{server.port}: --workers {args.workers}"
                f" --threads {args.threads} ({'gthread' if args.threads > 1 else 'sync'})",
                flush=True,
            )
            if fixture.pools["page"]:
                print_page(measure_page(server, args, fixture.pools["page"]))
            phases = [
                ("submission: entry GET + code POST + form GET + submit POST", "submission",
                 "submit", ballot_job),
                ("submission, POST only", "POST only", "post", post_only_job),
                (f"submission, POST only, open loop at {args.paced_rate:g} ballots/s",
                 f"POST only at {args.paced_rate:g}/s", "paced", post_only_job),
                ("full flow: entry + form GET + a tap per unit + submit POST", "full flow",
                 "flow", flow_job),
            ]  # fmt: skip
            for title, short, pool, job in phases:
                if not fixture.pools[pool]:
                    continue
                if job is post_only_job:
                    job = functools.partial(
                        post_only_job, enter_cards(server, args, fixture.pools[pool])
                    )
                title = f"{title}, {args.raters} raters, {len(fixture.pools[pool])} ballots"
                result = run_phase(
                    title,
                    short,
                    server,
                    args,
                    fixture.pools[pool],
                    job,
                    rate=args.paced_rate if pool == "paced" else 0.0,
                )
                results.append(result)
                print_phase(result)
                sys.stdout.flush()
            ceiling = run_ceiling(server, args)
            print_phase(ceiling, per_ballot=False)
            problems = server.log_problems()
        finally:
            server.stop()

    print("\nChecks")
    checks = verify(fixture, results)
    checks.append(("no errors in gunicorn's log", not problems, f"{len(problems)} lines"))
    for label, passed, detail in checks:
        print(f"  [{'ok' if passed else 'FAIL'}] {label}  {detail}")
    for line in problems[:5]:
        print(f"  gunicorn: {line}")

    main_phase = results[0]
    post = main_phase.rec.latency["submit POST"]
    every = [
        seconds
        for kind, values in main_phase.rec.latency.items()
        if not kind.startswith("whole")
        for seconds in values
    ]
    rate = len(main_phase.rec.done) / main_phase.wall
    print("\nSummary (docs/design.md §8)")
    print(
        f"  submission: {rate:.1f} ballots/s (target ≥ {TARGET_BALLOTS_PER_S}),"
        f" p99 of every request {ms(pct(every, 99)).strip()} ms,"
        f" of the submit POST {ms(pct(post, 99)).strip()} ms (target < {TARGET_P99_MS} ms),"
        f" {len(main_phase.rec.errors)} errors"
    )
    for result in results[1:]:
        arrival = result.rec.latency.get("whole ballot, from arrival")
        print(
            f"  {result.short}: {len(result.rec.done) / result.wall:.1f} ballots/s,"
            f" submit POST p99 {ms(pct(result.rec.latency['submit POST'], 99)).strip()} ms"
            + (f", from scheduled arrival p99 {ms(pct(arrival, 99)).strip()} ms" if arrival else "")
        )
    print(f"  ceiling: {len(ceiling.rec.latency['healthz GET']) / ceiling.wall:.0f} requests/s")
    print(f"  machine after the run: {machine()}")
    return 0 if all(passed for _label, passed, _detail in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
