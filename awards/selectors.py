"""Reads for 表彰 (docs/awards.md): programmes of a district's year, a programme's list with
its objections, the programmes of one decision. Each in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q

from org.models import District
from scoring.selectors import current_snapshot

from .models import Nomination, Objection, Programme

Status = Programme.Status


def programmes_of(district: District, year: int) -> list[Programme]:
    return list(
        Programme.objects.filter(district=district, year=year)
        .select_related("session")
        .annotate(
            listed=Count(
                "nominations",
                filter=Q(nominations__excluded=False, nominations__withdrawn=False),
            )
        )
        .order_by("id")
    )


def years_of(district: District) -> list[int]:
    return sorted(
        set(Programme.objects.filter(district=district).values_list("year", flat=True)),
        reverse=True,
    )


def nominations_of(programme: Programme) -> list[Nomination]:
    return list(
        programme.nominations.select_related("org_unit", "snapshot", "withdrawn_by").order_by(
            "position", "id"
        )
    )


def listed_of(programme: Programme) -> list[Nomination]:
    """The names on the list: neither excluded nor withdrawn."""
    return [n for n in nominations_of(programme) if n.active]


@dataclass(frozen=True)
class CategoryList:
    name: str
    nominations: list


def by_category(nominations: list[Nomination]) -> list[CategoryList]:
    """The nominations grouped by category, in their order (first seen first)."""
    groups: dict[str, list] = defaultdict(list)
    for nomination in nominations:
        groups[nomination.category].append(nomination)
    return [CategoryList(name, members) for name, members in groups.items()]


def objections_of(programme: Programme) -> list[Objection]:
    return list(
        Objection.objects.filter(nomination__programme=programme)
        .select_related("nomination__org_unit", "recorded_by", "decided_by")
        .order_by("received_at", "id")
    )


def stale_snapshot(programme: Programme, nominations: list[Nomination]):
    """The session's current snapshot when the list was computed from an older one (a
    correction published since): the page says so, and before 公示 it can be computed again."""
    if programme.session_id is None:
        return None
    used = {n.snapshot_id for n in nominations if n.snapshot_id}
    if not used:
        return None
    current = current_snapshot(programme.session)
    if current is not None and current.pk not in used:
        return current
    return None


def decision_programmes(programme: Programme) -> list[Programme]:
    """Every programme decided by the same 表彰决定 as ``programme`` (same district, same
    文号), in the order they were created."""
    # The number as stored: the caller's object may predate the decision.
    number = Programme.objects.filter(pk=programme.pk, status=Status.DECIDED).values(
        "decision_number"
    )
    return list(
        Programme.objects.filter(
            district_id=programme.district_id,
            status=Status.DECIDED,
            decision_number__in=number,
        ).order_by("id")
    )


def final_lists(programmes: list[Programme]) -> list[tuple[Programme, list[CategoryList]]]:
    """Each programme with its final list by category: one query for all of them."""
    found: dict[int, list] = defaultdict(list)
    for nomination in (
        Nomination.objects.filter(programme__in=programmes, excluded=False, withdrawn=False)
        .select_related("org_unit")
        .order_by("programme_id", "position", "id")
    ):
        found[nomination.programme_id].append(nomination)
    return [(p, by_category(found[p.pk])) for p in programmes]
