"""Whole-percent shares that add up to 100 (the largest remainder method, Hare quota).

Pure Python, no Django: the big screen's tally, the moderator's queue and the console show a
vote's split as whole percents, and rounding each share on its own gives 33 + 33 + 33 = 99
(or 101) in front of the hall. The largest remainder method rounds every share down, then hands
the points still missing to the shares that lost the most, so the shares add up to exactly 100
and each is within one point of its exact value.
"""

from __future__ import annotations

from collections.abc import Sequence


def largest_remainder_percents(counts: Sequence[int]) -> list[int]:
    """``counts`` as whole percents of their sum, adding up to exactly 100; all zeros when
    nothing was counted. Ties in the remainder go to the earlier count (the order the screen
    lists the choices in), so the same counts always give the same shares."""
    if any(n < 0 for n in counts):
        raise ValueError("counts must not be negative")
    total = sum(counts)
    if total == 0:
        return [0] * len(counts)
    # Integer arithmetic only: floor(100 n / total) and its remainder, no float rounding.
    floors = [100 * n // total for n in counts]
    remainders = [100 * n % total for n in counts]
    missing = 100 - sum(floors)
    by_remainder = sorted(range(len(counts)), key=lambda i: (-remainders[i], i))
    for i in by_remainder[:missing]:
        floors[i] += 1
    return floors
