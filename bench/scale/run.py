"""Scale test: several application hosts behind HAProxy, with many halls at once, and one host
lost mid-run (docs/deployment.md, section 8, "Several application servers"; figures in
docs/benchmarks.md, "Several application servers").

    .venv/bin/python bench/scale/run.py [--quick] (see --help)      # or: make scale

What it does, all on 127.0.0.1:

1. Checks that HAProxy is installed (Debian: ``apt-get install -y haproxy``) and that
   deploy/haproxy.cfg and deploy/redis.conf load; empties its own Redis database
   (``--redis-db``, default 13, of the Redis on 127.0.0.1:6379; no other database is touched).
2. Drops and recreates the PostgreSQL database ``huiji_scale``, migrates it and builds through
   the project's services ``--districts`` districts (halls), each with a mid-year session live
   and open for rating, ``--tablets`` representatives' codes, an open satisfaction vote and the
   big screen on 参与情况 (bench/scale/seed.py).
3. Starts HAProxy with deploy/haproxy.cfg and three application hosts, each a gunicorn master
   with deploy/gunicorn.conf.py in its own process group, with production settings (DEBUG off,
   Redis as the shared cache, a shared MEDIA_ROOT, X-Forwarded-For trusted from HAProxy) and a
   fixed CPU share (``--host-cpu`` cores, a CFS quota in a cgroup of its own), so that each
   stands for a machine of that size though all share this one. Checks that a client's address
   reaches the wrong-code throttle through X-Forwarded-For.
4. Drives the halls (bench/scale/load.py): every tablet polls its vote panel every 3 s with its
   ETag, every big screen its state every 2 s, ballots arrive at ``--ballots-per-minute`` per
   hall, each with every grade tapped, and retried as static/js/app.js retries. A warm-up, not
   measured, gives every tablet its panel's ETag first (a meeting's steady state).
5. Phases under the same traffic, HAProxy sending to 1, then 2, then 3 hosts (the others in
   maintenance), each measured for ``--measure-seconds`` after ``--settle-seconds``. Then only
   the halls that two hosts carry at ``--loss-load`` of what they answered go on (all of them
   where two hosts were not saturated), ``--burst`` raters start at once, and one host's whole
   process group gets SIGKILL; ``--after-kill-seconds`` more on the two left.
6. Reports per phase the requests the hosts answered per second, p50/p99 latency, CPU per part,
   the scaling against 1 host (also with each request counted at its fitted cost), the capacity
   per core, and for the loss how long each tablet took to get a poll answered again.
7. Checks the database against every receipt a rater was shown: no ballot lost, none counted
   twice, every tablet back within ``--recovery-limit`` seconds of the loss. Exits 1 if any
   check fails (2 if HAProxy or aiohttp is missing).

Everything it started is stopped at the end, also after an error or Ctrl-C; the database is left
for inspection and dropped by the next run.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime
import os
import platform
import resource
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))  # bench/: bench_ballots

import bench_ballots as bb  # noqa: E402
import hosts  # noqa: E402
import seed  # noqa: E402

DB_NAME = "huiji_scale"
DB_URL = bb.database_url(DB_NAME)
HOST_COUNT = 3


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Several application hosts behind HAProxy.")
    parser.add_argument("--quick", action="store_true", help="a smoke run of about 2 minutes")
    parser.add_argument("--districts", type=int, help="halls at once (default 12; quick 3)")
    parser.add_argument("--tablets", type=int, help="tablets per hall (default 300; quick 100)")
    parser.add_argument("--units", type=int, help="units on a ballot (default 12; quick 8)")
    parser.add_argument(
        "--host-cpu",
        type=float,
        default=0.25,
        help="cores each application host may use (a CFS quota); 0: no limit",
    )
    parser.add_argument(
        "--ballots-per-minute", type=float, help="ballots arriving per hall (default 6; quick 6)"
    )
    parser.add_argument("--settle-seconds", type=float, help="before each measurement")
    parser.add_argument("--measure-seconds", type=float, help="each phase's measurement")
    parser.add_argument("--after-kill-seconds", type=float, help="measured after the loss")
    parser.add_argument("--recovery-limit", type=float, default=5.0, help="seconds")
    parser.add_argument(
        "--loss-load",
        type=float,
        default=0.7,
        help="for the loss, keep the halls that make up this share of what 2 hosts answered",
    )
    parser.add_argument("--drain-seconds", type=float, default=120.0, help="ballots' last wait")
    parser.add_argument(
        "--burst",
        type=int,
        default=12,
        help="raters who start at once just before the loss, so that taps are in flight on the"
        " host that dies",
    )
    parser.add_argument("--redis-db", type=int, default=13, help="Redis database of the test")
    parser.add_argument("--seed", default="scale")
    args = parser.parse_args()
    full = {
        "districts": 12,
        "tablets": 300,
        "units": 12,
        "ballots_per_minute": 6.0,
        "settle_seconds": 15.0,
        "measure_seconds": 60.0,
        "after_kill_seconds": 40.0,
    }
    quick = {
        "districts": 3,
        "tablets": 100,
        "units": 8,
        "ballots_per_minute": 6.0,
        "settle_seconds": 5.0,
        "measure_seconds": 12.0,
        "after_kill_seconds": 12.0,
    }
    for name, value in (quick if args.quick else full).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.districts < 1 or args.tablets < 1 or args.measure_seconds <= 0:
        parser.error("--districts, --tablets and --measure-seconds must be positive")
    return args


# ---------------------------------------------------------------- figures


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def ms(seconds: float) -> str:
    return "—" if seconds != seconds else f"{seconds * 1000:,.0f}"


class Window:
    """One measured stretch: its traffic, from the samples answered in it, and its CPU."""

    def __init__(self, name: str, hosts_up: int, start: float, end: float):
        self.name, self.hosts_up, self.start, self.end = name, hosts_up, start, end
        self.cpu: dict[str, float] = {}
        self.throttled: dict[str, tuple[int, int]] = {}
        self.served: dict[str, int] = {}  # HAProxy's sessions per host in the window
        self.haproxy: dict[str, str] = {}  # the backend's averages at the window's end
        self.rotation: list[str] = []  # the hosts HAProxy sent requests to

    @property
    def seconds(self) -> float:
        return self.end - self.start

    def figures(self, samples, ballots) -> dict:
        from load import KINDS

        latency = collections.defaultdict(list)
        statuses = collections.defaultdict(collections.Counter)
        for kind, sent, done, status in zip(
            samples.kind, samples.sent, samples.done, samples.status, strict=True
        ):
            if self.start <= done < self.end:
                name = KINDS[kind]
                statuses[name][status] += 1
                if 0 < status < 500:
                    latency[name].append(done - sent)
        # Served: answered by an application host. HAProxy's own 503 (a request that waited
        # `timeout queue` for a host) and no answer at all are failures.
        answered = sum(n for c in statuses.values() for s, n in c.items() if 0 < s < 500)
        failed = sum(n for c in statuses.values() for s, n in c.items() if s == 0 or s >= 500)
        polls_ok = latency["poll"] and [
            d - s
            for k, s, d, st in zip(
                samples.kind, samples.sent, samples.done, samples.status, strict=True
            )
            if k == 0 and st in (200, 304) and self.start <= d < self.end
        ]
        everything = [v for values in latency.values() for v in values]
        receipts = sum(
            1 for b in ballots if b.outcome == "receipt" and self.start <= b.finished < self.end
        )
        return {
            "rate": answered / self.seconds,
            "failed": failed,
            "statuses": statuses,
            "poll": polls_ok or [],
            "all": everything,
            "latency": latency,
            "ballots": receipts / self.seconds,
        }


def fit_costs(rows: list[tuple[float, float, float]]) -> tuple[float, float]:
    """Least squares, no intercept: the host CPU of a poll and of a ballot's request from
    (polls/s, ballot requests/s, host cores) of each phase."""
    xx = sum(x * x for x, _y, _c in rows)
    xy = sum(x * y for x, y, _c in rows)
    yy = sum(y * y for _x, y, _c in rows)
    xc = sum(x * c for x, _y, c in rows)
    yc = sum(y * c for _x, y, c in rows)
    det = xx * yy - xy * xy
    if abs(det) > 1e-12:
        poll, ballot = (xc * yy - yc * xy) / det, (yc * xx - xc * xy) / det
        if poll > 0 and ballot > 0:
            return poll, ballot
    # The phases do not tell the two apart (the same mix in each, or too few ballots, as in
    # --quick): one cost for every request.
    total = sum(x + y for x, y, _c in rows)
    cost = sum(c for _x, _y, c in rows) / max(total, 1e-9)
    return cost, cost


def print_window(window: Window, figures: dict, limit: hosts.CpuLimit) -> None:
    cpu, seconds = window.cpu, window.seconds
    rotation = window.rotation
    app_cpu = sum(cpu.get(k, 0.0) for k in rotation)
    rate = figures["rate"]
    print(
        f"\n{window.name}: {', '.join(rotation)} in HAProxy's rotation, {seconds:.0f} s:"
        f" {rate:,.0f} requests/s answered by the hosts, {figures['failed'] / seconds:,.1f}/s not"
        f" (HAProxy's 503 after `timeout queue`, or no answer);"
        f" {figures['ballots'] * 60:,.1f} ballots/min with a receipt"
    )
    poll, everything = figures["poll"], figures["all"]
    print(
        f"  latency p50 / p99: vote-panel polls (200/304) {ms(pct(poll, 50))} / {ms(pct(poll, 99))}"
        f" ms; all answered requests {ms(pct(everything, 50))} / {ms(pct(everything, 99))} ms"
    )
    for kind, values in figures["latency"].items():
        counts = figures["statuses"][kind]
        shown = ", ".join(f"{status or 'no answer'} ×{n:,}" for status, n in sorted(counts.items()))
        print(
            f"    {kind:<12} {len(values) / seconds:8,.1f}/s  p50 {ms(pct(values, 50)):>6} ms"
            f"  p99 {ms(pct(values, 99)):>6} ms   {shown}"
        )
    used = {k: cpu.get(k, 0.0) / seconds for k in rotation}
    shares = ""
    if limit.active:
        shares = (
            " ("
            + ", ".join(
                f"{k} {used[k] / limit.cores:.0%} of its share, throttled in"
                f" {window.throttled.get(k, (0, 0))[1] / max(1, window.throttled.get(k, (0, 0))[0]):.0%}"
                " of periods"
                for k in rotation
            )
            + ")"
        )
    figures["saturated"] = limit.active and all(u >= 0.9 * limit.cores for u in used.values())
    per_request = app_cpu / max(1, rate * seconds)
    print(
        f"  CPU cores: hosts {app_cpu / seconds:.2f}{shares}; {per_request * 1000:.2f} ms of host CPU"
        f" and {cpu.get('postgres', 0.0) / max(1, rate * seconds) * 1000:.2f} ms of PostgreSQL"
        " per answered request"
    )
    print(
        "             "
        + ", ".join(
            f"{who} {cpu.get(who, 0.0) / seconds:.2f}"
            for who in ("postgres", "haproxy", "redis", "client", "others")
        )
        + f"; machine busy {cpu.get('machine', 0.0) / seconds / (os.cpu_count() or 1):.0%}"
    )
    figures["host_cpu_per_request"] = per_request
    figures["host_cpu"] = app_cpu / seconds
    served = {kind: len(values) / seconds for kind, values in figures["latency"].items()}
    figures["light"] = served.get("poll", 0.0) + served.get("screen", 0.0)
    figures["heavy"] = sum(v for k, v in served.items() if k not in ("poll", "screen"))
    if window.served:
        total = sum(window.served.values()) or 1
        print(
            "  HAProxy: "
            + ", ".join(f"{k} {n / total:.0%}" for k, n in sorted(window.served.items()))
            + f" of the connections it opened; at the end, averages of the last 1,024 requests:"
            f" queue {window.haproxy.get('qtime')} ms, host {window.haproxy.get('rtime')} ms"
        )


# ---------------------------------------------------------------- checks


def verify(halls, traffic, recovery_limit: float, kill_time: float | None) -> list[tuple]:
    """[(name, count, detail)]: a check passes when its count is 0."""
    from django.db.models import Count

    from sessions.models import Ballot, Credential

    session_ids = [hall.session_id for hall in halls]
    submitted = {
        code: receipt
        for code, receipt in Credential.objects.filter(
            session_id__in=session_ids, submitted_at__isnull=False
        ).values_list("code", "receipt")
    }
    used_per_session = collections.Counter(
        dict(
            Credential.objects.filter(session_id__in=session_ids, submitted_at__isnull=False)
            .values_list("session_id")
            .annotate(n=Count("pk"))
        )
    )
    ballots_per_session = collections.Counter(
        dict(
            Ballot.objects.filter(session_id__in=session_ids)
            .values_list("session_id")
            .annotate(n=Count("pk"))
        )
    )
    clients = {ballot.code: ballot for ballot in traffic.ballots}
    shown_not_stored = [
        (code, receipt)
        for code, ballot in clients.items()
        for receipt in ballot.receipts
        if submitted.get(code) != receipt
    ]
    answered_without = [
        code for code, ballot in clients.items() if ballot.submit_answered and code not in submitted
    ]
    missing = sum(max(0, used_per_session[s] - ballots_per_session[s]) for s in session_ids)
    extra = sum(max(0, ballots_per_session[s] - used_per_session[s]) for s in session_ids)
    receipts = collections.Counter(submitted.values())
    two_receipts = [code for code, ballot in clients.items() if len(ballot.receipts) > 1]
    strangers = [code for code in submitted if code not in clients]
    unfinished = [b for b in traffic.ballots if b.outcome != "receipt"]

    checks = [
        (
            "lost: receipts shown that the database does not hold for that code",
            len(shown_not_stored),
            ", ".join(f"{c}→{r}" for c, r in shown_not_stored[:5]),
        ),
        (
            "lost: submissions answered (303) whose code is not marked submitted",
            len(answered_without),
            ", ".join(answered_without[:5]),
        ),
        ("lost: submitted codes without a ballot (per session)", missing, ""),
        ("double: ballots beyond the submitted codes (per session)", extra, ""),
        (
            "double: a receipt stored for two codes",
            sum(1 for n in receipts.values() if n > 1),
            "",
        ),
        (
            "double: a code shown two different receipts",
            len(two_receipts),
            ", ".join(two_receipts[:5]),
        ),
        (
            "codes submitted that no rater of the test entered",
            len(strangers),
            ", ".join(strangers[:5]),
        ),
        (
            "ballots that ended without a receipt (gave up, cut off, unexpected page)",
            len(unfinished),
            "; ".join(f"{b.code}: {b.outcome}" for b in unfinished[:3]),
        ),
    ]
    if kill_time is None:
        checks.append(("the host loss happened", 1, "no host was killed"))
    else:
        back = [
            traffic.back_after_kill.get(t, float("inf")) - kill_time
            for t, hall in enumerate(traffic.tablet_hall)
            if hall in traffic.active
        ]
        late = [t for t in back if t > recovery_limit]
        finite = [t for t in back if t != float("inf")]
        checks.append(
            (
                f"tablets not back within {recovery_limit:g} s of the loss",
                len(late),
                f"max {max(back):.2f} s, p99 {pct(back, 99):.2f} s, p50 {pct(back, 50):.2f} s"
                f" over {len(back):,} tablets; never back: {len(back) - len(finite)}",
            )
        )
    info = {
        "ballots started": len(traffic.ballots),
        "with a receipt": sum(1 for b in traffic.ballots if b.outcome == "receipt"),
        "codes submitted in the database": len(submitted),
        "ballots in the database": sum(ballots_per_session.values()),
        "ballot requests retried by the raters' devices": sum(b.retries for b in traffic.ballots),
    }
    return checks, info


# ---------------------------------------------------------------- the run


def machine_line() -> str:
    model = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    return (
        f"nproc {os.cpu_count()}, {model}, {bb.machine().split(', ')[1]},"
        f" Python {platform.python_version()}, load average {load}"
    )


def raise_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def preflight(args) -> str | None:
    if hosts.haproxy_binary() is None:
        return (
            "HAProxy is not installed. On Debian/Ubuntu, as root: apt-get install -y haproxy"
            " (the scale test runs deploy/haproxy.cfg with it)."
        )
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        return "aiohttp is missing: .venv/bin/pip install -e '.[dev]' (or: make setup)"
    need = args.districts * args.tablets + 1000
    if resource.getrlimit(resource.RLIMIT_NOFILE)[1] < need:
        return f"the open-file limit is below {need}: ulimit -n {need * 2}"
    return None


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    raise_file_limit()
    problem = preflight(args)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    import load

    run_started = time.monotonic()
    started_at = datetime.datetime.now(datetime.UTC)
    print(f"date: {started_at:%Y-%m-%d %H:%M} UTC ({time.strftime('%Y-%m-%d %H:%M %Z')})")
    print(f"machine: {machine_line()}")
    limit = hosts.CpuLimit(args.host_cpu)
    redis_url = f"redis://127.0.0.1:6379/{args.redis_db}"
    print(f"HAProxy: {hosts.haproxy_binary()}; CPU share per application host: {limit.describe()}")
    print(f"deploy/redis.conf loads: {hosts.redis_config_check()}")
    print(f"Redis {hosts.redis_prepare(redis_url)}: {redis_url} emptied")

    workdir = Path(tempfile.mkdtemp(prefix="huiji-scale-"))
    media = workdir / "media"  # the shared MEDIA_ROOT every host sees
    media.mkdir()
    env = bb.server_env(str(workdir / "static"), DB_URL)
    env.update(
        REDIS_URL=redis_url,
        MEDIA_ROOT=str(media),
        TRUSTED_PROXY_HEADER="HTTP_X_FORWARDED_FOR",
        TRUSTED_PROXY_COUNT="1",
        DB_CONN_MAX_AGE="60",
    )
    os.environ["SECRET_KEY"] = env["SECRET_KEY"]  # the tablets' cards are signed with it

    print(f"setting up {DB_NAME} ...", flush=True)
    setup_started = time.perf_counter()
    bb.recreate_database(DB_NAME)
    bb.setup_django(DB_URL)
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    halls = seed.build_halls(
        districts=args.districts, tablets=args.tablets, units=args.units, seed=args.seed
    )
    cards = {code: seed.card_cookie(code) for hall in halls for code in hall.codes}
    connections.close_all()
    bb.collectstatic(env)
    print(
        f"  {len(halls)} districts, each a mid-year session in rating with {args.tablets}"
        f" representatives' tablets, {halls[0].units} units per ballot, an open vote and the"
        f" big screen on 参与情况 ({time.perf_counter() - setup_started:.1f} s)",
        flush=True,
    )

    app_hosts: list[hosts.AppHost] = []
    balancer = None
    meter = None
    traffic = None
    loop_thread = None
    windows: list[Window] = []
    kill_time = None
    counted: list[str] = []
    failover: dict[str, float] = {}
    try:
        app_hosts = [hosts.AppHost(i, env, limit, workdir) for i in range(1, HOST_COUNT + 1)]
        balancer = hosts.Balancer(app_hosts, workdir)
        meter = hosts.CpuMeter(app_hosts, balancer, DB_NAME)
        meter.start()

        settings = load.Settings(base=f"http://{hosts.HOST}:{balancer.port}", seed=args.seed)
        traffic = load.Traffic(settings, halls, cards)
        ready = threading.Event()
        loop_thread = threading.Thread(
            target=lambda: asyncio.run(traffic.main(ready)), name="traffic", daemon=True
        )

        def begin() -> tuple:
            return (
                meter.snapshot(),
                time.time(),
                {h.name: limit.throttling(h.cgroup) for h in app_hosts},
                {k: int(v.get("stot") or 0) for k, v in balancer.stats().items()},
            )

        def end(name: str, up: int, began: tuple, rotation: list[str]) -> Window:
            cpu_before, start, throttled, served = began
            window = Window(name, up, start, time.time())
            window.rotation = rotation
            window.cpu = hosts.cpu_between(cpu_before, meter.snapshot())
            window.throttled = {
                h.name: tuple(
                    b - a
                    for a, b in zip(throttled[h.name], limit.throttling(h.cgroup), strict=True)
                )
                for h in app_hosts
            }
            stats = balancer.stats()
            window.served = {
                k: int(v.get("stot") or 0) - served.get(k, 0)
                for k, v in stats.items()
                if k.startswith("app") and int(v.get("stot") or 0) - served.get(k, 0)
            }
            backend = stats.get("BACKEND", {})
            window.haproxy = {k: backend.get(k, "") for k in ("qtime", "rtime", "qmax")}
            windows.append(window)
            print(f"  measured {name} ({window.seconds:.0f} s)", flush=True)
            return window

        offered = (
            len(halls) * args.tablets / settings.poll_seconds
            + len(halls) / settings.screen_seconds
            + len(halls) * args.ballots_per_minute / 60 * (5 + halls[0].units)
        )
        print(
            f"traffic: {len(halls) * args.tablets:,} tablets polling every"
            f" {settings.poll_seconds:g} s, {len(halls)} screens every {settings.screen_seconds:g} s,"
            f" {args.ballots_per_minute:g} ballots/min per hall ({5 + halls[0].units} requests"
            f" each): about {offered:,.0f} requests/s asked for while every answer is quick",
            flush=True,
        )
        for host in app_hosts:
            host.start()
        for host in app_hosts:
            host.wait_ready()
            balancer.set_state(host.name, "ready")
        for host in app_hosts:
            balancer.wait_status(host.name, "UP")
        print("hosts up: " + ", ".join(f"{h.name} on {h.address}" for h in app_hosts), flush=True)
        counted = hosts.counted_address(balancer.port, redis_url)
        print(
            "a wrong code from 127.0.0.2 with a made-up X-Forwarded-For was counted under:"
            f" {', '.join(counted) or 'nothing'}",
            flush=True,
        )
        # Warm-up, not measured: every tablet fetches its panel once and from then on holds its
        # ETag, as tablets switched on before the meeting do. Without it the first phase would
        # measure 3,600 full answers at once (a vote opening in every hall in the same second)
        # and the hosts' first requests (connections, prepared statements, template caches).
        # The hosts' CPU shares are lifted meanwhile, so that this takes seconds, not minutes.
        for host in app_hosts:
            limit.apply(host.cgroup, None)
        loop_thread.start()
        ready.wait(60)
        warm_started = time.monotonic()
        while traffic.warmed < traffic.tablet_count and time.monotonic() - warm_started < 300:
            time.sleep(0.5)
        for host in app_hosts:
            limit.apply(host.cgroup, limit.cores)
        print(
            f"warm-up: {traffic.warmed:,} of {traffic.tablet_count:,} tablets hold their panel's"
            f" ETag after {time.monotonic() - warm_started:.0f} s",
            flush=True,
        )
        traffic.set_ballot_rate(args.ballots_per_minute / 60)
        for up in range(1, HOST_COUNT + 1):
            # HAProxy sends to the first ``up`` hosts; the others idle in maintenance.
            for host in app_hosts:
                balancer.set_state(host.name, "ready" if host.index <= up else "maint")
            for host in app_hosts[:up]:
                balancer.wait_status(host.name, "UP")
            time.sleep(args.settle_seconds)
            began = begin()
            time.sleep(args.measure_seconds)
            end(f"{up} host{'s' if up > 1 else ''}", up, began, [h.name for h in app_hosts[:up]])

        # The loss is tried at a load the two hosts left can carry, as a deployment sized with
        # one host to spare would run: the halls that make up --loss-load of what 2 hosts
        # answered above (all of them where 2 hosts were not saturated). Beyond it the hosts
        # queue and no tablet could be answered within the limit, host lost or not.
        two = windows[1].figures(traffic.samples, traffic.ballots)["rate"]
        kept = len(halls)
        if two < 0.95 * offered:
            kept = max(1, min(len(halls), int(args.loss_load * two / (offered / len(halls)))))
        traffic.keep_halls(kept)
        failover["kept"] = kept
        print(
            f"for the loss: {kept} of {len(halls)} halls go on ({kept * args.tablets:,} tablets,"
            f" about {offered / len(halls) * kept:,.0f} requests/s;"
            f" 2 hosts answered {two:,.0f}/s)",
            flush=True,
        )
        time.sleep(max(args.settle_seconds, 12.0))  # HAProxy's queue (timeout queue 10 s) empties
        victim = app_hosts[0]
        began = begin()
        # Raters starting at once, so that the dying host holds POSTs (taps) when it dies: the
        # requests HAProxy must not send again, which the devices send again themselves.
        traffic.burst(args.burst)
        time.sleep(0.6)  # past the entry page and the code, into the taps
        kill_time = victim.kill()
        traffic.mark_kill(kill_time)
        print(f"SIGKILL to {victim.name}'s process group", flush=True)
        try:
            failover["down"] = balancer.wait_status(victim.name, "DOWN", 30)
        except RuntimeError:
            failover["down"] = float("nan")
        time.sleep(max(0.0, args.after_kill_seconds - (time.time() - kill_time)))
        end(
            f"after losing {victim.name}",
            HOST_COUNT - 1,
            began,
            [h.name for h in app_hosts if h is not victim],
        )

        traffic.set_ballot_rate(0)
        print("no more ballots; waiting for those under way ...", flush=True)
        left = asyncio.run_coroutine_threadsafe(
            traffic.drain(args.drain_seconds), traffic.loop
        ).result(args.drain_seconds + 30)
        if left:
            print(f"  {left} ballots still under way after {args.drain_seconds:.0f} s: cut off")
    finally:
        if traffic is not None:
            traffic.stopping = True
        if loop_thread is not None and loop_thread.is_alive():
            loop_thread.join(timeout=60)
        if meter is not None:
            meter.stop()
        stopping = time.monotonic()
        if balancer is not None:
            balancer.stop()
        for host in app_hosts:  # SIGTERM to all at once; each finishes what it holds
            host.terminate()
        problems = []
        for host in app_hosts:
            if host.started:
                problems += host.log_problems()
            host.stop()
        print(f"HAProxy and the hosts stopped ({time.monotonic() - stopping:.1f} s)", flush=True)

    # ---------------------------------------------------------------- report
    samples = traffic.samples
    print("\n" + "=" * 100)
    print("Figures")
    figures = {}
    for window in windows:
        figures[window.name] = window.figures(samples, traffic.ballots)
        print_window(window, figures[window.name], limit)

    print("\nScaling (requests answered by the hosts per second, against 1 host)")
    one = figures[windows[0].name]["rate"]
    for window in windows[:HOST_COUNT]:
        rate = figures[window.name]["rate"]
        k = window.hosts_up
        busy = (
            "hosts saturated (≥ 90 % of their share)"
            if figures[window.name]["saturated"]
            else "hosts NOT saturated: the figure is what was asked, not what they can do"
        )
        print(
            f"  {k} host{'s' if k > 1 else ' '}: {rate:8,.0f}/s = {rate / one:4.2f} × 1 host,"
            f" {rate / (k * one):.0%} of linear; {busy}"
        )
    # The ballots' requests are served first (deploy/haproxy.cfg, set-priority-class) and arrive
    # at the same rate in every phase, so they are a larger part of one host's work than of
    # three's, and a ballot request costs several polls: requests/s alone flatters more hosts.
    # Each request is counted at its cost instead, the two costs fitted (least squares) to the
    # hosts' CPU in the three phases; how well the fit reproduces each phase says whether a
    # request cost the same whatever the number of hosts.
    rows = [
        (figures[w.name]["light"], figures[w.name]["heavy"], figures[w.name]["host_cpu"])
        for w in windows[:HOST_COUNT]
    ]
    poll_cost, ballot_cost = fit_costs(rows)
    print(
        f"  counted at their cost — a poll (vote panel or screen) {poll_cost * 1000:.2f} ms and a"
        " ballot's request (entry, code, form, tap, submit, receipt)"
        f" {ballot_cost * 1000:.2f} ms of host CPU, fitted to the three phases:"
    )
    work_one = rows[0][0] * poll_cost + rows[0][1] * ballot_cost
    for window, (light, heavy, cpu) in zip(windows[:HOST_COUNT], rows, strict=True):
        work = light * poll_cost + heavy * ballot_cost
        k = window.hosts_up
        print(
            f"  {k} host{'s' if k > 1 else ' '}: {light:6,.1f} polls/s + {heavy:5,.1f} ballot"
            f" requests/s = {work:.3f} core-s/s of work ({cpu:.3f} measured, fit"
            f" {work / cpu - 1:+.1%}); {work / work_one:.2f} × 1 host = {work / (k * work_one):.0%}"
            " of linear"
        )

    # Capacity per core from those costs: they carry over to hosts of any size.
    hall_polls = args.tablets / settings.poll_seconds + 1 / settings.screen_seconds
    hall_ballots = args.ballots_per_minute / 60 * (5 + halls[0].units)
    hall_cpu = hall_polls * poll_cost + hall_ballots * ballot_cost
    measured = windows[:HOST_COUNT]
    answered = sum(figures[w.name]["rate"] * w.seconds for w in measured)
    pg_per_request = sum(w.cpu.get("postgres", 0.0) for w in measured) / max(1, answered)
    print(
        f"\nCapacity: a hall of {args.tablets} tablets ({hall_polls:,.1f} polls/s and"
        f" {hall_ballots:.1f} ballot requests/s) takes {hall_cpu:.3f} cores of application host:"
        f" one core carries {1 / hall_cpu:.1f} halls flat out, {0.7 / hall_cpu:.1f} at 70 %;"
        f" PostgreSQL {pg_per_request * 1000:.2f} ms per request,"
        f" {pg_per_request * (hall_polls + hall_ballots):.3f} cores per hall"
    )

    print("\nThe loss of one host")
    after = windows[-1]
    failed_polls = sum(
        1
        for kind, sent, done, status in zip(
            samples.kind, samples.sent, samples.done, samples.status, strict=True
        )
        if kind == 0 and (status == 0 or status >= 500) and done >= kill_time
    )
    from load import KINDS

    failed_ballot_tries = collections.Counter(
        (KINDS[kind], status)
        for kind, sent, done, status in zip(
            samples.kind, samples.sent, samples.done, samples.status, strict=True
        )
        if kind >= 2 and (status == 0 or status >= 500) and kill_time <= done < kill_time + 10
    )
    print(
        f"  {failover['kept']} of {len(halls)} halls kept ({failover['kept'] * args.tablets:,}"
        f" tablets); {args.burst} raters started at once 0.6 s before the SIGKILL;"
        f" HAProxy marked the host DOWN {failover['down']:.1f} s after it"
    )
    print(
        f"  polls failed after the kill: {failed_polls}; ballot requests failed in the 10 s after"
        " it (each sent again by its device): "
        + (
            ", ".join(
                f"{kind} {status or 'no answer'} ×{n}"
                for (kind, status), n in sorted(failed_ballot_tries.items())
            )
            or "none (no POST was caught on the dying host: that path went untried)"
        )
    )
    print(f"  window {after.name}: see above; gunicorn logs: {len(problems)} Traceback/ERROR lines")
    for line in list(dict.fromkeys(problems))[:3]:
        print(f"    {line[:160]}")
    errors = ", ".join(f"{k} ×{n}" for k, n in sorted(samples.errors.items()))
    print(f"  connection errors seen by clients over the whole run: {errors or 'none'}")
    for window in windows:
        lag = [late for when, late in traffic.lag if window.start <= when < window.end]
        print(
            f"  load generator's loop lateness in {window.name}: p50 {ms(pct(lag, 50))} ms,"
            f" p99 {ms(pct(lag, 99))} ms, max {ms(max(lag) if lag else float('nan'))} ms"
            " (a late loop would pace the test itself)"
        )

    checks, info = verify(halls, traffic, args.recovery_limit, kill_time)
    checks.append(
        (
            "the throttle counted a client under another address than its own (X-Forwarded-For)",
            0 if counted == ["127.0.0.2"] else 1,
            f"counted under {counted}",
        )
    )
    print("\nChecks (each must be 0)")
    failed = False
    for name, count, detail in checks:
        failed |= count != 0
        print(
            f"  {'ok  ' if count == 0 else 'FAIL'} {name}: {count}"
            + (f" ({detail})" if detail else "")
        )
    print("  " + "; ".join(f"{k}: {v:,}" for k, v in info.items()))
    print(f"\nmachine after the run: load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"logs and sockets: {workdir}; the whole run took {time.monotonic() - run_started:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
