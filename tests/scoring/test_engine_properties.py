"""scoring/engine.py: properties of section 4 that must hold for any inputs (hypothesis)."""

import dataclasses
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.engine import (
    GRADES,
    VOTING_GRADES,
    Ballot,
    Category,
    Group,
    Inputs,
    Scheme,
    Unit,
    compute,
    round2,
)

D = Decimal
CATEGORIES = (Category("towns", "镇(街道)", 1), Category("departments", "政府部门", 2))
VALUES = {"good": 100, "fairly_good": 80, "average": 60, "poor": 40}
few = settings(max_examples=60, deadline=None)


def _half_up(value: Fraction) -> Decimal:
    """The reference rounding: Decimal.quantize with ROUND_HALF_UP on the exact value."""
    with localcontext() as context:
        context.prec = 60
        exact = Decimal(value.numerator) / Decimal(value.denominator)
        return exact.quantize(D("0.01"), rounding=ROUND_HALF_UP)


@st.composite
def schemes(draw):
    return Scheme(
        trimmed_mean=draw(st.booleans()),
        trim_above=draw(st.integers(0, 5)),
        tie_break_leaders=draw(st.booleans()),
        tie_break_good_share=draw(st.booleans()),
        excellent_cap_enabled=draw(st.booleans()),
        excellent_cap_percent=draw(st.sampled_from([D("0"), D("20"), D("30"), D("50"), D("100")])),
    )


@st.composite
def inputs(draw, scheme=None):
    unit_count = draw(st.integers(1, 6))
    units = tuple(
        Unit(f"u{i}", f"单位{i}", draw(st.sampled_from(["towns", "departments"])))
        for i in range(unit_count)
    )
    group_count = draw(st.integers(1, 3))
    groups = tuple(
        Group(
            f"g{i}",
            f"组{i}",
            draw(st.sampled_from([D("0"), D("10"), D("20"), D("40")])),
            min_sample=draw(st.integers(1, 3)),
            is_leaders=i == 0,
        )
        for i in range(group_count)
    )
    unit_keys = [unit.key for unit in units]
    ballot_count = draw(st.integers(0, 25))
    ballots = tuple(
        Ballot(
            f"b{i}",
            draw(st.sampled_from([group.key for group in groups])),
            draw(
                st.dictionaries(
                    st.sampled_from(unit_keys),
                    st.sampled_from([*GRADES, "good", "good"]),
                    max_size=unit_count,
                )
            ),
            holder_unit=draw(st.one_of(st.none(), st.sampled_from(unit_keys))),
            void=draw(st.integers(0, 9)) == 0,
        )
        for i in range(ballot_count)
    )
    return Inputs(
        scheme=scheme if scheme is not None else draw(schemes()),
        categories=CATEGORIES,
        units=units,
        groups=groups,
        ballots=ballots,
    )


@few
@given(data=inputs(), seed=st.randoms(use_true_random=False))
def test_result_does_not_depend_on_ballot_order(data, seed):
    shuffled = list(data.ballots)
    seed.shuffle(shuffled)

    assert compute(dataclasses.replace(data, ballots=tuple(shuffled))) == compute(data)


@few
@given(data=inputs())
def test_renormalised_review_equals_review_from_the_groups_with_data_alone(data):
    result = compute(data)

    for row in result.rows():
        with_data = {group.group for group in row.groups if group.has_data}
        if row.review is None:
            continue
        only = dataclasses.replace(
            data,
            scheme=dataclasses.replace(data.scheme, tie_break_leaders=False),
            groups=tuple(group for group in data.groups if group.key in with_data),
            ballots=tuple(ballot for ballot in data.ballots if ballot.group in with_data),
        )
        alone = compute(only).row(row.unit)
        assert alone.review == row.review
        assert "weights_renormalised" not in alone.flags


