"""Random draws that anyone can reproduce from the recorded seed (docs/design.md §2).

The algorithm is deliberately plain so that a supervisor can re-run it with nothing but Python:

    import random
    pool = sorted(set(names))             # Unicode code-point order of the unit names
    random.Random(seed).sample(pool, k)   # seed is the recorded text, e.g. "830412775163"

A speaking-order draw is the same call with k = the number of participants. Python has kept
``random.Random(str)`` and ``sample`` stable since 3.2, so the same seed gives the same units.

A draw over several pools, each with its own quota (政府部门 4 + 统筹协调 4 + 党群 4), uses one
generator for all of them, taking the pools in the order of their names (docs/draws.md):

    rng = random.Random(seed)
    for label in sorted(pools):
        drawn[label] = rng.sample(sorted(set(pools[label])), quota[label])

With a single pool this is exactly the single-pool draw above.
"""

import random
import secrets

ALGORITHM = "python3-random-sample-v1"
POOLS_ALGORITHM = "python3-random-sample-pools-v1"


def new_seed() -> str:
    """A fresh seed: 12 decimal digits, short enough to read aloud and write in the minutes."""
    return str(secrets.randbelow(10**12)).zfill(12)


def canonical_pool(names) -> list[str]:
    return sorted(set(names))


def draw_names(pool, count: int, seed: str) -> list[str]:
    ordered = canonical_pool(pool)
    if not 0 < count <= len(ordered):
        raise ValueError(f"count must be between 1 and {len(ordered)}, got {count}")
    return random.Random(seed).sample(ordered, count)


def shuffle_names(names, seed: str) -> list[str]:
    ordered = canonical_pool(names)
    return random.Random(seed).sample(ordered, len(ordered))


def draw_pools(pools: dict[str, tuple[list[str], int]], seed: str) -> dict[str, list[str]]:
    """Draw ``quota`` names from each pool, keyed by the pool's label, with one seeded generator.

    The pools are read in label order, not in the order given, so the result depends only on the
    labels, the names, the quotas and the seed. A name in two pools could be drawn twice, so
    overlapping pools are refused rather than silently deduplicated."""
    if not pools:
        raise ValueError("at least one pool is needed")
    seen: dict[str, str] = {}
    for label, (names, _quota) in pools.items():
        for name in set(names):
            if name in seen:
                raise ValueError(f"{name!r} is in pools {seen[name]!r} and {label!r}")
            seen[name] = label
    rng = random.Random(seed)
    drawn: dict[str, list[str]] = {}
    for label in sorted(pools):
        names, quota = pools[label]
        ordered = canonical_pool(names)
        if not 0 < quota <= len(ordered):
            raise ValueError(
                f"quota of {label!r} must be between 1 and {len(ordered)}, got {quota}"
            )
        drawn[label] = rng.sample(ordered, quota)
    return drawn
