"""scoring/robustness.py: every draw ranks as engine.compute does with those weights, and the
band margins equal a brute-force search on small cases (docs/results.md, "Robustness")."""

import dataclasses
import itertools
import random
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import engine, robustness
from scoring.engine import Ballot, Category, ExternalScores, Group, Inputs, Scheme, Unit
from tests.scoring.test_engine_properties import inputs as any_inputs

D = Decimal
few = settings(max_examples=60, deadline=None)


def _weights_as_groups(data: Inputs, weights: list[int]) -> Inputs:
    groups = tuple(
        dataclasses.replace(g, weight=D(w) / 100) for g, w in zip(data.groups, weights, strict=True)
    )
    return dataclasses.replace(data, groups=groups)


@few
@given(data=any_inputs(), seed=st.integers(0, 10**6), spread=st.sampled_from([D(5), D(20)]))
def test_every_draw_ranks_and_bands_as_the_engine_does(data, seed, spread):
    result = engine.compute(data)
    ranker = robustness.Ranker(data, result)
    for weights in robustness.draw_weights(data, spread=spread, draws=5, seed=str(seed)):
        expected = engine.compute(_weights_as_groups(data, weights))
        assert ranker.rank_all(weights) == {
            row.unit: (row.rank, row.band) for row in expected.rows()
        }


def test_components_and_bonus_are_carried_into_every_draw():
    scheme = Scheme(components={"review": D(70), "target": D(30)}, band_excellent=D(85))
    units = [Unit(f"u{i}", f"单位{i}", "c") for i in range(4)]
    groups = [Group("lead", "领导", D(60), min_sample=1), Group("pub", "群众", D(40), min_sample=1)]
    rng = random.Random(3)
    grades = ["good", "fairly_good", "average", "poor"]
    ballots = [
        Ballot(f"b{i}", group.key, {u.key: rng.choice(grades) for u in units})
        for i, group in enumerate(groups * 6)
    ]
    data = Inputs(
        scheme=scheme,
        categories=[Category("c", "类")],
        units=units,
        groups=groups,
        ballots=ballots,
        external={
            "u0": ExternalScores(target=D("91.5"), bonus=D("1.25")),
            "u1": ExternalScores(target=D("70")),
            "u2": ExternalScores(target=D("88")),
            # u3 has no 目标考核: no total in any draw.
        },
    )
    result = engine.compute(data)
    ranges = {r.unit: r for r in robustness.rank_ranges(data, result, draws=50, seed="x")}
    ranker = robustness.Ranker(data, result)
    for weights in robustness.draw_weights(data, spread=D(5), draws=50, seed="x"):
        expected = engine.compute(_weights_as_groups(data, weights))
        assert ranker.rank_all(weights) == {r.unit: (r.rank, r.band) for r in expected.rows()}
    assert (ranges["u3"].low, ranges["u3"].high, ranges["u3"].same_rank) == (None, None, 0)
    assert sum(ranges["u0"].bands.values()) == 50


def test_the_draws_are_reproducible_from_the_seed():
    scheme = Scheme()
    units = [Unit(f"u{i}", f"单位{i}", "c") for i in range(3)]
    groups = [Group("a", "甲", D(50)), Group("b", "乙", D(50)), Group("z", "零", D(0))]
    data = Inputs(scheme, [Category("c", "类")], units, groups, [])
    first = list(robustness.draw_weights(data, spread=D(5), draws=20, seed="abc"))
    assert first == list(robustness.draw_weights(data, spread=D(5), draws=20, seed="abc"))
    assert first != list(robustness.draw_weights(data, spread=D(5), draws=20, seed="abd"))
    assert all(4500 <= w[0] <= 5500 and 4500 <= w[1] <= 5500 and w[2] == 0 for w in first)


# ---------------------------------------------------------------- band margins


def _brute_margin(data: Inputs, unit: str, *, down: bool, limit: int) -> int | None:
    """The fewest grades of ``unit`` to change (each to any other voting grade) for its band
    to go down (up), by trying every set of changes of size 1, 2, … ``limit``."""
    published = engine.compute(data).row(unit).band
    order = [engine.BAND_POOR, engine.BAND_AVERAGE, engine.BAND_GOOD, engine.BAND_EXCELLENT]
    changeable = [
        index
        for index, ballot in enumerate(data.ballots)
        if not ballot.void
        and ballot.holder_unit != unit
        and ballot.grades.get(unit) in engine.VOTING_GRADES
    ]
    for size in range(1, limit + 1):
        for chosen in itertools.combinations(changeable, size):
            options = [
                [g for g in engine.VOTING_GRADES if g != data.ballots[i].grades[unit]]
                for i in chosen
            ]
            for grades in itertools.product(*options):
                ballots = list(data.ballots)
                for index, grade in zip(chosen, grades, strict=True):
                    ballot = ballots[index]
                    ballots[index] = dataclasses.replace(
                        ballot, grades={**ballot.grades, unit: grade}
                    )
                band = (
                    engine.compute(dataclasses.replace(data, ballots=tuple(ballots))).row(unit).band
                )
                if band is not None and (
                    order.index(band) < order.index(published)
                    if down
                    else order.index(band) > order.index(published)
                ):
                    return size
    return None


@st.composite
def small_cases(draw):
    scheme = Scheme(
        trimmed_mean=draw(st.booleans()),
        trim_above=draw(st.integers(2, 4)),
        excellent_cap_enabled=draw(st.booleans()),
        excellent_cap_percent=D(50),
        band_excellent=D(90),
        band_good=D(80),
        band_average=D(70),
    )
    units = [Unit(f"u{i}", f"单位{i}", "c") for i in range(3)]
    groups = [
        Group("g0", "甲", draw(st.sampled_from([D(30), D(60)])), min_sample=1),
        Group("g1", "乙", draw(st.sampled_from([D(10), D(40)])), min_sample=1),
    ]
    grade = st.sampled_from(["good", "good", "fairly_good", "average", "poor"])
    ballots = [
        Ballot(f"b{i}", f"g{i % 2}", {u.key: draw(grade) for u in units})
        for i in range(draw(st.integers(4, 6)))
    ]
    return Inputs(scheme, [Category("c", "类")], units, groups, ballots)


@settings(max_examples=40, deadline=None)
@given(data=small_cases())
def test_band_margins_equal_a_brute_force_search(data):
    result = engine.compute(data)
    for margin in robustness.band_margins(data, result):
        for down, found in ((True, margin.down), (False, margin.up)):
            brute = _brute_margin(data, margin.unit, down=down, limit=3)
            if found is not None and found <= 3:
                assert brute == found, (margin.unit, down)
            else:
                assert brute is None, (margin.unit, down, found)


def test_a_margin_on_a_case_worked_by_hand():
    # One group, five ballots on one unit: 好 好 好 好 较好 = 96 (优秀). Down: one 好 to 差
    # gives (300 + 80 + 40) / 5 = 84 (良好): one ballot. Up: nothing is above 优秀.
    scheme = Scheme(excellent_cap_enabled=False)
    grades = ["good"] * 4 + ["fairly_good"]
    data = Inputs(
        scheme,
        [Category("c", "类")],
        [Unit("u", "单位", "c")],
        [Group("g", "组", D(100), min_sample=1)],
        [Ballot(f"b{i}", "g", {"u": g}) for i, g in enumerate(grades)],
    )
    (margin,) = robustness.band_margins(data, engine.compute(data))
    assert (margin.down, margin.up) == (1, None)