@few
@given(
    data=inputs(),
    extra=st.lists(st.integers(0, 3), min_size=3, max_size=3),
    abstentions=st.integers(0, 3),
)
def test_unit_rated_only_good_by_enough_raters_in_every_weighted_group_scores_100(
    data, extra, abstentions
):
    target = data.units[0].key
    ballots = [ballot for ballot in data.ballots if target not in ballot.grades]
    for index, group in enumerate(data.groups):
        for n in range(group.min_sample + extra[index]):
            ballots.append(Ballot(f"good-{group.key}-{n}", group.key, {target: "good"}))
        for n in range(abstentions):
            ballots.append(Ballot(f"abstain-{group.key}-{n}", group.key, {target: "abstain"}))
    groups = data.groups
    if not any(group.weight > 0 for group in groups):
        groups = (dataclasses.replace(groups[0], weight=D("40")), *groups[1:])

    row = compute(dataclasses.replace(data, groups=groups, ballots=tuple(ballots))).row(target)

    assert row.review == D("100.00")
    assert all(group.score == D("100.00") for group in row.groups)


@few
@given(data=inputs())
def test_equal_totals_share_a_rank_and_the_next_rank_is_skipped(data):
    untied = dataclasses.replace(
        data,
        scheme=dataclasses.replace(
            data.scheme, tie_break_leaders=False, tie_break_good_share=False
        ),
    )

    for tie_broken, result in ((True, compute(data)), (False, compute(untied))):
        for category in result.categories:
            ranked = [row for row in category.rows if row.rank is not None]
            ranks = [row.rank for row in ranked]
            assert ranks == sorted(ranks)
            for row in ranked:
                # Competition ranking: 1 + the number of units placed strictly above.
                assert row.rank == 1 + sum(1 for other in ranked if other.rank < row.rank)
                assert row.rank >= 1 + sum(1 for other in ranked if other.total > row.total)
                if not tie_broken:
                    assert row.rank == 1 + sum(1 for other in ranked if other.total > row.total)
            unranked = [row for row in category.rows if row.rank is None]
            assert category.rows[len(ranked) :] == tuple(unranked)


@st.composite
def capped_inputs(draw):
    """Units in one category, each rated by one rater group with mostly 好, so that totals sit
    around the 优秀 threshold and often tie."""
    unit_count = draw(st.integers(1, 12))
    units = tuple(Unit(f"u{i}", f"单位{i}", "towns") for i in range(unit_count))
    group = Group("g", "组", D("100"), min_sample=1)
    ballots = []
    for unit in units:
        grades = draw(st.lists(st.sampled_from(["good", "good", "fairly_good"]), max_size=3))
        ballots += [
            Ballot(f"{unit.key}-{i}", "g", {unit.key: grade}) for i, grade in enumerate(grades)
        ]
    scheme = Scheme(
        excellent_cap_percent=draw(st.sampled_from([D("0"), D("10"), D("30"), D("50"), D("100")]))
    )
    return Inputs(scheme, CATEGORIES, units, (group,), tuple(ballots))


@few
@given(data=capped_inputs())
def test_cap_never_gives_more_excellent_than_allowed_except_boundary_ties(data):
    category = compute(data).categories[0]
    allowed = category.excellent_allowed
    excellent = [row for row in category.rows if row.band == "excellent"]

    assert allowed == int(data.scheme.excellent_cap_percent * len(data.units) / 100)
    assert all(row.rank <= allowed for row in excellent)
    if len(excellent) > allowed:
        last_rank = max(row.rank for row in excellent)
        boundary = [row for row in excellent if row.rank == last_rank]
        assert len(excellent) - len(boundary) < allowed
        assert all(row.band_rule == "cap_tie" and "cap_tie" in row.flags for row in boundary)
    for row in category.rows:
        if row.total is not None and row.total >= data.scheme.band_excellent:
            assert row.band == ("excellent" if row.rank <= allowed else "good")
            if row.band == "good":
                assert (row.band_rule, "capped" in row.flags) == ("cap", True)


