"""scoring/bias.py: the rater-bias report (docs/results.md, "Rater bias")."""

import random
from decimal import Decimal

import pytest

from scoring import bias
from scoring.engine import Ballot, Category, Group, Inputs, Scheme, Unit

D = Decimal
GRADES = ["good", "fairly_good", "average", "poor"]


def test_alpha_matches_krippendorffs_worked_example():
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": four observers,
    # twelve units, values 1–5 with missing data; ordinal α = 0.815.
    units = [
        [1, 1, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3], [2, 2, 2, 2], [1, 2, 3, 4],
        [4, 4, 4, 4], [1, 1, 2, 1], [2, 2, 2, 2], [5, 5, 5], [1, 1], [3],
    ]  # fmt: skip
    assert bias.krippendorff_alpha_ordinal(units) == pytest.approx(0.815, abs=0.0005)


def test_alpha_is_one_for_full_agreement_and_undefined_without_variation():
    assert bias.krippendorff_alpha_ordinal([[1, 1], [3, 3], [2, 2, 2]]) == 1
    assert bias.krippendorff_alpha_ordinal([[2, 2], [2, 2]]) is None
    assert bias.krippendorff_alpha_ordinal([[1], [2]]) is None


def hall(*, towns=8, departments=12, per_group=12, favour=0.0, lenient=0, straight=0, seed=7):
    """Four groups grading 20 units around each unit's standing: 领导 and 群众 of no side, 镇街
    of the towns' side (marking towns up by ``favour`` of a grade), 部门 of the departments';
    ``lenient`` grade steps added by 群众 everywhere; ``straight`` 部门 ballots all 好."""
    rng = random.Random(seed)
    units = [Unit(f"t{i}", f"镇{i}", "t") for i in range(towns)]
    units += [Unit(f"d{i}", f"部门{i}", "d") for i in range(departments)]
    standing = {u.key: rng.random() for u in units}
    groups = [Group("lead", "领导", D(40)), Group("town", "镇街", D(20))]
    groups += [Group("dept", "部门", D(20)), Group("pub", "群众", D(20))]
    ballots = []
    for group in groups:
        for n in range(per_group):
            grades = {}
            for unit in units:
                mood = standing[unit.key] + rng.gauss(0, 0.2)
                if group.key == "town" and unit.category == "t":
                    mood += favour
                index = 0 if mood > 0.8 else 1 if mood > 0.45 else 2 if mood > 0.15 else 3
                if group.key == "pub":
                    index = max(0, index - lenient)
                grades[unit.key] = GRADES[index]
            if group.key == "dept" and n < straight:
                grades = dict.fromkeys(grades, "good")
            ballots.append(Ballot(f"{group.key}{n}", group.key, grades))
    inputs = Inputs(Scheme(), [Category("t", "镇"), Category("d", "部门")], units, groups, ballots)
    sides = {"group_sides": {"town": "town", "dept": "department"}}
    sides["unit_sides"] = {u.key: "town" if u.category == "t" else "department" for u in units}
    return inputs, sides


def by_name(found):
    return {g.name: g for g in found}


def test_a_fair_hall_raises_no_flag():
    inputs, sides = hall()
    found = by_name(bias.report(inputs, seed="s", **sides))
    assert all(g.flags == () for g in found.values())
    assert found["领导"].own_side is None  # no side
    assert found["镇街"].own_side.own_units == 8
    assert found["镇街"].own_side.other_units == 12
    assert abs(found["群众"].leniency) < bias.LENIENCY_FLAG


def test_a_group_favouring_its_own_side_is_flagged_and_no_other():
    inputs, sides = hall(favour=0.5)
    found = by_name(bias.report(inputs, seed="s", **sides))
    town = found["镇街"]
    assert "own_side" in town.flags
    assert town.own_side.difference > 10
    assert town.own_side.p_value < 0.01
    assert [name for name, g in found.items() if g.flags] == ["镇街"]
    # The permutation test is seeded: the same seed, the same significance.
    again = by_name(bias.report(inputs, seed="s", **sides))["镇街"].own_side.p_value
    assert again == town.own_side.p_value


def test_leniency_and_straight_lining_are_flagged():
    inputs, sides = hall(lenient=1, straight=3)
    found = by_name(bias.report(inputs, seed="s", **sides))
    assert "leniency" in found["群众"].flags
    assert found["群众"].leniency > bias.LENIENCY_FLAG
    dept = found["部门"]
    assert (dept.straight, dept.all_good, dept.ballots) == (3, 3, 12)
    assert "straight" in dept.flags


def test_void_ballots_abstentions_and_the_own_unit_are_not_marks():
    units = [Unit("a", "甲", "c"), Unit("b", "乙", "c")]
    ballots = [
        Ballot("1", "g", {"a": "good", "b": "abstain"}),
        Ballot("2", "g", {"a": "poor", "b": "poor"}, void=True),
        Ballot("3", "g", {"a": "average", "b": "good"}, holder_unit="b"),
    ]
    inputs = Inputs(Scheme(), [Category("c", "类")], units, [Group("g", "组", D(1))], ballots)
    assert bias.marks_by_group(inputs) == {"g": {"a": [100.0, 60.0]}}
    (only,) = bias.report(inputs, seed="s", group_sides={}, unit_sides={})
    assert (only.ballots, only.marks, only.leniency) == (2, 2, None)
