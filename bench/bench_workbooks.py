"""Benchmark reading workbooks (docs/workbooks.md, "Size and speed"; docs/design.md §8).

    .venv/bin/python bench/bench_workbooks.py [--repeat 5]

Prints, for each file, the wall time (best and median of ``--repeat`` runs) and the peak
Python memory (tracemalloc) of parsing it as a session workbook, and the process's peak
resident size at the end:

- far-cell.xlsx: the reported case, a small workbook with one formatted empty cell at
  XFD1048576 (target: under 1 s and under 200 MB; it took 97 s and ran out of memory when
  the reader built every cell up to the last formatted one);
- session-libreoffice.xlsx and session.xls: an office's workbook as LibreOffice writes it;
- a generated workbook of 2,000 units and 2,000 rater rows (the size limits' order).

Not a test: the numbers depend on the machine and on whatever else runs on it.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huiji_review.settings")

import django  # noqa: E402

django.setup()

from openpyxl import Workbook  # noqa: E402

from sessions.workbook import WorkbookError, parse_session_workbook  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "workbooks"


def large_workbook(units: int = 2000) -> bytes:
    book = Workbook()
    meta = book.active
    meta.title = "会议"
    meta.append(["名称", "大型评议会"])
    sheet = book.create_sheet("单位")
    sheet.append(["名称", "类别"])
    for n in range(units):
        sheet.append([f"单位{n:04d}", f"类别{n % 8}"])
    groups = book.create_sheet("评议组")
    groups.append(["名称", "权重"])
    for n in range(4):
        groups.append([f"评议组{n}", 25])
    raters = book.create_sheet("评议人")
    raters.append(["评议组", "所在单位", "人数"])
    for n in range(units):
        raters.append([f"评议组{n % 4}", f"单位{n:04d}", 1])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def measure(data: bytes, repeat: int) -> tuple[list[float], int, str]:
    times = []
    outcome = ""
    for _ in range(repeat):
        start = time.perf_counter()
        try:
            workbook = parse_session_workbook(io.BytesIO(data))
            outcome = f"{len(workbook.units)} units"
        except WorkbookError as exc:
            outcome = f"refused: {exc.messages[0][:40]}…"
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    with contextlib.suppress(WorkbookError):
        parse_session_workbook(io.BytesIO(data))
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return times, peak, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    cases = [
        (name, (FIXTURES / name).read_bytes())
        for name in ("far-cell.xlsx", "session-libreoffice.xlsx", "session.xls")
    ]
    cases.append(("generated 2,000 units + 2,000 raters .xlsx", large_workbook()))
    print(f"{'file':45} {'size':>9} {'best':>9} {'median':>9} {'peak py':>10}  outcome")
    for name, data in cases:
        times, peak, outcome = measure(data, args.repeat)
        print(
            f"{name:45} {len(data) / 1024:7.1f}KB {min(times) * 1000:7.1f}ms "
            f"{statistics.median(times) * 1000:7.1f}ms {peak / 1024 / 1024:8.1f}MB  {outcome}"
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak resident size: {rss:.0f} MB (Django, openpyxl and calamine included)")


if __name__ == "__main__":
    main()
