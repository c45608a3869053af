"""Scores from accepted reports: the period's plan and colour of a report, the 季评比 ranking,
the annual 目标考核 score (docs/targets.md, "The period's plan", "Colours", "季评比" and "The
annual score").

Reads only. ``period_scores`` and ``annual_scores`` read the line scores kept by
``targets.line_state`` in one aggregate query (docs/targets.md, "Stored scores"); the live
computation (``live_period_scores``, ``live_annual_scores``, ``unit_trace``) loads the breakdown
once and the accepted values once, scores every line through ``targets.engine`` and is the
reference the stored scores are checked against. Nothing here decides what a value earns.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction

from django.db.models import Count, DecimalField, Q, Sum

from org.models import District, OrgUnit

from . import engine
from .engine import plain
from .models import LineScore, Report, Target, TargetUnit, TargetYear

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
    # Each line scored, from the live computation only; empty when read from the stored
    # scores (the trace page and ``basis`` ask for them live).
    lines: tuple[Line, ...]
    rank: int = 0  # within the unit's category, 1 = first; ties share a rank; 0 without a score
    points: Decimal = Decimal("0.00")  # Σ points before a veto
    bonus: Decimal = Decimal("0.00")  # Σ bonus before a veto
    counted: int = 0  # targets scored (planned)
    veto_titles: tuple[str, ...] = ()  # the titles of ``vetoed_by``


def _on_hundred(total: Decimal, possible: Decimal) -> Decimal | None:
    """total ÷ possible × 100, at most 100, rounded half up to the cent; worked out exactly
    (a Decimal division would round at 28 digits before the half-up rounding does)."""
    if possible <= 0:
        return None
    return min(HUNDRED, engine.round2(Fraction(total) * 100 / Fraction(possible)))


def _as_given(target: engine.Target) -> engine.Target:
    return replace(
        target,
        goal=plain(target.goal),
        baseline=None if target.baseline is None else plain(target.baseline),
        stretch=None if target.stretch is None else plain(target.stretch),
    )


def breakdown(
    district: District, year: int, unit_code: str | None = None, *, target_ids=None
) -> list[TargetUnit]:
    """The year's lines (of ``unit_code``'s unit only, of ``target_ids`` only, when given),
    each with its target and unit set: three queries, each target and unit made once rather
    than once per line (select_related would make three objects a line, most of a large
    year's time)."""
    targets = Target.objects.filter(district=district, year=year)
    found = TargetUnit.objects.filter(target__district=district, target__year=year)
    if target_ids is not None:
        targets = targets.filter(pk__in=target_ids)
        found = found.filter(target_id__in=target_ids)
    targets = {t.pk: t for t in targets}
    units = OrgUnit.objects.filter(district=district)
    if unit_code:
        units = units.filter(code=unit_code)
        found = found.filter(org_unit__code=unit_code)
    units_by_pk = {u.pk: u for u in units}
    lines = list(found.order_by("target__code", "role", "pk"))
    for line in lines:
        line.target = targets[line.target_id]
        line.org_unit = units_by_pk[line.org_unit_id]
    return lines


def _breakdown(district: District, year: int, unit_code: str | None = None):
    return sorted(
        breakdown(district, year, unit_code),
        key=lambda line: (line.org_unit.code, line.target.code),
    )


def accepted_values(
    district: District, year: int, up_to: int, unit_code: str | None = None
) -> dict[int, tuple[int, int, Decimal]]:
    """target_unit id → (report id, month, value) of its latest accepted report up to the end
    of month ``up_to`` (of ``unit_code``'s lines only, when given): one query of plain
    values, the latest kept per line."""
    rows = Report.objects.filter(
        target_unit__target__district=district,
        target_unit__target__year=year,
        status=Report.Status.ACCEPTED,
        month__lte=up_to,
    )
    if unit_code:
        rows = rows.filter(target_unit__org_unit__code=unit_code)
    rows = rows.order_by("month")
    found: dict[int, tuple[int, int, Decimal]] = {}
    for target_unit_id, report_id, month, value in rows.values_list(
        "target_unit_id", "id", "month", "value"
    ):
        found[target_unit_id] = (report_id, month, value)
    return found


class Levels:
    """The levels each line is assessed on, worked out once for all the lines that share them
    (the lines of one target without shares of their own, at one month): building a target
    and moving it to the plan, not scoring it, is most of the cost."""

    def __init__(self):
        self._year: dict[tuple, engine.Target] = {}
        self._planned: dict[tuple, engine.Target | None] = {}
        self._scored: dict[tuple, engine.Target | None] = {}

    def year(self, target_unit: TargetUnit) -> engine.Target:
        """The line against the year's goal."""
        key = (target_unit.target_id, target_unit.goal, target_unit.points)
        if key not in self._year:
            self._year[key] = target_unit.engine_target()
        return self._year[key]

    def planned(self, target_unit: TargetUnit, month: int) -> engine.Target | None:
        """The line at the plan for the end of ``month``; None when nothing is planned yet."""
        key = (target_unit.target_id, target_unit.goal, target_unit.points, month)
        if key not in self._planned:
            self._planned[key] = planned(target_unit.target, self.year(target_unit), month)
        return self._planned[key]

    def scored(self, target_unit: TargetUnit, month: int | None) -> engine.Target | None:
        """What the line is scored on: at the plan for ``month``, or the year's goal when
        ``month`` is None; its numbers as given."""
        key = (target_unit.target_id, target_unit.goal, target_unit.points, month)
        if key not in self._scored:
            level = self.year(target_unit) if month is None else self.planned(target_unit, month)
            self._scored[key] = None if level is None else _as_given(level)
        return self._scored[key]


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
    levels = Levels()

    results = []
    for unit_id, target_units in by_unit.items():
        lines, outcomes = [], []
        for target_unit in target_units:
            target = target_unit.target
            goal = levels.scored(target_unit, None if annual else month)
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
        titles = {line.code: line.title for line in lines}
        results.append(
            UnitResult(
                units[unit_id],
                unit_score.total,
                possible,
                _on_hundred(unit_score.total, possible),
                unit_score.vetoed_by,
                tuple(lines),
                points=unit_score.points,
                bonus=unit_score.bonus,
                counted=len(outcomes),
                veto_titles=tuple(titles[code] for code in unit_score.vetoed_by),
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
        ranked.append(replace(result, rank=rank if result.score is not None else 0))
    return ranked


def live_annual_scores(
    district: District, year: int, *, explain: bool = False, unit_code: str | None = None
) -> list[UnitResult]:
    """The annual 目标考核 score of every unit with targets in ``year`` (of ``unit_code``'s
    only, when given), worked out from the accepted reports: each target scored against the
    year's goal on its latest accepted value (docs/targets.md, "The annual score"); each
    line's working written with ``explain``. The reference ``annual_scores`` agrees with."""
    return _score_units(
        _breakdown(district, year, unit_code),
        accepted_values(district, year, 12, unit_code),
        month=12,
        annual=True,
        explain=explain,
    )


def live_period_scores(
    district: District,
    year: int,
    month: int,
    *,
    explain: bool = False,
    unit_code: str | None = None,
) -> list[UnitResult]:
    """The 季评比 at the end of ``month`` worked out from the accepted reports: each target
    scored against the plan for that month on the latest value accepted for a period ending
    by then (docs/targets.md, "季评比"). The reference ``period_scores`` agrees with."""
    if month not in range(1, 13):
        raise ValueError(f"month {month}")
    return _score_units(
        _breakdown(district, year, unit_code),
        accepted_values(district, year, month, unit_code),
        month=month,
        annual=False,
        explain=explain,
    )


def unit_trace(
    district: District, year: int, org_unit: OrgUnit, *, month: int | None = None
) -> UnitResult | None:
    """One unit's lines worked out live with the engine's working: its annual score, or with
    ``month`` its 季评比 at that month's end (the rank is not set: it is the district's)."""
    found = (
        live_annual_scores(district, year, explain=True, unit_code=org_unit.code)
        if month is None
        else live_period_scores(district, year, month, explain=True, unit_code=org_unit.code)
    )
    return found[0] if found else None


def _stored(district: District, year: int, month: int) -> list[UnitResult]:
    """Every unit's score at the end of ``month`` from the line scores kept by
    ``targets.line_state``: one aggregate query by unit, the units, and the veto targets
    missed when there are any (docs/targets.md, "Stored scores")."""
    cents = DecimalField(max_digits=16, decimal_places=2)
    rows = LineScore.objects.filter(
        month=month, target_unit__target__district=district, target_unit__target__year=year
    )
    sums = {
        row["target_unit__org_unit_id"]: row
        for row in rows.values("target_unit__org_unit_id")
        .annotate(
            points_sum=Sum("points", output_field=cents),
            bonus_sum=Sum("bonus", output_field=cents),
            possible_sum=Sum("possible", output_field=cents),
            counted_sum=Count("pk", filter=Q(counted=True)),
            vetoes_sum=Count("pk", filter=Q(vetoes=True)),
        )
        .order_by()
    }
    vetoes: dict[int, list[tuple[str, str]]] = defaultdict(list)
    if any(row["vetoes_sum"] for row in sums.values()):
        for unit_id, code, title in (
            rows.filter(vetoes=True)
            .order_by("target_unit__target__code")
            .values_list(
                "target_unit__org_unit_id",
                "target_unit__target__code",
                "target_unit__target__title",
            )
        ):
            vetoes[unit_id].append((code, title))
    results = []
    for unit in OrgUnit.objects.filter(pk__in=list(sums)):
        row = sums[unit.pk]
        # Sums of cents, kept to the cent (SQLite adds decimals as floats).
        points, bonus, possible = (
            (row[name] or Decimal(0)).quantize(engine.CENT)
            for name in ("points_sum", "bonus_sum", "possible_sum")
        )
        vetoed = vetoes.get(unit.pk, [])
        total = Decimal("0.00") if row["vetoes_sum"] else points + bonus
        results.append(
            UnitResult(
                unit,
                total,
                possible,
                _on_hundred(total, possible),
                tuple(code for code, _title in vetoed),
                (),
                points=points,
                bonus=bonus,
                counted=row["counted_sum"],
                veto_titles=tuple(title for _code, title in vetoed),
            )
        )
    return _ranked(results)


def annual_scores(district: District, year: int) -> list[UnitResult]:
    """The annual 目标考核 score of every unit with targets in ``year`` (docs/targets.md, "The
    annual score"), read from the stored line scores: December's, at the plan for December,
    which is the year's goal. Without the lines; ``live_annual_scores`` has them."""
    return _stored(district, year, 12)


def period_scores(district: District, year: int, month: int) -> list[UnitResult]:
    """The 季评比 at the end of the quarter ending in ``month`` (docs/targets.md, "季评比"),
    read from the stored line scores. Without the lines; ``live_period_scores`` has them."""
    if month not in range(1, 13):
        raise ValueError(f"month {month}")
    if month not in QUARTER_MONTHS:
        # Only the quarters' ends are kept: another month is worked out live.
        return live_period_scores(district, year, month)
    return _stored(district, year, month)


def basis(result: UnitResult) -> str:
    """SHA-256 of what a unit's annual score was computed from (the rules of its targets and
    the values scored): stored beside the score a review session takes, and so part of the
    snapshot's hash (docs/targets.md, "Into the review"). Needs the lines: a result of the
    live computation (``live_annual_scores``)."""
    if result.counted and not result.lines:
        raise ValueError("basis needs the lines of the live computation")
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
