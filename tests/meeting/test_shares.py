"""meeting/shares.py: whole-percent shares of a vote that add up to 100 (largest remainder)."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meeting.shares import largest_remainder_percents

quick = settings(max_examples=200, deadline=None)
counts_lists = st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=8)


@quick
@given(counts_lists)
def test_largest_remainder_sums_to_exactly_100_when_anyone_voted(counts):
    shares = largest_remainder_percents(counts)

    assert sum(shares) == (100 if sum(counts) else 0)


@quick
@given(counts_lists)
def test_largest_remainder_share_is_within_one_point_of_its_exact_value(counts):
    total = sum(counts)
    shares = largest_remainder_percents(counts)

    for n, share in zip(counts, shares, strict=True):
        exact = Fraction(100 * n, total) if total else Fraction(0)
        assert abs(share - exact) < 1


@quick
@given(counts_lists)
def test_largest_remainder_never_goes_below_the_floor_nor_gives_a_point_to_no_votes(counts):
    total = sum(counts)
    shares = largest_remainder_percents(counts)

    for n, share in zip(counts, shares, strict=True):
        assert share >= (100 * n // total if total else 0)
        if n == 0:
            assert share == 0


@pytest.mark.parametrize(
    ("counts", "shares"),
    [
        ([1, 1, 1], [34, 33, 33]),  # rounding each alone would show 33 + 33 + 33 = 99
        ([1, 1, 1, 1, 1, 1, 1], [15, 15, 14, 14, 14, 14, 14]),
        ([5, 3, 3], [46, 27, 27]),  # 45.45, 27.27, 27.27: rounding alone shows 45 + 27 + 27
        ([3, 1, 1], [60, 20, 20]),
        ([1, 0, 0], [100, 0, 0]),
        ([0, 0, 0], [0, 0, 0]),
        ([2, 1], [67, 33]),
    ],
)
def test_largest_remainder_examples(counts, shares):
    assert largest_remainder_percents(counts) == shares


def test_largest_remainder_refuses_a_negative_count():
    with pytest.raises(ValueError, match="negative"):
        largest_remainder_percents([3, -1])
