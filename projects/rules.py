"""The colour of a 重点项目 by rule, in pure Python over plain data (no Django, like
scoring/engine.py), so that the property tests can run it many thousands of times.

The rule, exactly (docs/projects.md repeats it for staff):

1. *planned* = the planned progress of the latest milestone whose planned date is on or before
   the as-of date (when two such milestones share that date, the higher planned progress);
   0 when there is none.
2. *behind* = planned − actual, in percentage points (negative when ahead of plan).
3. A milestone is *missed* when its planned date is on or before the as-of date and it was not
   done by then (no done date, or a done date after the as-of date).
4. The colour is the first that applies:
   红 (red) when the project is stalled, or behind > ``red_behind``;
   黄 (yellow) when behind > ``yellow_behind``;
   蓝 (blue) when at least one milestone is missed;
   绿 (green) otherwise.

"More than" is strict: a project exactly ``yellow_behind`` points behind is not yellow.
Numbers are Decimal, never float.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

# The values of meeting.models.Colour (tests/projects/test_rules.py checks they agree).
GREEN, BLUE, YELLOW, RED = "green", "blue", "yellow", "red"
COLOURS = (GREEN, BLUE, YELLOW, RED)
ZERO = Decimal("0")


@dataclass(frozen=True)
class MilestoneFacts:
    planned_date: datetime.date
    planned_progress: Decimal
    done_on: datetime.date | None = None

    def missed_at(self, as_of: datetime.date) -> bool:
        return self.planned_date <= as_of and (self.done_on is None or self.done_on > as_of)


@dataclass(frozen=True)
class Thresholds:
    """Percentage points behind plan above which a project is yellow, and red."""

    yellow_behind: Decimal = Decimal("10")
    red_behind: Decimal = Decimal("30")


@dataclass(frozen=True)
class Verdict:
    """The colour with the numbers that decided it (shown on the project page)."""

    colour: str
    planned: Decimal
    behind: Decimal
    missed: int
    stalled: bool


def planned_at(milestones: Iterable[MilestoneFacts], as_of: datetime.date) -> Decimal:
    """Step 1: the planned progress of the latest milestone due by ``as_of``; 0 if none."""
    due = [(m.planned_date, m.planned_progress) for m in milestones if m.planned_date <= as_of]
    return max(due)[1] if due else ZERO


def verdict(
    *,
    milestones: Iterable[MilestoneFacts],
    actual: Decimal,
    stalled: bool,
    as_of: datetime.date,
    thresholds: Thresholds,
) -> Verdict:
    """The rule of the module docstring."""
    milestones = list(milestones)
    planned = planned_at(milestones, as_of)
    behind = planned - actual
    missed = sum(m.missed_at(as_of) for m in milestones)
    if stalled or behind > thresholds.red_behind:
        colour = RED
    elif behind > thresholds.yellow_behind:
        colour = YELLOW
    elif missed:
        colour = BLUE
    else:
        colour = GREEN
    return Verdict(colour=colour, planned=planned, behind=behind, missed=missed, stalled=stalled)


def colour_of(**kwargs) -> str:
    """Just the colour of :func:`verdict`."""
    return verdict(**kwargs).colour
