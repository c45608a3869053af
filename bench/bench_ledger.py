"""Benchmark the ledger (台账) summary and the progress overview (目标进度) pages
(docs/targets.md, "The ledger (台账)" and "Stored scores": a fixed number of queries, under
100 ms server time for a district's year of 300 targets × 40 units × 12 months).

    .venv/bin/python bench/bench_ledger.py [--runs 30] [--units-per-target 40]

Needs PostgreSQL: ``DATABASE_URL`` (default postgres://postgres@127.0.0.1:5432/huiji_bench).
Django's test machinery creates a throwaway ``test_<name>`` database, migrates it, fills it and
drops it at the end. The year: 40 units and 300 monthly targets (half rates, half counts),
each broken down to ``--units-per-target`` units (40 by default: every unit answers for every
target, 12,000 lines, the worst case; 3 is bench/bench_targets.py's workbook, a 牵头 unit and
two 配合 units, 900 lines), 12 reports a line (144,000 at 40; about 2 % missing, 3 %
returned, December awaiting review, the rest accepted, values drawn from a seeded generator
around the plan), 90 notices of which 60 are open. The year is 2025, so every period is due.
The rows are inserted in bulk, then the stored state is worked out once by
``targets.line_state.refresh_year`` (timed and printed).

It asks for the ledger summary and the overview as a logged-in 督查室 user through Django's
test client (the whole middleware stack, the resolver, the view and the template) and prints
the median and p95 wall time of ``--runs`` requests each, the queries per request, and
/healthz/ in the same run for a ratio that depends less on the machine. The client's own work
is included, so the figures are an upper bound of the server time. Not a test.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date
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


def build(per_target: int):
    from org.access import Role
    from org.models import District, Membership, OrgUnit
    from targets.models import Notice, Report, Target, TargetUnit
    from tests.factories import UserFactory

    rng = random.Random(2025)
    district = District.objects.create(code="bench", name="基准区")
    units = OrgUnit.objects.bulk_create(
        OrgUnit(district=district, code=f"U{n:03d}", name=f"单位{n:02d}") for n in range(UNITS)
    )
    targets = Target.objects.bulk_create(
        Target(
            district=district,
            year=YEAR,
            code=f"{i // 10 + 1}.{i % 10 + 1}",
            title=f"指标{i + 1}",
            kind=Target.Kind.COUNT if i % 2 else Target.Kind.QUANTITY,
            goal=D(rng.randint(100, 5000)),
            points=D(rng.randint(1, 10)),
            period=Target.Period.MONTH,
        )
        for i in range(TARGETS)
    )
    lines = TargetUnit.objects.bulk_create(
        TargetUnit(
            target=target,
            org_unit=units[(i + k) % UNITS],
            role=TargetUnit.Role.LEAD if k == 0 else TargetUnit.Role.SUPPORT,
        )
        for i, target in enumerate(targets)
        for k in range(per_target)
    )
    now = timezone.now()
    reports = []
    for line in lines:
        target = targets[(line.target_id - targets[0].pk)]
        for month in range(1, 13):
            if rng.random() < 0.02:
                continue
            share = D(month) / 12 if target.kind == Target.Kind.COUNT else D(1)
            value = (target.goal * share * D(rng.randint(75, 115)) / 100).quantize(D("0.01"))
            returned = rng.random() < 0.03
            status = (
                Report.Status.RETURNED
                if returned
                else Report.Status.SUBMITTED
                if month == 12
                else Report.Status.ACCEPTED
            )
            reports.append(
                Report(
                    target_unit=line,
                    month=month,
                    value=value,
                    status=status,
                    submitted_at=now,
                    return_reason="佐证材料不全" if returned else "",
                )
            )
    Report.objects.bulk_create(reports, batch_size=5000)
    Notice.objects.bulk_create(
        Notice(
            target_unit=lines[i * 7],
            kind=Notice.Kind.SUPERVISE,
            number=i + 1,
            reason="进度滞后",
            demand="限期整改",
            due_date=date(YEAR, 12, 31),
            issued_at=now,
            closed_at=now if i % 3 == 0 else None,
            close_note="已整改" if i % 3 == 0 else "",
            district=district,
            year=YEAR,
        )
        for i in range(90)
    )
    office = UserFactory(username="bench-office")
    Membership.objects.create(user=office, district=district, role=Role.OFFICE)
    return district, office, len(lines), len(reports)


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the ledger and the overview.")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--units-per-target", type=int, default=UNITS)
    args = parser.parse_args()
    with throwaway_database("bench_ledger"):
        district, office, lines, reports = build(args.units_per_target)
        from targets.line_state import refresh_year

        start = time.perf_counter()
        refresh_year(district, YEAR)
        refreshed = time.perf_counter() - start
        client = Client()
        client.force_login(office)
        print(
            f"{TARGETS} targets × {UNITS} units: {lines:,} lines, {reports:,} reports; "
            f"refresh_year {refreshed:.2f} s; {args.runs} requests each; "
            f"load average {os.getloadavg()[0]:.2f}"
        )
        floor = measure(client, "/healthz/", args.runs)
        report("/healthz/ (floor)", floor)
        median = statistics.median(floor["walls"])
        unit = district.units.order_by("code").first()
        pages = (
            ("ledger summary", reverse("targets:ledger", args=[district.code, YEAR])),
            ("ledger, one unit", reverse("targets:ledger_unit", args=[district.code, YEAR, unit.code])),
            ("ranking (4th quarter)", reverse("targets:ranking", args=[district.code, YEAR]) + "?quarter=4"),
            ("annual", reverse("targets:annual", args=[district.code, YEAR])),
            ("overview", reverse("targets:overview", args=[district.code, YEAR])),
        )  # fmt: skip
        for label, url in pages:
            report(label, measure(client, url, args.runs), median)
        _time_imports(district)
        from targets import ledger, scores

        for label, call in (
            ("ledger_summary() alone", lambda: ledger.ledger_summary(district, YEAR)),
            ("unit_ledgers() alone", lambda: ledger.unit_ledgers(district, YEAR)),
            ("annual_scores() alone", lambda: scores.annual_scores(district, YEAR)),
        ):
            walls = []
            for _ in range(args.runs):
                start = time.perf_counter()
                call()
                walls.append((time.perf_counter() - start) * 1000)
            print(
                f"{label:<22} median {statistics.median(walls):7.2f} ms  best {min(walls):7.2f} ms"
            )


def _rows_of(district):
    """The year's breakdown as the workbook parser gives it, read back from the tables."""
    from targets.models import Target
    from targets.workbook import TargetRow

    rows = []
    for n, target in enumerate(
        Target.objects.filter(district=district, year=YEAR)
        .prefetch_related("units__org_unit")
        .order_by("code"),
        start=2,
    ):
        lines = list(target.units.all())
        rows.append(
            TargetRow(
                row=n, code=target.code, title=target.title, kind=target.kind,
                measure=target.measure, direction=target.direction, baseline=target.baseline,
                goal=target.goal, stretch=target.stretch, points=target.points,
                method=target.method, floor=target.floor, cap=target.cap,
                steps=tuple((D(a), D(b)) for a, b in target.steps), bonus=target.bonus,
                veto=target.veto, period=target.period,
                lead=tuple(u.org_unit.name for u in lines if u.role == "lead"),
                support=tuple(u.org_unit.name for u in lines if u.role == "support"),
                plan=tuple((int(m), D(v)) for m, v in target.plan.items()),
            )
        )  # fmt: skip
    return rows


def _time_imports(district) -> None:
    """An import of the year's workbook handed in again unchanged, then with one target's goal
    changed: only a changed target's lines are rescored (docs/targets.md, "Stored scores")."""
    from dataclasses import replace

    from django.db import transaction

    from targets.services import targets_import

    rows = _rows_of(district)
    changed = [replace(rows[0], goal=rows[0].goal + 1), *rows[1:]]
    for label, given in (
        ("import, nothing changed", rows),
        ("import, one target changed", changed),
    ):
        start = time.perf_counter()
        with transaction.atomic():
            counts = targets_import(district=district, year=YEAR, rows=given, actor=None)
        print(
            f"{label:<28} {(time.perf_counter() - start) * 1000:9.0f} ms"
            f"  ({counts['updated']} targets, {counts['rescored']} rescored)"
        )


if __name__ == "__main__":
    main()
