"""The scoring engine: docs/design.md §4, in pure Python over plain data.

No Django here (STYLE.md point 4): ``scoring/services.py`` loads the inputs from the database,
calls :func:`compute` and stores the :class:`Result`; the exports read the stored result. Keeping
the rules in one function over frozen dataclasses is what lets the property tests run them many
thousands of times.

Numbers. Inputs and outputs are ``Decimal`` (never float). In between, the engine works with
``fractions.Fraction``, which is exact: a mean such as 260/3 stays 260/3 until it is rounded, so
no rounding of a ``Decimal`` context's precision can sneak in. Values are rounded half up
(四舍五入) to 2 decimals only where section 4.7 says so: each group score, each component (and
so the 综合评议 score) and the total.

Keys. Units, groups, categories, criteria and ballots are named by keys (``str(pk)`` is the
intended choice). They are compared as given and written as strings in the canonical inputs.

Where section 4 is silent, this module decides as follows (each is also said where it applies):

- Blank (a unit or criterion missing from a ballot, or ``None``) is like 弃权: not a vote, but it
  is not counted as 弃权 either.
- A ballot's grade for its holder's own unit is ignored (4.2). Only a real grade (not 弃权 or
  blank) counts towards the row's ``own_unit_votes_ignored``.
- Minimum sample (4.4) is checked on the valid votes before trimming. The trimmed mean (4.3)
  applies when a group has more than ``trim_above`` votes on the unit *and* at least 3, so that
  at least one vote is left after dropping the highest and the lowest.
- A group with weight 0 never contributes to 综合评议. If no group of weight > 0 has data for a
  unit, the unit has no 综合评议 score and is flagged ``no_valid_votes`` (无有效评议).
- A unit with no 综合评议 score gets no total, no rank and no band, whatever the component
  weights (4.5 says so without exception). A component with weight > 0 (目标考核, 日常考核,
  问政满意度, 书面点评) that has no value for a unit is *not* renormalised away (4.6 does not
  allow it): the unit gets no total, no rank and no band and is flagged
  ``missing_component:<key>``. Unranked units are listed after the ranked ones, in input order.
- Total = round2(Σ W_c · C_c / 100) + 加减分 (when ``apply_bonus``); 加减分 is rounded to 2 decimals
  first, so the total stays at 2 decimals.
- Tie-breaks (4.7) compare the *rounded* group score of the group flagged ``is_leaders`` (a unit
  for which that group has no data loses to one for which it has), then the exact share of 好
  among all valid votes on the unit, over all groups. In per-criterion mode the share counts
  criterion grades: 好 grades / non-abstained criterion grades. Units still equal share the rank.
- The cap on 优秀 (4.8) is ⌊cap% × number of units in the category⌋, counting every unit of the
  category, ranked or not. A unit is 优秀 when its total reaches the threshold and its rank is
  within that number; units tied at the boundary are all 优秀 (``band_rule == "cap_tie"``).
"""

import hashlib
import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from math import floor, lcm
from operator import itemgetter

ENGINE_VERSION = "huiji-review-engine/1"

# Grades as stored in BallotGrade.grade (sessions.models.Grade).
GOOD = "good"
FAIRLY_GOOD = "fairly_good"
AVERAGE = "average"
POOR = "poor"
ABSTAIN = "abstain"
VOTING_GRADES = (GOOD, FAIRLY_GOOD, AVERAGE, POOR)
GRADES = (*VOTING_GRADES, ABSTAIN)

# Components of the total (4.6), in the order the table shows them.
COMPONENTS = ("review", "target", "daily", "satisfaction", "leader_comment")

# Bands (等次, 4.8) and the rule that produced each.
BAND_EXCELLENT = "excellent"
BAND_GOOD = "good"
BAND_AVERAGE = "average"
BAND_POOR = "poor"
BAND_LABELS = {
    BAND_EXCELLENT: "优秀",
    BAND_GOOD: "良好",
    BAND_AVERAGE: "一般",
    BAND_POOR: "较差",
}
RULE_THRESHOLD = "threshold"  # the score thresholds alone
RULE_CAP = "cap"  # reached the 优秀 threshold but ranked beyond the cap: 良好
RULE_CAP_TIE = "cap_tie"  # 优秀 because tied at the boundary of the cap
BAND_RULE_LABELS = {
    RULE_THRESHOLD: "分数线",
    RULE_CAP: "优秀比例限制",
    RULE_CAP_TIE: "并列（优秀比例边界）",
}

DEFAULT_GRADE_VALUES = {
    GOOD: Decimal("100"),
    FAIRLY_GOOD: Decimal("80"),
    AVERAGE: Decimal("60"),
    POOR: Decimal("40"),
}
DEFAULT_SATISFACTION_VALUES = {
    "satisfied": Decimal("100"),
    "basically_satisfied": Decimal("70"),
    "dissatisfied": Decimal("30"),
}

HUNDRED = Decimal("100")
CENT = Decimal("0.01")


