"""What a persistent unit still owes, gathered from the apps that hold it (docs/targets.md,
"The ledger (台账)", and docs/architecture.md, "Layers").

The ledger of a unit's year is drawn up by ``targets``; the commitments made on stage at a
review (督办事项) are ``meeting``'s. The two apps are siblings and neither imports the other, so
the ledger asks through this signal, which sits below both: an app with commitments connects a
receiver (in its ``AppConfig.ready``), the ledger sends and shows what comes back. A receiver
answers with ``Commitment`` rows, plain values that need nothing of the app that made them.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.dispatch import Signal

from core.colours import Colour

from .models import District

# Sent with ``district``, ``year``, ``org_unit_ids`` (a list, or None for every unit) and
# ``today``; each receiver returns a list of ``Commitment`` made in ``year`` or earlier and not
# done, whatever their due date (as an open notice counts before its own). Something made in an
# earlier year and still open stays on every later year's ledger until it is done (清零 means
# nothing left, whatever its year).
open_commitments = Signal()


@dataclass(frozen=True)
class Commitment:
    """One open commitment of a persistent unit, as the ledger shows it."""

    org_unit_id: int
    source: str  # where it was made, e.g. the review session's title
    title: str
    due_date: datetime.date
    colour: str  # core.colours.Colour, red once overdue
    overdue: bool
    url: str  # the page where it is followed up (access is checked there)

    @property
    def colour_label(self) -> str:
        return Colour(self.colour).label


def commitments_by_unit(
    district: District,
    year: int,
    *,
    today: datetime.date,
    org_unit_ids: list[int] | None = None,
) -> dict[int, list[Commitment]]:
    """org unit id → its open commitments from every receiver, by due date."""
    found: dict[int, list[Commitment]] = defaultdict(list)
    for _receiver, rows in open_commitments.send(
        sender=District, district=district, year=year, org_unit_ids=org_unit_ids, today=today
    ):
        for row in rows:
            found[row.org_unit_id].append(row)
    for rows in found.values():
        rows.sort(key=lambda row: (row.due_date, row.title))
    return dict(found)
