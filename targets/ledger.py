"""Reads for the ledger (台账) and the progress overview (目标进度) of a district's year
(docs/targets.md, "Colours" and "The ledger (台账)").

Each function loads the year in a fixed number of queries, whatever its size: the year's
settings, the breakdown, the reports (as plain values) and, for the ledger, the open notices,
once each; the colours are worked out in Python by ``targets.scores``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils import timezone

from core.colours import Colour
from org.models import District, OrgUnit

from . import engine, scores
from .models import Notice, Report, Target, TargetUnit
from .reports import due_date
from .workbook import plain

RETURNED = Report.Status.RETURNED
ACCEPTED = Report.Status.ACCEPTED
NO_REPORT = "none"  # the overview's colour filter for a line without an accepted report
RETURN_REASONS = 0  # the key under which _reports keeps the returned reports' reasons


@dataclass(frozen=True)
class ReportRef:
    """A report as the ledger and the overview show it: plain values, no model."""

    pk: int
    month: int
    status: str
    value: Decimal | None  # loaded for the reports shown only: latest accepted, returned
    return_reason: str = ""

    @property
    def shown(self) -> Decimal | None:
        return None if self.value is None else plain(self.value)

    @property
    def status_label(self) -> str:
        return Report.Status(self.status).label


@dataclass(frozen=True)
class Overdue:
    target_unit: TargetUnit
    month: int
    due: date
    report: ReportRef | None  # a returned report not resubmitted; None: nothing reported


@dataclass(frozen=True)
class Coloured:
    """A unit's latest accepted report on a target, coloured against the period's plan."""

    target_unit: TargetUnit
    report: ReportRef
    colour: str
    why: str

    @property
    def colour_label(self) -> str:
        return Colour(self.colour).label


@dataclass
class UnitLedger:
    org_unit: OrgUnit
    open_notices: list[Notice] = field(default_factory=list)
    overdue: list[Overdue] = field(default_factory=list)
    returned: list[tuple[TargetUnit, ReportRef]] = field(default_factory=list)
    red: list[Coloured] = field(default_factory=list)
    yellow: list[Coloured] = field(default_factory=list)

    @property
    def counts(self) -> tuple[int, int, int, int, int]:
        return (
            len(self.open_notices),
            len(self.overdue),
            len(self.returned),
            len(self.red),
            len(self.yellow),
        )

    @property
    def clear(self) -> bool:
        """清零: nothing open, overdue, returned, red or yellow."""
        return not any(self.counts)


def _reports(lines: list[TargetUnit]) -> dict[int, dict]:
    """target_unit id → {month: (pk, status, value)} of ``lines`` from one query of plain values
    (a model or a dataclass per report would be most of the page's time), and the reasons of
    the returned reports from a second. Asked by line ids, already loaded, over the (line,
    month) index rather than through a join to the targets."""
    found = Report.objects.filter(target_unit_id__in=[line.pk for line in lines])
    by_line: dict[int, dict] = defaultdict(dict)
    for pk, line, month, status, value in found.values_list(
        "pk", "target_unit_id", "month", "status", "value"
    ):
        by_line[line][month] = (pk, status, value)
    by_line[RETURN_REASONS] = dict(found.filter(status=RETURNED).values_list("pk", "return_reason"))
    return by_line


def _ref(entry, month: int, reasons) -> ReportRef:
    pk, status, value = entry
    return ReportRef(pk, month, status, value, reasons.get(pk, ""))


def _latest_accepted(months: dict, reasons) -> ReportRef | None:
    accepted = [m for m, entry in months.items() if entry[1] == ACCEPTED]
    return _ref(months[max(accepted)], max(accepted), reasons) if accepted else None


class _Colours:
    """``scores.report_colour`` with each line's plan for a month worked out once for all the
    lines that share it (the lines of one target without shares of their own, at the same
    period): the plan, not the comparison, is most of the cost."""

    def __init__(self, yellow_from: Decimal, *, explain: bool = True):
        self.yellow_from = yellow_from
        self.explain = explain  # the summary shows no reasons and need not write them
        self.plans: dict[tuple, tuple] = {}

    def plan(self, line: TargetUnit, month: int):
        key = (line.target_id, line.goal, line.points, month)
        if key not in self.plans:
            year_line = line.engine_target()
            self.plans[key] = (year_line, scores.planned(line.target, year_line, month))
        return self.plans[key]

    def __call__(self, line: TargetUnit, report: ReportRef) -> tuple[str, str]:
        year_line, planned = self.plan(line, report.month)
        return engine.colour(
            year=year_line,
            planned=planned,
            actual=report.value,
            yellow_from=self.yellow_from,
            cumulative=scores.cumulative(line.target),
            explain=self.explain,
        )


# ------------------------------------------------------------------------------ the ledger


def unit_ledgers(
    district: District, year: int, *, today: date | None = None, unit_code: str | None = None
) -> list[UnitLedger]:
    """Every unit with targets in ``year`` (or the one of ``unit_code``), by unit code, with
    what is still open: notices not closed, overdue periods, returned reports awaiting
    correction, and the targets whose latest accepted report is red or yellow."""
    today = today or timezone.localdate()
    settings = scores.year_settings(district, year)
    breakdown = scores.breakdown(district, year, unit_code)
    reports = _reports(breakdown)
    reasons = reports.pop(RETURN_REASONS)
    colour_of = _Colours(settings.yellow_from, explain=unit_code is not None)
    notices = Notice.objects.filter(district=district, year=year, closed_at__isnull=True)
    if unit_code:
        notices = notices.filter(target_unit__org_unit__code=unit_code)
    ledgers: dict[int, UnitLedger] = {}
    lines = {line.pk: line for line in breakdown}
    # The periods already due, once for the year: a monthly and a quarterly list.
    due = {
        month: day
        for month in range(1, 13)
        if (day := due_date(year=year, month=month, due_day=settings.due_day)) < today
    }
    for line in breakdown:
        ledger = ledgers.setdefault(line.org_unit_id, UnitLedger(line.org_unit))
        months = reports.get(line.pk, {})
        for month in scores.period_months(line.target):
            if month not in due:
                break
            entry = months.get(month)
            if entry is None or entry[1] == RETURNED:
                report = entry and _ref(entry, month, reasons)
                ledger.overdue.append(Overdue(line, month, due[month], report))
        ledger.returned.extend(
            (line, _ref(months[m], m, reasons)) for m in sorted(months) if months[m][1] == RETURNED
        )
        latest = _latest_accepted(months, reasons)
        if latest is not None:
            colour, why = colour_of(line, latest)
            if colour == engine.RED:
                ledger.red.append(Coloured(line, latest, colour, why))
            elif colour == engine.YELLOW:
                ledger.yellow.append(Coloured(line, latest, colour, why))
    for notice in notices.order_by("issued_at", "pk"):
        # The line already loaded (a line with notices cannot be removed: PROTECT), so no
        # query per notice for its target and unit.
        line = lines[notice.target_unit_id]
        notice.target_unit = line
        ledgers[line.org_unit_id].open_notices.append(notice)
    return sorted(ledgers.values(), key=lambda ledger: ledger.org_unit.code)


# ---------------------------------------------------------------------------- the overview


@dataclass(frozen=True)
class OverviewLine:
    target_unit: TargetUnit
    report: ReportRef | None  # the latest accepted report
    plan: Decimal | None  # the unit's plan for that report's period; None: nothing planned yet
    colour: str  # engine.BLUE … engine.RED, or NO_REPORT
    why: str
    pending: ReportRef | None  # a later report not accepted (待审核 or 已退回)

    @property
    def colour_label(self) -> str:
        return "" if self.colour == NO_REPORT else Colour(self.colour).label

    @property
    def plan_shown(self) -> Decimal | None:
        return None if self.plan is None else plain(self.plan)


@dataclass(frozen=True)
class OverviewTarget:
    target: Target
    lines: tuple[OverviewLine, ...]


def overview(
    district: District, year: int, *, unit_code: str | None = None, colour: str | None = None
) -> list[OverviewTarget]:
    """Every target of ``year`` with its units' latest accepted values, the period's plan and
    the colour; only ``unit_code``'s lines and lines of ``colour`` when given."""
    settings = scores.year_settings(district, year)
    breakdown = scores.breakdown(district, year, unit_code)
    reports = _reports(breakdown)
    reasons = reports.pop(RETURN_REASONS)
    colour_of = _Colours(settings.yellow_from)
    by_target: dict[int, list[OverviewLine]] = {}
    targets: dict[int, Target] = {}
    for line in breakdown:
        months = reports.get(line.pk, {})
        latest = _latest_accepted(months, reasons)
        later = [m for m in months if latest is None or m > latest.month]
        pending = _ref(months[max(later)], max(later), reasons) if later else None
        plan, chip, why = None, NO_REPORT, ""
        if latest is not None:
            planned = colour_of.plan(line, latest.month)[1]
            plan = planned.goal if planned is not None else None
            chip, why = colour_of(line, latest)
        if colour and chip != colour:
            continue
        targets[line.target_id] = line.target
        by_target.setdefault(line.target_id, []).append(
            OverviewLine(line, latest, plan, chip, why, pending)
        )
    return [OverviewTarget(targets[pk], tuple(lines)) for pk, lines in by_target.items()]
