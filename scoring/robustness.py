"""How firm each rank and band is (docs/results.md, "Robustness"). Pure Python over the
engine's inputs and result, no Django.

- **Rank ranges**: the ranks each unit takes when every weighted rater group's weight moves
  at random within ±``spread`` points (uniformly, in hundredths of a point, never below 0; a
  group of weight 0 stays out), ``draws`` times, from a recorded ``seed``. Each draw applies
  sections 4.5–4.8 to the group scores of the published result (they do not depend on the
  weights): the 综合评议 rounded, the total, the rank with its tie-breaks, the band with the
  优秀 cap. Integer arithmetic in hundredths keeps 1,000 draws of 40 units well under a second;
  ``tests/scoring/test_robustness.py`` checks every draw against ``engine.compute``.
- **Band margin**: the fewest ballots whose grade for the unit would have to change for its
  band to change, down and up, everything else as published. Each step changes the one grade
  (of any group, to 差 going down or 好 going up) that moves the unit's ranking key the most,
  until its band (thresholds and the 优秀 cap, the other units as they are) is another. Whole-unit
  grading only (per-criterion ballots have no single grade to change).
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction

from . import engine

GRADE_FIELDS = (
    (engine.GOOD, "good"),
    (engine.FAIRLY_GOOD, "fairly_good"),
    (engine.AVERAGE, "average"),
    (engine.POOR, "poor"),
)
DEFAULT_SPREAD = Decimal("5")
DEFAULT_DRAWS = 1000
# Band margins are searched up to this many changed ballots; a band firmer than that is shown
# as such ("> 60").
MARGIN_LIMIT = 60
BEYOND = MARGIN_LIMIT + 1  # a margin larger than the search: shown as "> 60"


def _cents(value) -> int:
    return int(Decimal(value) * 100)


def _round_div(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up (positive or negative), as engine.round2 does
    on hundredths."""
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


@dataclass
class _UnitState:
    key: str
    category: str
    order: int  # input order within the category (equal keys keep it)
    scores: list  # per group: the group score in hundredths, or None (no data)
    fixed: Fraction  # Σ W_c·C_c / 100 of the components other than 综合评议, in hundredths
    review_weight: Fraction  # W_review / 100
    complete: bool  # every other weighted component has a value
    bonus: int  # hundredths
    good: int
    valid: int


class Ranker:
    """Sections 4.5–4.8 from the group scores, for other group weights."""

    def __init__(self, inputs: engine.Inputs, result: engine.Result):
        self.scheme = scheme = inputs.scheme
        self.groups = list(inputs.groups)
        self.leaders = next((i for i, g in enumerate(self.groups) if g.is_leaders), None)
        self.thresholds = (
            _cents(scheme.band_excellent),
            _cents(scheme.band_good),
            _cents(scheme.band_average),
        )
        review_weight = Fraction(scheme.components.get("review", 0)) / 100
        self.units: list[_UnitState] = []
        self.categories: dict[str, list[_UnitState]] = defaultdict(list)
        self.allowed: dict[str, int | None] = {}
        position = {unit.key: index for index, unit in enumerate(inputs.units)}
        for category in result.categories:
            self.allowed[category.category] = category.excellent_allowed
            for order, row in enumerate(sorted(category.rows, key=lambda r: position[r.unit])):
                fixed = Fraction(0)
                complete = True
                for key, value in row.components.items():
                    if key == "review":
                        continue
                    if value is None:
                        complete = False
                    else:
                        fixed += Fraction(scheme.components[key]) * _cents(value) / 100
                state = _UnitState(
                    key=row.unit,
                    category=row.category,
                    order=order,
                    scores=[None if g.score is None else _cents(g.score) for g in row.groups],
                    fixed=fixed,
                    review_weight=review_weight,
                    complete=complete,
                    bonus=_cents(row.bonus) if row.bonus is not None else 0,
                    good=row.good_votes,
                    valid=row.valid_votes,
                )
                self.units.append(state)
                self.categories[category.category].append(state)

    def total(self, state: _UnitState, weights: list[int]) -> int | None:
        """The unit's total in hundredths under ``weights`` (hundredths of a point)."""
        weighted = weight_sum = 0
        for score, weight in zip(state.scores, weights, strict=True):
            if score is not None and weight > 0:
                weighted += weight * score
                weight_sum += weight
        if not weight_sum or not state.complete:
            return None
        review = _round_div(weighted, weight_sum)
        exact = state.fixed + state.review_weight * review
        total = _round_div(exact.numerator, exact.denominator)
        return total + state.bonus

    def key(self, state: _UnitState, total: int, scores=None, good=None, valid=None) -> tuple:
        scheme = self.scheme
        scores = state.scores if scores is None else scores
        key: tuple = (total,)
        if scheme.tie_break_leaders:
            leader = scores[self.leaders] if self.leaders is not None else None
            key += ((0, 0) if leader is None else (1, leader),)
        if scheme.tie_break_good_share:
            good = state.good if good is None else good
            valid = state.valid if valid is None else valid
            key += (Fraction(good, valid) if valid else 0,)
        return key

    def band(self, total: int, rank: int, allowed: int | None) -> str:
        """§4.8, as engine._band gives it: units tied at the cap's boundary share the rank
        that decides, so the tie needs no count here."""
        excellent, good, average = self.thresholds
        if total >= excellent:
            if allowed is None or rank <= allowed:
                return engine.BAND_EXCELLENT
            return engine.BAND_GOOD
        if total >= good:
            return engine.BAND_GOOD
        if total >= average:
            return engine.BAND_AVERAGE
        return engine.BAND_POOR

    def rank_all(self, weights: list[int]) -> dict[str, tuple[int | None, str | None]]:
        """unit key → (rank, band) under ``weights``; (None, None) without a total."""
        found: dict[str, tuple] = {}
        for category, states in self.categories.items():
            keyed = []
            for state in states:
                total = self.total(state, weights)
                if total is None:
                    found[state.key] = (None, None)
                else:
                    keyed.append((self.key(state, total), state.order, state, total))
            keyed.sort(key=lambda item: (item[0], -item[1]), reverse=True)
            ranks: list[int] = []
            for position, item in enumerate(keyed):
                same = position and item[0] == keyed[position - 1][0]
                ranks.append(ranks[-1] if same else position + 1)
            allowed = self.allowed[category]
            for (_key, _order, state, total), rank in zip(keyed, ranks, strict=True):
                found[state.key] = (rank, self.band(total, rank, allowed))
        return found


