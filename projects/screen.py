"""The big screen's project slideshow (screen/content.py renders it).

- ``slides(session, colour)``: the projects a slideshow shows, one colour or all, ordered by
  colour (绿, 蓝, 黄, 红) then code, each with what a slide prints. One query.
- ``signature(session)``: changes whenever a project is added, removed, or changes anything a
  slide shows (its colour, progress, a new update): every such write moves
  KeyProject.updated_at (projects/services.py). One query; the screen's poll compares it.
- ``templates/projects/_screen_slides.html`` renders ``slides`` (context: ``slides``,
  ``colour``) at 1920×1080, six projects a page, grouped by colour with a counts header;
  ``static/js/projects_slides.js`` turns the pages every 8 s.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Max

from core.colours import Colour
from sessions.models import ReviewSession

from .models import KeyProject
from .selectors import bar_step, board_rows
from .services import board_date_of

PER_PAGE = 6
UPDATE_CHARS = 60  # a slide's latest-update line; the project page has the whole text


@dataclass(frozen=True)
class Slide:
    code: str
    name: str
    unit: str
    category: str
    planned: Decimal
    actual: Decimal
    colour: str
    colour_label: str
    stalled: bool
    latest_update: str

    @property
    def planned_bar(self) -> int:
        return bar_step(self.planned)

    @property
    def actual_bar(self) -> int:
        return bar_step(self.actual)


def slides(session: ReviewSession, colour: str = "") -> list[Slide]:
    """The slideshow's projects; ``colour`` blank means every colour. Two queries at most (the
    rule's date, then the projects)."""
    if colour and colour not in Colour.values:
        colour = ""
    as_of = board_date_of(session)
    result = []
    for row in board_rows(session, as_of=as_of, colour=colour):
        project = row.project
        text = " ".join((row.last_update_text or "").split())
        if len(text) > UPDATE_CHARS:
            text = text[: UPDATE_CHARS - 1] + "…"
        result.append(
            Slide(
                code=project.code,
                name=project.name,
                unit=project.unit.name,
                category=project.category,
                planned=row.planned,
                actual=project.actual_progress,
                colour=project.colour,
                colour_label=str(Colour(project.colour).label),
                stalled=project.stalled,
                latest_update=text,
            )
        )
    return result


def signature(session: ReviewSession) -> str:
    """A cheap value that changes whenever any project or its colour changes. One query."""
    row = KeyProject.objects.filter(session=session).aggregate(n=Count("pk"), at=Max("updated_at"))
    stamp = row["at"].isoformat() if row["at"] else "-"
    return f"{row['n']}:{stamp}"
