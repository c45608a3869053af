"""Filters of the 重点项目 templates: ``pct`` writes a progress as people do (62.5, not 62.50),
and ``slide_pages``/``slide_counts`` let templates/projects/_screen_slides.html page and count
its slides itself, so that its context stays ``slides`` and ``colour`` (projects/screen.py)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django import template

from core.colours import Colour

register = template.Library()


@dataclass(frozen=True)
class SlidePage:
    colour: str
    colour_label: str
    colour_count: int
    number: int  # 1-based, within the colour
    pages_in_colour: int
    slides: list


@register.filter
def pct(value) -> str:
    """A percentage without trailing zeros: 62.50 → 62.5, 40.00 → 40."""
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return ""
    text = f"{number.quantize(Decimal('0.01')):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@register.filter
def slide_pages(slides, per_page=6) -> list[SlidePage]:
    """Pages of at most ``per_page`` slides; a page never mixes colours."""
    per_page = max(1, int(per_page))
    groups: dict[str, list] = {}
    for slide in slides:
        groups.setdefault(slide.colour, []).append(slide)
    pages = []
    for colour, group in groups.items():
        chunks = [group[i : i + per_page] for i in range(0, len(group), per_page)]
        for number, chunk in enumerate(chunks, start=1):
            pages.append(
                SlidePage(
                    colour=colour,
                    colour_label=str(Colour(colour).label),
                    colour_count=len(group),
                    number=number,
                    pages_in_colour=len(chunks),
                    slides=chunk,
                )
            )
    return pages


@register.filter
def slide_counts(slides) -> list[tuple[str, str, int]]:
    """(colour, label, count) for every colour, in the order 绿, 蓝, 黄, 红."""
    counted: dict[str, int] = {}
    for slide in slides:
        counted[slide.colour] = counted.get(slide.colour, 0) + 1
    return [(c, str(Colour(c).label), counted.get(c, 0)) for c in Colour.values]
