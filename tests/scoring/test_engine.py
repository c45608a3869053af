"""scoring/engine.py: docs/design.md §4, by worked examples computed by hand."""

import dataclasses
import json
from decimal import Decimal
from fractions import Fraction

import pytest

from scoring import engine
from scoring.engine import (
    Ballot,
    Category,
    ExternalScores,
    Group,
    Inputs,
    Scheme,
    Unit,
    compute,
)

D = Decimal
TOWNS = Category("towns", "镇(街道)", order=1)
DEPARTMENTS = Category("departments", "政府部门", order=2)
LEADERS = Group("leaders", "县级领导", D("40"), is_leaders=True)
DEPARTMENT_RATERS = Group("department_raters", "区直部门", D("20"))
TOWN_RATERS = Group("town_raters", "镇(街道)", D("20"))
PUBLIC = Group("public", "两代表一委员", D("20"))
ANNUAL_GROUPS = (LEADERS, DEPARTMENT_RATERS, TOWN_RATERS, PUBLIC)
NO_CAP = Scheme(excellent_cap_enabled=False)


def _units(*keys, category="towns"):
    return tuple(Unit(key, f"单位{key}", category) for key in keys)


def _votes(group, unit, grades, *, prefix=None):
    """One ballot per grade, each from `group` and grading only `unit`."""
    prefix = prefix or f"{group.key}-{unit}"
    return [
        Ballot(f"{prefix}-{index}", group.key, {unit: grade}) for index, grade in enumerate(grades)
    ]


def _inputs(ballots, *, units=None, groups=(LEADERS,), scheme=None, external=None, categories=None):
    units = units if units is not None else _units("a")
    return Inputs(
        scheme=scheme or NO_CAP,
        categories=categories or (TOWNS, DEPARTMENTS),
        units=units,
        groups=groups,
        ballots=tuple(ballots),
        external=external or {},
    )


def _unit_totals(totals, *, scheme=NO_CAP):
    """Compute units whose totals are the given numbers: one 好 vote each gives them a 综合评议
    score, and a 目标考核 component weighted 100 % carries the total."""
    units = _units(*(f"u{index}" for index in range(len(totals))))
    group = Group("g", "评议组", D("100"), min_sample=1)
    ballots = [Ballot(f"b-{unit.key}", "g", {unit.key: "good"}) for unit in units]
    external = {
        unit.key: ExternalScores(target=D(total)) for unit, total in zip(units, totals, strict=True)
    }
    scheme = dataclasses.replace(scheme, components={"target": D("100")})
    return compute(_inputs(ballots, units=units, groups=(group,), scheme=scheme, external=external))


# --- 4.1 and 4.3: group scores ------------------------------------------------------------------


def test_group_score_is_the_plain_mean_of_grade_values():
    ballots = _votes(LEADERS, "a", ["good", "fairly_good", "average", "poor"])

    row = compute(_inputs(ballots)).row("a")

    assert row.groups[0].score == D("70.00")
    assert row.groups[0].votes == 4
    assert (row.groups[0].good, row.groups[0].fairly_good) == (1, 1)
    assert (row.groups[0].average, row.groups[0].poor) == (1, 1)
    assert row.review == D("70.00")
    assert row.total == D("70.00")


def test_group_score_rounds_thirds_half_up_to_two_decimals():
    ballots = _votes(LEADERS, "a", ["good", "good", "average"])  # 260 / 3 = 86.666…

    row = compute(_inputs(ballots)).row("a")

    assert row.groups[0].score == D("86.67")


def test_group_score_rounds_an_exact_half_up():
    # 好 100 and 较好 73.33: the mean is exactly 86.665.
    values = {"good": D("100"), "fairly_good": D("73.33"), "average": D("60"), "poor": D("40")}
    ballots = _votes(Group("g", "g", D("1"), min_sample=1), "a", ["good", "fairly_good"])

    row = compute(
        _inputs(ballots, groups=(Group("g", "g", D("1"), min_sample=1),), scheme=Scheme(values))
    ).row("a")

    assert row.groups[0].score == D("86.67")


