"""The stored line scores, colours, latest reports and months reported (targets/line_state.py;
docs/targets.md, "Stored scores"): after any sequence of writes through the services they equal
a fresh refresh and the live computation."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from org.models import District, OrgUnit
from targets import reports, scores
from targets.ledger import ledger_summary, unit_ledgers
from targets.line_state import month_bit, refresh_lines, refresh_year
from targets.models import LineScore, Report, Target, TargetUnit
from targets.services import targets_import
from targets.workbook import TargetRow
from tests.factories import UserFactory

D = Decimal
YEAR = 2026
UNITS = ("城关镇", "区财政局")


def _row(code, **fields) -> TargetRow:
    base = {
        "row": 2,
        "code": code,
        "title": f"指标{code}",
        "kind": Target.Kind.QUANTITY,
        "measure": "",
        "direction": Target.Direction.AT_LEAST,
        "baseline": None,
        "goal": D(100),
        "stretch": None,
        "points": D(10),
        "method": Target.Method.RATIO,
        "floor": D(0),
        "cap": D(1),
        "steps": (),
        "bonus": D(0),
        "veto": False,
        "period": Target.Period.QUARTER,
        "lead": (UNITS[0],),
        "support": (UNITS[1],),
    }
    return TargetRow(**{**base, **fields})


def _rows(goal_shift: int = 0, plan: int = 60) -> list[TargetRow]:
    """A rate with a 力争 bonus reported monthly, a count with a plan and a unit's own share,
    and a veto target to stay under."""
    return [
        _row("1", goal=D(100 + goal_shift), stretch=D(120 + goal_shift), bonus=D(2),
             period=Target.Period.MONTH),
        _row("2", kind=Target.Kind.COUNT, goal=D(40 + goal_shift), points=D(8),
             method=Target.Method.STEPS, steps=((D("0.8"), D("0.6")), (D(1), D(1))),
             plan=((6, D(plan) * (40 + goal_shift) / 100),),
             shares=((UNITS[1], D(10), D(3)),)),
        _row("3", direction=Target.Direction.AT_MOST, goal=D(0), points=D(0),
             method=Target.Method.PASS_FAIL, veto=True),
    ]  # fmt: skip


def _district():
    district = District.objects.create(code="ls", name="测试区")
    for n, name in enumerate(UNITS):
        OrgUnit.objects.create(district=district, code=f"U{n}", name=name, category="镇")
    targets_import(district=district, year=YEAR, rows=_rows(), actor=None)
    Target.objects.filter(district=district).update(evidence_required=False)
    return district


def _stored(district):
    lines = TargetUnit.objects.filter(target__district=district).order_by("pk")
    return (
        list(lines.values_list("pk", "latest_report_id", "reported_months")),
        list(
            LineScore.objects.filter(target_unit__in=lines)
            .order_by("target_unit_id", "month")
            .values_list(
                "target_unit_id", "month", "points", "bonus", "possible", "counted", "vetoes",
                "report_id",
            )
        ),
        list(
            Report.objects.filter(target_unit__in=lines)
            .order_by("pk")
            .values_list("pk", "status", "colour")
        ),
    )  # fmt: skip


def _summary(results):
    return [
        (r.org_unit.code, r.total, r.possible, r.score, r.vetoed_by, r.rank)
        + (r.points, r.bonus, r.counted, r.veto_titles)
        for r in results
    ]


def _assert_consistent(district):
    kept = _stored(district)
    refresh_year(district, YEAR)
    assert _stored(district) == kept  # what the writes kept is what a refresh finds
    for month in (3, 6, 9, 12):
        assert _summary(scores.period_scores(district, YEAR, month)) == _summary(
            scores.live_period_scores(district, YEAR, month)
        )
    assert _summary(scores.annual_scores(district, YEAR)) == _summary(
        scores.live_annual_scores(district, YEAR)
    )
    for today in (date(YEAR, 7, 11), date(YEAR + 1, 2, 1)):
        assert [(u.org_unit, u.counts) for u in ledger_summary(district, YEAR, today=today)] == [
            (u.org_unit, u.counts) for u in unit_ledgers(district, YEAR, today=today)
        ]
    settings_ = scores.year_settings(district, YEAR)
    for line in TargetUnit.objects.filter(target__district=district).select_related("target"):
        found = list(line.reports.order_by("month"))
        accepted = [r for r in found if r.status == Report.Status.ACCEPTED]
        assert line.latest_report_id == (accepted[-1].pk if accepted else None)
        assert line.reported_months == sum(
            month_bit(r.month) for r in found if r.status != Report.Status.RETURNED
        )
        for report in found:
            expected = (
                scores.report_colour(report.value, line, report.month, settings_.yellow_from)[0]
                if report.status == Report.Status.ACCEPTED
                else ""
            )
            assert report.colour == expected


def _apply(district, office, step) -> None:
    kind, line_index, month, value = step
    lines = list(TargetUnit.objects.filter(target__district=district).order_by("pk"))
    line = lines[line_index % len(lines)]
    if kind == "import":
        targets_import(
            district=district, year=YEAR, rows=_rows(goal_shift=value, plan=month * 5), actor=None
        )
        return
    if kind == "import-one":
        # The workbook handed in again with one target changed: only its lines are rescored.
        rows = _rows()
        rows[1] = _rows(goal_shift=value, plan=month * 5)[1]
        targets_import(district=district, year=YEAR, rows=rows, actor=None)
        return
    months = scores.period_months(Target.objects.get(pk=line.target_id))
    month = months[month % len(months)]
    report = Report.objects.filter(target_unit=line, month=month).first()
    try:
        if kind == "submit":
            reports.report_submit(
                target_unit=line, month=month, value=D(value), text="", actor=None
            )
        elif report is None:
            return
        elif kind == "return":
            reports.report_return(report=report, reason="重报", actor=office)
        elif kind == "accept":
            reports.report_accept(report=report, actor=office)
        elif kind == "correct":
            reports.report_correct(report=report, value=D(value), reason="更正", actor=office)
    except ValidationError:
        pass  # a step the workflow refuses leaves everything as it was


STEPS = st.lists(
    st.tuples(
        st.sampled_from(
            ["submit", "submit", "accept", "accept", "return", "correct", "import", "import-one"]
        ),
        st.integers(0, 5),
        st.integers(0, 11),
        st.integers(0, 60),
    ),
    max_size=25,
)


class StoredStateProperties(HypothesisTestCase):
    @settings(deadline=None, max_examples=25, suppress_health_check=[HealthCheck.too_slow])
    @given(steps=STEPS)
    def test_any_sequence_of_writes_keeps_the_stored_state_equal_to_a_refresh_and_live(self, steps):
        district = _district()
        office = UserFactory(username="office-ls")
        for step in steps:
            _apply(district, office, step)
        _assert_consistent(district)


@pytest.mark.django_db
def test_accept_and_correct_move_the_lines_scores_and_colour():
    district = _district()
    office = UserFactory(username="office")
    count = TargetUnit.objects.get(target__code="2", org_unit__code="U0")
    report = reports.report_submit(target_unit=count, month=6, value=D(20), text="", actor=None)
    count.refresh_from_db()
    assert (count.reported_months, count.latest_report_id) == (month_bit(6), None)

    reports.report_accept(report=report, actor=office)
    count.refresh_from_db()
    report.refresh_from_db()
    # 60 % of 40 planned by June: 24; 20 of 24 is 83 %: red (below 90 %), the 80 % step.
    assert (count.latest_report_id, report.colour) == (report.pk, "red")
    june = LineScore.objects.get(target_unit=count, month=6)
    assert (june.points, june.possible, june.report_id) == (D("4.80"), D("8.00"), report.pk)

    reports.report_correct(report=report, value=D(24), reason="更正", actor=office)
    june.refresh_from_db()
    report.refresh_from_db()
    assert (june.points, report.colour) == (D("8.00"), "green")
    _assert_consistent(district)


@pytest.mark.django_db
def test_an_import_changing_a_goal_rescores_the_year():
    district = _district()
    office = UserFactory(username="office")
    rate = TargetUnit.objects.get(target__code="1", org_unit__code="U0")
    report = reports.report_submit(target_unit=rate, month=12, value=D(100), text="", actor=None)
    reports.report_accept(report=report, actor=office)
    assert LineScore.objects.get(target_unit=rate, month=12).points == D("10.00")

    targets_import(district=district, year=YEAR, rows=_rows(goal_shift=25), actor=None)

    assert LineScore.objects.get(target_unit=rate, month=12).points == D("8.00")  # 100 ÷ 125
    _assert_consistent(district)


@pytest.mark.django_db
def test_an_import_rescores_only_the_targets_it_changes():
    district = _district()
    office = UserFactory(username="office")
    rate = TargetUnit.objects.get(target__code="1", org_unit__code="U0")
    report = reports.report_submit(target_unit=rate, month=12, value=D(100), text="", actor=None)
    reports.report_accept(report=report, actor=office)
    # Lost, as if the stored score had gone wrong: an import that leaves target 1 as it was
    # does not touch it, so it stays lost (and the rebuild command would restore it).
    LineScore.objects.filter(target_unit=rate).update(points=D(0))
    again = targets_import(district=district, year=YEAR, rows=_rows(), actor=None)
    assert again == {"created": 0, "updated": 3, "rescored": 0}
    assert LineScore.objects.get(target_unit=rate, month=12).points == D(0)
    rows = _rows()
    rows[0] = _rows(goal_shift=25)[0]
    changed = targets_import(district=district, year=YEAR, rows=rows, actor=None)
    assert changed == {"created": 0, "updated": 3, "rescored": 1}
    assert LineScore.objects.get(target_unit=rate, month=12).points == D("8.00")  # 100 ÷ 125
    _assert_consistent(district)


@pytest.mark.django_db
def test_refresh_lines_takes_a_fixed_number_of_queries(django_assert_max_num_queries):
    district = _district()
    lines = list(TargetUnit.objects.filter(target__district=district))
    for line in lines:
        reports.report_submit(target_unit=line, month=3, value=D(5), text="", actor=None)
    # The lines, the targets, the year's settings, the reports, the scores, the lines'
    # state, and a colour at most for each of the five.
    with django_assert_max_num_queries(8):
        refresh_lines(lines[:1])
    with django_assert_max_num_queries(8):
        refresh_lines(lines)


@pytest.mark.django_db
def test_rebuild_command_restores_what_was_lost():
    district = _district()
    office = UserFactory(username="office")
    line = TargetUnit.objects.get(target__code="1", org_unit__code="U0")
    report = reports.report_submit(target_unit=line, month=3, value=D(90), text="", actor=None)
    reports.report_accept(report=report, actor=office)
    kept = _stored(district)
    LineScore.objects.all().delete()
    Report.objects.update(colour="")
    TargetUnit.objects.update(latest_report=None, reported_months=0)

    out = StringIO()
    call_command("rebuild_target_scores", "ls", str(YEAR), stdout=out)

    assert _stored(district) == kept
    assert "6 条目标分解" in out.getvalue()
