"""What is kept per breakdown line so that the ledger and the 季评比 read it rather than work it
out (docs/targets.md, "Stored scores"): each line's score at every quarter's end
(``LineScore``, December's being the annual score), its latest accepted report, the months it
has reported (``TargetUnit.reported_months``) and the colour of each accepted report.

``refresh_lines`` recomputes them for the lines given from their reports, the rules of
``targets.engine`` and the levels of ``targets.scores``, exactly as the live computation does;
it is called in the transaction of every write that changes them (a report's submission,
return, acceptance and correction; an import of the breakdown), so they are never seen out of
date. The query count does not depend on the number of lines.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db import connection, transaction

from org.models import District

from . import engine, scores
from .models import LineScore, Report, Target, TargetUnit, TargetYear

QUARTER_ENDS = (3, 6, 9, 12)
ACCEPTED = Report.Status.ACCEPTED
REPORTED = (Report.Status.SUBMITTED, Report.Status.ACCEPTED)
ZERO = Decimal("0.00")
UPDATE_CHUNK = 2000


def month_bit(month: int) -> int:
    """``TargetUnit.reported_months``: bit m for month m."""
    return 1 << month


def refresh_lines(target_units) -> None:
    """Recompute the stored state of ``target_units`` (models or ids)."""
    ids = sorted({getattr(line, "pk", line) for line in target_units})
    if ids:
        _refresh(TargetUnit.objects.filter(pk__in=ids))


def refresh_year(district: District, year: int) -> None:
    """Recompute the stored state of every line of ``district``'s ``year``."""
    _refresh(TargetUnit.objects.filter(target__district=district, target__year=year))


@transaction.atomic(savepoint=False)  # the caller's transaction when there is one
def _refresh(found) -> None:
    # The lines' rows locked, in a fixed order: two writes to one line's reports at once
    # then refresh one after the other, the second seeing the first's report.
    lines = list(found.select_for_update(of=("self",)).order_by("pk"))
    if not lines:
        return
    targets = {t.pk: t for t in Target.objects.filter(pk__in={line.target_id for line in lines})}
    yellow = {
        (district_id, year): _yellow_from(district_id, year)
        for district_id, year in {(t.district_id, t.year) for t in targets.values()}
    }
    by_line: dict[int, list[tuple]] = defaultdict(list)
    for row in (
        Report.objects.filter(target_unit__in=[line.pk for line in lines])
        .order_by("month")
        .values_list("pk", "target_unit_id", "month", "status", "value", "colour")
    ):
        by_line[row[1]].append(row)
    levels = scores.Levels()
    line_scores, changed_lines, colours = [], [], defaultdict(list)
    for line in lines:
        target = line.target = targets[line.target_id]
        reports = by_line.get(line.pk, [])
        accepted = [r for r in reports if r[3] == ACCEPTED]
        yellow_from = yellow[(target.district_id, target.year)]
        for pk, _line, month, status, value, colour in reports:
            new = ""
            if status == ACCEPTED:
                new, _why = engine.colour(
                    year=levels.year(line),
                    planned=levels.planned(line, month),
                    actual=value,
                    yellow_from=yellow_from,
                    cumulative=scores.cumulative(target),
                    explain=False,
                )
            if new != colour:
                colours[new].append(pk)
        for month in QUARTER_ENDS:
            line_scores.append(_line_score(line, month, accepted, levels))
        latest = accepted[-1][0] if accepted else None
        reported = sum(month_bit(r[2]) for r in reports if r[3] in REPORTED)
        if (line.latest_report_id, line.reported_months) != (latest, reported):
            line.latest_report_id, line.reported_months = latest, reported
            changed_lines.append(line)
    LineScore.objects.bulk_create(
        line_scores,
        update_conflicts=True,
        unique_fields=["target_unit", "month"],
        update_fields=["points", "bonus", "possible", "counted", "vetoes", "report"],
        batch_size=2000,
    )
    _update_from_values(
        TargetUnit,
        ("latest_report_id", "bigint"),
        ("reported_months", "integer"),
        [(line.pk, line.latest_report_id, line.reported_months) for line in changed_lines],
    )
    _update_from_values(
        Report,
        ("colour", "varchar(8)"),
        None,
        [(pk, colour) for colour, pks in colours.items() for pk in pks],
    )


def _update_from_values(model, first, second, rows) -> None:
    """UPDATE … FROM (VALUES …): one statement per chunk of rows, each its own values (Django's
    bulk_update writes a CASE per row, most of a large year's refresh)."""
    columns = [first] if second is None else [first, second]
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(name) for name, _type in columns)
    sets = ", ".join(
        f"{connection.ops.quote_name(name)} = v.{connection.ops.quote_name(name)}"
        for name, _type in columns
    )
    row_sql = "(CAST(%s AS bigint), " + ", ".join(f"CAST(%s AS {t})" for _n, t in columns) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), UPDATE_CHUNK):
            chunk = rows[start : start + UPDATE_CHUNK]
            # Only the table's and columns' own names are formatted in; the values are
            # parameters.
            cursor.execute(
                f"WITH v(id, {names}) AS (VALUES {', '.join([row_sql] * len(chunk))}) "  # noqa: S608
                f"UPDATE {table} SET {sets} FROM v WHERE {table}.id = v.id",
                [value for row in chunk for value in row],
            )


def _yellow_from(district_id: int, year: int) -> Decimal:
    found = TargetYear.objects.filter(district_id=district_id, year=year).first()
    return found.yellow_from if found else TargetYear._meta.get_field("yellow_from").default


def _line_score(line: TargetUnit, month: int, accepted: list[tuple], levels) -> LineScore:
    """``line`` at the end of ``month`` on its latest value accepted by then, as
    ``targets.scores`` scores it (docs/targets.md, "季评比")."""
    level = levels.scored(line, month)
    report = next((r for r in reversed(accepted) if r[2] <= month), None)
    if level is None:  # nothing planned yet: left out of the quarter
        return LineScore(
            target_unit=line,
            month=month,
            points=ZERO,
            bonus=ZERO,
            possible=ZERO,
            counted=False,
            vetoes=False,
            report_id=report and report[0],
        )
    value = None if report is None else engine.plain(report[4])
    outcome = engine.score(level, value, explain=False)
    return LineScore(
        target_unit=line,
        month=month,
        points=outcome.points,
        bonus=outcome.bonus,
        possible=level.points,
        counted=True,
        vetoes=outcome.vetoes,
        report_id=report and report[0],
    )
