"""How a target's result becomes points: docs/targets.md, in pure Python over plain data.

No Django here, like ``scoring/engine.py``: the targets app will load a unit's targets and its
accepted reports, call :func:`unit_score` and store what it returns with its trace, and the
property tests run the rules many thousands of times.

Numbers. Inputs and outputs are ``Decimal`` (never float); in between the work is done in
``fractions.Fraction``, which is exact. Points are rounded half up (四舍五入) to 2 decimals once
per target (the earned points, and the bonus apart), and a unit's total is the sum of the
rounded figures, so the ledger a unit is shown adds up to its total to the cent.

The rules (docs/targets.md, "Rules"):

- The completion ratio measures the result against the 确保 level (``goal``), from the baseline
  when there is one: (actual − baseline) ÷ (goal − baseline) for a target to reach or exceed,
  (baseline − actual) ÷ (baseline − goal) for one to stay at or under. An at-most target without
  a baseline (调查失业率 5% 以内) is complete at or under its goal and goal ÷ actual above it.
  A result worse than the baseline is a ratio of 0, never negative.
- The ratio becomes a share of the target's points by one method: ``ratio`` (the ratio itself,
  nothing below ``floor``, at most ``cap``), ``steps`` (the share of the highest step reached)
  or ``pass_fail`` (all when the goal is met, else nothing).
- A 力争 level (``stretch``) with ``bonus`` points adds the bonus in proportion to how far the
  result went from the goal towards the stretch level, all of it at the stretch level.
- 一票否决 (``veto``): a unit that misses the goal of a veto target scores 0 in all, whatever
  its other targets earned; the trace names the target.
- A target without an accepted result (``None``) earns nothing and, when it is a veto target,
  vetoes: an unreported goal is not a met goal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

ENGINE_VERSION = "huiji-targets-engine/1"

AT_LEAST = "at_least"  # 增长 7% 左右, 4,000 个停车泊位: reach or exceed
AT_MOST = "at_most"  # 失业率 5% 以内: stay at or under
DIRECTIONS = (AT_LEAST, AT_MOST)

RATIO = "ratio"
STEPS = "steps"
PASS_FAIL = "pass_fail"  # noqa: S105 (a method name, not a password)
METHODS = (RATIO, STEPS, PASS_FAIL)

CENT = Decimal("0.01")
ONE = Fraction(1)
ZERO = Fraction(0)


class RuleError(ValueError):
    """A target or rule that cannot be scored as given. ``str()`` says which and why, for a
    developer; ``code`` and ``params`` let a page or a workbook say it in the user's words."""

    def __init__(self, message: str, *, code: str, **params):
        super().__init__(message)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Rule:
    """How the completion ratio becomes points (docs/targets.md, "Rules")."""

    method: str = RATIO
    floor: Decimal = Decimal(0)  # ratio: below it nothing is earned
    cap: Decimal = Decimal(1)  # ratio: above it the ratio counts as the cap
    # steps: (ratio reached, share of the points earned), thresholds increasing
    steps: tuple[tuple[Decimal, Decimal], ...] = ()
    bonus: Decimal = Decimal(0)  # points for reaching the 力争 level, in proportion
    veto: bool = False  # 一票否决

    def __post_init__(self):
        if self.method not in METHODS:
            raise RuleError(
                f"unknown method {self.method!r}: one of {', '.join(METHODS)}", code="method"
            )
        if self.floor < 0 or self.cap <= 0 or self.floor > self.cap:
            raise RuleError(
                f"floor {self.floor} and cap {self.cap}: need 0 ≤ floor ≤ cap, cap > 0",
                code="floor_cap",
                floor=self.floor,
                cap=self.cap,
            )
        if self.bonus < 0:
            raise RuleError(f"bonus {self.bonus} is negative", code="bonus_negative")
        if self.method == STEPS:
            if not self.steps:
                raise RuleError("the steps method needs at least one step", code="steps_missing")
            thresholds = [threshold for threshold, _share in self.steps]
            shares = [share for _threshold, share in self.steps]
            if any(b <= a for a, b in zip(thresholds, thresholds[1:], strict=False)):
                raise RuleError("step thresholds must increase", code="steps_order")
            if any(share < 0 for share in shares) or any(
                b < a for a, b in zip(shares, shares[1:], strict=False)
            ):
                raise RuleError(
                    "step shares must be ≥ 0 and never fall as the ratio rises", code="steps_fall"
                )
            if thresholds[0] < 0:
                raise RuleError("a step threshold is negative", code="steps_negative")