# --- inputs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scheme:
    """计分办法: the rules of section 4 for one session. The defaults are section 4's."""

    grade_values: Mapping[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_GRADE_VALUES))
    # (criterion key, weight) pairs; empty means each unit gets one grade per ballot (4.3).
    criteria: tuple[tuple[str, Decimal], ...] = ()
    trimmed_mean: bool = False
    trim_above: int = 5
    # Component key -> weight in percent of the total; the weights must sum to 100 (4.6).
    components: Mapping[str, Decimal] = field(default_factory=lambda: {"review": HUNDRED})
    apply_bonus: bool = True
    tie_break_leaders: bool = False
    tie_break_good_share: bool = False
    band_excellent: Decimal = Decimal("90")
    band_good: Decimal = Decimal("80")
    band_average: Decimal = Decimal("70")
    excellent_cap_enabled: bool = True
    excellent_cap_percent: Decimal = Decimal("30")
    # 4.11: the score of each satisfaction answer (满意 / 基本满意 / 不满意).
    satisfaction_values: Mapping[str, Decimal] = field(
        default_factory=lambda: dict(DEFAULT_SATISFACTION_VALUES)
    )


@dataclass(frozen=True)
class Category:
    key: str
    name: str
    order: int = 0


@dataclass(frozen=True)
class Unit:
    key: str
    name: str
    category: str  # a Category key


@dataclass(frozen=True)
class Group:
    key: str
    name: str
    weight: Decimal
    min_sample: int = 3
    is_leaders: bool = False  # the 县级领导 group compared by the first tie-break (4.7)


@dataclass(frozen=True)
class Ballot:
    """One submitted 评议表.

    ``grades`` maps a unit key to a grade (whole-unit grading) or, when the scheme has criteria,
    to a mapping of criterion key to grade. A grade is one of ``GRADES`` or ``None`` (blank).
    """

    key: str
    group: str
    grades: Mapping[str, object]
    holder_unit: str | None = None
    void: bool = False


@dataclass(frozen=True)
class ExternalScores:
    """其他考核得分 of one unit: the components other than 综合评议, and 加减分."""

    target: Decimal | None = None
    daily: Decimal | None = None
    # 问政满意度 given as a score, or (the live meeting's way) as the counts of 满意, 基本满意
    # and 不满意 votes on the unit's answers, scored by the scheme's values (4.11). The counts
    # win when both are given.
    satisfaction: Decimal | None = None
    satisfaction_votes: tuple[int, int, int] | None = None
    leader_comment: Decimal | None = None
    bonus: Decimal = Decimal("0")
    bonus_reasons: tuple[str, ...] = ()
    # The SHA-256 of what a 目标考核 taken from target management was computed from
    # (docs/targets.md, "Into the review"): hashed with the inputs, so a changed basis makes a
    # different snapshot even where the score stays the same. Empty for a typed score.
    target_basis: str = ""


NO_EXTERNAL_SCORES = ExternalScores()


@dataclass(frozen=True)
class Inputs:
    """Everything a result depends on. Units, groups and categories keep their given order
    (it decides the column order and the order of units that stay tied); ballot order does not
    matter."""

    scheme: Scheme
    categories: Sequence[Category]
    units: Sequence[Unit]
    groups: Sequence[Group]
    ballots: Sequence[Ballot]
    external: Mapping[str, ExternalScores] = field(default_factory=dict)


# --- outputs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupResult:
    """One group's votes on one unit.

    In whole-unit grading the grade counts are counts of ballots; in per-criterion grading they
    count criterion grades, while ``votes`` counts ballots that are votes (4.3)."""

    group: str
    votes: int  # valid votes, before trimming
    good: int
    fairly_good: int
    average: int
    poor: int
    abstain: int
    score: Decimal | None  # None when the group has no data for the unit
    has_data: bool
    trimmed: bool


@dataclass(frozen=True)
class Row:
    unit: str
    unit_name: str
    category: str
    groups: tuple[GroupResult, ...]  # in the order of Inputs.groups
    review: Decimal | None  # 综合评议 score
    components: Mapping[str, Decimal | None]  # components with weight > 0, review included
    bonus: Decimal | None  # 加减分 as added to the total; None when the scheme does not apply it
    bonus_reasons: tuple[str, ...]
    total: Decimal | None
    rank: int | None
    band: str | None  # BAND_* code; BAND_LABELS has the 中文
    band_rule: str | None  # RULE_* code
    good_votes: int
    valid_votes: int
    own_unit_votes_ignored: int
    flags: tuple[str, ...]


@dataclass(frozen=True)
class CategoryResult:
    category: str
    name: str
    unit_count: int
    excellent_allowed: int | None  # the cap on 优秀; None when the cap is off
    rows: tuple[Row, ...]  # ranked rows by rank, then the unranked ones


