"""Benchmark computing and exporting results (docs/design.md §8).

    .venv/bin/python bench/bench_results.py [--runs 3] [--export-runs 5] [--skip-large]

What it does, on PostgreSQL at 127.0.0.1:5432 (user postgres):

1. Drops and recreates the database ``huiji_bench_results``, migrates it and builds, through the
   project's services, two sessions of 4 categories and 4 rater groups (县级领导 40, 区直部门
   20, 镇(街道) 20, 两代表一委员 20): 40 units with 1,000 ballots and 200 units with 5,000
   ballots. The ballots and their grades are written directly with bulk_create (as
   bench/bench_ballots.py writes its drafts), as if every rater had submitted; raters of the
   区直部门 and 镇(街道) groups have a unit of their own, which their form leaves out. Both
   sessions are then closed and the database ANALYZEd (as autovacuum would be soon after).
2. Compute (``scoring.services.compute``: ``selectors.load_inputs`` + ``engine.compute`` +
   ``engine.inputs_hash``), median of ``--runs``, with the load / compute / hash split.
   Targets: 40 × 1,000 < 0.2 s, 200 × 5,000 < 2 s.
3. For 40 units × 1,000 ballots: the document (``scoring.document.build``) as a preview
   (computed now) and, after publishing, from the snapshot; then xlsx, the ranking PDF
   (``cards=False``) and the PDF with 40 report cards (also as a preview, before publishing),
   each the median of ``--export-runs`` after one warm-up, with the file sizes and, for the
   PDFs, the ratio to a one-line Chinese PDF rendered in the same run (the reference).
   Targets: xlsx < 0.3 s, ranking PDF < 1 s, PDF with 40 report cards < 1 s. Last, the
   browser's download of the same card PDF again (``pdf.render_for_download``, a kept file).

Wall-clock and CPU time of this process are both printed: the machine is shared, and CPU time
is what the code costs whatever else runs. Not a test: numbers depend on the machine. Results
and analysis: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG = "host=127.0.0.1 port=5432 user=postgres"
DB_NAME = "huiji_bench_results"
CATEGORIES = [("镇(街道)", "town"), ("政府部门", "department"), ("统筹协调部门", "other"),
              ("党群服务部门", "other")]  # fmt: skip
GROUPS = [("县级领导", 40), ("区直部门", 20), ("镇(街道)", 20), ("两代表一委员", 20)]
# Raters of these groups belong to a unit of this category side (and never rate it).
HOLDER_SIDE = {"区直部门": "department", "镇(街道)": "town"}
# Roughly what raters do: mostly 好/较好, some 一般, few 差 and 弃权.
GRADE_WEIGHTS = {"good": 35, "fairly_good": 35, "average": 20, "poor": 5, "abstain": 5}
TARGETS = {"compute 40": 0.2, "compute 200": 2.0, "xlsx": 0.3, "pdf": 1.0}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark computing and exporting results.")
    parser.add_argument("--runs", type=int, default=3, help="compute runs per session (median)")
    parser.add_argument("--export-runs", type=int, default=5, help="runs per export (median)")
    parser.add_argument("--skip-large", action="store_true", help="leave out 200 × 5,000")
    parser.add_argument("--seed", default="bench-results")
    parser.add_argument(
        "--database",
        default=DB_NAME,
        help=f"PostgreSQL database to drop and recreate (default {DB_NAME}); give each"
        " person on a shared machine their own",
    )
    return parser.parse_args()


# ---------------------------------------------------------------- database and data


def recreate_database(name: str) -> None:
    with psycopg.connect(PG + " dbname=postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")


def setup_django(name: str) -> None:
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "huiji_review.settings"
    import django

    django.setup()


def build_session(
    units: int,
    ballots: int,
    rng: random.Random,
    title: str,
    *,
    scheme: dict | None = None,
    holders: bool = True,
):
    """A closed session with ``units`` participants and ``ballots`` submitted ballots;
    ``scheme`` sets rules of the 计分办法 while it is a draft; without ``holders`` no ballot
    names its rater's unit (as in an anonymous session after the close)."""
    from decimal import Decimal

    from sessions import draw_services, services, unit_services
    from sessions.models import Ballot, BallotGrade, ReviewSession, ScoringScheme

    session = services.session_create(
        kind=ReviewSession.Kind.CUSTOM, year=2026, title=title, with_preset=False
    )
    if scheme:
        ScoringScheme.objects.filter(session=session).update(**scheme)
    categories = [
        unit_services.category_save(session=session, actor=None, name=name, side=side)
        for name, side in CATEGORIES
    ]
    unit_objects = [
        unit_services.unit_save(
            session=session,
            actor=None,
            name=f"{categories[i % 4].name}单位{i + 1:03d}",
            category=categories[i % 4],
            participates=True,
        )
        for i in range(units)
    ]
    groups = [
        unit_services.group_save(session=session, actor=None, name=name, weight=Decimal(weight))
        for name, weight in GROUPS
    ]
    draw_services.draw_speaking_order(session=session, actor=None, seed=title)
    session = services.session_transition(session=session, target="ready", actor=None)
    session = services.session_transition(session=session, target="rating", actor=None)

    by_side = {
        side: [u for i, u in enumerate(unit_objects) if categories[i % 4].side == side]
        for side in ("town", "department")
    }
    values, weights = list(GRADE_WEIGHTS), list(GRADE_WEIGHTS.values())
    ballot_rows, grade_rows = [], []
    for index in range(ballots):
        group = groups[index % len(groups)]
        side = HOLDER_SIDE.get(group.name) if holders else None
        holder = rng.choice(by_side[side]) if side else None
        ballot = Ballot(session=session, group=group, holder_unit=holder)
        ballot_rows.append(ballot)
        grades = rng.choices(values, weights, k=len(unit_objects))
        grade_rows += [
            BallotGrade(ballot=ballot, unit=unit, grade=grade)
            for unit, grade in zip(unit_objects, grades, strict=True)
            if unit is not holder
        ]
    Ballot.objects.bulk_create(ballot_rows, batch_size=2000)
    BallotGrade.objects.bulk_create(grade_rows, batch_size=10000)
    session = services.session_transition(session=session, target="closed", actor=None)
    return session, len(grade_rows)