@dataclass(frozen=True)
class Target:
    """One target as one unit is assessed on it. ``points`` are earned at full completion."""

    key: str
    points: Decimal
    goal: Decimal  # the 确保 level
    direction: str = AT_LEAST
    baseline: Decimal | None = None
    stretch: Decimal | None = None  # the 力争 level
    rule: Rule = Rule()

    def __post_init__(self):
        if self.direction not in DIRECTIONS:
            raise RuleError(f"{self.key}: unknown direction {self.direction!r}", code="direction")
        if self.points < 0:
            raise RuleError(
                f"{self.key}: points {self.points} are negative", code="points_negative"
            )
        up = self.direction == AT_LEAST
        if self.baseline is not None and (
            self.goal <= self.baseline if up else self.goal >= self.baseline
        ):
            raise RuleError(
                f"{self.key}: the goal {self.goal} must be "
                f"{'above' if up else 'below'} the baseline {self.baseline}",
                code="goal_baseline",
                goal=self.goal,
                baseline=self.baseline,
                up=up,
            )
        if up and self.baseline is None and self.goal <= 0:
            raise RuleError(
                f"{self.key}: without a baseline the goal must be above 0", code="goal_positive"
            )
        if not up and self.baseline is None and self.goal < 0:
            raise RuleError(
                f"{self.key}: without a baseline the goal must not be below 0", code="goal_negative"
            )
        if self.stretch is not None and (
            self.stretch <= self.goal if up else self.stretch >= self.goal
        ):
            raise RuleError(
                f"{self.key}: the 力争 level {self.stretch} must be "
                f"{'above' if up else 'below'} the 确保 level {self.goal}",
                code="stretch_order",
                stretch=self.stretch,
                goal=self.goal,
                up=up,
            )
        if self.rule.bonus and self.stretch is None:
            raise RuleError(f"{self.key}: a bonus needs a 力争 level", code="bonus_needs_stretch")


@dataclass(frozen=True)
class Outcome:
    """What one target earned, with the working a unit and an auditor are shown."""

    key: str
    actual: Decimal | None
    ratio: Fraction  # exact; shown rounded
    met: bool  # the 确保 level reached
    share: Fraction  # of the points
    points: Decimal  # rounded to the cent
    bonus: Decimal  # rounded to the cent
    vetoes: bool  # a veto target missed
    working: tuple[str, ...]


@dataclass(frozen=True)
class UnitScore:
    total: Decimal
    points: Decimal  # Σ points before a veto
    bonus: Decimal  # Σ bonus before a veto
    vetoed_by: tuple[str, ...]  # keys of the veto targets missed
    outcomes: tuple[Outcome, ...]


def round2(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        CENT, rounding=ROUND_HALF_UP
    )


def plain(number: Decimal) -> Decimal:
    """A number as a person wrote it: 7 for a stored 7.0000 or a spreadsheet's 7.0, 70.2 for
    70.20, never 4E+3 (the working shows the numbers as given, docs/targets.md "Worked
    examples")."""
    return number.quantize(Decimal(1)) if number == number.to_integral() else number.normalize()