def test_group_score_just_below_a_half_rounds_down():
    # The mean is 86.664999: no intermediate rounding may push it up to 86.665.
    values = {"good": D("100"), "fairly_good": D("73.329998"), "average": D("60"), "poor": D("40")}
    group = Group("g", "g", D("1"), min_sample=1)
    ballots = _votes(group, "a", ["good", "fairly_good"])

    row = compute(_inputs(ballots, groups=(group,), scheme=Scheme(values))).row("a")

    assert row.groups[0].score == D("86.66")


def test_round2_matches_round_half_up_on_both_signs():
    assert engine.round2(Fraction("86.665")) == D("86.67")
    assert engine.round2(Fraction("86.664999")) == D("86.66")
    assert engine.round2(Fraction(-1, 200)) == D("-0.01")
    assert engine.round2(Fraction(100)) == D("100.00")
    assert str(engine.round2(Fraction(100))) == "100.00"


def test_abstain_is_not_a_vote():
    ballots = _votes(LEADERS, "a", ["good", "good", "good", "abstain", "abstain"])

    row = compute(_inputs(ballots)).row("a")

    assert row.groups[0].score == D("100.00")
    assert row.groups[0].votes == 3
    assert row.groups[0].abstain == 2
    assert row.valid_votes == 3


def test_blank_is_neither_a_vote_nor_an_abstention():
    ballots = [*_votes(LEADERS, "a", ["good"] * 3), Ballot("blank", "leaders", {"a": None})]

    row = compute(_inputs(ballots)).row("a")

    assert (row.groups[0].votes, row.groups[0].abstain) == (3, 0)


# --- 4.4 and 4.5: minimum sample and renormalised weights ----------------------------------------


def test_group_below_min_sample_has_no_data_and_is_flagged():
    ballots = [
        *_votes(LEADERS, "a", ["good", "good", "fairly_good"]),
        *_votes(PUBLIC, "a", ["poor", "poor"]),  # 2 < min sample 3
    ]

    row = compute(_inputs(ballots, groups=(LEADERS, PUBLIC))).row("a")

    assert row.groups[1].votes == 2
    assert row.groups[1].has_data is False
    assert row.groups[1].score is None
    assert row.review == D("93.33")
    assert row.flags == ("group_without_data:public", "weights_renormalised")


def test_review_score_renormalises_weights_over_groups_with_data():
    ballots = [
        *_votes(LEADERS, "a", ["good"] * 3),  # 100, weight 40
        *_votes(DEPARTMENT_RATERS, "a", ["fairly_good"] * 4),  # 80, weight 20
        *_votes(TOWN_RATERS, "a", ["good"]),  # no data, weight 20
        *_votes(PUBLIC, "a", ["average", "average", "good", "poor"]),  # 65, weight 20
    ]

    row = compute(_inputs(ballots, groups=ANNUAL_GROUPS)).row("a")

    # (40·100 + 20·80 + 20·65) / 80 = 6900 / 80
    assert row.review == D("86.25")
    assert [group.score for group in row.groups] == [D("100.00"), D("80.00"), None, D("65.00")]
    assert row.flags == ("group_without_data:town_raters", "weights_renormalised")


def test_review_score_weights_the_rounded_group_scores():
    ballots = [
        *_votes(LEADERS, "a", ["good", "good", "average"]),  # 260/3 → 86.67
        *_votes(PUBLIC, "a", ["average", "poor", "poor"]),  # 140/3 → 46.67
    ]

    row = compute(_inputs(ballots, groups=(LEADERS, PUBLIC))).row("a")

    # (40·86.67 + 20·46.67) / 60 = 73.3367 → 73.34 (the unrounded means would give 73.33)
    assert row.review == D("73.34")
    assert row.flags == ()


