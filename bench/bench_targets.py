"""Benchmark the targets' annual computation and the breakdown workbook (docs/targets.md;
the year-around-the-meeting benchmark: a district with 300 targets × 40 units, the annual
computation under 1 s).

    .venv/bin/python bench/bench_targets.py [--repeat 5]

Builds 300 targets with every kind of rule (ratio with floor and cap, steps, pass/fail, a 力争
bonus on a third of them, a veto on a few) and 40 units, each assessed on every target (12,000
unit-target scores: the worst case, where every unit answers for every target), with results
drawn from a seeded generator. Prints the best and median wall time of ``--repeat`` runs of:

- the annual computation (``targets.engine.unit_score`` for the 40 units);
- parsing a 300-row breakdown workbook naming the 40 units (``targets.workbook``);
- a trivial reference: ``sum`` over 12,000 Decimals, for a ratio that does not depend on the
  machine's speed.

No database is needed. Not a test: the numbers depend on the machine and on what else runs.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huiji_review.settings")

import django  # noqa: E402

django.setup()

from openpyxl import Workbook  # noqa: E402

from targets import engine  # noqa: E402
from targets.workbook import COLUMN_ORDER, parse_targets_workbook  # noqa: E402

D = Decimal
TARGETS, UNITS = 300, 40


def build_targets(rng: random.Random) -> list[engine.Target]:
    steps = ((D("0.8"), D("0.6")), (D("0.9"), D("0.8")), (D(1), D(1)))
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
        method = (engine.RATIO, engine.STEPS, engine.PASS_FAIL)[i % 3]
        rule = engine.Rule(
            method=method,
            floor=D("0.5") if method == engine.RATIO else D(0),
            cap=D("1.2") if method == engine.RATIO else D(1),
            steps=steps if method == engine.STEPS else (),
            bonus=D(2) if stretch is not None else D(0),
            veto=i % 97 == 0,
        )
        direction = engine.AT_LEAST if up else engine.AT_MOST
        targets.append(
            engine.Target(
                f"{i + 1}", D(rng.randint(1, 10)), goal, direction, baseline, stretch, rule
            )
        )
    return targets


def annual(targets, results) -> list[engine.UnitScore]:
    return [
        engine.unit_score(list(zip(targets, unit_results, strict=True))) for unit_results in results
    ]


def breakdown(targets, units) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "目标"
    sheet.append(list(COLUMN_ORDER))
    for i, t in enumerate(targets):
        sheet.append(
            [t.key, f"指标{i + 1}", "定量指标", "个", "不低于" if t.direction == engine.AT_LEAST else "不高于",
             t.baseline, t.goal, t.stretch, t.points, {"ratio": "按完成率", "steps": "分档", "pass_fail": "达标得分"}[t.rule.method],
             "50%" if t.rule.method == "ratio" else None, "120%" if t.rule.method == "ratio" else None,
             "80%:60%；90%:80%；100%:100%" if t.rule.method == "steps" else None,
             t.rule.bonus or None, "是" if t.rule.veto else "否", "按季", units[i % UNITS], "、".join(units[(i + 1) % UNITS : (i + 1) % UNITS + 2])]
        )  # fmt: skip
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def timed(function, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(2026)
    targets = build_targets(rng)
    results = [
        [None if rng.random() < 0.02 else t.goal * D(rng.randint(60, 130)) / 100 for t in targets]
        for _ in range(UNITS)
    ]
    units = [f"单位{n:02d}" for n in range(UNITS)]
    data = breakdown(targets, units)
    numbers = [D(n) / 7 for n in range(TARGETS * UNITS)]

    scores = annual(targets, results)
    rows = parse_targets_workbook(io.BytesIO(data), unit_names=units)
    assert len(scores) == UNITS and len(rows) == TARGETS
    print(
        f"{TARGETS} targets × {UNITS} units = {TARGETS * UNITS:,} scores; workbook {len(data):,} bytes"
    )
    print(f"load average {os.getloadavg()[0]:.2f}")
    reference = timed(lambda: sum(numbers), args.repeat)
    lines = [
        ("annual computation (unit_score × 40)", timed(lambda: annual(targets, results), args.repeat)),
        ("parse the 300-row breakdown workbook", timed(lambda: parse_targets_workbook(io.BytesIO(data), unit_names=units), args.repeat)),
        ("reference: sum of 12,000 Decimals", reference),
    ]  # fmt: skip
    for label, (best, median) in lines:
        ratio = median / reference[1]
        print(
            f"{label:40} best {best * 1000:8.1f} ms  median {median * 1000:8.1f} ms  {ratio:8.0f}× reference"
        )


if __name__ == "__main__":
    main()