def _num(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else str(value)


def _pct(value: Fraction) -> str:
    return f"{round2(value * 100)}%"


def met(target: Target, actual: Decimal) -> bool:
    return actual >= target.goal if target.direction == AT_LEAST else actual <= target.goal


def completion(target: Target, actual: Decimal, *, explain: bool = True) -> tuple[Fraction, str]:
    """The completion ratio (never below 0) and how it was worked out ("" unless ``explain``:
    a ranking of thousands of lines shows no working and need not write it)."""
    a, goal = Fraction(actual), Fraction(target.goal)
    if target.direction == AT_LEAST:
        if target.baseline is None:
            ratio = a / goal
            text = explain and f"{_num(actual)} ÷ {_num(target.goal)}"
        else:
            base = Fraction(target.baseline)
            ratio = (a - base) / (goal - base)
            text = (
                explain
                and f"({_num(actual)} − {_num(target.baseline)}) ÷ ({_num(target.goal)} − {_num(target.baseline)})"
            )
    elif target.baseline is not None:
        base = Fraction(target.baseline)
        ratio = (base - a) / (base - goal)
        text = (
            explain
            and f"({_num(target.baseline)} − {_num(actual)}) ÷ ({_num(target.baseline)} − {_num(target.goal)})"
        )
    elif a <= goal:
        ratio = ONE
        text = explain and f"{_num(actual)} ≤ {_num(target.goal)}"
    else:
        ratio = goal / a
        text = explain and f"{_num(target.goal)} ÷ {_num(actual)}"
    ratio = max(ratio, ZERO)
    return ratio, (f"完成率 {text} = {_pct(ratio)}" if explain else "")


def share_of(
    rule: Rule, ratio: Fraction, is_met: bool, *, explain: bool = True
) -> tuple[Fraction, str]:
    """The share of the target's points the ratio earns under the rule, and why ("" unless
    ``explain``)."""
    if rule.method == PASS_FAIL:
        return (ONE, "达到确保目标，得全部分值") if is_met else (ZERO, "未达到确保目标，不得分")
    if rule.method == STEPS:
        reached = [(t, s) for t, s in rule.steps if ratio >= Fraction(t)]
        if not reached:
            return ZERO, explain and f"完成率低于最低档 {_pct(Fraction(rule.steps[0][0]))}，不得分"
        threshold, share = reached[-1]
        return Fraction(share), explain and (
            f"完成率达到 {_pct(Fraction(threshold))} 档，得分值的 {_pct(Fraction(share))}"
        )
    floor, cap = Fraction(rule.floor), Fraction(rule.cap)
    if ratio < floor:
        return ZERO, explain and f"完成率低于 {_pct(floor)}，不得分"
    if ratio > cap:
        return cap, explain and f"完成率按上限 {_pct(cap)} 计"
    return ratio, "按完成率计分"


def bonus_share(target: Target, actual: Decimal) -> Fraction:
    """How far the result went from the 确保 level towards the 力争 level, within [0, 1]."""
    if target.stretch is None:
        return ZERO
    a, goal, stretch = Fraction(actual), Fraction(target.goal), Fraction(target.stretch)
    part = (a - goal) / (stretch - goal)  # the same formula serves both directions
    return min(max(part, ZERO), ONE)


def score(target: Target, actual: Decimal | None, *, explain: bool = True) -> Outcome:
    """What ``target`` earns for the accepted result ``actual`` (None: nothing accepted). The
    working lines are written only when ``explain``; the figures are the same either way."""
    if actual is None:
        working = ["无已审核的完成值，不得分"]
        if target.rule.veto:
            working.append("一票否决指标未报完成值，按未完成计")
        return Outcome(
            target.key, None, ZERO, False, ZERO, Decimal("0.00"), Decimal("0.00"),
            target.rule.veto, tuple(working) if explain else (),
        )  # fmt: skip
    ratio, working = completion(target, actual, explain=explain)
    is_met = met(target, actual)
    share, why = share_of(target.rule, ratio, is_met, explain=explain)
    points = round2(share * Fraction(target.points))
    lines = [working, f"{why}：{_num(target.points)} × {_pct(share)} = {points}"] if explain else []
    bonus = Decimal("0.00")
    if target.rule.bonus:
        part = bonus_share(target, actual)
        bonus = round2(part * Fraction(target.rule.bonus))
        if explain:
            lines.append(
                f"力争 {_num(target.stretch)}：加分 {_num(target.rule.bonus)} × {_pct(part)} = {bonus}"
            )
    vetoes = target.rule.veto and not is_met
    if vetoes and explain:
        lines.append("一票否决：未达到确保目标")
    return Outcome(target.key, actual, ratio, is_met, share, points, bonus, vetoes, tuple(lines))


def unit_score(results: Sequence[tuple[Target, Decimal | None]]) -> UnitScore:
    """A unit's score over its targets: the sum of every target's rounded points and bonus, or
    0 when a veto target was missed."""
    return unit_total(tuple(score(target, actual) for target, actual in results))


def unit_total(outcomes: Sequence[Outcome]) -> UnitScore:
    """:func:`unit_score` over outcomes already worked out."""
    points = sum((o.points for o in outcomes), Decimal("0.00"))
    bonus = sum((o.bonus for o in outcomes), Decimal("0.00"))
    vetoed_by = tuple(o.key for o in outcomes if o.vetoes)
    total = Decimal("0.00") if vetoed_by else points + bonus
    return UnitScore(total, points, bonus, vetoed_by, tuple(outcomes))


# ------------------------------------------------------------ the period's plan and colours
# docs/targets.md, "The period's plan" and "Colours".

PLAN_PLACES = Decimal("0.0001")  # the precision values are stored at


def plan_share(
    month: int, start: Decimal, goal: Decimal, points: Mapping[int, Decimal]
) -> Fraction:
    """The share of the way from ``start`` to ``goal`` planned by the end of ``month`` for a
    cumulative target: straight from 0 at the year's start to 1 in December, through the
    values the breakdown plans for given months (``points``: month → planned value)."""
    if not 1 <= month <= 12:
        raise RuleError(f"month {month} is not 1–12", code="month")
    span = Fraction(goal) - Fraction(start)
    known = {0: ZERO, 12: ONE}
    for m, value in points.items():
        if not 1 <= m <= 12:
            raise RuleError(f"a plan names month {m}", code="plan_month")
        if m == 12:
            # December's plan is the year's goal, so that the fourth quarter's score is the
            # annual score (docs/targets.md, "Stored scores"): a plan naming another level
            # for December is refused, one naming the goal says nothing new.
            if Fraction(value) != Fraction(goal):
                raise RuleError(
                    f"the plan for December {value} is not the goal {goal}",
                    code="plan_december",
                    value=value,
                    goal=goal,
                )
            continue
        known[m] = (Fraction(value) - Fraction(start)) / span
    months = sorted(known)
    shares = [known[m] for m in months]
    if any(b < a for a, b in zip(shares, shares[1:], strict=False)) or shares[0] < 0:
        raise RuleError("a plan must never fall back as the months pass", code="plan_falls")
    if month in known:
        return known[month]
    after = next(m for m in months if m > month)
    before = max(m for m in months if m < month)
    return known[before] + (known[after] - known[before]) * Fraction(month - before, after - before)


def _towards(start: Decimal, level: Decimal, share: Fraction) -> Decimal:
    value = Fraction(start) + (Fraction(level) - Fraction(start)) * share
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        PLAN_PLACES, rounding=ROUND_HALF_UP
    )