def test_group_with_weight_zero_never_counts():
    observers = Group("observers", "列席", D("0"))
    ballots = [*_votes(LEADERS, "a", ["good"] * 3), *_votes(observers, "a", ["poor"] * 3)]

    row = compute(_inputs(ballots, groups=(LEADERS, observers))).row("a")

    assert row.groups[1].score == D("40.00")
    assert row.review == D("100.00")
    assert row.flags == ()


def test_unit_without_valid_votes_has_no_score_rank_or_band_and_is_listed_last():
    units = _units("a", "b", "c")
    ballots = [
        *_votes(LEADERS, "b", ["good"] * 3),
        *_votes(LEADERS, "c", ["average"] * 3),
        *_votes(LEADERS, "a", ["abstain"] * 5),
    ]

    result = compute(_inputs(ballots, units=units))
    rows = result.categories[0].rows

    assert [row.unit for row in rows] == ["b", "c", "a"]
    assert (rows[2].review, rows[2].total, rows[2].rank, rows[2].band) == (None, None, None, None)
    assert rows[2].flags == ("group_without_data:leaders", "no_valid_votes")
    assert [row.rank for row in rows] == [1, 2, None]


# --- 4.3: per-criterion grading and the trimmed mean --------------------------------------------

CRITERIA = (("results", D("50")), ("conduct", D("30")), ("integrity", D("20")))


def test_per_criterion_ballot_value_is_the_weighted_mean_over_graded_criteria():
    grades = [
        {"results": "good", "conduct": "fairly_good", "integrity": "average"},  # 86
        {"results": "good", "conduct": "abstain", "integrity": "poor"},  # 5800 / 70
        {"results": "abstain", "conduct": "abstain", "integrity": "abstain"},  # not a vote
        {"results": "average", "conduct": "average"},  # blank integrity: 60
    ]
    ballots = [Ballot(f"b{i}", "leaders", {"a": grade}) for i, grade in enumerate(grades)]

    row = compute(_inputs(ballots, scheme=Scheme(criteria=CRITERIA))).row("a")

    # (86 + 580/7 + 60) / 3 = 534/7 = 76.2857…
    assert row.groups[0].votes == 3
    assert row.groups[0].score == D("76.29")
    assert row.groups[0].good == 2
    assert row.groups[0].abstain == 4
    assert (row.good_votes, row.valid_votes) == (2, 7)


def test_per_criterion_values_are_not_rounded_before_the_mean():
    criteria = (("x", D("1")), ("y", D("1")), ("z", D("1")))
    group = Group("g", "g", D("1"), min_sample=1)
    ballots = [
        Ballot("b1", "g", {"a": {"x": "good", "y": "good", "z": "average"}}),  # 260/3
        Ballot("b2", "g", {"a": {"x": "poor", "y": "poor", "z": "poor"}}),  # 40
    ]

    row = compute(_inputs(ballots, groups=(group,), scheme=Scheme(criteria=criteria))).row("a")

    # (260/3 + 40) / 2 = 63.333…; rounding the ballot first would give 63.335 → 63.34.
    assert row.groups[0].score == D("63.33")


def test_single_criterion_grading_equals_whole_unit_grading():
    grades = ["good", "good", "average", "abstain", "poor", None]
    whole = [Ballot(f"b{i}", "leaders", {"a": grade}) for i, grade in enumerate(grades)]
    per_criterion = [
        Ballot(f"b{i}", "leaders", {"a": {} if grade is None else {"only": grade}})
        for i, grade in enumerate(grades)
    ]
    scheme = Scheme(criteria=(("only", D("100")),), excellent_cap_enabled=False)

    assert compute(_inputs(per_criterion, scheme=scheme)) == compute(_inputs(whole))


