"""Benchmark the 季评比 and annual 目标考核 pages and ``targets.scores.annual_scores``
(docs/targets.md, "季评比" and "The annual score": a district's year of 300 targets × 40 units,
the annual computation under 1 s).

    .venv/bin/python bench/bench_ranking.py [--runs 10] [--units-per-target 40]

Needs PostgreSQL: ``DATABASE_URL`` (default postgres://postgres@127.0.0.1:5432/huiji_bench).
Django's test machinery creates a throwaway ``test_<name>`` database, migrates it, fills it and
drops it at the end. The year, in bench/bench_targets.py's shape: 300 monthly targets with
every kind of rule (ratio with floor and cap, steps, pass/fail, a 力争 bonus on a third, a veto
on a few; half rates, half counts), each broken down to ``--units-per-target`` of the 40 units
(40: every unit answers for every target, 12,000 lines, the worst case), and 12 accepted
reports a line (144,000 at 40), values drawn from a seeded generator around the plan. The
rows are inserted in bulk, then the stored state is worked out once by
``targets.line_state.refresh_year`` (timed and printed).

It asks for the ranking (季评比, the fourth quarter), the annual page and one unit's annual
working as a logged-in 督查室 user through Django's test client (the whole middleware stack,
the resolver, the view and the template) and prints the median and p95 wall time of ``--runs``
requests each, the queries per request, /healthz/ in the same run for a ratio that depends
less on the machine, and ``annual_scores()`` alone. The client's own work is included, so the
figures are an upper bound of the server time. Not a test.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/huiji_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huiji_review.settings")

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.pages import measure, report, throwaway_database  # noqa: E402

D = Decimal
YEAR, TARGETS, UNITS = 2025, 300, 40
STEPS = [["0.8", "0.6"], ["0.9", "0.8"], ["1", "1"]]


def build(per_target: int):
    from org.access import Role
    from org.models import District, Membership, OrgUnit
    from targets.models import Report, Target, TargetUnit
    from tests.factories import UserFactory

    rng = random.Random(2025)
    district = District.objects.create(code="bench", name="基准区")
    units = OrgUnit.objects.bulk_create(
        OrgUnit(
            district=district,
            code=f"U{n:03d}",
            name=f"单位{n:02d}",
            category="镇(街道)" if n < 12 else "区直部门",
        )
        for n in range(UNITS)
    )
    targets = []
    for i in range(TARGETS):
        up = i % 5 != 4
        goal = D(rng.randint(10, 5000))
        baseline = (
            (goal - D(rng.randint(1, 9)) if up else goal + D(rng.randint(1, 9)))
            if i % 4 == 0
            else None
        )
        stretch = (goal * D("1.2") if up else goal * D("0.8")) if i % 3 == 0 else None
        method = ("ratio", "steps", "pass_fail")[i % 3]
        targets.append(
            Target(
                district=district,
                year=YEAR,
                code=f"{i // 10 + 1}.{i % 10 + 1}",
                title=f"指标{i + 1}",
                kind=Target.Kind.COUNT
                if i % 2 and up and baseline is None
                else Target.Kind.QUANTITY,
                direction="at_least" if up else "at_most",
                baseline=baseline,
                goal=goal,
                stretch=stretch,
                points=D(rng.randint(1, 10)),
                method=method,
                floor=D("0.5") if method == "ratio" else D(0),
                cap=D("1.2") if method == "ratio" else D(1),
                steps=STEPS if method == "steps" else [],
                bonus=D(2) if stretch is not None else D(0),
                veto=i % 97 == 0,
                period=Target.Period.MONTH,
            )
        )
    targets = Target.objects.bulk_create(targets)
    lines = TargetUnit.objects.bulk_create(
        TargetUnit(
            target=target,
            org_unit=units[(i + k) % UNITS],
            role=TargetUnit.Role.LEAD if k == 0 else TargetUnit.Role.SUPPORT,
        )
        for i, target in enumerate(targets)
        for k in range(per_target)
    )
    by_id = {t.pk: t for t in targets}
    now = timezone.now()
    reports = []
    for line in lines:
        target = by_id[line.target_id]
        for month in range(1, 13):
            share = D(month) / 12 if target.kind == Target.Kind.COUNT else D(1)
            value = (target.goal * share * D(rng.randint(75, 115)) / 100).quantize(D("0.01"))
            reports.append(
                Report(
                    target_unit=line,
                    month=month,
                    value=value,
                    status=Report.Status.ACCEPTED,
                    submitted_at=now,
                    reviewed_at=now,
                )
            )
    Report.objects.bulk_create(reports, batch_size=5000)
    office = UserFactory(username="bench-office")
    Membership.objects.create(user=office, district=district, role=Role.OFFICE)
    return district, units, office, len(lines), len(reports)


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the 季评比 and annual pages.")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--units-per-target", type=int, default=UNITS)
    args = parser.parse_args()
    with throwaway_database("bench_ranking"):
        start = time.perf_counter()
        district, units, office, lines, reports = build(args.units_per_target)
        built = time.perf_counter() - start
        from targets.line_state import refresh_year

        start = time.perf_counter()
        refresh_year(district, YEAR)
        refreshed = time.perf_counter() - start
        client = Client()
        client.force_login(office)
        print(
            f"{TARGETS} targets × {UNITS} units: {lines:,} lines, {reports:,} accepted reports "
            f"(built in {built:.1f} s, refresh_year {refreshed:.2f} s); {args.runs} requests "
            f"each; load average {os.getloadavg()[0]:.2f}"
        )
        floor = measure(client, "/healthz/", max(args.runs, 30))
        report("/healthz/ (floor)", floor)
        median = statistics.median(floor["walls"])
        pages = (
            ("ranking (4th quarter)", reverse("targets:ranking", args=[district.code, YEAR]) + "?quarter=4"),
            ("annual", reverse("targets:annual", args=[district.code, YEAR])),
            ("annual, one unit", reverse("targets:annual_unit", args=[district.code, YEAR, units[0].code])),
            ("board (all targets)", reverse("targets:board", args=[district.code, YEAR]) + "?show=all"),
            ("ledger summary", reverse("targets:ledger", args=[district.code, YEAR])),
        )  # fmt: skip
        for label, url in pages:
            report(label, measure(client, url, args.runs), median)
        from targets import scores

        walls = []
        for _ in range(args.runs):
            start = time.perf_counter()
            scores.annual_scores(district, YEAR)
            walls.append((time.perf_counter() - start) * 1000)
        print(
            f"{'annual_scores() alone':<24} median {statistics.median(walls):8.2f} ms"
            f"  best {min(walls):8.2f} ms"
        )
        walls = []
        for _ in range(max(1, args.runs // 5)):
            start = time.perf_counter()
            scores.live_annual_scores(district, YEAR)
            walls.append((time.perf_counter() - start) * 1000)
        print(
            f"{'live_annual_scores()':<24} median {statistics.median(walls):8.2f} ms"
            f"  best {min(walls):8.2f} ms"
        )


if __name__ == "__main__":
    main()
