"""Properties of targets/engine.py that hold for any target and result (docs/targets.md,
"Properties the tests check for any input")."""

from decimal import ROUND_HALF_UP, Decimal

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from targets.engine import (
    AT_LEAST,
    AT_MOST,
    METHODS,
    RATIO,
    STEPS,
    Rule,
    Target,
    score,
    unit_score,
)

values = st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False)
# No deadline: a first example pays for imports, and a loaded CI machine is slow; the
# engine's speed is a benchmark's business, not a property.
relaxed = settings(deadline=None)

positive = st.decimals(min_value=Decimal("0.01"), max_value=1000, places=2)
points = st.decimals(min_value=0, max_value=100, places=1)
shares = st.decimals(min_value=0, max_value=2, places=2)


@st.composite
def rules(draw, *, bonus=True):
    method = draw(st.sampled_from(METHODS))
    floor = draw(st.decimals(min_value=0, max_value=1, places=2))
    cap = draw(st.decimals(min_value=max(floor, Decimal("0.01")), max_value=2, places=2))
    steps = ()
    if method == STEPS:
        thresholds = sorted(draw(st.sets(shares, min_size=1, max_size=4)))
        earned = sorted(draw(st.lists(shares, min_size=len(thresholds), max_size=len(thresholds))))
        steps = tuple(zip(thresholds, earned, strict=True))
    return Rule(
        method=method,
        floor=floor,
        cap=cap,
        steps=steps,
        bonus=draw(points) if bonus else Decimal(0),
        veto=draw(st.booleans()),
    )


@st.composite
def targets(draw, *, key="t"):
    direction = draw(st.sampled_from((AT_LEAST, AT_MOST)))
    up = direction == AT_LEAST
    baseline = draw(st.none() | values)
    if baseline is None:
        goal = draw(positive) if up else draw(st.decimals(min_value=0, max_value=1000, places=2))
    else:
        step = draw(positive)
        goal = baseline + step if up else baseline - step
    stretch = draw(st.none() | positive)
    if stretch is not None:
        stretch = goal + stretch if up else goal - stretch
    rule = draw(rules(bonus=stretch is not None))
    return Target(key, draw(points), goal, direction, baseline, stretch, rule)


def most(target: Target) -> Decimal:
    if target.rule.method == STEPS:
        return max(share for _t, share in target.rule.steps)
    if target.rule.method == RATIO:
        return target.rule.cap
    return Decimal(1)


@relaxed
@given(targets(), values)
# 7.5 × 3 % = 0.225: the engine rounds it half up to 0.23, and so must the bound.
@example(
    Target("t", Decimal("7.5"), Decimal("0.01"), rule=Rule(cap=Decimal("0.03"))), Decimal("0.01")
)
def test_points_and_bonus_stay_within_their_bounds(target, actual):
    outcome = score(target, actual)

    # Rounded as the engine rounds: half up (四舍五入), not Decimal's default half even.
    most_points = (target.points * most(target)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert 0 <= outcome.points <= most_points
    assert 0 <= outcome.bonus <= target.rule.bonus
    assert outcome.ratio >= 0


@relaxed
@given(targets(), values, values)
def test_a_better_result_never_earns_less(target, a, b):
    worse, better = sorted((a, b)) if target.direction == AT_LEAST else sorted((a, b))[::-1]

    low, high = score(target, worse), score(target, better)

    assert high.points >= low.points
    assert high.bonus >= low.bonus
    assert high.met or not low.met


@relaxed
@given(targets())
def test_a_result_at_the_goal_is_complete_and_met(target):
    outcome = score(target, target.goal)

    assert outcome.ratio == 1
    assert outcome.met
    assert not outcome.vetoes
    assert outcome.bonus == 0


@relaxed
@given(targets(), values)
def test_at_most_with_a_baseline_scores_as_the_mirrored_at_least_target(target, actual):
    assume(target.direction == AT_LEAST and target.baseline is not None)
    mirrored = Target(
        target.key,
        target.points,
        -target.goal,
        AT_MOST,
        -target.baseline,
        None if target.stretch is None else -target.stretch,
        target.rule,
    )

    a, b = score(target, actual), score(mirrored, -actual)

    assert (a.ratio, a.met, a.share, a.points, a.bonus, a.vetoes) == (
        b.ratio,
        b.met,
        b.share,
        b.points,
        b.bonus,
        b.vetoes,
    )


@relaxed
@given(st.lists(st.tuples(targets(), st.none() | values), max_size=6))
def test_a_units_total_is_the_sum_or_zero_exactly_after_a_veto(results):
    results = [
        (Target(f"t{i}", t.points, t.goal, t.direction, t.baseline, t.stretch, t.rule), actual)
        for i, (t, actual) in enumerate(results)
    ]

    unit = unit_score(results)

    missed = tuple(
        target.key
        for target, actual in results
        if target.rule.veto and (actual is None or not score(target, actual).met)
    )
    assert unit.vetoed_by == missed
    assert unit.points == sum((o.points for o in unit.outcomes), Decimal(0))
    assert unit.bonus == sum((o.bonus for o in unit.outcomes), Decimal(0))
    assert unit.total == (Decimal(0) if missed else unit.points + unit.bonus)