# ---------------------------------------------------------------- timing


def timed(function: Callable, runs: int, *, warm_up: bool) -> tuple[float, float, object]:
    """Median wall-clock and CPU seconds of ``runs`` calls, and the last result."""
    if warm_up:
        function()
    walls, cpus = [], []
    result = None
    for _run in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def verdict(seconds: float, target: float) -> str:
    if seconds < target:
        return f"meets < {target:g} s"
    return f"MISSES < {target:g} s by {seconds - target:.2f} s ({seconds / target:.1f}×)"


def measure_compute(session, runs: int, label: str, target: float) -> None:
    from scoring import engine, selectors, services

    parts: dict[str, list[float]] = {"load": [], "compute": [], "hash": [], "total": []}
    cpu_totals = []
    for _run in range(runs):
        cpu = time.process_time()
        start = time.perf_counter()
        inputs = selectors.load_inputs(session)
        loaded = time.perf_counter()
        engine.compute(inputs)
        computed = time.perf_counter()
        engine.inputs_hash(inputs)
        hashed = time.perf_counter()
        cpu_totals.append(time.process_time() - cpu)
        parts["load"].append(loaded - start)
        parts["compute"].append(computed - loaded)
        parts["hash"].append(hashed - computed)
        parts["total"].append(hashed - start)
    median = {name: statistics.median(values) for name, values in parts.items()}
    whole, whole_cpu, _result = timed(lambda: services.compute(session), runs, warm_up=False)
    print(
        f"  {label}: load {median['load']:.3f} s + compute {median['compute']:.3f} s"
        f" + hash {median['hash']:.3f} s = {median['total']:.3f} s"
        f" (this process's CPU {statistics.median(cpu_totals):.3f} s)"
    )
    print(
        f"  {label}: services.compute {whole:.3f} s wall, {whole_cpu:.3f} s CPU"
        f" -> {verdict(whole, target)}"
    )


