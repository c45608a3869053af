"""Results of a district's year of targets: the 季评比 ranking, the annual 目标考核 score with
every unit's working, and 晒成绩, the key indicators against their goals (docs/targets.md,
"季评比", "The annual score"). Reads only; every number comes from ``targets.scores``, which
leaves the rules to ``targets.engine``.

Any staff member of the district reads them (``district_for_staff``); nobody else finds them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from org.models import OrgUnit

from .. import engine, scores
from ..models import Target, TargetUnit
from .access import district_for_staff, year_context

PREFIX = "<slug:district>/<int:year>/"
QUARTERS = (1, 2, 3, 4)


class QuarterForm(forms.Form):
    quarter = forms.TypedChoiceField(
        label=gettext_lazy("季度"),
        choices=[(q, gettext_lazy("第 %(q)s 季度") % {"q": q}) for q in QUARTERS],
        coerce=int,
        required=False,
    )


class BoardForm(forms.Form):
    KEY, ALL = "key", "all"
    show = forms.ChoiceField(
        label=gettext_lazy("显示"),
        choices=[(KEY, gettext_lazy("主要指标（定量指标）")), (ALL, gettext_lazy("全部目标"))],
        required=False,
    )


def default_quarter(year: int, today) -> int:
    """The latest quarter that has ended by ``today``: 4 for a year gone by, the first while
    none of ``year``'s has ended."""
    if year < today.year:
        return 4
    if year > today.year:
        return 1
    return max(1, (today.month - 1) // 3)


def _code_key(code: str):
    # Breakdown numbers read as numbers: 2.4 before 10.1.
    return [
        (0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"[.\-]", code)
    ]


@dataclass(frozen=True)
class Category:
    name: str
    results: list[scores.UnitResult]


def _by_category(results: list[scores.UnitResult]) -> list[Category]:
    """The scores' own order (category, rank) kept; a unit without a category is listed under
    其他."""
    grouped: dict[str, list] = defaultdict(list)
    for result in results:
        grouped[result.org_unit.category].append(result)
    return [
        Category(name or _("未分类"), rows)
        for name, rows in sorted(grouped.items(), key=lambda item: (not item[0], item[0]))
    ]


@dataclass(frozen=True)
class Row:
    """A unit's line in a ranking table."""

    result: scores.UnitResult
    points: Decimal
    bonus: Decimal
    vetoes: list[tuple[str, str]]  # (code, title) of the veto targets missed
    counted: int  # targets scored

    @property
    def before_veto(self) -> Decimal:
        return self.points + self.bonus


def _row(result: scores.UnitResult) -> Row:
    return Row(
        result,
        result.points,
        result.bonus,
        list(zip(result.vetoed_by, result.veto_titles, strict=True)),
        result.counted,
    )


def _tables(results: list[scores.UnitResult]) -> list[tuple[str, list[Row]]]:
    return [(c.name, [_row(r) for r in c.results]) for c in _by_category(results)]


# ------------------------------------------------------------------------------ 季评比


@login_required
@require_GET
def ranking(request, district, year):
    district = district_for_staff(request, district, year)
    form = QuarterForm(request.GET or None)
    quarter = default_quarter(year, timezone.localdate())
    if form.is_bound and form.is_valid() and form.cleaned_data["quarter"]:
        quarter = form.cleaned_data["quarter"]
    month = 3 * quarter
    results = scores.period_scores(district, year, month=month)
    return render(
        request,
        "targets/results/ranking.html",
        year_context(
            request,
            district,
            year,
            form=form,
            quarter=quarter,
            quarters=QUARTERS,
            month=month,
            tables=_tables(results),
        ),
    )


# ------------------------------------------------------------------------ the annual score


@login_required
@require_GET
def annual(request, district, year):
    district = district_for_staff(request, district, year)
    results = scores.annual_scores(district, year)
    return render(
        request,
        "targets/results/annual.html",
        year_context(request, district, year, tables=_tables(results)),
    )


@dataclass(frozen=True)
class TraceLine:
    line: scores.Line
    role_label: str


@login_required
@require_GET
def annual_unit(request, district, year, unit):
    """One unit's working, target by target: what it was assessed on, the accepted value and
    its report, the engine's working, the points and bonus, the veto, and the total. With
    ``?quarter=`` the same for that quarter's 季评比 (against the plan at its end)."""
    district = district_for_staff(request, district, year)
    org_unit = get_object_or_404(OrgUnit, district=district, code=unit)
    form = QuarterForm(request.GET or None)
    quarter = None
    if form.is_bound and form.is_valid() and form.cleaned_data["quarter"]:
        quarter = form.cleaned_data["quarter"]
    # The ranks from the stored scores, the working worked out live for this unit
    # (docs/targets.md, "Stored scores").
    results = (
        scores.period_scores(district, year, month=3 * quarter)
        if quarter
        else scores.annual_scores(district, year)
    )
    ranked = next((r for r in results if r.org_unit.pk == org_unit.pk), None)
    result = scores.unit_trace(district, year, org_unit, month=3 * quarter if quarter else None)
    if result is not None:
        result = replace(result, rank=ranked.rank if ranked is not None else 0)
    roles = dict(TargetUnit.Role.choices)
    lines = []
    if result is not None:
        lines = [
            TraceLine(line, roles.get(line.role, line.role))
            for line in sorted(result.lines, key=lambda line: _code_key(line.code))
        ]
    return render(
        request,
        "targets/results/annual_unit.html",
        year_context(
            request,
            district,
            year,
            unit=org_unit,
            quarter=quarter,
            result=result,
            row=_row(result) if result is not None else None,
            lines=lines,
            category_size=sum(
                1
                for r in results
                if r.org_unit.category == org_unit.category and r.score is not None
            ),
        ),
    )


# ------------------------------------------------------------------------------ 晒成绩


@dataclass(frozen=True)
class BoardRow:
    target: Target
    lead: TargetUnit | None
    value: Decimal | None
    month: int | None
    report_id: int | None
    ratio: Fraction | None  # completion of the year's goal
    met: bool  # the year's 确保 level reached
    bar: int  # the completion in 5 % steps for the bar's width class, at most 100
    plan_bar: int  # the plan at the value's month, the same way
    colour: str
    why: str

    @property
    def goal_shown(self) -> Decimal:
        return engine.plain(self.target.goal)

    @property
    def value_shown(self) -> Decimal | None:
        return None if self.value is None else engine.plain(self.value)

    @property
    def percent(self) -> Decimal | None:
        return None if self.ratio is None else engine.round2(self.ratio * 100)


def _steps_of_five(share: Fraction) -> int:
    return int(min(max(share, Fraction(0)), Fraction(1)) * 20) * 5


def _board_rows(district, year: int, *, key_only: bool) -> list[BoardRow]:
    """Each target's lead unit (牵头; the first by unit code when several) and its latest
    accepted value: four queries (leads, targets, values, the year's settings), whatever the
    year's size."""
    leads: dict[int, TargetUnit] = {}
    for line in (
        TargetUnit.objects.filter(
            target__district=district, target__year=year, role=TargetUnit.Role.LEAD
        )
        .select_related("target", "org_unit")
        .order_by("org_unit__code")
    ):
        leads.setdefault(line.target_id, line)
    targets = Target.objects.filter(district=district, year=year)
    if key_only:
        targets = targets.filter(kind=Target.Kind.QUANTITY)
    values = scores.accepted_values(district, year, 12)
    yellow_from = scores.year_settings(district, year).yellow_from
    rows = []
    for target in sorted(targets, key=lambda t: _code_key(t.code)):
        lead = leads.get(target.pk)
        report_id, month, value = (
            values.get(lead.pk, (None, None, None)) if lead else (None, None, None)
        )
        ratio = colour = why = None
        bar = plan_bar = 0
        met = False
        if value is not None:
            year_goal = target.engine_target()
            ratio, _working = engine.completion(year_goal, value)
            met = engine.met(year_goal, value)
            bar = _steps_of_five(ratio)
            plan = scores.planned(target, year_goal, month)
            # Coloured against the district's goal, as the bar is (the lead unit's own goal,
            # where the breakdown gives it one, is its own page's matter).
            colour, why = engine.colour(
                year=year_goal,
                planned=plan,
                actual=value,
                yellow_from=yellow_from,
                cumulative=scores.cumulative(target),
            )
            plan_bar = (
                0 if plan is None else _steps_of_five(engine.completion(year_goal, plan.goal)[0])
            )
        rows.append(
            BoardRow(
                target,
                lead,
                value,
                month,
                report_id,
                ratio,
                met,
                bar,
                plan_bar,
                colour or "none",
                why or "",
            )
        )
    return rows


@login_required
@require_GET
def board(request, district, year):
    district = district_for_staff(request, district, year)
    form = BoardForm(request.GET or None)
    show = BoardForm.KEY
    if form.is_bound and form.is_valid() and form.cleaned_data["show"]:
        show = form.cleaned_data["show"]
    rows = _board_rows(district, year, key_only=show == BoardForm.KEY)
    return render(
        request,
        "targets/results/board.html",
        year_context(
            request,
            district,
            year,
            form=form,
            show=show,
            rows=rows,
            reported=sum(1 for r in rows if r.value is not None),
            met=sum(1 for r in rows if r.met),
        ),
    )


urlpatterns = [
    path(PREFIX + "ranking/", ranking, name="ranking"),
    path(PREFIX + "annual/", annual, name="annual"),
    path(PREFIX + "annual/<str:unit>/", annual_unit, name="annual_unit"),
    path(PREFIX + "board/", board, name="board"),
]