def base_weights(inputs: engine.Inputs) -> list[int]:
    return [_cents(group.weight) for group in inputs.groups]


def draw_weights(inputs: engine.Inputs, *, spread: Decimal, draws: int, seed: str):
    """The ``draws`` weight vectors (hundredths of a point), reproducible from ``seed``."""
    rng = random.Random(f"robustness:{seed}")
    base = base_weights(inputs)
    step = _cents(spread)
    for _ in range(draws):
        yield [max(0, w + rng.randint(-step, step)) if w > 0 else 0 for w in base]


@dataclass(frozen=True)
class RankRange:
    unit: str
    rank: int | None  # as published
    band: str | None
    low: int | None  # best rank taken
    high: int | None  # worst rank taken
    same_rank: int  # draws giving the published rank
    bands: dict  # band → draws


def rank_ranges(
    inputs: engine.Inputs,
    result: engine.Result,
    *,
    spread: Decimal = DEFAULT_SPREAD,
    draws: int = DEFAULT_DRAWS,
    seed: str,
) -> list[RankRange]:
    ranker = Ranker(inputs, result)
    taken: dict[str, list[int]] = defaultdict(list)
    bands: dict[str, Counter] = defaultdict(Counter)
    for weights in draw_weights(inputs, spread=spread, draws=draws, seed=seed):
        for unit, (rank, band) in ranker.rank_all(weights).items():
            if rank is not None:
                taken[unit].append(rank)
                bands[unit][band] += 1
    found = []
    for row in result.rows():
        ranks = taken.get(row.unit, [])
        found.append(
            RankRange(
                unit=row.unit,
                rank=row.rank,
                band=row.band,
                low=min(ranks) if ranks else None,
                high=max(ranks) if ranks else None,
                same_rank=sum(1 for r in ranks if r == row.rank),
                bands=dict(bands.get(row.unit, {})),
            )
        )
    return found


# ---------------------------------------------------------------- band margins


@dataclass(frozen=True)
class Margin:
    unit: str
    down: int | None  # ballots to change for a lower band; None: no change of its ballots can
    # do it (already the lowest, or held by the 优秀 cap); BEYOND: more than MARGIN_LIMIT
    up: int | None  # for a higher band


def band_margins(inputs: engine.Inputs, result: engine.Result) -> list[Margin]:
    """Every ranked unit's margins (whole-unit grading; an empty list otherwise)."""
    if inputs.scheme.criteria:
        return []
    ranker = Ranker(inputs, result)
    weights = base_weights(inputs)
    values = {grade: _cents(inputs.scheme.grade_values[grade]) for grade in engine.VOTING_GRADES}
    margins = []
    by_key = {state.key: state for state in ranker.units}
    for row in result.rows():
        if row.rank is None:
            continue
        state = by_key[row.unit]
        others = [
            ranker.key(other, total)
            for other in ranker.categories[state.category]
            if other is not state and (total := ranker.total(other, weights)) is not None
        ]
        allowed = ranker.allowed[state.category]
        margin = _Margin(ranker, inputs, row, state, weights, values, others, allowed)
        margins.append(Margin(row.unit, margin.steps(down=True), margin.steps(down=False)))
    return margins