@dataclass(frozen=True)
class Result:
    categories: tuple[CategoryResult, ...]  # by Category.order, then input order
    ballots_used: int
    ballots_void: int
    void_ballots: tuple[str, ...]  # their keys, sorted, for the report (4.10)

    def rows(self) -> Iterator[Row]:
        for category in self.categories:
            yield from category.rows

    def row(self, unit: str) -> Row:
        for row in self.rows():
            if row.unit == unit:
                return row
        raise KeyError(unit)

    def to_dict(self) -> dict:
        """Plain JSON-ready data: Decimals as strings (always 2 decimals), tuples as lists."""
        return _plain(self)

    def to_json(self) -> bytes:
        return _canonical_json(self.to_dict())


@dataclass(frozen=True)
class Satisfaction:
    """问政满意率 and score of section 4.11; both None without a valid vote."""

    votes: int
    rate_percent: Decimal | None  # (满意 + 基本满意) / votes × 100, rounded to 2 decimals
    score: Decimal | None  # mean of the satisfaction values, rounded to 2 decimals


# --- section 4.11 -------------------------------------------------------------------------------


def satisfaction(
    satisfied: int,
    basically_satisfied: int,
    dissatisfied: int,
    *,
    values: Mapping[str, Decimal] = DEFAULT_SATISFACTION_VALUES,
) -> Satisfaction:
    """问政满意率 = (满意 + 基本满意) / valid votes; the score values 满意 100, 基本满意 70,
    不满意 30 by default (4.11)."""
    counts = (satisfied, basically_satisfied, dissatisfied)
    if any(count < 0 for count in counts):
        raise ValueError("satisfaction counts cannot be negative")
    votes = sum(counts)
    if votes == 0:
        return Satisfaction(votes=0, rate_percent=None, score=None)
    rate = Fraction(satisfied + basically_satisfied, votes) * 100
    total = (
        satisfied * Fraction(values["satisfied"])
        + basically_satisfied * Fraction(values["basically_satisfied"])
        + dissatisfied * Fraction(values["dissatisfied"])
    )
    return Satisfaction(votes=votes, rate_percent=round2(rate), score=round2(total / votes))


# --- rounding -----------------------------------------------------------------------------------


def round2(value: Fraction | Decimal | int) -> Decimal:
    """Round half up (四舍五入, away from zero on a tie, like ROUND_HALF_UP) to 2 decimals,
    exactly: the value is never approximated before it is rounded."""
    value = Fraction(value)
    scaled = value.numerator * 100
    quotient, remainder = divmod(abs(scaled), value.denominator)
    if 2 * remainder >= value.denominator:
        quotient += 1
    if scaled < 0:
        quotient = -quotient
    return Decimal(quotient).scaleb(-2)


