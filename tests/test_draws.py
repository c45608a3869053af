"""sessions/draws.py: the plain, reproducible draw algorithm (issue 2)."""

import random
import re

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from sessions import draws

# Pure and fast, but the machine may be busy: a wall-clock deadline would only make them flaky.
no_deadline = hypothesis_settings(deadline=None)

names = st.text(min_size=1, max_size=8)
pools = st.lists(names, min_size=1, max_size=30)
seeds = st.text(max_size=40)


@st.composite
def pool_and_count(draw):
    pool = draw(pools)
    count = draw(st.integers(min_value=1, max_value=len(set(pool))))
    return pool, count


@no_deadline
@given(pool_and_count(), seeds, st.randoms(use_true_random=False))
def test_draw_names_same_seed_and_pool_in_any_order_with_duplicates_gives_same_result(
    pool_count, seed, rnd
):
    pool, count = pool_count
    shuffled = list(pool) + rnd.sample(pool, rnd.randint(0, len(pool)))  # add duplicates
    rnd.shuffle(shuffled)

    assert draws.draw_names(shuffled, count, seed) == draws.draw_names(pool, count, seed)


@no_deadline
@given(pool_and_count(), seeds)
def test_draw_names_result_is_a_duplicate_free_subset_of_the_requested_size(pool_count, seed):
    pool, count = pool_count

    result = draws.draw_names(pool, count, seed)

    assert len(result) == count
    assert len(set(result)) == count
    assert set(result) <= set(pool)


@no_deadline
@given(pools, seeds)
def test_shuffle_names_is_a_permutation_of_the_distinct_names(pool, seed):
    result = draws.shuffle_names(pool, seed)

    assert sorted(result) == sorted(set(pool))


@no_deadline
@given(pools, seeds, st.randoms(use_true_random=False))
def test_shuffle_names_does_not_depend_on_input_order(pool, seed, rnd):
    shuffled = list(pool)
    rnd.shuffle(shuffled)

    assert draws.shuffle_names(shuffled, seed) == draws.shuffle_names(pool, seed)


@no_deadline
@given(pools)
def test_canonical_pool_is_sorted_and_without_duplicates(pool):
    assert draws.canonical_pool(pool) == sorted(set(pool))


def test_draw_names_pins_the_documented_algorithm():
    # State the algorithm independently of the module: a change of algorithm must be caught,
    # because recorded draws would no longer reproduce.
    pool = ["郑州路街道", "新城街道", "长兴路街道", "刘集镇", "大河路街道", "双桥街道", "花园口镇"]
    expected = random.Random("20260715").sample(sorted(pool), 3)

    result = draws.draw_names(reversed(pool + pool[:2]), 3, "20260715")

    assert result == expected
    assert draws.ALGORITHM == "python3-random-sample-v1"


def test_shuffle_names_pins_the_documented_algorithm():
    pool = ["乙", "甲", "丙", "丁"]
    expected = random.Random("830412775163").sample(sorted(pool), 4)

    assert draws.shuffle_names(pool, "830412775163") == expected


def test_draw_names_different_seeds_give_different_results_for_a_large_pool():
    pool = [f"单位{i:02d}" for i in range(40)]

    assert draws.draw_names(pool, 12, "1") != draws.draw_names(pool, 12, "2")


@pytest.mark.parametrize("count", [0, -1, 4, 100])
def test_draw_names_count_out_of_range_raises(count):
    with pytest.raises(ValueError, match="count must be between 1 and 3"):
        draws.draw_names(["甲", "乙", "丙", "甲"], count, "seed")


def test_draw_names_empty_pool_raises():
    with pytest.raises(ValueError, match="count must be between 1 and 0"):
        draws.draw_names([], 1, "seed")


def test_draw_names_whole_pool_is_allowed():
    assert sorted(draws.draw_names(["甲", "乙", "丙"], 3, "seed")) == ["丙", "乙", "甲"]


def test_shuffle_names_empty_pool_is_empty():
    assert draws.shuffle_names([], "seed") == []


def test_new_seed_is_twelve_digits():
    seeds_seen = {draws.new_seed() for _ in range(200)}

    assert all(re.fullmatch(r"[0-9]{12}", s) for s in seeds_seen)
    assert len(seeds_seen) > 190  # fresh each time, not a constant