class _Margin:
    """One unit's margins, found exactly (see the module's docstring).

    Within one group the best ``j`` changes are known: going up, its ``j`` lowest grades become
    好; going down, its ``j`` highest become 差 (each such change moves the group's mean, plain
    or trimmed, at least as far as any other; the trimmed mean never moves back). Across groups,
    the fewest changes are found by a knapsack over the groups: for k = 1, 2, … the best
    weighted sum Σ wᵍ·sᵍ(jᵍ) with Σ jᵍ = k; the total is monotone in that sum, so the first k
    whose best sum changes the band is the margin. Searched up to ``MARGIN_LIMIT`` changes."""

    def __init__(self, ranker, inputs, row, state, weights, values, others, allowed):
        self.ranker, self.state, self.weights = ranker, state, weights
        self.values, self.others, self.allowed = values, others, allowed
        self.scheme = inputs.scheme
        self.groups = inputs.groups
        self.row = row
        self.histograms = [
            {grade: getattr(g, name) for grade, name in GRADE_FIELDS} for g in row.groups
        ]

    def _score(self, group, histogram) -> int | None:
        votes = sum(histogram.values())
        if votes < max(group.min_sample, 1):
            return None
        total = sum(self.values[grade] * n for grade, n in histogram.items())
        count = votes
        if self.scheme.trimmed_mean and votes > self.scheme.trim_above and votes >= 3:
            present = [self.values[grade] for grade, n in histogram.items() if n]
            total -= max(present) + min(present)
            count -= 2
        return _round_div(total, count)

    def _outcome(self, histograms) -> str:
        scores = [self._score(g, h) for g, h in zip(self.groups, histograms, strict=True)]
        good = sum(h[engine.GOOD] for h in histograms)
        valid = sum(sum(h.values()) for h in histograms)
        changed = replace(self.state, scores=scores)
        total = self.ranker.total(changed, self.weights)
        key = self.ranker.key(changed, total, scores, good, valid)
        rank = 1 + sum(1 for other in self.others if other > key)
        return self.ranker.band(total, rank, self.allowed)

    def _runs(self, histogram, *, down: bool) -> list:
        """The group's histograms after 0, 1, 2 … best changes."""
        target = engine.POOR if down else engine.GOOD
        # Going down the highest values go first; going up the lowest.
        order = sorted(
            (grade for grade in histogram if grade != target),
            key=lambda grade: self.values[grade],
            reverse=down,
        )
        current = dict(histogram)
        found = [dict(current)]
        for grade in order:
            for _ in range(histogram[grade]):
                current[grade] -= 1
                current[target] += 1
                found.append(dict(current))
                if len(found) > MARGIN_LIMIT:
                    return found
        return found

    def steps(self, *, down: bool) -> int | None:
        published = self.row.band
        order = [engine.BAND_POOR, engine.BAND_AVERAGE, engine.BAND_GOOD, engine.BAND_EXCELLENT]
        if order.index(published) == (0 if down else len(order) - 1):
            return None  # no lower (higher) band
        sign = -1 if down else 1
        runs, gains = [], []
        for group, histogram, weight in zip(
            self.groups, self.histograms, self.weights, strict=True
        ):
            steps = self._runs(histogram, down=down)
            scores = [self._score(group, h) for h in steps]
            if scores[0] is None or weight <= 0:
                steps, scores = steps[:1], scores[:1]  # changes here move nothing weighted
            runs.append(steps)
            gains.append([sign * weight * (score or 0) for score in scores])
        # best[k] = (value, allocation) of the best Σ over the groups seen so far.
        limit = min(MARGIN_LIMIT, sum(len(r) - 1 for r in runs))
        best: list = [(0, ())]
        for gain in gains:
            merged: list = []
            for k in range(limit + 1):
                choice = None
                for j in range(min(k, len(gain) - 1) + 1):
                    if k - j < len(best) and best[k - j] is not None:
                        value = best[k - j][0] + gain[j]
                        if choice is None or value > choice[0]:
                            choice = (value, (*best[k - j][1], j))
                merged.append(choice)
            best = merged
        for k in range(1, limit + 1):
            if best[k] is None:
                continue
            allocation = best[k][1]
            histograms = [run[j] for run, j in zip(runs, allocation, strict=True)]
            if self._outcome(histograms) != published:
                return k
        # Searched to the limit with changes left: firmer than the search can tell.
        possible = sum(len(r) - 1 for r in runs)
        return BEYOND if possible > MARGIN_LIMIT and limit == MARGIN_LIMIT else None