def _quantize2(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


# --- the computation ----------------------------------------------------------------------------


def compute(inputs: Inputs) -> Result:
    """Apply section 4 to the inputs and return one row per unit, ranked within its category."""
    _validate(inputs)
    scheme = inputs.scheme
    group_keys = [group.key for group in inputs.groups]
    if scheme.criteria:
        tallies, own_ignored, used, void = _tally_per_criterion(inputs, group_keys)
    else:
        tallies, own_ignored, used, void = _tally_whole_unit(inputs, group_keys)

    rows_by_category: dict[str, list[Row]] = {category.key: [] for category in inputs.categories}
    for unit in inputs.units:
        row = _unit_row(inputs, unit, tallies, own_ignored.get(unit.key, 0))
        rows_by_category[unit.category].append(row)

    ordered_categories = sorted(
        enumerate(inputs.categories), key=lambda pair: (pair[1].order, pair[0])
    )
    categories = tuple(
        _rank_category(scheme, inputs.groups, category, rows_by_category[category.key])
        for _, category in ordered_categories
    )
    return Result(
        categories=categories,
        ballots_used=used,
        ballots_void=len(void),
        void_ballots=tuple(sorted(void, key=str)),
    )


@dataclass
class _Tally:
    """Votes of one group on one unit: value -> count, and grade -> count.

    Values are integers, each a vote's exact value times ``scale`` (one common denominator), so
    that summing and comparing them is integer arithmetic."""

    scale: int = 1
    values: dict = field(default_factory=dict)
    grades: dict = field(default_factory=dict)
    good_votes: int = 0
    valid_votes: int = 0  # the share-of-好 denominator


def _tally_whole_unit(inputs: Inputs, group_keys):
    """Count (unit, grade) pairs per group: the mean needs only the four counts (4.3), and
    Counter.update counts a ballot's pairs in C, which keeps 10⁶ grades well under a second."""
    counters = {key: Counter() for key in group_keys}
    own_ignored: Counter = Counter()
    void: list = []
    used = 0
    for ballot in inputs.ballots:
        if ballot.void:
            void.append(ballot.key)  # kept and listed, never scored (4.10)
            continue
        try:
            counter = counters[ballot.group]
        except KeyError:
            raise ValueError(f"ballot {ballot.key}: unknown group {ballot.group!r}") from None
        grades = ballot.grades
        try:
            counter.update(grades.items())
        except TypeError:
            raise ValueError(
                f"ballot {ballot.key}: whole-unit grading expects one grade per unit"
            ) from None
        used += 1
        holder = ballot.holder_unit
        if holder is not None and holder in grades:
            # A credential never rates its holder's own unit (4.2): undo and report it.
            grade = grades[holder]
            counter[(holder, grade)] -= 1
            if grade in VOTING_GRADES:
                own_ignored[holder] += 1

    values = {grade: Fraction(inputs.scheme.grade_values[grade]) for grade in VOTING_GRADES}
    scale = lcm(*(value.denominator for value in values.values()))
    scaled_values = {grade: int(value * scale) for grade, value in values.items()}
    unit_keys = {unit.key for unit in inputs.units}
    tallies: dict[tuple, _Tally] = {}
    for group_key, counter in counters.items():
        for (unit_key, grade), count in counter.items():
            if count == 0:
                continue
            if unit_key not in unit_keys:
                raise ValueError(f"a ballot grades unknown unit {unit_key!r}")
            if grade is None:
                continue  # blank
            if grade not in GRADES:
                raise ValueError(f"unknown grade {grade!r} for unit {unit_key!r}")
            tally = tallies.setdefault((unit_key, group_key), _Tally(scale=scale))
            tally.grades[grade] = tally.grades.get(grade, 0) + count
            if grade == ABSTAIN:
                continue
            value = scaled_values[grade]
            tally.values[value] = tally.values.get(value, 0) + count
            tally.valid_votes += count
            if grade == GOOD:
                tally.good_votes += count
    return tallies, own_ignored, used, void


def _tally_per_criterion(inputs: Inputs, group_keys):
    """Count (unit, combination of criterion grades) per group. There are few distinct
    combinations, so each one's exact criterion-weighted value (4.3) is computed once."""
    criterion_keys = tuple(key for key, _ in inputs.scheme.criteria)
    criterion_count = len(criterion_keys)
    # With one criterion itemgetter gives the grade itself, not a 1-tuple: every combination
    # is then a bare grade, made a tuple again (grades_of) once counting is done.
    single = criterion_count == 1
    get_combination = itemgetter(*criterion_keys)
    counters = {key: Counter() for key in group_keys}
    own_combinations: Counter = Counter()
    void: list = []
    used = 0
    for ballot in inputs.ballots:
        if ballot.void:
            void.append(ballot.key)
            continue
        try:
            counter = counters[ballot.group]
        except KeyError:
            raise ValueError(f"ballot {ballot.key}: unknown group {ballot.group!r}") from None
        used += 1
        grades = ballot.grades
        try:
            # The common case, every criterion graded, runs in C (map, zip, Counter.update).
            by_criterion = grades.values()
            if any(length != criterion_count for length in set(map(len, by_criterion))):
                raise KeyError
            combinations = list(map(get_combination, by_criterion))
        except (KeyError, TypeError):
            combinations = [
                _combination_slowly(ballot, by_criterion, criterion_keys, single)
                for by_criterion in grades.values()
            ]
        counter.update(zip(grades, combinations, strict=True))
        holder = ballot.holder_unit
        if holder is not None and holder in grades:
            # A credential never rates its holder's own unit (4.2): undo and report it.
            combination = combinations[list(grades).index(holder)]
            counter[(holder, combination)] -= 1
            own_combinations[(holder, combination)] += 1

    # Value each distinct combination once (which also validates its grades).
    distinct = {combination for _, combination in own_combinations}
    for counter in counters.values():
        distinct.update(combination for _, combination in counter)
    grades_of = {combination: (combination,) if single else combination for combination in distinct}
    exact_values = {
        combination: _ballot_value(inputs.scheme, grades)
        for combination, grades in grades_of.items()
    }
    scale = lcm(*(value.denominator for value in exact_values.values() if value is not None))
    scaled_values = {
        combination: None if value is None else int(value * scale)
        for combination, value in exact_values.items()
    }
    unit_keys = {unit.key for unit in inputs.units}
    own_ignored: Counter = Counter()
    for (unit_key, combination), count in own_combinations.items():
        if any(grade in VOTING_GRADES for grade in grades_of[combination]):
            own_ignored[unit_key] += count
    tallies: dict[tuple, _Tally] = {}
    for group_key, counter in counters.items():
        for (unit_key, combination), count in counter.items():
            if count == 0:
                continue
            if unit_key not in unit_keys:
                raise ValueError(f"a ballot grades unknown unit {unit_key!r}")
            value = scaled_values[combination]
            tally = tallies.setdefault((unit_key, group_key), _Tally(scale=scale))
            for grade in grades_of[combination]:
                if grade is None:
                    continue
                tally.grades[grade] = tally.grades.get(grade, 0) + count
                if grade != ABSTAIN:
                    tally.valid_votes += count
                    if grade == GOOD:
                        tally.good_votes += count
            if value is not None:
                tally.values[value] = tally.values.get(value, 0) + count
    return tallies, own_ignored, used, void


def _combination_slowly(ballot, by_criterion, criterion_keys, single: bool):
    """A unit's criterion grades with blanks (None) where a criterion is missing."""
    if not isinstance(by_criterion, Mapping):
        raise ValueError(
            f"ballot {ballot.key}: per-criterion grading expects criterion grades for each unit"
        )
    unknown = set(by_criterion) - set(criterion_keys)
    if unknown:
        raise ValueError(f"ballot {ballot.key}: unknown criteria {sorted(map(str, unknown))}")
    combination = tuple(by_criterion.get(key) for key in criterion_keys)
    return combination[0] if single else combination


def _ballot_value(scheme: Scheme, grades: tuple) -> Fraction | None:
    """One ballot's value for a unit: the criterion-weighted mean over the criteria it did not
    abstain on, unrounded (4.3); None (not a vote) when it abstained on all of them. A ballot
    whose only graded criteria weigh 0 is not a vote either: it has no weighted mean."""
    weighted_sum = Fraction(0)
    weight_sum = Fraction(0)
    for grade, (_, weight) in zip(grades, scheme.criteria, strict=True):
        if grade is None or grade == ABSTAIN:
            continue
        if grade not in VOTING_GRADES:
            raise ValueError(f"unknown grade {grade!r}")
        weighted_sum += Fraction(weight) * Fraction(scheme.grade_values[grade])
        weight_sum += Fraction(weight)
    return weighted_sum / weight_sum if weight_sum else None


def _group_result(scheme: Scheme, group: Group, tally: _Tally | None) -> GroupResult:
    tally = tally or _Tally()
    votes = sum(tally.values.values())
    # 4.4: fewer than m valid votes is no data (and never a mean over zero votes).
    has_data = votes >= max(group.min_sample, 1)
    trimmed = has_data and scheme.trimmed_mean and votes > scheme.trim_above and votes >= 3
    score = None
    if has_data:
        total = sum(value * count for value, count in tally.values.items())
        count = votes
        if trimmed:
            # 4.3: drop exactly one highest and one lowest value.
            total -= max(tally.values) + min(tally.values)
            count -= 2
        score = round2(Fraction(total, count * tally.scale))
    grades = tally.grades
    return GroupResult(
        group=group.key,
        votes=votes,
        good=grades.get(GOOD, 0),
        fairly_good=grades.get(FAIRLY_GOOD, 0),
        average=grades.get(AVERAGE, 0),
        poor=grades.get(POOR, 0),
        abstain=grades.get(ABSTAIN, 0),
        score=score,
        has_data=has_data,
        trimmed=trimmed,
    )


def _unit_row(inputs: Inputs, unit: Unit, tallies, own_ignored: int) -> Row:
    scheme = inputs.scheme
    flags: list[str] = []
    group_results = []
    weighted_sum = Fraction(0)
    weight_sum = Fraction(0)
    missing_weighted_group = False
    good_votes = valid_votes = 0
    for group in inputs.groups:
        tally = tallies.get((unit.key, group.key))
        result = _group_result(scheme, group, tally)
        group_results.append(result)
        if tally is not None:
            good_votes += tally.good_votes
            valid_votes += tally.valid_votes
        if not result.has_data:
            flags.append(f"group_without_data:{group.key}")
            missing_weighted_group = missing_weighted_group or group.weight > 0
        elif group.weight > 0:
            weighted_sum += Fraction(group.weight) * Fraction(result.score)
            weight_sum += Fraction(group.weight)

    # 4.5: weights are renormalised over the groups with data.
    review = round2(weighted_sum / weight_sum) if weight_sum else None
    if review is None:
        flags.append("no_valid_votes")
    elif missing_weighted_group:
        flags.append("weights_renormalised")
    if own_ignored:
        flags.append(f"own_unit_votes_ignored:{own_ignored}")

    external = inputs.external.get(unit.key, NO_EXTERNAL_SCORES)
    components: dict[str, Decimal | None] = {}
    for key in COMPONENTS:
        weight = scheme.components.get(key, 0)
        if weight <= 0:
            continue
        if key == "review":
            components[key] = review
            continue
        value = _satisfaction_score(scheme, external) if key == "satisfaction" else None
        if value is None:
            value = getattr(external, key)
        components[key] = None if value is None else _quantize2(value)
        if value is None:
            flags.append(f"missing_component:{key}")

    bonus = _quantize2(external.bonus) if scheme.apply_bonus else None
    total = None
    if review is not None and all(value is not None for value in components.values()):
        # 4.6: Σ W_c · C_c over the rounded components, weights in percent.
        total = round2(
            sum(
                (Fraction(scheme.components[key]) * Fraction(value) / 100)
                for key, value in components.items()
            )
        )
        if bonus is not None:
            total += bonus
    return Row(
        unit=unit.key,
        unit_name=unit.name,
        category=unit.category,
        groups=tuple(group_results),
        review=review,
        components=components,
        bonus=bonus,
        bonus_reasons=tuple(external.bonus_reasons),
        total=total,
        rank=None,
        band=None,
        band_rule=None,
        good_votes=good_votes,
        valid_votes=valid_votes,
        own_unit_votes_ignored=own_ignored,
        flags=tuple(flags),
    )


def _rank_category(scheme: Scheme, groups, category: Category, rows: list[Row]) -> CategoryResult:
    """4.7 ranking and 4.8 bands within one category."""
    leaders_index = next((i for i, group in enumerate(groups) if group.is_leaders), None)

    def sort_key(row: Row) -> tuple:
        key: tuple = (row.total,)
        if scheme.tie_break_leaders:
            score = row.groups[leaders_index].score
            key += ((0, 0) if score is None else (1, score),)
        if scheme.tie_break_good_share:
            key += (Fraction(row.good_votes, row.valid_votes) if row.valid_votes else 0,)
        return key

    ranked = [
        (sort_key(row), index, row) for index, row in enumerate(rows) if row.total is not None
    ]
    # Highest key first; units with equal keys keep their input order.
    ranked.sort(key=lambda item: (item[0], -item[1]), reverse=True)
    unranked = [row for row in rows if row.total is None]

    # Competition ranking: equal keys share a rank, the next rank skips (1, 2, 2, 4).
    ranks: list[int] = []
    for position, (key, _, _) in enumerate(ranked):
        ranks.append(ranks[-1] if position and key == ranked[position - 1][0] else position + 1)
    rank_sizes = Counter(ranks)
    totals_ranks: dict = {}
    for (_, _, row), rank in zip(ranked, ranks, strict=True):
        totals_ranks.setdefault(row.total, set()).add(rank)

    allowed = None
    if scheme.excellent_cap_enabled:
        allowed = floor(Fraction(scheme.excellent_cap_percent) * len(rows) / 100)

    result_rows = []
    for (_, _, row), rank in zip(ranked, ranks, strict=True):
        flags = list(row.flags)
        if len(totals_ranks[row.total]) > 1:
            flags.append("tie_broken")
        band, rule = _band(scheme, row.total, rank, rank_sizes[rank], allowed)
        if rule == RULE_CAP_TIE:
            flags.append("cap_tie")
        elif rule == RULE_CAP:
            flags.append("capped")
        result_rows.append(replace(row, rank=rank, band=band, band_rule=rule, flags=tuple(flags)))
    result_rows.extend(unranked)
    return CategoryResult(
        category=category.key,
        name=category.name,
        unit_count=len(rows),
        excellent_allowed=allowed,
        rows=tuple(result_rows),
    )


def _satisfaction_score(scheme: Scheme, external: ExternalScores) -> Decimal | None:
    """4.11 from the vote counts, when the unit has any."""
    if external.satisfaction_votes is None:
        return None
    return satisfaction(*external.satisfaction_votes, values=scheme.satisfaction_values).score


def _band(scheme: Scheme, total: Decimal, rank: int, tied: int, allowed: int | None):
    if total >= scheme.band_excellent:
        if allowed is None:
            return BAND_EXCELLENT, RULE_THRESHOLD
        if rank <= allowed:
            # Units tied at the boundary are all included, and the row says so (4.8).
            if rank + tied - 1 > allowed:
                return BAND_EXCELLENT, RULE_CAP_TIE
            return BAND_EXCELLENT, RULE_THRESHOLD
        return BAND_GOOD, RULE_CAP
    if total >= scheme.band_good:
        return BAND_GOOD, RULE_THRESHOLD
    if total >= scheme.band_average:
        return BAND_AVERAGE, RULE_THRESHOLD
    return BAND_POOR, RULE_THRESHOLD


def _validate(inputs: Inputs) -> None:
    scheme = inputs.scheme
    if set(scheme.grade_values) != set(VOTING_GRADES):
        raise ValueError(f"grade_values must give exactly {', '.join(VOTING_GRADES)}")
    unknown = set(scheme.components) - set(COMPONENTS)
    if unknown:
        raise ValueError(f"unknown components: {sorted(unknown)}")
    if any(weight < 0 for weight in scheme.components.values()):
        raise ValueError("component weights cannot be negative")
    if sum(scheme.components.values(), Decimal(0)) != HUNDRED:
        raise ValueError("component weights must sum to 100")
    if not scheme.band_excellent >= scheme.band_good >= scheme.band_average:
        raise ValueError("band thresholds must descend: excellent >= good >= average")
    if not 0 <= scheme.excellent_cap_percent <= 100:
        raise ValueError("excellent_cap_percent must be between 0 and 100")
    if scheme.trim_above < 0:
        raise ValueError("trim_above cannot be negative")
    if scheme.criteria:
        criterion_keys = [key for key, _ in scheme.criteria]
        if len(set(criterion_keys)) != len(criterion_keys):
            raise ValueError("criterion keys must be unique")
        if any(weight < 0 for _, weight in scheme.criteria):
            raise ValueError("criterion weights cannot be negative")
        if not any(weight > 0 for _, weight in scheme.criteria):
            raise ValueError("at least one criterion must have a weight above 0")
    for label, items in (
        ("category", inputs.categories),
        ("unit", inputs.units),
        ("group", inputs.groups),
    ):
        keys = [item.key for item in items]
        if len(set(keys)) != len(keys):
            raise ValueError(f"{label} keys must be unique")
    category_keys = {category.key for category in inputs.categories}
    for unit in inputs.units:
        if unit.category not in category_keys:
            raise ValueError(f"unit {unit.key!r} has unknown category {unit.category!r}")
    for group in inputs.groups:
        if group.weight < 0 or group.min_sample < 0:
            raise ValueError(f"group {group.key!r}: weight and min_sample cannot be negative")
    leaders = [group for group in inputs.groups if group.is_leaders]
    if len(leaders) > 1:
        raise ValueError("at most one group can be the leaders' group")
    if scheme.tie_break_leaders and not leaders:
        raise ValueError("the leaders' tie-break needs a group flagged is_leaders")
    unit_keys = {unit.key for unit in inputs.units}
    unknown_units = set(inputs.external) - unit_keys
    if unknown_units:
        raise ValueError(f"external scores for unknown units: {sorted(map(str, unknown_units))}")


# --- reproducibility (4.12) ---------------------------------------------------------------------


def canonical_inputs(inputs: Inputs) -> bytes:
    """The inputs as canonical JSON: UTF-8, sorted keys, no spaces, Decimals as plain strings
    without trailing zeros, keys as strings, ballots sorted by key. Equal inputs give equal bytes.

    Units, groups, categories and criteria keep their order, which the result depends on. A
    ballot's grades are a list in the order of ``units`` (null for blank), and in per-criterion
    grading each entry is a list in the order of ``criteria``: 10⁶ grades encode in a fraction
    of a second this way, and a blank is written one way only."""
    scheme = inputs.scheme
    unit_keys = [unit.key for unit in inputs.units]
    known_units = set(unit_keys)
    criterion_keys = [key for key, _ in scheme.criteria]

    def grades_data(ballot: Ballot) -> list:
        grades = ballot.grades
        if not grades.keys() <= known_units:
            raise ValueError(f"ballot {ballot.key}: grades a unit that is not in the inputs")
        row = list(map(grades.get, unit_keys))
        if criterion_keys:
            row = [_criterion_grades_data(ballot, entry, criterion_keys) for entry in row]
        return row

    data = {
        "engine": ENGINE_VERSION,
        "scheme": {
            "grade_values": {str(k): _decimal_text(v) for k, v in scheme.grade_values.items()},
            "criteria": [[str(key), _decimal_text(weight)] for key, weight in scheme.criteria],
            "trimmed_mean": scheme.trimmed_mean,
            "trim_above": scheme.trim_above,
            "components": {str(k): _decimal_text(v) for k, v in scheme.components.items()},
            "apply_bonus": scheme.apply_bonus,
            "tie_break_leaders": scheme.tie_break_leaders,
            "tie_break_good_share": scheme.tie_break_good_share,
            "band_excellent": _decimal_text(scheme.band_excellent),
            "band_good": _decimal_text(scheme.band_good),
            "band_average": _decimal_text(scheme.band_average),
            "excellent_cap_enabled": scheme.excellent_cap_enabled,
            "excellent_cap_percent": _decimal_text(scheme.excellent_cap_percent),
            **_satisfaction_values_data(scheme),
        },
        "categories": [
            {"key": str(c.key), "name": c.name, "order": c.order} for c in inputs.categories
        ],
        "units": [
            {"key": str(u.key), "name": u.name, "category": str(u.category)} for u in inputs.units
        ],
        "groups": [
            {
                "key": str(g.key),
                "name": g.name,
                "weight": _decimal_text(g.weight),
                "min_sample": g.min_sample,
                "is_leaders": g.is_leaders,
            }
            for g in inputs.groups
        ],
        "ballots": sorted(
            (
                {
                    "key": str(b.key),
                    "group": str(b.group),
                    "holder_unit": None if b.holder_unit is None else str(b.holder_unit),
                    "void": b.void,
                    "grades": grades_data(b),
                }
                for b in inputs.ballots
            ),
            key=itemgetter("key"),
        ),
        "external": {
            str(unit): {
                "target": _optional_decimal_text(scores.target),
                "daily": _optional_decimal_text(scores.daily),
                "satisfaction": _optional_decimal_text(scores.satisfaction),
                "leader_comment": _optional_decimal_text(scores.leader_comment),
                "bonus": _decimal_text(scores.bonus),
                "bonus_reasons": list(scores.bonus_reasons),
                **(
                    {"satisfaction_votes": list(scores.satisfaction_votes)}
                    if scores.satisfaction_votes is not None
                    else {}
                ),
                # Written only when there is one, so that the canonical bytes (and the hash)
                # of every snapshot published before 目标考核 came from targets are unchanged.
                **({"target_basis": scores.target_basis} if scores.target_basis else {}),
            }
            for unit, scores in inputs.external.items()
        },
    }
    return _canonical_json(data)


def _satisfaction_values_data(scheme: Scheme) -> dict:
    # Written only where 问政满意度 counts, so that the canonical bytes (and the hash) of a
    # scheme without it are what they were before the live meeting existed.
    if scheme.components.get("satisfaction", 0) <= 0:
        return {}
    values = scheme.satisfaction_values
    return {"satisfaction_values": {str(k): _decimal_text(values[k]) for k in sorted(values)}}


def inputs_hash(inputs: Inputs) -> str:
    """SHA-256 (hex) of :func:`canonical_inputs`, stored with the snapshot (4.12)."""
    return hashlib.sha256(canonical_inputs(inputs)).hexdigest()


def load_inputs(data: bytes) -> Inputs:
    """Inputs back from :func:`canonical_inputs` (every key a string), to recompute a stored
    result: ``compute(load_inputs(canonical_inputs(x)))`` gives the rows of ``compute(x)``."""
    raw = json.loads(data)
    if raw.get("engine") != ENGINE_VERSION:
        raise ValueError(f"inputs were written by {raw.get('engine')!r}, not {ENGINE_VERSION}")
    s = raw["scheme"]
    unit_keys = [u["key"] for u in raw["units"]]
    criterion_keys = [key for key, _ in s["criteria"]]
    scheme = Scheme(
        grade_values={k: Decimal(v) for k, v in s["grade_values"].items()},
        criteria=tuple((key, Decimal(weight)) for key, weight in s["criteria"]),
        trimmed_mean=s["trimmed_mean"],
        trim_above=s["trim_above"],
        components={k: Decimal(v) for k, v in s["components"].items()},
        apply_bonus=s["apply_bonus"],
        tie_break_leaders=s["tie_break_leaders"],
        tie_break_good_share=s["tie_break_good_share"],
        band_excellent=Decimal(s["band_excellent"]),
        band_good=Decimal(s["band_good"]),
        band_average=Decimal(s["band_average"]),
        excellent_cap_enabled=s["excellent_cap_enabled"],
        excellent_cap_percent=Decimal(s["excellent_cap_percent"]),
        satisfaction_values={
            k: Decimal(v)
            for k, v in s.get("satisfaction_values", DEFAULT_SATISFACTION_VALUES).items()
        },
    )
    return Inputs(
        scheme=scheme,
        categories=tuple(Category(**c) for c in raw["categories"]),
        units=tuple(Unit(**u) for u in raw["units"]),
        groups=tuple(Group(**{**g, "weight": Decimal(g["weight"])}) for g in raw["groups"]),
        ballots=tuple(_ballot_from_data(b, unit_keys, criterion_keys) for b in raw["ballots"]),
        external={
            unit: ExternalScores(
                target=_optional_decimal(e["target"]),
                daily=_optional_decimal(e["daily"]),
                satisfaction=_optional_decimal(e["satisfaction"]),
                satisfaction_votes=(
                    tuple(e["satisfaction_votes"]) if "satisfaction_votes" in e else None
                ),
                leader_comment=_optional_decimal(e["leader_comment"]),
                bonus=Decimal(e["bonus"]),
                bonus_reasons=tuple(e["bonus_reasons"]),
                target_basis=e.get("target_basis", ""),
            )
            for unit, e in raw["external"].items()
        },
    )


def _criterion_grades_data(ballot: Ballot, by_criterion, criterion_keys) -> list | None:
    if by_criterion is None:
        return None
    if not isinstance(by_criterion, Mapping):
        raise ValueError(
            f"ballot {ballot.key}: per-criterion grading expects criterion grades for each unit"
        )
    if not by_criterion.keys() <= set(criterion_keys):
        raise ValueError(f"ballot {ballot.key}: grades a criterion that is not in the scheme")
    grades = list(map(by_criterion.get, criterion_keys))
    return None if all(grade is None for grade in grades) else grades


def _ballot_from_data(data: dict, unit_keys: list, criterion_keys: list) -> Ballot:
    if criterion_keys:
        grades = {
            unit: {
                criterion: grade
                for criterion, grade in zip(criterion_keys, entry, strict=True)
                if grade is not None
            }
            for unit, entry in zip(unit_keys, data["grades"], strict=True)
            if entry is not None
        }
    else:
        grades = {
            unit: grade
            for unit, grade in zip(unit_keys, data["grades"], strict=True)
            if grade is not None
        }
    return Ballot(**{**data, "grades": grades})


def _decimal_text(value) -> str:
    """100, 100.0 and 100.00 are one number and must hash alike: no exponent, no trailing
    zeros."""
    value = Decimal(value)
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


def _optional_decimal_text(value) -> str | None:
    return None if value is None else _decimal_text(value)


def _optional_decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _canonical_json(data) -> bytes:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _plain(value):
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value