@few
@given(
    grades=st.lists(st.sampled_from(VOTING_GRADES), min_size=1, max_size=15),
    trim_above=st.integers(0, 8),
)
def test_trimmed_mean_drops_exactly_one_highest_and_one_lowest(grades, trim_above):
    group = Group("g", "组", D("1"), min_sample=1)
    ballots = tuple(Ballot(f"b{i}", "g", {"a": grade}) for i, grade in enumerate(grades))
    scheme = Scheme(trimmed_mean=True, trim_above=trim_above)
    data = Inputs(scheme, CATEGORIES, (Unit("a", "单位", "towns"),), (group,), ballots)

    result = compute(data).row("a").groups[0]

    values = sorted(VALUES[grade] for grade in grades)
    should_trim = len(values) > trim_above and len(values) >= 3
    kept = values[1:-1] if should_trim else values
    assert result.trimmed is should_trim
    assert result.votes == len(values)
    assert result.score == _half_up(Fraction(sum(kept), len(kept)))


@few
@given(
    values=st.lists(
        # Two decimals: a mean of two votes then ends in 5 at the third decimal half the time.
        st.decimals(min_value=0, max_value=100, places=2, allow_nan=False),
        min_size=4,
        max_size=4,
    ),
    grades=st.lists(st.sampled_from(GRADES), min_size=1, max_size=12),
)
def test_group_score_rounds_the_exact_mean_half_up(values, grades):
    grade_values = dict(zip(VOTING_GRADES, values, strict=True))
    group = Group("g", "组", D("1"), min_sample=1)
    ballots = tuple(Ballot(f"b{i}", "g", {"a": grade}) for i, grade in enumerate(grades))
    data = Inputs(
        Scheme(grade_values), CATEGORIES, (Unit("a", "单位", "towns"),), (group,), ballots
    )

    score = compute(data).row("a").groups[0].score

    votes = [Fraction(grade_values[grade]) for grade in grades if grade != "abstain"]
    expected = _half_up(sum(votes, Fraction(0)) / len(votes)) if votes else None
    assert score == expected


@few
@given(
    numerator=st.integers(-(10**7), 10**7),
    denominator=st.sampled_from([1, 2, 3, 7, 8, 40, 200, 400, 1000, 2000, 3000]),
)
def test_round2_rounds_half_up_like_decimal_quantize(numerator, denominator):
    assert round2(Fraction(numerator, denominator)) == _half_up(Fraction(numerator, denominator))


@few
@given(
    weights=st.lists(st.integers(0, 7), min_size=3, max_size=3).filter(any),
    ballots=st.lists(st.lists(st.sampled_from(GRADES), min_size=3, max_size=3), max_size=8),
)
def test_per_criterion_group_score_rounds_the_exact_mean_of_unrounded_ballot_values(
    weights, ballots
):
    criteria = tuple((f"c{i}", D(weight)) for i, weight in enumerate(weights))
    group = Group("g", "组", D("1"), min_sample=1)
    data = Inputs(
        Scheme(criteria=criteria),
        CATEGORIES,
        (Unit("a", "单位", "towns"),),
        (group,),
        tuple(
            Ballot(f"b{i}", "g", {"a": {f"c{c}": grade for c, grade in enumerate(grades)}})
            for i, grades in enumerate(ballots)
        ),
    )

    score = compute(data).row("a").groups[0].score

    ballot_values = []
    for grades in ballots:
        graded = [(w, VALUES[g]) for w, g in zip(weights, grades, strict=True) if g != "abstain"]
        weight_sum = sum(w for w, _ in graded)
        if weight_sum:
            ballot_values.append(Fraction(sum(w * v for w, v in graded), weight_sum))
    if ballot_values:
        assert score == _half_up(sum(ballot_values, Fraction(0)) / len(ballot_values))
    else:
        assert score is None
