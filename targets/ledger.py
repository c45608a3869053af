"""Reads for the ledger (台账) and the progress overview (目标进度) of a district's year
(docs/targets.md, "Colours" and "The ledger (台账)").

Each function loads the year in a fixed number of queries, whatever its size. The ledger reads
what ``targets.line_state`` keeps per line (docs/targets.md, "Stored scores"): the latest
accepted report and its colour, the months reported, with the returned reports and the open
notices. The overview loads the reports as plain values and colours them in Python.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, F, Q
from django.utils import timezone

from core.colours import Colour
from org.ledger import Commitment, commitments_by_unit
from org.models import District, OrgUnit

from . import engine, scores
from .engine import plain
from .models import Notice, Report, Target, TargetUnit
from .reports import due_date

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
    # The meeting's 督办事项 still open (org.ledger): commitments made on stage at a review.
    commitments: list[Commitment] = field(default_factory=list)
    # The summary's counts, counted by the database; the unit's page counts its lists.
    counted: tuple[int, int, int, int, int] | None = None

    @property
    def counts(self) -> tuple[int, int, int, int, int, int]:
        """未销号通知, 逾期未报, 退回待改, 红灯, 黄灯, 会议督办事项."""
        if self.counted is not None:
            return (*self.counted, len(self.commitments))
        return (
            len(self.open_notices),
            len(self.overdue),
            len(self.returned),
            len(self.red),
            len(self.yellow),
            len(self.commitments),
        )

    @property
    def clear(self) -> bool:
        """清零: nothing open, overdue, returned, red or yellow, and no commitment from a
        review still open."""
        return not any(self.counts)


def _add_commitments(
    ledgers: dict[int, UnitLedger], district: District, year: int, today: date, unit=None
) -> None:
    """The units' open commitments from the reviews (org.ledger), and a ledger for a unit that
    has commitments but no targets this year. Two queries at most."""
    found = commitments_by_unit(
        district, year, today=today, org_unit_ids=None if unit is None else [unit.pk]
    )
    missing = [pk for pk in found if pk not in ledgers]
    if missing:
        units = [unit] if unit is not None else OrgUnit.objects.filter(pk__in=missing)
        for org_unit in units:
            ledgers[org_unit.pk] = UnitLedger(org_unit, counted=None if unit else (0,) * 5)
    for pk, rows in found.items():
        ledgers[pk].commitments = rows


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


@dataclass(frozen=True)
class LineRef:
    """A breakdown line as the ledger's summary holds it: plain values, no model (the unit's
    page holds the TargetUnit itself)."""

    pk: int
    target_id: int
    org_unit_id: int


def _ledger_lines(district: District, year: int, unit_code: str | None):
    """(line, period, reported months, latest accepted report or None) of the year's lines:
    for the summary one query of plain values, for a unit's page its lines as models and
    their latest accepted reports (docs/targets.md, "Stored scores")."""
    if unit_code is None:
        rows = TargetUnit.objects.filter(target__district=district, target__year=year)
        for (
            pk,
            target_id,
            org_unit_id,
            period,
            months,
            latest,
            month,
            value,
            colour,
        ) in rows.order_by("target__code", "role", "pk").values_list(
            "pk",
            "target_id",
            "org_unit_id",
            "target__period",
            "reported_months",
            "latest_report_id",
            "latest_report__month",
            "latest_report__value",
            "latest_report__colour",
        ):
            report = None if latest is None else (ReportRef(latest, month, ACCEPTED, value), colour)
            yield LineRef(pk, target_id, org_unit_id), period, months, report
        return
    lines = scores.breakdown(district, year, unit_code)
    latest = {
        pk: (ReportRef(pk, month, ACCEPTED, value), colour)
        for pk, month, value, colour in Report.objects.filter(
            pk__in=[line.latest_report_id for line in lines if line.latest_report_id]
        ).values_list("pk", "month", "value", "colour")
    }
    for line in lines:
        yield line, line.target.period, line.reported_months, latest.get(line.latest_report_id)


def ledger_summary(district: District, year: int, *, today: date | None = None) -> list[UnitLedger]:
    """Every unit with targets in ``year``, by unit code, with the counts of what is still open
    (``UnitLedger.counts``) and its open notices: counted by the database from what
    ``targets.line_state`` keeps, in four queries whatever the year's size (the settings, the
    lines' counts by unit, the returned reports by unit, the units, the open notices)."""
    today = today or timezone.localdate()
    settings = scores.year_settings(district, year)
    due = [
        month
        for month in range(1, 13)
        if due_date(year=year, month=month, due_day=settings.due_day) < today
    ]
    monthly = Q(target__period=Target.Period.MONTH)
    counts: dict[int, list[int]] = {}
    lines = TargetUnit.objects.filter(target__district=district, target__year=year)
    # One aggregate per due month over the bit of that month (a period is overdue when its
    # report is neither waiting nor accepted).
    aggregates = {}
    for month in due:
        aggregates[f"overdue_{month}"] = Count(
            "pk",
            filter=(
                (monthly | Q(target__period=Target.Period.QUARTER)) if month % 3 == 0 else monthly
            )
            & Q(**{f"bit_{month}": 0}),
        )
    annotated = lines.annotate(
        **{f"bit_{month}": F("reported_months").bitand(1 << month) for month in due}
    )
    for row in (
        annotated.values("org_unit_id")
        .annotate(
            red=Count("pk", filter=Q(latest_report__colour=engine.RED)),
            yellow=Count("pk", filter=Q(latest_report__colour=engine.YELLOW)),
            **aggregates,
        )
        .order_by()
    ):
        overdue = sum(row[f"overdue_{month}"] for month in due)
        counts[row["org_unit_id"]] = [0, overdue, 0, row["red"], row["yellow"]]
    for unit_id, returned in (
        Report.objects.filter(
            target_unit__target__district=district,
            target_unit__target__year=year,
            status=RETURNED,
        )
        .values("target_unit__org_unit_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("target_unit__org_unit_id", "n")
    ):
        counts[unit_id][2] = returned
    ledgers = {unit.pk: UnitLedger(unit) for unit in OrgUnit.objects.filter(pk__in=list(counts))}
    for notice in (
        Notice.objects.filter(district=district, year=year, closed_at__isnull=True)
        .select_related("target_unit__target", "target_unit__org_unit")
        .order_by("issued_at", "pk")
    ):
        ledgers[notice.target_unit.org_unit_id].open_notices.append(notice)
    for unit_id, ledger in ledgers.items():
        counts[unit_id][0] = len(ledger.open_notices)
        ledger.counted = tuple(counts[unit_id])
    _add_commitments(ledgers, district, year, today)
    return sorted(ledgers.values(), key=lambda ledger: ledger.org_unit.code)


def unit_ledgers(
    district: District, year: int, *, today: date | None = None, unit_code: str | None = None
) -> list[UnitLedger]:
    """Every unit with targets in ``year`` (or the one of ``unit_code``), by unit code, with
    what is still open: notices not closed, overdue periods, returned reports awaiting
    correction, and the targets whose latest accepted report is red or yellow. Read from what
    ``targets.line_state`` keeps (the latest accepted report, its colour, the months
    reported), not from every report; the unit's page says why a line is red or yellow."""
    today = today or timezone.localdate()
    settings = scores.year_settings(district, year)
    returned = Report.objects.filter(
        target_unit__target__district=district, target_unit__target__year=year, status=RETURNED
    )
    notices = Notice.objects.filter(district=district, year=year, closed_at__isnull=True)
    if unit_code:
        returned = returned.filter(target_unit__org_unit__code=unit_code)
        notices = notices.filter(target_unit__org_unit__code=unit_code)
    returned_by_line: dict[int, list[ReportRef]] = defaultdict(list)
    for pk, line_pk, month, value, reason in returned.order_by("month").values_list(
        "pk", "target_unit_id", "month", "value", "return_reason"
    ):
        returned_by_line[line_pk].append(ReportRef(pk, month, RETURNED, value, reason))
    colour_of = _Colours(settings.yellow_from) if unit_code else None
    # The periods already due, once for the year, and the months due of each kind of period.
    due = {
        month: day
        for month in range(1, 13)
        if (day := due_date(year=year, month=month, due_day=settings.due_day)) < today
    }
    due_months = {
        Target.Period.MONTH: [m for m in range(1, 13) if m in due],
        Target.Period.QUARTER: [m for m in scores.QUARTER_MONTHS if m in due],
    }
    by_unit: dict[int, UnitLedger] = {}
    units: dict[int, OrgUnit] = {}
    lines: dict[int, object] = {}
    for line, period, reported, latest in _ledger_lines(district, year, unit_code):
        lines[line.pk] = line
        ledger = by_unit.get(line.org_unit_id)
        if ledger is None:
            ledger = by_unit[line.org_unit_id] = UnitLedger(getattr(line, "org_unit", None))
        returned_here = returned_by_line.get(line.pk, [])
        for month in due_months[period]:
            if not reported & (1 << month):
                report = next((r for r in returned_here if r.month == month), None)
                ledger.overdue.append(Overdue(line, month, due[month], report))
        ledger.returned.extend((line, report) for report in returned_here)
        if latest is not None:
            report, colour = latest
            if colour in (engine.RED, engine.YELLOW):
                why = colour_of(line, report)[1] if colour_of else ""
                coloured = Coloured(line, report, colour, why)
                (ledger.red if colour == engine.RED else ledger.yellow).append(coloured)
    if unit_code is None:
        units = {u.pk: u for u in OrgUnit.objects.filter(pk__in=list(by_unit))}
        for unit_id, ledger in by_unit.items():
            ledger.org_unit = units[unit_id]
        notices = notices.select_related("target_unit__target", "target_unit__org_unit")
    for notice in notices.order_by("issued_at", "pk"):
        if unit_code:
            # The line already loaded (a line with notices cannot be removed: PROTECT), so no
            # query per notice for its target and unit.
            notice.target_unit = lines[notice.target_unit_id]
        by_unit[notice.target_unit.org_unit_id].open_notices.append(notice)
    if unit_code:
        unit = OrgUnit.objects.filter(district=district, code=unit_code).first()
        if unit is not None:
            for ledger in by_unit.values():
                ledger.org_unit = unit
            _add_commitments(by_unit, district, year, today, unit)
    else:
        _add_commitments(by_unit, district, year, today)
    return sorted(by_unit.values(), key=lambda ledger: ledger.org_unit.code)


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


def overview_targets(district: District, year: int, *, unit_code=None, colour=None):
    """The ids of the targets the overview lists with these filters, by code: read from the
    lines' stored latest report and its colour (docs/targets.md, "Stored scores"), so that a
    page of them is chosen before any line is worked out."""
    lines = TargetUnit.objects.filter(target__district=district, target__year=year)
    if unit_code:
        lines = lines.filter(org_unit__code=unit_code)
    if colour == NO_REPORT:
        lines = lines.filter(latest_report__isnull=True)
    elif colour:
        lines = lines.filter(latest_report__colour=colour)
    return (
        Target.objects.filter(pk__in=lines.values("target_id"))
        .order_by("code", "pk")
        .values_list("pk", flat=True)
    )


def overview(
    district: District,
    year: int,
    *,
    unit_code: str | None = None,
    colour: str | None = None,
    target_ids=None,
) -> list[OverviewTarget]:
    """Every target of ``year`` (or of ``target_ids``) with its units' latest accepted values,
    the period's plan and the colour; only ``unit_code``'s lines and lines of ``colour`` when
    given."""
    settings = scores.year_settings(district, year)
    breakdown = scores.breakdown(district, year, unit_code, target_ids=target_ids)
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