def test_trimmed_mean_applies_only_above_k_votes():
    scheme = Scheme(trimmed_mean=True, trim_above=5)
    five = _votes(LEADERS, "a", ["good", "good", "good", "good", "poor"])
    six = _votes(LEADERS, "a", ["good", "good", "good", "good", "poor", "fairly_good"])

    row_five = compute(_inputs(five, scheme=scheme)).row("a")
    row_six = compute(_inputs(six, scheme=scheme)).row("a")

    assert (row_five.groups[0].score, row_five.groups[0].trimmed) == (D("88.00"), False)
    # drop one 100 and the 40: (3·100 + 80) / 4 = 95
    assert (row_six.groups[0].score, row_six.groups[0].trimmed) == (D("95.00"), True)
    assert row_six.groups[0].votes == 6


def test_trimmed_mean_is_off_unless_the_scheme_asks():
    ballots = _votes(LEADERS, "a", ["good", "good", "good", "good", "poor", "fairly_good"])

    row = compute(_inputs(ballots)).row("a")

    assert (row.groups[0].score, row.groups[0].trimmed) == (D("86.67"), False)


def test_trimmed_mean_in_per_criterion_grading_drops_ballot_values():
    scheme = Scheme(criteria=CRITERIA, trimmed_mean=True, trim_above=2)
    grades = [
        {"results": "good", "conduct": "good", "integrity": "good"},  # 100, dropped
        {"results": "good", "conduct": "fairly_good", "integrity": "average"},  # 86
        {"results": "fairly_good", "conduct": "fairly_good", "integrity": "fairly_good"},  # 80
        {"results": "poor", "conduct": "poor", "integrity": "poor"},  # 40, dropped
    ]
    ballots = [Ballot(f"b{i}", "leaders", {"a": grade}) for i, grade in enumerate(grades)]

    row = compute(_inputs(ballots, scheme=scheme)).row("a")

    assert (row.groups[0].score, row.groups[0].trimmed) == (D("83.00"), True)


# --- 4.2 and 4.10: own unit and void ballots ----------------------------------------------------


def test_grade_for_the_holders_own_unit_is_ignored_and_counted():
    units = _units("a", "b")
    ballots = [
        *_votes(LEADERS, "a", ["average"] * 3),
        Ballot("own", "leaders", {"a": "good", "b": "good"}, holder_unit="a"),
        *_votes(LEADERS, "b", ["good"] * 2),
    ]

    result = compute(_inputs(ballots, units=units))

    assert result.row("a").groups[0].votes == 3
    assert result.row("a").groups[0].score == D("60.00")
    assert result.row("a").own_unit_votes_ignored == 1
    assert result.row("a").flags == ("own_unit_votes_ignored:1",)
    assert result.row("b").groups[0].votes == 3
    assert result.ballots_used == 6


def test_abstention_on_the_holders_own_unit_is_not_counted_as_ignored():
    ballots = [*_votes(LEADERS, "a", ["good"] * 3), Ballot("own", "leaders", {"a": "abstain"}, "a")]

    row = compute(_inputs(ballots)).row("a")

    assert (row.own_unit_votes_ignored, row.groups[0].abstain, row.flags) == (0, 0, ())


def test_own_unit_is_ignored_in_per_criterion_grading():
    good = {"results": "good", "conduct": "good", "integrity": "good"}
    poor = {"results": "poor", "conduct": "poor", "integrity": "poor"}
    ballots = [
        Ballot("own", "leaders", {"a": good}, holder_unit="a"),
        Ballot("b1", "leaders", {"a": poor}, holder_unit="elsewhere"),
        Ballot("b2", "leaders", {"a": poor}),
    ]

    row = compute(_inputs(ballots, scheme=Scheme(criteria=CRITERIA))).row("a")

    assert (row.groups[0].votes, row.groups[0].good) == (2, 0)
    assert row.own_unit_votes_ignored == 1


