"""Benchmark ``core.spreadsheet.write_row``, through which every export writes its rows
(docs/benchmarks.md, "Writing workbooks").

    .venv/bin/python bench/bench_write_row.py [--rows 3000] [--repeat 3]

Writes ``--rows`` rows of 20 cells (numbers, text, and text that looks like a formula, which
the function keeps as text) into a new openpyxl sheet and prints the best and median wall time.
No database. Not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huiji_review.settings")

import django  # noqa: E402

django.setup()

from openpyxl import Workbook  # noqa: E402

from core.spreadsheet import write_row  # noqa: E402


def write(rows: int) -> float:
    sheet = Workbook().active
    start = time.perf_counter()
    for i in range(rows):
        write_row(sheet, [f"=x{i}", i, "单位", 1.5] * 5)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark write_row.")
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    walls = [write(args.rows) for _ in range(args.repeat)]
    print(
        f"{args.rows:,} rows × 20 cells: best {min(walls):.2f} s, median "
        f"{statistics.median(walls):.2f} s; load average {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
