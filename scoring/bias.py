"""The rater-bias report (docs/results.md, "Rater bias"): per rater group, how it grades
compared with the others on the same units. Pure Python over the engine's inputs, no Django.

Nothing here changes a score. The figures describe; the flags say where a figure passes a
threshold fixed in advance (below), and the scheme says beforehand whether a flag is also noted
in the 通报 (``ScoringScheme.bias_flag_action``).

A ballot's *mark* for a unit is its grade's value (whole-unit grading) or the criterion-weighted
mean of its criterion grades (per-criterion grading); 弃权, blanks, void ballots and a ballot's
grade for its holder's own unit are not marks, as in the scoring (section 4.2–4.3).

- **Leniency**: for each unit the group graded and another group graded too, the group's mean
  mark minus the other groups' mean mark on it; the figure is the mean of these differences.
- **Straight-lining**: the share of the group's ballots that mark every unit they graded (at
  least three) alike, and the share that mark every one 好.
- **Own side**: for a group of one side (towns or departments), the mean difference on units
  of its own side minus the mean difference on units of the other side, the differences taken
  against the groups of no side (leaders, the public) where there are any, so that one side's
  favouritism does not make the other side's groups look harsh; its significance is a
  permutation test that shuffles which units are "own side" (seeded, so the figure is
  reproducible), two-sided.
- **Agreement**: Krippendorff's α for ordinal data within the group (units as items, the
  group's ballots as coders, marks as ordered values): 1 is perfect agreement, 0 what chance
  gives, below 0 systematic disagreement.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from . import engine

# Flags, fixed in advance (docs/results.md, "Rater bias").
LENIENCY_FLAG = 5.0  # points: a quarter of one grade step (好 100, 较好 80)
STRAIGHT_FLAG_SHARE = 0.10  # of the group's ballots, and at least STRAIGHT_FLAG_MIN of them
STRAIGHT_FLAG_MIN = 2
STRAIGHT_MIN_UNITS = 3
OWN_SIDE_FLAG = 3.0  # points
OWN_SIDE_SIGNIFICANCE = 0.01
PERMUTATIONS = 2000
MIN_UNITS_A_SIDE = 3  # units of each side needed to compare the sides at all


@dataclass(frozen=True)
class OwnSide:
    side: str
    own_units: int
    other_units: int
    difference: float  # points: own side's mean difference minus the other side's
    p_value: float


@dataclass(frozen=True)
class GroupBias:
    group: str  # the group's key
    name: str
    ballots: int
    marks: int
    leniency: float | None  # points above (+) or below (−) the other groups on the same units
    leniency_units: int
    straight: int  # ballots marking every unit alike
    all_good: int  # ballots marking every unit 好
    own_side: OwnSide | None
    alpha: float | None  # Krippendorff's α, ordinal
    flags: tuple[str, ...]  # "leniency", "straight", "own_side"

    @property
    def straight_share(self) -> float:
        return self.straight / self.ballots if self.ballots else 0.0

    @property
    def all_good_share(self) -> float:
        return self.all_good / self.ballots if self.ballots else 0.0


def _values(scheme: engine.Scheme) -> dict[str, float]:
    # A description, not a score: floats are exact enough here and keep 10⁵ marks fast.
    return {grade: float(scheme.grade_values[grade]) for grade in engine.VOTING_GRADES}


def marks_by_group(inputs: engine.Inputs) -> dict[str, dict[str, list[float]]]:
    """group key → unit key → the marks its counted ballots gave the unit."""
    scheme = inputs.scheme
    values = _values(scheme)
    found: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for ballot in inputs.ballots:
        if ballot.void:
            continue
        for unit, grade in ballot.grades.items():
            if unit == ballot.holder_unit:
                continue
            mark = _mark(scheme, values, grade)
            if mark is not None:
                found[ballot.group][unit].append(mark)
    return found


def _mark(scheme: engine.Scheme, values, grade) -> float | None:
    if not scheme.criteria:
        return values.get(grade)
    if not isinstance(grade, Mapping):
        return None
    weighted = weight_sum = 0.0
    for key, weight in scheme.criteria:
        value = values.get(grade.get(key))
        if value is not None:
            weighted += float(weight) * value
            weight_sum += float(weight)
    return weighted / weight_sum if weight_sum else None


def report(
    inputs: engine.Inputs,
    *,
    group_sides: Mapping[str, str],
    unit_sides: Mapping[str, str],
    seed: str,
) -> list[GroupBias]:
    """The bias figures of every group, in the inputs' order. ``group_sides`` and
    ``unit_sides`` name each group's and unit's side ("" or absent: none); ``seed`` makes the
    permutation tests reproducible (the snapshot's inputs hash, recorded with the result)."""
    marks = marks_by_group(inputs)
    values = _values(inputs.scheme)
    good = values[engine.GOOD]
    # Per unit and group, the sum and count of marks, for the other groups' means.
    sums: dict[str, dict[str, tuple[float, int]]] = defaultdict(dict)
    for group_key, by_unit in marks.items():
        for unit, unit_marks in by_unit.items():
            sums[unit][group_key] = (sum(unit_marks), len(unit_marks))
    neutral = {g.key for g in inputs.groups if not group_sides.get(g.key)}
    straight, all_good, ballots = _straight_lines(inputs, values, good)
    rng = random.Random(f"bias:{seed}")
    found = []
    for group in inputs.groups:
        by_unit = marks.get(group.key, {})
        differences = _differences(group.key, by_unit, sums, lambda key: True)
        # A side is measured against the groups of no side where there are any: a group that
        # favours its own side would otherwise make the other side's groups look harsh on it.
        reference = neutral - {group.key}
        sided = (
            _differences(group.key, by_unit, sums, reference.__contains__)
            if reference
            else differences
        )
        leniency = sum(differences.values()) / len(differences) if differences else None
        own = _own_side(group_sides.get(group.key, ""), sided, unit_sides, rng)
        flags = []
        if leniency is not None and abs(leniency) >= LENIENCY_FLAG:
            flags.append("leniency")
        n = ballots.get(group.key, 0)
        lined = straight.get(group.key, 0)
        if lined >= STRAIGHT_FLAG_MIN and n and lined / n >= STRAIGHT_FLAG_SHARE:
            flags.append("straight")
        if (
            own is not None
            and abs(own.difference) >= OWN_SIDE_FLAG
            and own.p_value < OWN_SIDE_SIGNIFICANCE
        ):
            flags.append("own_side")
        found.append(
            GroupBias(
                group=group.key,
                name=group.name,
                ballots=n,
                marks=sum(len(m) for m in by_unit.values()),
                leniency=leniency,
                leniency_units=len(differences),
                straight=lined,
                all_good=all_good.get(group.key, 0),
                own_side=own,
                alpha=krippendorff_alpha_ordinal(by_unit.values()),
                flags=tuple(flags),
            )
        )
    return found


def _differences(group: str, by_unit, sums, counts) -> dict[str, float]:
    """unit → the group's mean mark minus the mean mark of the other groups that ``counts``
    (pooled), on every unit both graded."""
    found = {}
    for unit, unit_marks in by_unit.items():
        other_sum = other_count = 0
        for key, (total, count) in sums[unit].items():
            if key != group and counts(key):
                other_sum += total
                other_count += count
        if other_count:
            found[unit] = sum(unit_marks) / len(unit_marks) - other_sum / other_count
    return found


def _straight_lines(inputs: engine.Inputs, values, good) -> tuple[dict, dict, dict]:
    """Per group: ballots marking every unit alike (of at least three), those marking every
    one 好, and the ballots counted."""
    straight: dict[str, int] = defaultdict(int)
    all_good: dict[str, int] = defaultdict(int)
    ballots: dict[str, int] = defaultdict(int)
    for ballot in inputs.ballots:
        if ballot.void:
            continue
        ballots[ballot.group] += 1
        marked = [
            mark
            for unit, grade in ballot.grades.items()
            if unit != ballot.holder_unit
            and (mark := _mark(inputs.scheme, values, grade)) is not None
        ]
        marks = set(marked)
        if len(marked) >= STRAIGHT_MIN_UNITS and len(marks) == 1:
            straight[ballot.group] += 1
            if marks == {good}:
                all_good[ballot.group] += 1
    return straight, all_good, ballots


def _own_side(side: str, differences: dict, unit_sides, rng: random.Random) -> OwnSide | None:
    if not side:
        return None
    units = sorted(differences)
    own = [differences[u] for u in units if unit_sides.get(u) == side]
    other = [differences[u] for u in units if unit_sides.get(u) and unit_sides[u] != side]
    if len(own) < MIN_UNITS_A_SIDE or len(other) < MIN_UNITS_A_SIDE:
        return None
    observed = sum(own) / len(own) - sum(other) / len(other)
    pooled = own + other
    k = len(own)
    total = sum(pooled)
    extreme = 0
    for _ in range(PERMUTATIONS):
        rng.shuffle(pooled)
        first = sum(pooled[:k])
        difference = first / k - (total - first) / (len(pooled) - k)
        if abs(difference) >= abs(observed) - 1e-12:
            extreme += 1
    return OwnSide(
        side=side,
        own_units=len(own),
        other_units=len(other),
        difference=observed,
        p_value=(extreme + 1) / (PERMUTATIONS + 1),
    )


def krippendorff_alpha_ordinal(units) -> float | None:
    """Krippendorff's α with the ordinal difference function, for ``units``: an iterable of
    each unit's list of values (one per coder who rated it). Units with fewer than two values
    are not pairable and are left out. None when nothing is pairable or every value is the
    same (α is then undefined)."""
    coincidence: dict[tuple, float] = defaultdict(float)
    for values in units:
        m = len(values)
        if m < 2:
            continue
        counts: dict = defaultdict(int)
        for value in values:
            counts[value] += 1
        for c, n_c in counts.items():
            for k, n_k in counts.items():
                pairs = n_c * (n_k - 1) if c == k else n_c * n_k
                if pairs:
                    coincidence[(c, k)] += pairs / (m - 1)
    if not coincidence:
        return None
    marginal: dict = defaultdict(float)
    for (c, _k), count in coincidence.items():
        marginal[c] += count
    n = sum(marginal.values())
    ordered = sorted(marginal)
    if len(ordered) < 2 or n <= 1:
        return None
    position = {value: i for i, value in enumerate(ordered)}
    cumulative = [0.0]
    for value in ordered:
        cumulative.append(cumulative[-1] + marginal[value])

    def delta2(c, k) -> float:
        low, high = sorted((position[c], position[k]))
        between = cumulative[high + 1] - cumulative[low]
        return (between - (marginal[c] + marginal[k]) / 2) ** 2

    observed = sum(count * delta2(c, k) for (c, k), count in coincidence.items()) / n
    expected = sum(marginal[c] * marginal[k] * delta2(c, k) for c in ordered for k in ordered) / (
        n * (n - 1)
    )
    if expected == 0:
        return None
    return 1 - observed / expected
