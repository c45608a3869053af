"""Benchmark building the audit pack (docs/results.md, "审计包 (audit pack)": 40 units × 1,000
ballots under 2 s).

    .venv/bin/python bench/bench_audit_pack.py [--runs 5] [--ballots 1000]

Needs PostgreSQL: ``DATABASE_URL`` (default postgres://postgres@127.0.0.1:5432/huiji_bench).
Django's test machinery creates a throwaway ``test_<name>`` database, migrates it, fills it and
drops it at the end. The session is built through the project's services as a district builds
one: 40 units in 4 categories, 4 rater groups (县级领导 40, 区直部门 20, 镇(街道) 20,
两代表一委员 20; the leaders' group breaks ties, then the share of 好; the trimmed mean on),
whole-unit grading, ``--ballots`` anonymous ballots of seeded grades written in bulk as if every
rater had submitted, then closed (the close mixes the ballot box) and published.

It prints the best and median of ``--runs`` builds of the pack (``audit_pack.build``: the inputs
read and hashed, the workbook, verify.py, the README and the ZIP), the parts of one build, the
pack's and the workbook's sizes, a trivial reference (``sum`` over 40,000 ints) for a ratio that
depends less on the machine, and what a reader then waits for: ``python -I verify.py`` on the
unzipped pack (and LibreOffice's recalculation of ranking.xlsx where ``soffice`` is installed).
Not a test.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/huiji_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huiji_review.settings")

import django  # noqa: E402

django.setup()

from bench.pages import throwaway_database  # noqa: E402

UNITS = 40
TARGET_SECONDS = 2.0


def build_session(ballots: int):
    """A published session of 40 units and ``ballots`` ballots (whole-unit grading), built as
    bench/bench_results.py builds its sessions, with no holder on any ballot (anonymous)."""
    from bench.bench_results import build_session as closed_session
    from scoring import services as scoring_services

    session, grades = closed_session(
        UNITS,
        ballots,
        random.Random(2026),
        "审计包基准测试",
        scheme={"trimmed_mean": True, "tie_break_leaders": True, "tie_break_good_share": True},
        holders=False,
    )
    scoring_services.result_publish(session=session, actor=None)
    session.refresh_from_db()
    return session, grades


def timed(call, runs: int) -> tuple[float, float, object]:
    walls, value = [], None
    for _ in range(runs):
        start = time.perf_counter()
        value = call()
        walls.append(time.perf_counter() - start)
    return min(walls), statistics.median(walls), value


def parts(session) -> list[tuple[str, float]]:
    """One build, step by step, as audit_pack.build and pack_bytes do it."""
    from scoring import audit_pack, engine, selectors

    found = []
    start = time.perf_counter()
    snapshot = selectors.current_snapshot(session)
    inputs = selectors.load_inputs(session)
    hashlib.sha256(engine.canonical_inputs(inputs)).hexdigest()
    found.append(("inputs read, canonical JSON, hash", time.perf_counter() - start))
    start = time.perf_counter()
    audit_pack.ranking_workbook(inputs, snapshot.result, title="基准")
    found.append(("ranking.xlsx", time.perf_counter() - start))
    start = time.perf_counter()
    audit_pack.verify_source(audit_pack.ENGINE_SOURCE.read_text(encoding="utf-8"))
    found.append(("verify.py", time.perf_counter() - start))
    return found


def reader_side(content: bytes) -> None:
    """What someone who downloaded the pack waits for."""
    with tempfile.TemporaryDirectory() as folder:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            archive.extractall(folder)
        start = time.perf_counter()
        done = subprocess.run(  # noqa: S603 - this interpreter, the pack's own verify.py
            [sys.executable, "-I", "verify.py"],
            cwd=folder,
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - start
        print(f"python -I verify.py              {wall:8.2f} s  -> {done.stdout.split()[-1]}")
        soffice = shutil.which("soffice")
        if soffice is None:
            print("LibreOffice recalculation         (soffice not installed)")
            return
        start = time.perf_counter()
        subprocess.run(  # noqa: S603 - LibreOffice on our own temporary paths
            [
                soffice,
                f"-env:UserInstallation={Path(folder, 'lo-profile').as_uri()}",
                "--headless",
                "--calc",
                "--convert-to",
                "xlsx",
                "--outdir",
                str(Path(folder, "out")),
                str(Path(folder, "ranking.xlsx")),
            ],
            capture_output=True,
            check=False,
        )
        wall = time.perf_counter() - start
        print(f"LibreOffice recalculation        {wall:8.2f} s  (first start of a new profile)")


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark building the audit pack.")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--ballots", type=int, default=1000)
    args = parser.parse_args()
    with throwaway_database("bench_audit_pack"):
        from django.db import connection

        from scoring import audit_pack

        started = time.perf_counter()
        session, grades = build_session(args.ballots)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum does soon after a bulk load
        print(
            f"{UNITS} units × {args.ballots:,} ballots ({grades:,} grades), 4 groups, whole-unit;"
            f" built and published in {time.perf_counter() - started:.1f} s"
        )
        print(
            f"{args.runs} runs; load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs,"
            f" {connection.vendor}"
        )
        numbers = list(range(40_000))
        ref_best, ref_median, _ = timed(lambda: sum(numbers), max(args.runs, 5))
        audit_pack.build(session)  # warm-up: imports, the connection, the engine's source
        best, median, pack = timed(lambda: audit_pack.build(session), args.runs)
        verdict = "meets" if median < TARGET_SECONDS else "MISSES"
        print(
            f"{'reference: sum of 40,000 ints':<32} best {ref_best * 1000:8.2f} ms"
            f"  median {ref_median * 1000:8.2f} ms"
        )
        print(
            f"{'audit_pack.build':<32} best {best * 1000:8.1f} ms  median {median * 1000:8.1f} ms"
            f"  {median / ref_median:8.0f}×  {verdict} < {TARGET_SECONDS:g} s"
        )
        for label, seconds in parts(session):
            print(f"  {label:<34} {seconds * 1000:8.1f} ms")
        with zipfile.ZipFile(io.BytesIO(pack.content)) as archive:
            sizes = ", ".join(
                f"{info.filename} {info.file_size / 1024:.0f} KiB" for info in archive.infolist()
            )
        print(f"pack {len(pack.content) / 1024:.0f} KiB zipped: {sizes}")
        reader_side(pack.content)


if __name__ == "__main__":
    main()