def test_void_ballot_is_left_out_and_listed():
    ballots = [
        *_votes(LEADERS, "a", ["good"] * 3),
        Ballot("void-1", "leaders", {"a": "poor"}, void=True),
    ]

    result = compute(_inputs(ballots))

    assert result.row("a").groups[0].score == D("100.00")
    assert result.row("a").groups[0].votes == 3
    assert (result.ballots_used, result.ballots_void) == (3, 1)
    assert result.void_ballots == ("void-1",)


# --- 4.6: components and 加减分 -----------------------------------------------------------------


def test_total_of_a_review_only_session_is_the_review_score():
    ballots = _votes(LEADERS, "a", ["good", "good", "average"])

    row = compute(_inputs(ballots)).row("a")

    assert row.total == row.review == D("86.67")
    assert row.components == {"review": D("86.67")}


def test_total_weights_rounded_components_and_adds_the_bonus():
    scheme = Scheme(components={"review": D("60"), "target": D("40")})
    ballots = _votes(LEADERS, "a", ["fairly_good"] * 3)  # review 80
    external = {"a": ExternalScores(target=D("90.555"), bonus=D("1.5"), bonus_reasons=("表彰",))}

    row = compute(_inputs(ballots, scheme=scheme, external=external)).row("a")

    # 0.6·80 + 0.4·90.56 = 84.224 → 84.22, plus 1.50
    assert row.components == {"review": D("80.00"), "target": D("90.56")}
    assert row.bonus == D("1.50")
    assert row.bonus_reasons == ("表彰",)
    assert row.total == D("85.72")


def test_total_leaves_the_bonus_out_when_the_scheme_does_not_apply_it():
    scheme = Scheme(components={"review": D("60"), "target": D("40")}, apply_bonus=False)
    ballots = _votes(LEADERS, "a", ["fairly_good"] * 3)
    external = {"a": ExternalScores(target=D("90.555"), bonus=D("-3"))}

    row = compute(_inputs(ballots, scheme=scheme, external=external)).row("a")

    assert (row.bonus, row.total) == (None, D("84.22"))


def test_negative_bonus_lowers_the_total():
    ballots = _votes(LEADERS, "a", ["good"] * 3)

    row = compute(_inputs(ballots, external={"a": ExternalScores(bonus=D("-2.5"))})).row("a")

    assert row.total == D("97.50")


def test_missing_component_leaves_the_unit_without_total_rank_or_band():
    scheme = Scheme(components={"review": D("50"), "daily": D("50")})
    units = _units("a", "b")
    ballots = [*_votes(LEADERS, "a", ["good"] * 3), *_votes(LEADERS, "b", ["good"] * 3)]
    external = {"b": ExternalScores(daily=D("70"))}

    result = compute(_inputs(ballots, units=units, scheme=scheme, external=external))
    rows = result.categories[0].rows

    assert [row.unit for row in rows] == ["b", "a"]
    assert (rows[1].review, rows[1].total, rows[1].rank, rows[1].band) == (
        D("100.00"),
        None,
        None,
        None,
    )
    assert rows[1].components == {"review": D("100.00"), "daily": None}
    assert rows[1].flags == ("missing_component:daily",)
    assert (rows[0].total, rows[0].rank) == (D("85.00"), 1)


def test_satisfaction_rate_and_score_from_counts():
    result = engine.satisfaction(3, 2, 1)

    # rate 5/6 = 83.33 %; score (300 + 140 + 30) / 6 = 78.33
    assert result == engine.Satisfaction(votes=6, rate_percent=D("83.33"), score=D("78.33"))


def test_satisfaction_without_votes_has_no_rate_or_score():
    assert engine.satisfaction(0, 0, 0) == engine.Satisfaction(0, None, None)


def test_satisfaction_uses_the_schemes_values():
    values = {"satisfied": D("100"), "basically_satisfied": D("80"), "dissatisfied": D("0")}

    result = engine.satisfaction(1, 1, 1, values=values)

    assert (result.rate_percent, result.score) == (D("66.67"), D("60.00"))


