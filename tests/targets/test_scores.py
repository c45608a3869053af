"""The 季评比 and the annual score from accepted reports (targets/scores.py; docs/targets.md,
"季评比" and "The annual score")."""

from decimal import Decimal

import pytest

from targets import scores
from targets.line_state import refresh_lines
from targets.models import Target
from tests.factories.target_scores import (
    GDP,
    accepted,
    also,
    line_of,
    waiting,
    worked_example_unit,
)
from tests.factories.targets import DistrictFactory, OrgUnitFactory

pytestmark = pytest.mark.django_db

D = Decimal
YEAR = 2026


def _by_code(results):
    return {r.org_unit.code: r for r in results}


def _summary(results):
    return [
        (r.org_unit.code, r.total, r.possible, r.score, r.vetoed_by, r.rank)
        + (r.points, r.bonus, r.counted, r.veto_titles)
        for r in results
    ]


def _annual(district):
    """The live annual scores (with their lines), checked against the stored ones."""
    live = scores.live_annual_scores(district, YEAR)
    assert _summary(scores.annual_scores(district, YEAR)) == _summary(live)
    return live


def _period(district, month):
    """The live 季评比 (with its lines), checked against the stored one."""
    live = scores.live_period_scores(district, YEAR, month)
    assert _summary(scores.period_scores(district, YEAR, month)) == _summary(live)
    return live


def _units(district, *codes, category="区直部门"):
    return [OrgUnitFactory(district=district, code=c, name=c, category=category) for c in codes]


def test_annual_scores_worked_example_totals_and_score_on_hundred():
    district = DistrictFactory()
    (unit,) = _units(district, "A")
    worked_example_unit(unit, accident=0)

    (result,) = _annual(district)

    points = [(line.code, line.outcome.points, line.outcome.bonus) for line in result.lines]
    assert sorted(p for _c, p, _b in points) == [
        D("0.00"),
        D("3.60"),
        D("6.40"),
        D("9.00"),
        D("10.00"),
    ]
    assert (result.total, result.possible, result.score, result.rank) == (
        D("30.00"),
        D("34.00"),
        D("88.24"),  # 30 ÷ 34 × 100 = 88.235…, half up
        1,
    )


def test_annual_scores_veto_missed_or_unreported_makes_zero():
    district = DistrictFactory()
    missed, unreported, kept = _units(district, "A", "B", "C")
    worked_example_unit(missed, accident=1)
    worked_example_unit(unreported, accident=None)
    worked_example_unit(kept, accident=0)

    found = _by_code(_annual(district))

    safety_code = next(line.code for line in found["A"].lines if line.title == "重大安全生产事故")
    assert (found["A"].total, found["A"].score, found["A"].vetoed_by) == (
        D("0.00"),
        D("0.00"),
        (safety_code,),
    )
    assert (found["B"].total, found["B"].score, len(found["B"].vetoed_by)) == (
        D("0.00"),
        D("0.00"),
        1,
    )
    assert (found["C"].total, found["C"].vetoed_by) == (D("30.00"), ())
    assert [(r.org_unit.code, r.rank) for r in _annual(district)] == [
        ("C", 1),
        ("A", 2),
        ("B", 2),
    ]


def test_ranks_ties_share_a_rank_within_each_category():
    district = DistrictFactory()
    a, b, c, d = _units(district, "A", "B", "C", "D")
    (town,) = _units(district, "T", category="镇(街道)")
    for unit, value in ((a, "7"), (b, "3.5"), (c, "7"), (d, "6.3"), (town, "1")):
        accepted(line_of(unit, **GDP), value)

    results = _annual(district)

    assert [(r.org_unit.category, r.org_unit.code, r.score, r.rank) for r in results] == [
        ("区直部门", "A", D("100.00"), 1),
        ("区直部门", "C", D("100.00"), 1),
        ("区直部门", "D", D("90.00"), 3),
        ("区直部门", "B", D("50.00"), 4),
        ("镇(街道)", "T", D("14.30"), 1),  # 10 × 1 ÷ 7 = 1.43 points, then on 100
    ]


def test_unreported_and_unaccepted_values_earn_nothing():
    district = DistrictFactory()
    (unit,) = _units(district, "A")
    accepted(line_of(unit, **GDP), "7")
    line_of(unit, **GDP)  # never reported
    waiting(line_of(unit, **GDP), "7")  # reported, not accepted

    (result,) = _annual(district)
    lines = sorted(result.lines, key=lambda line: line.target_id)  # in the order made

    assert [line.outcome.points for line in lines] == [D("10.00"), D("0.00"), D("0.00")]
    assert [line.report_id is None for line in lines] == [False, True, True]
    assert (result.total, result.possible, result.score) == (D("10.00"), D("30.00"), D("33.33"))


def test_annual_scores_latest_accepted_value_of_the_year():
    district = DistrictFactory()
    (unit,) = _units(district, "A")
    line = line_of(unit, **GDP, period=Target.Period.MONTH)
    accepted(line, "7", month=3)
    latest = accepted(line, "6.3", month=9)
    waiting(line, "8", month=12)

    (result,) = _annual(district)

    assert (result.lines[0].report_id, result.lines[0].month, result.total) == (
        latest.pk,
        9,
        D("9.00"),
    )


