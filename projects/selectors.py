"""Reads of 重点项目 for the board, the project page and the download: every list is one query
(planned progress and the latest update are subqueries), never a query per row."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, DecimalField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from core.colours import Colour
from sessions.models import ReviewSession, Unit

from . import rules
from .models import KeyProject, Milestone, ProjectRule, ProjectUpdate
from .services import board_date, project_verdict
from .workbook import ExportProject


def bar_step(value: Decimal | None) -> int:
    """A bar's width class (app.css .bar-w0 … .bar-w100, 5 % steps)."""
    if value is None:
        return 0
    steps = (Decimal(value) / 5).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return max(0, min(100, int(steps) * 5))


@dataclass(frozen=True)
class ColourCount:
    colour: str
    label: str
    count: int


@dataclass(frozen=True)
class BoardRow:
    project: KeyProject
    planned: Decimal
    last_update_text: str | None
    last_update_at: datetime.datetime | None

    @property
    def behind(self) -> Decimal:
        return self.planned - self.project.actual_progress

    @property
    def planned_bar(self) -> int:
        return bar_step(self.planned)

    @property
    def actual_bar(self) -> int:
        return bar_step(self.project.actual_progress)


def _filtered(session: ReviewSession, *, unit: Unit | None, category: str):
    projects = KeyProject.objects.filter(session=session)
    if unit is not None:
        projects = projects.filter(unit=unit)
    if category:
        projects = projects.filter(category=category)
    return projects


def planned_subquery(as_of: datetime.date):
    """The rule's step 1 (projects/rules.py) in SQL: the planned progress of the latest milestone
    due by ``as_of``, 0 when none."""
    latest = (
        Milestone.objects.filter(project=OuterRef("pk"), planned_date__lte=as_of)
        .order_by("-planned_date", "-planned_progress")
        .values("planned_progress")[:1]
    )
    return Coalesce(
        Subquery(latest, output_field=DecimalField(max_digits=5, decimal_places=2)),
        Value(Decimal("0"), output_field=DecimalField(max_digits=5, decimal_places=2)),
    )


def _with_board_columns(projects, as_of: datetime.date):
    updates = ProjectUpdate.objects.filter(project=OuterRef("pk")).order_by("-created_at", "-id")
    return projects.select_related("unit").annotate(
        planned=planned_subquery(as_of),
        last_update_text=Subquery(updates.values("text")[:1]),
        last_update_at=Subquery(updates.values("created_at")[:1]),
    )


def board_rows(
    session: ReviewSession,
    *,
    as_of: datetime.date,
    colour: str = "",
    unit: Unit | None = None,
    category: str = "",
) -> list[BoardRow]:
    """The board's list, filtered; ordered by colour (绿, 蓝, 黄, 红) then code. One query."""
    projects = _filtered(session, unit=unit, category=category)
    if colour:
        projects = projects.filter(colour=colour)
    rows = [
        BoardRow(
            project=p,
            planned=p.planned,
            last_update_text=p.last_update_text,
            last_update_at=p.last_update_at,
        )
        for p in _with_board_columns(projects, as_of)
    ]
    order = {c: i for i, c in enumerate(Colour.values)}
    rows.sort(key=lambda r: (order.get(r.project.colour, 9), r.project.code))
    return rows


def colour_counts(
    session: ReviewSession, *, unit: Unit | None = None, category: str = ""
) -> list[ColourCount]:
    """Projects per colour (every colour, zero included) under the unit and category filters.
    One query."""
    totals = _filtered(session, unit=unit, category=category).aggregate(
        **{c: Count("pk", filter=Q(colour=c)) for c in Colour.values}
    )
    return [ColourCount(c, Colour(c).label, totals[c]) for c in Colour.values]


def filter_options(session: ReviewSession) -> tuple[list[Unit], list[str]]:
    """The units that own projects, and the categories in use. Two queries."""
    units = list(Unit.objects.filter(key_projects__session=session).distinct().order_by("name"))
    categories = list(
        KeyProject.objects.filter(session=session)
        .order_by("category")
        .values_list("category", flat=True)
        .distinct()
    )
    return units, categories


@dataclass(frozen=True)
class MilestoneLine:
    milestone: Milestone
    missed: bool
    due: bool


@dataclass(frozen=True)
class ProjectPage:
    project: KeyProject
    rule: ProjectRule
    as_of: datetime.date
    verdict: rules.Verdict
    milestones: list[MilestoneLine]
    updates: list[ProjectUpdate]
    changes: list

    @property
    def planned_bar(self) -> int:
        return bar_step(self.verdict.planned)

    @property
    def verdict_label(self) -> str:
        return Colour(self.verdict.colour).label

    @property
    def actual_bar(self) -> int:
        return bar_step(self.project.actual_progress)


def project_page(project: KeyProject, rule: ProjectRule) -> ProjectPage:
    """Everything the project page shows: three queries (milestones, updates, colour history)."""
    as_of = board_date(rule)
    milestones = list(project.milestones.all())
    verdict = project_verdict(project, milestones, rule, as_of)
    facts = {
        m.pk: rules.MilestoneFacts(m.planned_date, m.planned_progress, m.done_on)
        for m in milestones
    }
    return ProjectPage(
        project=project,
        rule=rule,
        as_of=as_of,
        verdict=verdict,
        milestones=[
            MilestoneLine(m, missed=facts[m.pk].missed_at(as_of), due=m.planned_date <= as_of)
            for m in milestones
        ],
        updates=list(project.updates.select_related("created_by")),
        changes=list(project.colour_changes.all()),
    )


def export_projects(session: ReviewSession) -> list[ExportProject]:
    """The session's projects as the download writes them. Two queries."""
    projects = (
        KeyProject.objects.filter(session=session)
        .select_related("unit")
        .prefetch_related("milestones")
        .order_by("code")
    )
    return [
        ExportProject(
            code=p.code,
            name=p.name,
            unit=p.unit.name,
            category=p.category,
            actual=p.actual_progress,
            stalled=p.stalled,
            manual_colour=p.colour if p.is_manual else None,
            milestones=tuple(
                (m.name, m.planned_date, m.planned_progress, m.done_on) for m in p.milestones.all()
            ),
        )
        for p in projects
    ]