def at_plan(target: Target, share: Fraction) -> Target | None:
    """``target`` as it stands part of the way through the year: its 确保 and 力争 levels moved
    ``share`` of the way from the baseline (0 without one). None when nothing is planned yet
    (the levels would not have moved from the start)."""
    if share >= ONE:
        return target
    start = target.baseline if target.baseline is not None else Decimal(0)
    goal = _towards(start, target.goal, share)
    if share <= 0 or goal == start:
        return None
    stretch = None if target.stretch is None else _towards(start, target.stretch, share)
    if stretch is not None and stretch == goal:
        stretch = None
    rule = (
        target.rule
        if stretch is not None or not target.rule.bonus
        else replace(target.rule, bonus=Decimal(0))
    )
    return replace(target, goal=goal, stretch=stretch, rule=rule)


BLUE, GREEN, YELLOW, RED = "blue", "green", "yellow", "red"


def colour(
    *,
    year: Target,
    planned: Target | None,
    actual: Decimal,
    yellow_from: Decimal,
    cumulative: bool,
    explain: bool = True,
) -> tuple[str, str]:
    """A reported value's colour against the period's plan, and why: blue when a cumulative
    target has already reached the year's goal, green on or ahead of plan, yellow behind it
    by less than ``yellow_from`` allows, red further behind."""
    if cumulative and met(year, actual):
        return BLUE, "已完成全年确保目标"
    if planned is None or met(planned, actual):
        return GREEN, "达到或超过进度计划"
    ratio, working = completion(planned, actual, explain=explain)
    if ratio >= Fraction(yellow_from):
        return YELLOW, explain and f"落后于进度计划（{working}）" or ""
    return (
        RED,
        explain and f"严重落后于进度计划（{working}，低于 {_pct(Fraction(yellow_from))}）" or "",
    )
