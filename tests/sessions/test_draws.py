"""sessions/draws.py: the plain, reproducible draw algorithm."""

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


@st.composite
def disjoint_pools(draw):
    """Up to four pools of distinct names, none in two pools, each with a quota that fits."""
    names_all = draw(st.lists(names, min_size=1, max_size=40, unique=True))
    labels = draw(st.lists(names, min_size=1, max_size=4, unique=True))
    cuts = sorted(draw(st.lists(st.integers(0, len(names_all)), min_size=len(labels) - 1)))
    bounds = [0, *cuts, len(names_all)]
    pools = {}
    for label, start, end in zip(labels, bounds, bounds[1:], strict=False):
        chunk = names_all[start:end]
        if chunk:
            pools[label] = (chunk, draw(st.integers(1, len(chunk))))
    if not pools:
        pools[labels[0]] = (names_all, draw(st.integers(1, len(names_all))))
    return pools


@no_deadline
@given(disjoint_pools(), seeds)
def test_draw_pools_honours_every_quota_from_its_own_pool_and_no_name_twice(pools, seed):
    drawn = draws.draw_pools(pools, seed)

    assert set(drawn) == set(pools)
    for label, (pool, quota) in pools.items():
        assert len(drawn[label]) == quota
        assert set(drawn[label]) <= set(pool)
    everyone = [name for result in drawn.values() for name in result]
    assert len(everyone) == len(set(everyone))


@no_deadline
@given(disjoint_pools(), seeds, st.randoms(use_true_random=False))
def test_draw_pools_same_seed_gives_same_result_whatever_the_order_of_pools_and_names(
    pools, seed, rnd
):
    labels = list(pools)
    rnd.shuffle(labels)
    reordered = {
        label: (rnd.sample(pools[label][0], len(pools[label][0])), pools[label][1])
        for label in labels
    }

    assert draws.draw_pools(reordered, seed) == draws.draw_pools(pools, seed)


@no_deadline
@given(pool_and_count(), seeds)
def test_draw_pools_with_one_pool_is_the_single_pool_draw(pool_count, seed):
    pool, count = pool_count

    assert draws.draw_pools({"政府部门": (pool, count)}, seed) == {
        "政府部门": draws.draw_names(pool, count, seed)
    }


def test_draw_pools_follows_the_documented_lines():
    pools = {
        "政府部门": (["发改局", "财政局", "教育局", "民政局", "司法局"], 2),
        "党群": (["总工会", "团区委", "妇联"], 1),
    }

    rng = random.Random("20260715")
    expected = {}
    for label in sorted(pools):
        names_, quota = pools[label]
        expected[label] = rng.sample(sorted(set(names_)), quota)

    assert draws.draw_pools(pools, "20260715") == expected


def test_draw_pools_refuses_a_name_in_two_pools_and_a_quota_that_does_not_fit():
    with pytest.raises(ValueError, match="'财政局' is in pools"):
        draws.draw_pools({"甲": (["财政局", "教育局"], 1), "乙": (["财政局"], 1)}, "1")
    with pytest.raises(ValueError, match="quota of '乙' must be between 1 and 1, got 2"):
        draws.draw_pools({"甲": (["教育局"], 1), "乙": (["财政局"], 2)}, "1")
    with pytest.raises(ValueError, match="at least one pool"):
        draws.draw_pools({}, "1")