# --- 4.7: ranking -------------------------------------------------------------------------------


def test_equal_totals_share_a_rank_and_the_next_rank_is_skipped():
    result = _unit_totals(["80", "90", "100", "90"])

    rows = result.categories[0].rows
    assert [(row.unit, row.rank) for row in rows] == [("u2", 1), ("u1", 2), ("u3", 2), ("u0", 4)]


def test_units_are_ranked_within_their_category():
    units = (*_units("t1", "t2"), *_units("d1", "d2", category="departments"))
    grades = {"t1": "average", "t2": "good", "d1": "good", "d2": "fairly_good"}
    ballots = [
        vote for unit, grade in grades.items() for vote in _votes(LEADERS, unit, [grade] * 3)
    ]

    result = compute(_inputs(ballots, units=units))

    assert [category.category for category in result.categories] == ["towns", "departments"]
    assert [(row.unit, row.rank) for row in result.categories[0].rows] == [("t2", 1), ("t1", 2)]
    assert [(row.unit, row.rank) for row in result.categories[1].rows] == [("d1", 1), ("d2", 2)]


def _tied_on_total_inputs(scheme):
    # Every unit totals 90. a: leaders 100, public 80 (较好, 较好); b: leaders 80, public 100;
    # c: leaders 100, public 80 from 好 and 一般, so more 好 votes than a.
    groups = (Group("leaders", "县级领导", D("50"), 2, True), Group("public", "公众", D("50"), 2))
    ballots = [
        *_votes(groups[0], "a", ["good", "good"]),
        *_votes(groups[1], "a", ["fairly_good", "fairly_good"]),
        *_votes(groups[0], "b", ["fairly_good", "fairly_good"]),
        *_votes(groups[1], "b", ["good", "good"]),
        *_votes(groups[0], "c", ["good", "good"]),
        *_votes(groups[1], "c", ["good", "average"]),
    ]
    return _inputs(ballots, units=_units("a", "b", "c"), groups=groups, scheme=scheme)


def test_without_tie_breaks_equal_totals_stay_tied():
    result = compute(_tied_on_total_inputs(NO_CAP))

    assert [(row.unit, row.total, row.rank) for row in result.categories[0].rows] == [
        ("a", D("90.00"), 1),
        ("b", D("90.00"), 1),
        ("c", D("90.00"), 1),
    ]


def test_leaders_tie_break_then_share_of_good_votes():
    scheme = Scheme(excellent_cap_enabled=False, tie_break_leaders=True, tie_break_good_share=True)

    result = compute(_tied_on_total_inputs(scheme))
    rows = result.categories[0].rows

    # a and c: leaders 100; a has 2 好 of 4, c 3 of 4; b: leaders 80.
    assert [(row.unit, row.rank) for row in rows] == [("c", 1), ("a", 2), ("b", 3)]
    assert [(row.good_votes, row.valid_votes) for row in rows] == [(3, 4), (2, 4), (2, 4)]
    assert all("tie_broken" in row.flags for row in rows)


def test_leaders_tie_break_alone_leaves_equal_leaders_scores_tied():
    scheme = Scheme(excellent_cap_enabled=False, tie_break_leaders=True)

    rows = compute(_tied_on_total_inputs(scheme)).categories[0].rows

    assert [(row.unit, row.rank) for row in rows] == [("a", 1), ("c", 1), ("b", 3)]


def test_leaders_tie_break_needs_a_leaders_group():
    group = Group("g", "g", D("1"), min_sample=1)
    inputs = _inputs([], groups=(group,), scheme=Scheme(tie_break_leaders=True))

    with pytest.raises(ValueError, match="is_leaders"):
        compute(inputs)


# --- 4.8: bands and the cap on 优秀 -------------------------------------------------------------


