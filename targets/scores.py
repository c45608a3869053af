"""Scores from accepted reports: the period's plan and colour of a report, the 季评比 ranking,
the annual 目标考核 score (docs/targets.md, "The period's plan", "Colours", "季评比" and "The
annual score").

Reads only. Each function loads a district's year in a fixed number of queries (the breakdown
once, the accepted values once) and leaves the rules to ``targets.engine``: nothing here decides
what a value earns.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction

from org.models import District, OrgUnit

from . import engine
from .models import Report, Target, TargetUnit, TargetYear

HUNDRED = Decimal(100)
QUARTER_MONTHS = (3, 6, 9, 12)


def year_settings(district: District, year: int) -> TargetYear:
    """The year's settings, with their defaults when nobody has changed them (not stored)."""
    found = TargetYear.objects.filter(district=district, year=year).first()
    return found or TargetYear(district=district, year=year)


def cumulative(target: Target) -> bool:
    """A count or a milestone grows through the year and is planned month by month; a rate
    (增长 7%, 失业率 5% 以内) is the same level all year (docs/targets.md, "The period's plan")."""
    return target.kind != Target.Kind.QUANTITY


def plan_points(target: Target) -> dict[int, Decimal]:
    return {int(month): Decimal(str(value)) for month, value in (target.plan or {}).items()}


def planned(target: Target, line: engine.Target, month: int) -> engine.Target | None:
    """``line`` (a unit's share of ``target`` as the engine scores it) as planned by the end of
    ``month``; None when nothing is planned yet."""
    if not cumulative(target):
        return line
    start = target.baseline if target.baseline is not None else Decimal(0)
    share = engine.plan_share(month, start, target.goal, plan_points(target))
    return engine.at_plan(line, share)


def report_colour(
    report_value: Decimal, target_unit: TargetUnit, month: int, yellow_from: Decimal
) -> tuple[str, str]:
    """The colour of a value reported for ``month`` against the plan, and why."""
    target = target_unit.target
    line = target_unit.engine_target()
    return engine.colour(
        year=line,
        planned=planned(target, line, month),
        actual=report_value,
        yellow_from=yellow_from,
        cumulative=cumulative(target),
    )


def period_months(target: Target) -> tuple[int, ...]:
    return tuple(range(1, 13)) if target.period == Target.Period.MONTH else QUARTER_MONTHS


# ------------------------------------------------------------------------------ scoring


@dataclass(frozen=True)
class Line:
    """One target of one unit, scored."""

    target_unit_id: int
    target_id: int
    code: str
    title: str
    role: str
    report_id: int | None  # the accepted report scored; None: nothing accepted
    month: int | None  # its period
    outcome: engine.Outcome | None  # None: nothing planned yet (left out of the period's score)
    # The target as it was scored: the unit's goal, 力争 level and points, at the period's
    # plan for a 季评比 (None with the outcome).
    assessed: engine.Target | None = None
    measure: str = ""


@dataclass(frozen=True)
class UnitResult:
    org_unit: OrgUnit
    total: Decimal  # points earned (after a veto)
    possible: Decimal  # the points of the targets counted
    score: Decimal | None  # on 100: total ÷ possible × 100, at most 100; None without targets
    vetoed_by: tuple[str, ...]
    lines: tuple[Line, ...]
    rank: int = 0  # within the unit's category, 1 = first; ties share a rank; 0 without a score


def _on_hundred(total: Decimal, possible: Decimal) -> Decimal | None:
    """total ÷ possible × 100, at most 100, rounded half up to the cent; worked out exactly
    (a Decimal division would round at 28 digits before the half-up rounding does)."""
    if possible <= 0:
        return None
    return min(HUNDRED, engine.round2(Fraction(total) * 100 / Fraction(possible)))


def plain(number: Decimal) -> Decimal:
    """6.3 for a stored 6.3000 and 4000 for 4000.0000 (never 4E+3): the engine's working shows
    the numbers as given, and a person gave these (docs/targets.md, "Worked examples")."""
    return number.quantize(Decimal(1)) if number == number.to_integral() else number.normalize()


def _as_given(target: engine.Target) -> engine.Target:
    return replace(
        target,
        goal=plain(target.goal),
        baseline=None if target.baseline is None else plain(target.baseline),
        stretch=None if target.stretch is None else plain(target.stretch),
    )


def breakdown(district: District, year: int, unit_code: str | None = None) -> list[TargetUnit]:
    """The year's lines (of ``unit_code``'s unit only, when given), each with its target and
    unit set: three queries, each target and unit made once rather than once per line
    (select_related would make three objects a line, most of a large year's time)."""
    targets = {t.pk: t for t in Target.objects.filter(district=district, year=year)}
    units = OrgUnit.objects.filter(district=district)
    found = TargetUnit.objects.filter(target__district=district, target__year=year)
    if unit_code:
        units = units.filter(code=unit_code)
        found = found.filter(org_unit__code=unit_code)
    units_by_pk = {u.pk: u for u in units}
    lines = list(found.order_by("target__code", "role", "pk"))
    for line in lines:
        line.target = targets[line.target_id]
        line.org_unit = units_by_pk[line.org_unit_id]
    return lines


def _breakdown(district: District, year: int):
    return sorted(
        breakdown(district, year), key=lambda line: (line.org_unit.code, line.target.code)
    )


