"""Random draws that anyone can reproduce from the recorded seed (issue 2, DESIGN.md section 2).

The algorithm is deliberately plain so that a supervisor can re-run it with nothing but Python:

    import random
    pool = sorted(set(names))             # Unicode code-point order of the unit names
    random.Random(seed).sample(pool, k)   # seed is the recorded text, e.g. "830412775163"

A speaking-order draw is the same call with k = the number of participants. Python has kept
``random.Random(str)`` and ``sample`` stable since 3.2, so the same seed gives the same units.
"""

import random
import secrets

ALGORITHM = "python3-random-sample-v1"


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