def test_bands_follow_the_thresholds_without_a_cap():
    rows = _unit_totals(["95", "85", "75", "65", "90", "69.99"]).categories[0].rows

    assert [(row.total, row.band, row.band_rule) for row in rows] == [
        (D("95.00"), "excellent", "threshold"),
        (D("90.00"), "excellent", "threshold"),
        (D("85.00"), "good", "threshold"),
        (D("75.00"), "average", "threshold"),
        (D("69.99"), "poor", "threshold"),
        (D("65.00"), "poor", "threshold"),
    ]
    assert engine.BAND_LABELS[rows[0].band] == "优秀"


def test_cap_allows_at_most_thirty_percent_of_ten_units():
    totals = ["100", "99", "98", "95", "94", "93", "92", "91", "90", "85"]

    category = _unit_totals(totals, scheme=Scheme()).categories[0]
    rows = category.rows

    assert category.excellent_allowed == 3
    assert [row.band for row in rows] == ["excellent"] * 3 + ["good"] * 7
    assert (rows[3].total, rows[3].band, rows[3].band_rule) == (D("95.00"), "good", "cap")
    assert rows[3].flags == ("capped",)
    assert engine.BAND_RULE_LABELS[rows[3].band_rule] == "优秀比例限制"
    assert rows[9].band_rule == "threshold"


def test_cap_includes_every_unit_tied_at_the_boundary():
    totals = ["100", "98", "96", "96", "94", "80", "80", "70", "60", "50"]

    rows = _unit_totals(totals, scheme=Scheme()).categories[0].rows

    assert [(row.rank, row.band, row.band_rule) for row in rows[:5]] == [
        (1, "excellent", "threshold"),
        (2, "excellent", "threshold"),
        (3, "excellent", "cap_tie"),
        (3, "excellent", "cap_tie"),
        (5, "good", "cap"),
    ]
    assert rows[2].flags == ("cap_tie",)


def test_cap_counts_every_unit_of_the_category():
    # 7 ranked units and 3 without votes: ⌊30% × 10⌋ = 3.
    units = _units(*(f"u{i}" for i in range(10)))
    ballots = [vote for i in range(7) for vote in _votes(LEADERS, f"u{i}", ["good"] * 3)]

    category = compute(_inputs(ballots, units=units, scheme=Scheme())).categories[0]

    assert category.unit_count == 10
    assert category.excellent_allowed == 3
    assert [row.band for row in category.rows[:7]] == ["excellent"] * 7
    assert [row.band_rule for row in category.rows[:7]] == ["cap_tie"] * 7


def test_cap_of_zero_units_gives_no_excellent():
    rows = _unit_totals(["100", "95", "91"], scheme=Scheme()).categories[0].rows

    assert [(row.band, row.band_rule) for row in rows] == [("good", "cap")] * 3


# --- inputs, validation and reproducibility (4.12) ----------------------------------------------


def _sample_inputs(**changes):
    leaders = Group("leaders", "县级领导", D("40"), min_sample=1, is_leaders=True)
    public = Group("public", "两代表一委员", D("20"), min_sample=1)
    units = (*_units("t1", "t2"), *_units("d1", category="departments"))
    ballots = [
        Ballot("b1", "leaders", {"t1": "good", "t2": "fairly_good", "d1": "poor"}),
        Ballot("b2", "public", {"t1": "average", "t2": "abstain", "d1": "good"}, "t2"),
        Ballot("b3", "leaders", {"t1": "good", "d1": "fairly_good"}, void=True),
    ]
    fields = {
        "ballots": ballots,
        "units": units,
        "groups": (leaders, public),
        "external": {"t1": ExternalScores(bonus=D("1.00"), bonus_reasons=("表彰",))},
    }
    fields.update(changes)
    return _inputs(**fields)