def accepted_values(
    district: District, year: int, up_to: int
) -> dict[int, tuple[int, int, Decimal]]:
    """target_unit id → (report id, month, value) of its latest accepted report up to the end
    of month ``up_to``: one query of plain values, the latest kept per line."""
    rows = Report.objects.filter(
        target_unit__target__district=district,
        target_unit__target__year=year,
        status=Report.Status.ACCEPTED,
        month__lte=up_to,
    )
    rows = rows.order_by("month")
    found: dict[int, tuple[int, int, Decimal]] = {}
    for target_unit_id, report_id, month, value in rows.values_list(
        "target_unit_id", "id", "month", "value"
    ):
        found[target_unit_id] = (report_id, month, value)
    return found


def _score_units(
    breakdown, values, *, month: int, annual: bool, explain: bool = False
) -> list[UnitResult]:
    """Every unit's lines scored; the working lines written only with ``explain`` (one unit's
    trace page shows them, a ranking of the year does not)."""
    by_unit: dict[int, list] = defaultdict(list)
    units: dict[int, OrgUnit] = {}
    for target_unit in breakdown:
        units[target_unit.org_unit_id] = target_unit.org_unit
        by_unit[target_unit.org_unit_id].append(target_unit)
    # The lines of one target without shares of their own are assessed on the same levels:
    # built and moved to the plan once per target, not once per line.
    goals: dict[tuple, engine.Target | None] = {}

    def goal_of(target_unit):
        key = (target_unit.target_id, target_unit.goal, target_unit.points)
        if key not in goals:
            line = target_unit.engine_target()
            goal = line if annual else planned(target_unit.target, line, month)
            goals[key] = None if goal is None else _as_given(goal)
        return goals[key]

    results = []
    for unit_id, target_units in by_unit.items():
        lines, outcomes = [], []
        for target_unit in target_units:
            target = target_unit.target
            goal = goal_of(target_unit)
            report_id, report_month, value = values.get(target_unit.pk, (None, None, None))
            if value is not None:
                value = plain(value)
            outcome = None if goal is None else engine.score(goal, value, explain=explain)
            if outcome is not None:
                outcomes.append(outcome)
            lines.append(
                Line(
                    target_unit.pk,
                    target.pk,
                    target.code,
                    target.title,
                    target_unit.role,
                    report_id,
                    report_month,
                    outcome,
                    goal,
                    target.measure,
                )
            )
        unit_score = engine.unit_total(outcomes)
        possible = sum((line.assessed.points for line in lines if line.outcome), Decimal("0.00"))
        results.append(
            UnitResult(
                units[unit_id],
                unit_score.total,
                possible,
                _on_hundred(unit_score.total, possible),
                unit_score.vetoed_by,
                tuple(lines),
            )
        )
    return _ranked(results)


def _ranked(results: list[UnitResult]) -> list[UnitResult]:
    """Ranks within each category by score, highest first; equal scores share a rank (1, 1, 3)
    and are listed by unit code. A unit without a score (nothing to score yet) has no rank
    (0) and comes last."""
    ordered = sorted(
        results,
        key=lambda r: (
            r.org_unit.category,
            -(r.score if r.score is not None else Decimal(-1)),
            r.org_unit.code,
        ),
    )
    ranked, previous, position, rank = [], None, 0, 0
    for result in ordered:
        key = (result.org_unit.category, result.score)
        position = 1 if previous is None or previous[0] != key[0] else position + 1
        if previous != key:
            rank = position
        previous = key
        ranked.append(
            UnitResult(
                result.org_unit,
                result.total,
                result.possible,
                result.score,
                result.vetoed_by,
                result.lines,
                rank if result.score is not None else 0,
            )
        )
    return ranked


def annual_scores(district: District, year: int, *, explain: bool = False) -> list[UnitResult]:
    """The annual 目标考核 score of every unit with targets in ``year``: each target scored
    against the year's goal on its latest accepted value (docs/targets.md, "The annual
    score"); each line's working written with ``explain``."""
    return _score_units(
        _breakdown(district, year),
        accepted_values(district, year, 12),
        month=12,
        annual=True,
        explain=explain,
    )


def period_scores(
    district: District, year: int, month: int, *, explain: bool = False
) -> list[UnitResult]:
    """The 季评比 at the end of ``month``: each target scored against the plan for that month
    on the latest value accepted for a period ending by then (docs/targets.md, "季评比")."""
    if month not in range(1, 13):
        raise ValueError(f"month {month}")
    return _score_units(
        _breakdown(district, year),
        accepted_values(district, year, month),
        month=month,
        annual=False,
        explain=explain,
    )


def basis(result: UnitResult) -> str:
    """SHA-256 of what a unit's annual score was computed from (the rules of its targets and
    the values scored): stored beside the score a review session takes, and so part of the
    snapshot's hash (docs/targets.md, "Into the review")."""
    data = [
        {
            "code": line.code,
            "report": line.report_id,
            "month": line.month,
            "value": None
            if line.outcome is None or line.outcome.actual is None
            else format(line.outcome.actual.normalize(), "f"),
            "points": str(line.outcome.points) if line.outcome else None,
            "bonus": str(line.outcome.bonus) if line.outcome else None,
        }
        for line in result.lines
    ]
    payload = {
        "engine": engine.ENGINE_VERSION,
        "unit": result.org_unit.code,
        "lines": data,
        "total": str(result.total),
        "possible": str(result.possible),
    }
    return hashlib.sha256(
        json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
