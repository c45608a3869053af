"""The rater-bias report and the robustness of every rank, on the results page
(docs/results.md, "Rater bias" and "Robustness"): a panel loaded on demand, for organisers
(before and after publication) and supervisors (once published).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from org.access import can_organise
from sessions.views.access import supervision_context

from . import analysis, services
from .document import BAND_LABELS
from .views import _get_session_for_supervision, _preview_refusal

# The plot: one line a unit from its best to its worst rank, a dot at its published rank.
PLOT_WIDTH = 640
PLOT_LEFT = 150  # room for the unit's name
PLOT_RIGHT = 20
PLOT_ROW = 22
PLOT_TOP = 28


@dataclass(frozen=True)
class PlotLine:
    name: str
    y: int
    x_low: float
    x_high: float
    x_rank: float
    firm: bool  # the same rank in every draw


@dataclass(frozen=True)
class Ticks:
    x: float
    label: int


def _x(rank: int, count: int) -> float:
    span = PLOT_WIDTH - PLOT_LEFT - PLOT_RIGHT
    return round(PLOT_LEFT + span * ((rank - 1) / max(count - 1, 1)), 1)


def _share(n: int, total: int) -> str:
    """A share of the draws in whole percent, never rounded to "0%" or "100%" when it is not
    (a few draws of a thousand are "<1%", all but a few ">99%")."""
    exact = 100 * n / total
    if n == total:
        return "100%"
    if exact > 99:
        return ">99%"
    if exact < 1:
        return "<1%"
    return f"{round(exact)}%"


def _category_rows(found: analysis.Analysis, computed: services.Computed) -> list[dict]:
    categories = []
    for category in computed.result.categories:
        ranked = [row for row in category.rows if row.rank is not None]
        count = len(ranked)
        rows, lines = [], []
        for index, row in enumerate(category.rows):
            spread = found.ranges.get(row.unit)
            margin = found.margins.get(row.unit)
            bands = []
            if spread and spread.bands:
                total = sum(spread.bands.values())
                bands = [
                    (str(BAND_LABELS[band]), _share(n, total))
                    for band, n in sorted(spread.bands.items(), key=lambda item: -item[1])
                ]
            rows.append(
                {
                    "row": row,
                    "band": str(BAND_LABELS[row.band]) if row.band else "",
                    "range": spread,
                    "same_share": round(100 * spread.same_rank / found.draws) if spread else 0,
                    "bands": bands,
                    "margin": margin,
                }
            )
            if row.rank is not None and spread and spread.low is not None:
                lines.append(
                    PlotLine(
                        name=row.unit_name,
                        y=PLOT_TOP + index * PLOT_ROW,
                        x_low=_x(spread.low, count),
                        x_high=_x(spread.high, count),
                        x_rank=_x(row.rank, count),
                        firm=spread.low == spread.high,
                    )
                )
        step = max(1, count // 10)
        ticks = [Ticks(_x(rank, count), rank) for rank in range(1, count + 1, step)]
        categories.append(
            {
                "name": category.name,
                "rows": rows,
                "lines": lines,
                "ticks": ticks,
                "height": PLOT_TOP + max(len(lines), 1) * PLOT_ROW + 8,
                "unstable": sum(1 for line in lines if not line.firm),
            }
        )
    return categories


@login_required
@require_GET
def analysis_panel(request, slug):
    session = _get_session_for_supervision(request, slug)
    organiser = can_organise(request.user, session.district_id)
    refusal = _preview_refusal(session) if organiser else ""
    context = {"analysis_refusal": refusal}
    if not refusal:
        computed = services.compute(session)
        found = analysis.analyse(session, computed)
        context.update(
            analysis=found,
            bias_rows=[(group, analysis.sentences(group)) for group in found.biases],
            flag_labels={
                flag: analysis.flag_label(flag) for flag in ("leniency", "straight", "own_side")
            },
            robustness_categories=_category_rows(found, computed),
            plot_width=PLOT_WIDTH,
            plot_left=PLOT_LEFT,
            whole_unit=not computed.inputs.scheme.criteria,
        )
    # Loaded into the results page by htmx; opened without it, a page of its own.
    template = "scoring/analysis.html"
    if request.htmx:
        template += "#analysis-panel"
    return render(request, template, supervision_context(request, session, **context))
