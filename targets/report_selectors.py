"""Reads of 目标填报 (docs/targets.md, "Reports (目标填报)"): a unit's targets by period with
their reports, the office's queue, and one report with its history. Each reads in a fixed
number of queries, whatever the number of targets and periods.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count
from django.utils import timezone

from core.colours import Colour
from org.models import District, OrgUnit

from . import scores
from .engine import plain
from .models import Report, TargetUnit
from .reports import due_date

NOT_REPORTED = "none"  # a period's status before anything is reported (未报)


@dataclass(frozen=True)
class Period:
    """One period of one of the unit's targets, as the liaison's page shows it."""

    month: int
    due: date
    report: Report | None
    colour: str  # engine.BLUE … engine.RED; "" for no report or a returned one
    why: str
    overdue: bool  # due and passed, with nothing reported or a returned report not resubmitted

    @property
    def status(self) -> str:
        return self.report.status if self.report else NOT_REPORTED

    @property
    def can_submit(self) -> bool:
        return self.report is None or self.report.status == Report.Status.RETURNED

    @property
    def colour_label(self) -> str:
        return Colour(self.colour).label if self.colour else ""

    @property
    def value_shown(self):
        return None if self.report is None else plain(self.report.value)


@dataclass(frozen=True)
class UnitLine:
    target_unit: TargetUnit
    periods: tuple[Period, ...]

    @property
    def goal_shown(self):
        """The unit's own goal where the breakdown gives one, else the target's."""
        goal = self.target_unit.goal
        return plain(self.target_unit.target.goal if goal is None else goal)

    @property
    def points_shown(self):
        points = self.target_unit.points
        return plain(self.target_unit.target.points if points is None else points)


def _colour(report: Report | None, line: TargetUnit, month: int, yellow_from) -> tuple[str, str]:
    if report is None or report.status == Report.Status.RETURNED:
        return "", ""
    return scores.report_colour(report.value, line, month, yellow_from)


def unit_lines(org_unit: OrgUnit, year: int, *, today: date | None = None) -> list[UnitLine]:
    """Every target of ``org_unit`` in ``year``, by code, each period with its report, its
    colour against the period's plan and whether it is overdue: three queries."""
    today = today or timezone.localdate()
    settings = scores.year_settings(org_unit.district, year)
    lines = list(
        TargetUnit.objects.filter(org_unit=org_unit, target__year=year)
        .select_related("target")
        .order_by("target__code")
    )
    reports = {(r.target_unit_id, r.month): r for r in Report.objects.filter(target_unit__in=lines)}
    found = []
    for line in lines:
        line.org_unit = org_unit
        periods = []
        for month in scores.period_months(line.target):
            report = reports.get((line.pk, month))
            due = due_date(year=year, month=month, due_day=settings.due_day)
            colour, why = _colour(report, line, month, settings.yellow_from)
            open_ = report is None or report.status == Report.Status.RETURNED
            periods.append(Period(month, due, report, colour, why, open_ and due < today))
        found.append(UnitLine(line, tuple(periods)))
    return found


def period_of(line: TargetUnit, month: int, *, today: date | None = None) -> Period:
    """One period of ``line`` (its target and unit loaded) with its report, as on the unit's
    page."""
    today = today or timezone.localdate()
    target = line.target
    settings = scores.year_settings(target.district, target.year)
    report = Report.objects.filter(target_unit=line, month=month).first()
    due = due_date(year=target.year, month=month, due_day=settings.due_day)
    colour, why = _colour(report, line, month, settings.yellow_from)
    open_ = report is None or report.status == Report.Status.RETURNED
    return Period(month, due, report, colour, why, open_ and due < today)


def report_units(district: District, year: int) -> list[OrgUnit]:
    """The units with targets in ``year``, by code (the queue's unit filter)."""
    return list(
        OrgUnit.objects.filter(targets__target__district=district, targets__target__year=year)
        .distinct()
        .order_by("code")
    )


def review_queue(
    district: District,
    year: int,
    *,
    org_unit: OrgUnit | None = None,
    month: int | None = None,
    status: str | None = Report.Status.SUBMITTED,
) -> list[Report]:
    """The reports of ``year``, oldest submission first: by default those waiting for review
    (待审核); ``status`` None for every status. Each with its target, unit and file count."""
    found = Report.objects.filter(
        target_unit__target__district=district, target_unit__target__year=year
    )
    if org_unit is not None:
        found = found.filter(target_unit__org_unit=org_unit)
    if month is not None:
        found = found.filter(month=month)
    if status:
        found = found.filter(status=status)
    found = list(
        found.select_related("target_unit__target", "target_unit__org_unit", "submitted_by")
        .annotate(file_count=Count("files"))
        .order_by("submitted_at", "pk")
    )
    for report in found:
        report.value_shown = plain(report.value)  # 4000, not 4000.0000 or 4E+3
    return found


def report_for(district: District, year: int, pk: int) -> Report:
    """A report of the district's year with its target and unit (DoesNotExist otherwise)."""
    return Report.objects.select_related(
        "target_unit__target__district", "target_unit__org_unit", "submitted_by", "reviewed_by"
    ).get(pk=pk, target_unit__target__district=district, target_unit__target__year=year)


def history(report: Report) -> list:
    """The report's events, oldest first, with their actors."""
    events = list(report.events.select_related("actor").order_by("at", "pk"))
    for event in events:
        event.value_shown = plain(event.value)
        event.previous_shown = None if event.previous_value is None else plain(event.previous_value)
    return events
