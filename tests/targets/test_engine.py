"""targets/engine.py on the worked examples of docs/targets.md, and its refusals."""

from decimal import Decimal

import pytest

from targets.engine import (
    AT_MOST,
    PASS_FAIL,
    STEPS,
    Rule,
    RuleError,
    Target,
    score,
    unit_score,
)

D = Decimal

GDP = Target("gdp", points=D(10), goal=D(7))
REVENUE = Target("revenue", points=D(10), goal=D(6), stretch=D(8), rule=Rule(bonus=D(2)))
PARKING = Target(
    "parking",
    points=D(8),
    goal=D(4000),
    rule=Rule(method=STEPS, steps=((D("0.8"), D("0.6")), (D("0.9"), D("0.8")), (D(1), D(1)))),
)
URBAN = Target("urban", points=D(6), goal=D("70.7"), baseline=D("70.2"), rule=Rule(floor=D("0.5")))
JOBLESS = Target("jobless", points=D(5), goal=D(5), direction=AT_MOST, rule=Rule(PASS_FAIL))
SAFETY = Target(
    "safety", points=D(0), goal=D(0), direction=AT_MOST, rule=Rule(PASS_FAIL, veto=True)
)


@pytest.mark.parametrize(
    ("target", "actual", "points", "bonus", "working"),
    [
        (GDP, "6.3", "9.00", "0.00", "完成率 6.3 ÷ 7 = 90.00%"),
        (GDP, "7.3", "10.00", "0.00", "完成率 7.3 ÷ 7 = 104.29%"),
        (REVENUE, "7", "10.00", "1.00", "完成率 7 ÷ 6 = 116.67%"),
        (PARKING, "3600", "6.40", "0.00", "完成率 3600 ÷ 4000 = 90.00%"),
        (URBAN, "70.5", "3.60", "0.00", "完成率 (70.5 − 70.2) ÷ (70.7 − 70.2) = 60.00%"),
        (URBAN, "70.4", "0.00", "0.00", "完成率 (70.4 − 70.2) ÷ (70.7 − 70.2) = 40.00%"),
        (JOBLESS, "4.6", "5.00", "0.00", "完成率 4.6 ≤ 5 = 100.00%"),
        (JOBLESS, "5.2", "0.00", "0.00", "完成率 5 ÷ 5.2 = 96.15%"),
    ],
)
def test_worked_examples_of_docs_targets(target, actual, points, bonus, working):
    outcome = score(target, D(actual))

    assert (outcome.points, outcome.bonus) == (D(points), D(bonus))
    assert outcome.working[0] == working


def test_working_names_the_cap_the_step_the_floor_and_the_bonus():
    assert score(GDP, D("7.3")).working[1] == "完成率按上限 100.00% 计：10 × 100.00% = 10.00"
    assert score(PARKING, D(3600)).working[1] == (
        "完成率达到 90.00% 档，得分值的 80.00%：8 × 80.00% = 6.40"
    )
    assert score(URBAN, D("70.4")).working[1] == "完成率低于 50.00%，不得分：6 × 0.00% = 0.00"
    assert score(REVENUE, D(7)).working[2] == "力争 8：加分 2 × 50.00% = 1.00"
    assert score(PARKING, D(3000)).points == D("0.00")  # 75 %: below the first step


def test_a_unit_scores_the_sum_of_its_rounded_points_and_a_missed_veto_zeroes_it():
    results = [(GDP, D("6.3")), (REVENUE, D(7)), (PARKING, D(3600)), (URBAN, D("70.5"))]

    assert unit_score(results).total == D("30.00")
    assert unit_score([*results, (SAFETY, D(0))]).total == D("30.00")
    vetoed = unit_score([*results, (SAFETY, D(1))])
    assert (vetoed.total, vetoed.points, vetoed.bonus) == (D("0.00"), D("29.00"), D("1.00"))
    assert vetoed.vetoed_by == ("safety",)
    assert vetoed.outcomes[-1].working[-1] == "一票否决：未达到确保目标"


def test_an_unreported_target_earns_nothing_and_an_unreported_veto_vetoes():
    assert score(GDP, None).points == D("0.00")
    assert not score(GDP, None).vetoes
    result = unit_score([(GDP, D(7)), (SAFETY, None)])
    assert (result.total, result.vetoed_by) == (D("0.00"), ("safety",))
    assert result.outcomes[1].working == (
        "无已审核的完成值，不得分",
        "一票否决指标未报完成值，按未完成计",
    )


def test_a_result_worse_than_the_baseline_is_a_ratio_of_zero():
    outcome = score(URBAN, D("69.9"))

    assert (outcome.ratio, outcome.points) == (0, D("0.00"))


def test_at_most_with_a_baseline_and_a_stretch_level():
    # 单位生产总值能耗: 0.50 → at most 0.45, 力争 0.40, 4 points and a bonus of 1.
    energy = Target(
        "energy",
        points=D(4),
        goal=D("0.45"),
        baseline=D("0.50"),
        stretch=D("0.40"),
        direction=AT_MOST,
        rule=Rule(bonus=D(1)),
    )

    outcome = score(energy, D("0.43"))

    assert outcome.working[0] == "完成率 (0.50 − 0.43) ÷ (0.50 − 0.45) = 140.00%"
    assert (outcome.points, outcome.bonus, outcome.met) == (D("4.00"), D("0.40"), True)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Rule(method="average"), "unknown method 'average'"),
        (lambda: Rule(floor=D("1.2")), "need 0 ≤ floor ≤ cap"),
        (lambda: Rule(cap=D(0)), "need 0 ≤ floor ≤ cap"),
        (lambda: Rule(bonus=D(-1)), "bonus -1 is negative"),
        (lambda: Rule(method=STEPS), "needs at least one step"),
        (lambda: Rule(method=STEPS, steps=((D(1), D(1)), (D("0.5"), D(1)))), "must increase"),
        (lambda: Rule(method=STEPS, steps=((D("0.5"), D(1)), (D(1), D("0.5")))), "never fall"),
        (lambda: Target("x", points=D(1), goal=D(5), direction="up"), "unknown direction"),
        (lambda: Target("x", points=D(-1), goal=D(5)), "negative"),
        (lambda: Target("x", points=D(1), goal=D(5), baseline=D(6)), "above the baseline 6"),
        (
            lambda: Target("x", points=D(1), goal=D(5), baseline=D(4), direction=AT_MOST),
            "below the baseline 4",
        ),
        (lambda: Target("x", points=D(1), goal=D(0)), "must be above 0"),
        (lambda: Target("x", points=D(1), goal=D(6), stretch=D(5)), "力争 level 5 must be above"),
        (lambda: Target("x", points=D(1), goal=D(6), rule=Rule(bonus=D(1))), "needs a 力争 level"),
    ],
)
def test_a_target_or_rule_that_cannot_be_scored_is_refused_saying_why(make, message):
    with pytest.raises(RuleError, match=message):
        make()