def reference_pdf() -> bytes:
    """The trivial PDF the others are compared with: one line of Chinese in the shipped font,
    through the same WeasyPrint. Measured in the same run, so that the ratios say what the
    documents cost whatever the machine's load."""
    from django.conf import settings
    from weasyprint import HTML

    from scoring.exports import pdf

    html = (
        f'<style>@font-face {{ font-family: "Huiji Report"; src: url("{pdf.FONT_FILE.as_uri()}"); }}'
        ' html { font-family: "Huiji Report"; }</style><p>评议结果通报</p>'
    )
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def measure_exports(session, runs: int) -> None:
    from scoring import document, services
    from scoring.exports import pdf, xlsx

    ref_wall, ref_cpu, _data = timed(reference_pdf, runs, warm_up=True)
    print(f"  reference, a one-line Chinese PDF: {ref_wall:.3f} s wall, {ref_cpu:.3f} s CPU")

    def report(label, function, target):
        wall, cpu, data = timed(function, runs, warm_up=True)
        size = f"{len(data) / 1024:.0f} KiB"
        if label.startswith("PDF"):
            size += (
                f", {pdf_pages(data)} pages; {wall / ref_wall:.0f}× the reference's wall time,"
                f" {cpu / ref_cpu:.0f}× its CPU"
            )
        judged = f" -> {verdict(wall, target)}" if target else ""
        print(f"  {label}: {wall:.3f} s wall, {cpu:.3f} s CPU, {size}{judged}")

    wall, cpu, doc = timed(lambda: document.build(session), runs, warm_up=True)
    print(f"  document.build, preview (computes now): {wall:.3f} s wall, {cpu:.3f} s CPU")
    report("PDF with 40 report cards, preview", lambda: pdf.render(doc, cards=True), TARGETS["pdf"])
    services.result_publish(session=session, actor=None)
    wall, cpu, doc = timed(lambda: document.build(session), runs, warm_up=True)
    print(f"  document.build, published (snapshot):   {wall:.3f} s wall, {cpu:.3f} s CPU")
    report("xlsx", lambda: xlsx.render(doc), TARGETS["xlsx"])
    report("PDF, ranking only (cards=False)", lambda: pdf.render(doc, cards=False), TARGETS["pdf"])
    report("PDF with 40 report cards", lambda: pdf.render(doc, cards=True), TARGETS["pdf"])
    # What the browser's download does: the same file again is the one kept under the SHA-256
    # of its HTML, stylesheet, font and WeasyPrint version (the warm-up made it).
    report(
        "PDF with 40 report cards, downloaded again unchanged (kept file)",
        lambda: pdf.render_for_download(doc, cards=True),
        None,
    )


def pdf_pages(data: bytes) -> str:
    """Pages as pdfinfo (poppler-utils) counts them; "?" without it."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(data)
        file.flush()
        try:
            info = subprocess.run(  # noqa: S603
                ["pdfinfo", file.name],  # noqa: S607
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        except (OSError, subprocess.CalledProcessError):
            return "?"
    return next((line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")), "?")


def machine() -> str:
    model = ""
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout  # noqa: S607
    for line in lscpu.splitlines():
        if line.startswith("Model name:"):
            model = line.split(":", 1)[1].strip()
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    return f"{os.cpu_count()} cores ({model}), load average {load}"


def main() -> int:
    args = parse_args()
    rng = random.Random(args.seed)
    print(f"machine: {machine()}")
    print(f"setting up {args.database} ...", flush=True)
    recreate_database(args.database)
    setup_django(args.database)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)  # the kept PDF files (DatabaseCache)
    sizes = [(40, 1000)] + ([] if args.skip_large else [(200, 5000)])
    sessions = {}
    for units, ballots in sizes:
        started = time.perf_counter()
        sessions[units], grades = build_session(
            units, ballots, rng, title=f"基准测试 {units} 个单位 {ballots} 张评议表"
        )
        print(
            f"  {units} units × {ballots} ballots: {grades:,} grades"
            f" ({time.perf_counter() - started:.1f} s to build)",
            flush=True,
        )

    from django.db import connection

    with connection.cursor() as cursor:
        # What autovacuum does soon after a bulk load; without it the planner works blind.
        cursor.execute("ANALYZE")

    print(f"\nCompute results (median of {args.runs})")
    for units, ballots in sizes:
        measure_compute(
            sessions[units], args.runs, f"{units} × {ballots:,}", TARGETS[f"compute {units}"]
        )
    print(f"\nExports, 40 units × 1,000 ballots (median of {args.export_runs} after a warm-up)")
    measure_exports(sessions[40], args.export_runs)
    print(f"\nmachine after the run: {machine()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