def test_inputs_hash_ignores_ballot_order_and_trailing_zeros():
    inputs = _sample_inputs()
    reordered = _sample_inputs(
        ballots=list(reversed(inputs.ballots)),
        groups=(dataclasses.replace(inputs.groups[0], weight=D("40.00")), inputs.groups[1]),
    )

    assert engine.canonical_inputs(inputs) == engine.canonical_inputs(reordered)
    assert engine.inputs_hash(inputs) == engine.inputs_hash(reordered)
    assert len(engine.inputs_hash(inputs)) == 64


def test_inputs_hash_changes_with_any_grade():
    inputs = _sample_inputs()
    changed = list(inputs.ballots)
    changed[0] = Ballot("b1", "leaders", {"t1": "good", "t2": "fairly_good", "d1": "average"})

    assert engine.inputs_hash(inputs) != engine.inputs_hash(_sample_inputs(ballots=changed))


def test_canonical_inputs_are_sorted_compact_json_with_decimal_strings():
    data = json.loads(engine.canonical_inputs(_sample_inputs()))

    assert data["engine"] == engine.ENGINE_VERSION
    assert data["groups"][0]["weight"] == "40"
    assert data["scheme"]["components"] == {"review": "100"}
    assert [ballot["key"] for ballot in data["ballots"]] == ["b1", "b2", "b3"]
    assert data["ballots"][1]["grades"] == ["average", "abstain", "good"]
    assert data["external"]["t1"]["bonus"] == "1"


def test_loaded_canonical_inputs_recompute_the_same_result():
    inputs = _sample_inputs()

    loaded = engine.load_inputs(engine.canonical_inputs(inputs))

    assert compute(loaded) == compute(inputs)
    assert engine.canonical_inputs(loaded) == engine.canonical_inputs(inputs)


def test_loaded_canonical_inputs_recompute_per_criterion_grading():
    grades = {"results": "good", "integrity": "poor"}
    ballots = [Ballot(f"b{i}", "leaders", {"a": grades}) for i in range(3)]
    inputs = _inputs(ballots, scheme=Scheme(criteria=CRITERIA))

    loaded = engine.load_inputs(engine.canonical_inputs(inputs))

    assert loaded.ballots[0].grades == {"a": grades}
    assert compute(loaded) == compute(inputs)


def test_result_serialises_to_plain_json():
    result = compute(_sample_inputs())

    data = json.loads(result.to_json())

    assert data == result.to_dict()
    assert data["ballots_void"] == 1
    row = data["categories"][0]["rows"][0]
    # (40·100 + 20·60) / 60 = 86.67, plus 1.00
    assert (row["unit"], row["total"], row["rank"]) == ("t1", "87.67", 1)
    t2 = data["categories"][0]["rows"][1]
    assert (t2["unit"], t2["groups"][1]["score"], t2["groups"][1]["abstain"]) == ("t2", None, 0)


def test_components_must_sum_to_one_hundred():
    scheme = Scheme(components={"review": D("60"), "target": D("30")})

    with pytest.raises(ValueError, match="sum to 100"):
        compute(_inputs([], scheme=scheme))


def test_unknown_grade_is_refused():
    with pytest.raises(ValueError, match="unknown grade 'excellent'"):
        compute(_inputs([Ballot("b", "leaders", {"a": "excellent"})]))


def test_ballot_for_an_unknown_unit_is_refused():
    with pytest.raises(ValueError, match="unknown unit 'zz'"):
        compute(_inputs([Ballot("b", "leaders", {"zz": "good"})]))


def test_ballot_from_an_unknown_group_is_refused():
    with pytest.raises(ValueError, match="unknown group"):
        compute(_inputs([Ballot("b", "nobody", {"a": "good"})]))


def test_unknown_criterion_is_refused():
    ballot = Ballot("b", "leaders", {"a": {"results": "good", "style": "good"}})

    with pytest.raises(ValueError, match="unknown criteria"):
        compute(_inputs([ballot], scheme=Scheme(criteria=CRITERIA)))
