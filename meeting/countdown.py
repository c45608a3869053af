"""The speaker's countdown as the console and the big screen show it (docs/design.md §6)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from .agenda import mm_ss
from .models import AgendaItem

# The last minute is amber on the countdown.
AMBER_SECONDS = 60


@dataclass(frozen=True)
class Countdown:
    """The timer as shown at one moment; screen.js ticks on from ``remaining`` locally."""

    remaining: float  # seconds; negative when over time
    running: bool

    @property
    def over(self) -> bool:
        return self.remaining <= 0

    @property
    def state(self) -> str:
        """CSS state: "over" (red), "amber" (last minute) or "normal"."""
        if self.over:
            return "over"
        return "amber" if math.ceil(self.remaining) <= AMBER_SECONDS else "normal"

    @property
    def text(self) -> str:
        # Counting down shows whole seconds left rounded up (00:01 until it is really over);
        # over time counts the whole seconds past the limit. screen.js does the same.
        if self.over:
            return self.over_format % {"time": mm_ss(math.floor(-self.remaining))}
        return mm_ss(math.ceil(self.remaining))

    @property
    def over_format(self) -> str:
        """The over-time text with a %(time)s placeholder, for screen.js."""
        return _("超时 %(time)s")

    @property
    def remaining_attr(self) -> str:
        """For the data attribute: a dot decimal whatever the language."""
        return f"{self.remaining:.2f}"


def countdown(item: AgendaItem | None, now=None) -> Countdown | None:
    if item is None:
        return None
    now = now or timezone.now()
    return Countdown(remaining=item.remaining_at(now), running=item.state == item.State.RUNNING)
