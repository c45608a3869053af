"""Benchmark the participation monitor's polled fragment (docs/design.md §8: live polling
< 5 ms server time, 304 when unchanged).

    .venv/bin/python bench/bench_monitor.py [--runs 500]

Needs PostgreSQL: ``DATABASE_URL`` (default postgres://postgres@127.0.0.1:5432/huiji_bench).
Django's test machinery creates a throwaway ``test_<name>`` database, migrates it, fills it
with the annual session of section 1 (40 units, 4 rater groups, 300 credentials of which 260
were opened, 250 ballots: 230 from tablets, 20 on paper, 5 voided, 12 flagged, 40 grades each)
and drops it at the end.

Then it asks for ``/sessions/<slug>/monitor/fragment/`` as a logged-in organiser through
Django's test client, which runs the whole middleware stack, the URL resolver and the view,
and prints p50 / p95 / max of the wall time per request (and p50 / p95 of this process's
CPU time): first full answers (200), then the
poll of a browser that already holds this version (If-None-Match, answered 304). The client's
own work is included, so the figures are an upper bound of the server time. Not a test:
numbers depend on the machine (and on what else runs on it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/huiji_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huiji_review.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

UNITS = 40
CREDENTIALS_PER_GROUP = 75  # × 4 groups = 300
TABLET_BALLOTS = 230
PAPER_BALLOTS = 20
VOID = 5
FLAGGED = 12


def build():
    """The annual session in rating, as it looks near the end of a real one."""
    from django.contrib.auth.models import User

    from org.access import Role
    from org.models import Membership
    from org.services import default_district
    from sessions import credentials, services, unit_services
    from sessions.models import Ballot, BallotGrade, Credential, Grade, ReviewSession

    organiser = User.objects.create_user("bench-organiser")
    Membership.objects.create(user=organiser, district=default_district(), role=Role.ORGANISER)
    session = services.session_create(
        kind=ReviewSession.Kind.ANNUAL, year=2026, title="2026年度综合考核述职评议会", actor=None
    )
    categories = list(session.categories.all())
    units = [
        unit_services.unit_save(
            session=session,
            actor=None,
            name=f"单位{i:02d}",
            category=categories[i % len(categories)],
            participates=True,
        )
        for i in range(UNITS)
    ]
    groups = list(session.rater_groups.all())
    issued = []
    for group in groups:
        issued += credentials.credentials_generate(
            session=session, group=group, actor=None, count=CREDENTIALS_PER_GROUP
        )
    # Ballots are written in bulk here (the rating service would take minutes for 250 forms);
    # what the monitor reads is the same: used credentials and anonymous ballots.
    ReviewSession.objects.filter(pk=session.pk).update(status=ReviewSession.Status.RATING)
    now = timezone.now()
    Credential.objects.filter(pk__in=[c.pk for c in issued[:260]]).update(opened_at=now)
    Credential.objects.filter(pk__in=[c.pk for c in issued[:TABLET_BALLOTS]]).update(
        submitted_at=now
    )
    ballots = [
        Ballot(
            session=session,
            group=credential.group,
            source=Ballot.Source.TABLET,
            flags=["identical"] if i < FLAGGED else [],
        )
        for i, credential in enumerate(issued[:TABLET_BALLOTS])
    ] + [
        Ballot(
            session=session,
            group=groups[i % len(groups)],
            source=Ballot.Source.PAPER,
            paper_number=f"P{i:04d}",
        )
        for i in range(PAPER_BALLOTS)
    ]
    Ballot.objects.bulk_create(ballots)
    grades = [Grade.GOOD, Grade.FAIRLY_GOOD, Grade.AVERAGE, Grade.POOR]
    BallotGrade.objects.bulk_create(
        [
            BallotGrade(ballot=ballot, unit=unit, grade=grades[(i + j) % 4])
            for i, ballot in enumerate(ballots)
            for j, unit in enumerate(units)
        ],
        batch_size=2000,
    )
    Ballot.objects.filter(pk__in=[b.pk for b in ballots[:VOID]]).update(
        voided_at=now, voided_by=organiser, void_reason="基准测试作废"
    )
    return session, organiser


def measure(client: Client, url: str, runs: int, **headers) -> dict:
    """Wall time per request (what a poll waits) and this process's CPU time (Python's share,
    without PostgreSQL's; it stays comparable when other work loads the machine)."""
    for _ in range(20):  # warm-up: templates compiled, connections open, caches filled
        client.get(url, **headers)
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        client.get(url, **headers)
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    return {
        "walls": walls,
        "cpus": cpus,
        "status": response.status_code,
        "queries": len(queries),
    }


def measure_call(function, runs: int) -> dict:
    for _ in range(20):
        function()
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        function()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    with CaptureQueriesContext(connection) as queries:
        function()
    return {"walls": walls, "cpus": cpus, "status": "---", "queries": len(queries)}


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(0.95 * (len(ordered) - 1))]


def report(label: str, result: dict) -> None:
    walls, cpus = result["walls"], result["cpus"]
    print(
        f"{label:<18} HTTP {result['status']}"
        f"   wall p50 {statistics.median(walls):5.2f} ms  p95 {p95(walls):5.2f} ms"
        f"  max {max(walls):6.2f} ms"
        f"   cpu p50 {statistics.median(cpus):5.2f} ms  p95 {p95(cpus):5.2f} ms"
        f"   {result['queries']} queries"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the monitor's polled fragment.")
    parser.add_argument("--runs", type=int, default=500)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench_monitor needs PostgreSQL: set DATABASE_URL=postgres://...")

    # No query logging (DEBUG) and no test-client template instrumentation: a server's setup.
    settings.DEBUG = False
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        session, organiser = build()
        from django.urls import reverse

        url = reverse("review:monitor_fragment", args=[session.slug])
        client = Client(HTTP_HX_REQUEST="true")
        client.force_login(organiser)
        first = client.get(url)
        etag = first["ETag"]
        print(
            f"{UNITS} units, 4 groups, {4 * CREDENTIALS_PER_GROUP} credentials, "
            f"{TABLET_BALLOTS + PAPER_BALLOTS} ballots; {args.runs} requests each; "
            f"200 body {len(first.content)} bytes; load average {os.getloadavg()[0]:.2f}\n"
        )
        # The floor under the same load: the middleware stack and the client, no database.
        report("/healthz/ (floor)", measure(client, "/healthz/", args.runs))
        report("full answer", measure(client, url, args.runs))
        report("unchanged", measure(client, url, args.runs, HTTP_IF_NONE_MATCH=etag))
        # The fragment's own reads, without HTTP, login and permissions: what the view adds.
        from sessions import ballots

        report("participation()", measure_call(lambda: ballots.participation(session), args.runs))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
