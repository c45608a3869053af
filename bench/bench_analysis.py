"""Benchmark the rater-bias report and the robustness of every rank (docs/results.md, "Rater
bias" and "Robustness": for 40 units × 1,000 ballots, the bias report and 1,000 draws under 1 s).

    .venv/bin/python bench/bench_analysis.py [--repeat 5] [--ballots 1000] [--draws 1000]

No database: the engine's inputs are built in memory, 40 units in two categories (8 towns, 32
departments), four rater groups (县级领导 with a side of none, 镇街 of the towns' side, 部门 of
the departments' side, 群众 none) with weights 40/20/20/20, and ``--ballots`` whole-unit
ballots spread over the groups, each grading every unit around a standing drawn per unit (a
seeded generator; the 镇街 group marks towns up by half a grade, so the report has a flag to
raise). Prints the best and median of ``--repeat`` runs of: the engine's computation (for
scale), the bias report, the rank ranges, the band margins, and a trivial reference (``sum``
over 40,000 ints) for a ratio that depends less on the machine. Not a test.
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scoring import bias, engine, robustness  # noqa: E402

D = Decimal
GRADES = ["good", "fairly_good", "average", "poor"]


def build(ballots: int) -> tuple[engine.Inputs, dict, dict]:
    rng = random.Random(2025)
    categories = [engine.Category("t", "镇(街道)", 1), engine.Category("d", "区直部门", 2)]
    units = [engine.Unit(f"t{i}", f"镇{i}", "t") for i in range(8)]
    units += [engine.Unit(f"d{i}", f"部门{i}", "d") for i in range(32)]
    groups = [
        engine.Group("lead", "县级领导", D(40), min_sample=3, is_leaders=True),
        engine.Group("town", "镇街负责人", D(20)),
        engine.Group("dept", "部门负责人", D(20)),
        engine.Group("pub", "群众代表", D(20)),
    ]
    standing = {u.key: rng.random() for u in units}
    found = []
    for n in range(ballots):
        group = groups[n % 4]
        grades = {}
        for unit in units:
            mood = standing[unit.key] + rng.gauss(0, 0.25)
            if group.key == "town" and unit.category == "t":
                mood += 0.5  # own side marked up
            index = 0 if mood > 0.8 else 1 if mood > 0.45 else 2 if mood > 0.15 else 3
            grades[unit.key] = GRADES[index]
        found.append(engine.Ballot(f"{n:06x}", group.key, grades))
    inputs = engine.Inputs(
        scheme=engine.Scheme(tie_break_leaders=True, tie_break_good_share=True),
        categories=categories,
        units=units,
        groups=groups,
        ballots=found,
    )
    group_sides = {"town": "town", "dept": "department"}
    unit_sides = {u.key: "town" if u.category == "t" else "department" for u in units}
    return inputs, group_sides, unit_sides


def timed(call, repeat: int) -> tuple[float, float, object]:
    walls, value = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        value = call()
        walls.append((time.perf_counter() - start) * 1000)
    return min(walls), statistics.median(walls), value


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the bias report and robustness.")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--ballots", type=int, default=1000)
    parser.add_argument("--draws", type=int, default=robustness.DEFAULT_DRAWS)
    args = parser.parse_args()
    inputs, group_sides, unit_sides = build(args.ballots)
    seed = engine.inputs_hash(inputs)
    print(
        f"40 units × {args.ballots:,} ballots, 4 groups; {args.draws} draws; "
        f"{args.repeat} runs each; load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs"
    )
    numbers = list(range(40_000))
    reference = timed(lambda: sum(numbers), args.repeat)
    result = engine.compute(inputs)
    rows = [
        ("reference: sum of 40,000 ints", lambda: sum(numbers)),
        ("engine.compute", lambda: engine.compute(inputs)),
        (
            "bias report",
            lambda: bias.report(inputs, group_sides=group_sides, unit_sides=unit_sides, seed=seed),
        ),
        (
            f"rank ranges ({args.draws} draws)",
            lambda: robustness.rank_ranges(inputs, result, draws=args.draws, seed=seed),
        ),
        ("band margins", lambda: robustness.band_margins(inputs, result)),
    ]
    total = 0.0
    for label, call in rows:
        best, median, value = timed(call, args.repeat)
        if label != "engine.compute" and not label.startswith("reference"):
            total += median
        print(
            f"{label:<32} best {best:8.1f} ms  median {median:8.1f} ms  {median / reference[1]:8.0f}×"
        )
        if label == "bias report":
            print("  flags: " + ", ".join(f"{g.name}: {list(g.flags)}" for g in value))
    print(f"{'bias + ranges + margins':<32} median {total:8.1f} ms")


if __name__ == "__main__":
    main()
