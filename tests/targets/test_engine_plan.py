"""The period's plan and the colours of targets/engine.py (docs/targets.md, "The period's plan"
and "Colours"), on the worked examples of the doc."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from targets.engine import (
    AT_MOST,
    BLUE,
    GREEN,
    RED,
    YELLOW,
    Rule,
    RuleError,
    Target,
    at_plan,
    colour,
    plan_share,
)

D = Decimal
ROADS = Target("roads", points=D(8), goal=D(100))
HOUSING = Target("housing", points=D(6), goal=D(24))
URBAN = Target("urban", points=D(6), goal=D("70.7"), baseline=D("70.2"))
REVENUE = Target("revenue", points=D(10), goal=D(6), stretch=D(8), rule=Rule(bonus=D(2)))


def test_without_plan_points_the_plan_runs_straight_through_the_year():
    assert plan_share(3, D(0), D(100), {}) == Fraction(1, 4)
    assert plan_share(12, D(0), D(100), {}) == 1


def test_a_planned_month_bends_the_line_on_both_sides():
    # 老旧小区 24 个, 60% (14.4) by the end of October: 6% a month to October, then 20%.
    points = {10: D("14.4")}
    assert plan_share(10, D(0), D(24), points) == Fraction(6, 10)
    assert plan_share(5, D(0), D(24), points) == Fraction(3, 10)
    assert plan_share(11, D(0), D(24), points) == Fraction(8, 10)


def test_a_plan_that_falls_back_or_names_a_month_outside_the_year_is_refused():
    with pytest.raises(RuleError) as falls:
        plan_share(6, D(0), D(24), {6: D(12), 9: D(10)})
    assert falls.value.code == "plan_falls"
    with pytest.raises(RuleError) as month:
        plan_share(6, D(0), D(24), {13: D(12)})
    assert month.value.code == "plan_month"
    with pytest.raises(RuleError):
        plan_share(0, D(0), D(24), {})


def test_a_plan_for_december_must_be_the_goal():
    # December's plan is the year's goal, so the fourth quarter is the annual score.
    assert plan_share(12, D(0), D(24), {10: D("14.4"), 12: D("24.0000")}) == 1
    assert plan_share(11, D(0), D(24), {10: D("14.4"), 12: D(24)}) == Fraction(8, 10)
    with pytest.raises(RuleError) as december:
        plan_share(6, D(0), D(24), {12: D(20)})
    assert december.value.code == "plan_december"


def test_at_plan_moves_the_goal_from_the_baseline_and_keeps_the_rest():
    quarter = at_plan(URBAN, Fraction(1, 4))
    assert quarter.goal == D("70.325")
    assert quarter.baseline == D("70.2")
    assert quarter.points == URBAN.points
    assert at_plan(ROADS, Fraction(1, 4)).goal == D(25)
    assert at_plan(ROADS, Fraction(1)) is ROADS


def test_at_plan_moves_the_stretch_level_too_and_nothing_planned_yet_is_none():
    half = at_plan(REVENUE, Fraction(1, 2))
    assert (half.goal, half.stretch, half.rule.bonus) == (D(3), D(4), D(2))
    assert at_plan(ROADS, Fraction(0)) is None
    # Below the stored precision the levels would not move: nothing planned yet.
    assert at_plan(Target("tiny", points=D(1), goal=D("0.0001")), Fraction(1, 12)) is None


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        ("100", BLUE),  # the year's goal reached already
        ("30", GREEN),  # ahead of the quarter's plan of 25
        ("25", GREEN),
        ("23", YELLOW),  # 92% of plan, yellow from 90%
        ("22", RED),  # 88%
    ],
)
def test_colours_against_the_quarters_plan(actual, expected):
    found, why = colour(
        year=ROADS,
        planned=at_plan(ROADS, Fraction(1, 4)),
        actual=D(actual),
        yellow_from=D("0.9"),
        cumulative=True,
    )
    assert found == expected
    assert why


def test_a_rate_is_never_blue_and_an_at_most_target_over_its_goal_is_red():
    gdp = Target("gdp", points=D(10), goal=D(7))
    assert (
        colour(year=gdp, planned=gdp, actual=D(8), yellow_from=D("0.9"), cumulative=False)[0]
        == GREEN
    )
    jobless = Target("jobless", points=D(5), goal=D(5), direction=AT_MOST)
    assert (
        colour(year=jobless, planned=jobless, actual=D(6), yellow_from=D("0.9"), cumulative=False)[
            0
        ]
        == RED
    )  # 5 ÷ 6 = 83%


@given(
    month=st.integers(1, 12),
    goal=st.integers(1, 10_000),
    planned_month=st.integers(1, 11),
    planned_share=st.fractions(min_value=0, max_value=1, max_denominator=100),
)
def test_the_plan_never_falls_as_the_months_pass(month, goal, planned_month, planned_share):
    points = {planned_month: D(goal) * D(planned_share.numerator) / D(planned_share.denominator)}
    shares = [plan_share(m, D(0), D(goal), points) for m in range(1, 13)]
    assert all(a <= b for a, b in zip(shares, shares[1:], strict=False))
    assert shares[-1] == 1
    assert 0 <= plan_share(month, D(0), D(goal), points) <= 1