def test_score_on_hundred_rounds_half_up_and_is_capped_at_100():
    district = DistrictFactory()
    half, over = _units(district, "A", "B")
    # 8 points × 0.125 ÷ 100 = 0.01 earned of 8: 0.125 on 100, half up 0.13.
    accepted(line_of(half, goal=D(100), points=D(8)), "0.125")
    # 10 points + the whole bonus of 2 of 10 possible: 120, capped.
    accepted(line_of(over, **{**GDP, "stretch": D(8), "bonus": D(2)}), "8")

    found = _by_code(_annual(district))

    assert (found["A"].total, found["A"].score) == (D("0.01"), D("0.13"))
    assert (found["B"].total, found["B"].score) == (D("12.00"), D("100.00"))


def test_period_scores_count_target_against_the_plan_at_the_quarter_end():
    district = DistrictFactory()
    on_plan, behind = _units(district, "A", "B")
    # 120 by December, no plan points: 30 by March, 60 by June.
    count = {"kind": Target.Kind.COUNT, "goal": D(120), "points": D(10)}
    accepted(line_of(on_plan, **count), "30", month=3)
    accepted(line_of(behind, **count), "15", month=3)

    q1 = _by_code(_period(district, 3))

    assert [line.assessed.goal for line in q1["A"].lines] == [D(30)]
    assert (q1["A"].total, q1["A"].score) == (D("10.00"), D("100.00"))
    assert (q1["B"].total, q1["B"].score) == (D("5.00"), D("50.00"))
    # By June the plan is 60: the March value is the latest, now half of it.
    q2 = _by_code(_period(district, 6))
    assert [(line.assessed.goal, line.month) for line in q2["A"].lines] == [(D(60), 3)]
    assert q2["A"].total == D("5.00")


def test_period_scores_plan_points_rates_and_later_reports():
    district = DistrictFactory()
    (unit,) = _units(district, "A")
    # 24 by December, 14.4 (60 %) planned by October: 6 % a month up to October.
    planned = line_of(
        unit, kind=Target.Kind.MILESTONE, goal=D(24), points=D(10), plan={"10": "14.4"}
    )
    rate = line_of(unit, **GDP)
    accepted(planned, "4.32", month=3)
    accepted(planned, "24", month=6)  # after the quarter: not read for the first
    accepted(rate, "7", month=3)

    (q1,) = _period(district, 3)

    lines = {line.target_id: line for line in q1.lines}
    assert lines[planned.target_id].assessed.goal == D("4.32")  # 24 × 6 % × 3
    assert lines[planned.target_id].outcome.points == D("10.00")
    assert lines[rate.target_id].assessed.goal == D(7)  # a rate's plan is the goal all year
    assert (q1.total, q1.possible, q1.score) == (D("20.00"), D("20.00"), D("100.00"))


def test_period_scores_nothing_planned_yet_leaves_the_target_out():
    district = DistrictFactory()
    waiting_unit, scored = _units(district, "A", "B")
    # Nothing planned before July: the first quarter does not count the target.
    line_of(waiting_unit, kind=Target.Kind.COUNT, goal=D(10), points=D(5), plan={"6": "0"})
    accepted(line_of(scored, **GDP), "7", month=3)

    q1 = _by_code(_period(district, 3))

    assert [line.outcome for line in q1["A"].lines] == [None]
    assert (q1["A"].possible, q1["A"].score, q1["A"].rank) == (D("0.00"), None, 0)
    assert (q1["B"].score, q1["B"].rank) == (D("100.00"), 1)


def test_period_scores_refuses_a_month_outside_the_year():
    with pytest.raises(ValueError, match="month 13"):
        scores.period_scores(DistrictFactory(), YEAR, 13)


def test_support_unit_scored_on_its_own_share():
    district = DistrictFactory()
    lead, support = _units(district, "A", "B")
    line = line_of(lead, kind=Target.Kind.COUNT, goal=D(4000), points=D(8))
    share = also(line, support, goal=D(1500), points=D(3))
    accepted(line, "4000")
    accepted(share, "750")

    found = _by_code(_annual(district))

    assert (found["A"].total, found["A"].possible) == (D("8.00"), D("8.00"))
    assert (found["B"].total, found["B"].possible, found["B"].score) == (
        D("1.50"),
        D("3.00"),
        D("50.00"),
    )


def test_scores_of_a_district_read_in_four_queries(django_assert_max_num_queries):
    district = DistrictFactory()
    units = _units(district, *(f"U{n:02d}" for n in range(8)))
    for i, unit in enumerate(units):
        for k in range(5):
            line = line_of(unit, **GDP, period=Target.Period.MONTH)
            accepted(line, str(5 + (i + k) % 4), month=k + 1)
    other = DistrictFactory()
    accepted(line_of(_units(other, "X")[0], **GDP), "7")

    # Stored: the sums by unit and the units (and the veto targets missed, when any).
    with django_assert_max_num_queries(2):
        annual = scores.annual_scores(district, YEAR)
    with django_assert_max_num_queries(2):
        period = scores.period_scores(district, YEAR, 6)
    # Live: the targets, the units, the lines and the accepted values.
    with django_assert_max_num_queries(4):
        live = scores.live_annual_scores(district, YEAR)

    assert (len(annual), len(period)) == (8, 8)
    assert _summary(annual) == _summary(live)
    assert sum(len(r.lines) for r in live) == 40


def test_basis_follows_the_values_and_rules_scored():
    district = DistrictFactory()
    (unit,) = _units(district, "A")
    line = line_of(unit, **GDP)
    report = accepted(line, "6.3")
    (before,) = _annual(district)
    (again,) = _annual(district)

    report.value = D("6.4")
    report.save()
    refresh_lines([line.pk])
    (after,) = _annual(district)

    assert scores.basis(before) == scores.basis(again)
    assert len(scores.basis(before)) == 64
    assert scores.basis(after) != scores.basis(before)
