"""督办事项: the reads (the overview, a unit's list, an item's history, the report cards).

The colour people see is the *effective* colour: red once an item is past its due date and not
done, whatever was set (FollowUp.effective_colour). The filters and counts here compute it in
the database with the same rule, so a tile's number and its filtered list always agree.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from core.colours import Colour
from sessions.models import ReviewSession, Unit

from .models import FollowUp, FollowUpUpdate

DONE_OPEN = "open"
DONE_DONE = "done"


def _overdue(today: datetime.date) -> Q:
    return Q(done_at__isnull=True, due_date__lt=today)


def effective_colour_q(colour: str, today: datetime.date) -> Q:
    """Items whose effective colour is ``colour`` on ``today``."""
    if colour == Colour.RED:
        return Q(colour=Colour.RED) | _overdue(today)
    return Q(colour=colour) & ~_overdue(today)


@dataclass(frozen=True)
class FollowUpRow:
    """One line of a list: the item, the colour it shows and its latest progress."""

    follow_up: FollowUp
    colour: str
    colour_label: str
    overdue: bool
    last_update_at: datetime.datetime | None
    last_update_text: str


@dataclass(frozen=True)
class ColourCounts:
    total: int
    done: int
    overdue: int
    by_colour: list  # (colour, label, count) in the order 绿 蓝 黄 红


def colour_counts(session: ReviewSession, *, unit: Unit | None = None) -> ColourCounts:
    """The overview's tiles, by effective colour. One query."""
    today = timezone.localdate()
    items = FollowUp.objects.filter(session=session)
    if unit is not None:
        items = items.filter(unit=unit)
    row = items.aggregate(
        total=Count("pk"),
        done=Count("pk", filter=Q(done_at__isnull=False)),
        overdue=Count("pk", filter=_overdue(today)),
        **{c: Count("pk", filter=effective_colour_q(c, today)) for c in Colour.values},
    )
    return ColourCounts(
        total=row["total"],
        done=row["done"],
        overdue=row["overdue"],
        by_colour=[(value, str(label), row[value]) for value, label in Colour.choices],
    )


def follow_up_rows(
    session: ReviewSession,
    *,
    unit: Unit | None = None,
    colour: str = "",
    overdue: bool = False,
    done: str = "",
) -> list[FollowUpRow]:
    """The session's items, filtered, in due-date order, with their latest update. One query."""
    today = timezone.localdate()
    latest = FollowUpUpdate.objects.filter(follow_up=OuterRef("pk")).order_by("-created_at", "-id")
    items = (
        FollowUp.objects.filter(session=session)
        .select_related("unit", "question")
        .annotate(
            last_update_at=Subquery(latest.values("created_at")[:1]),
            last_update_text=Subquery(latest.values("text")[:1]),
        )
    )
    if unit is not None:
        items = items.filter(unit=unit)
    if colour:
        items = items.filter(effective_colour_q(colour, today))
    if overdue:
        items = items.filter(_overdue(today))
    if done == DONE_OPEN:
        items = items.filter(done_at__isnull=True)
    elif done == DONE_DONE:
        items = items.filter(done_at__isnull=False)
    return [_row(item, today) for item in items.order_by("due_date", "id")]


def _row(item: FollowUp, today: datetime.date) -> FollowUpRow:
    overdue = item.done_at is None and item.due_date < today
    colour = Colour.RED if overdue else item.colour
    return FollowUpRow(
        follow_up=item,
        colour=str(colour),
        colour_label=str(Colour(colour).label),
        overdue=overdue,
        last_update_at=item.last_update_at,
        last_update_text=item.last_update_text or "",
    )


def follow_up_for_session(session: ReviewSession, follow_up_id: int) -> FollowUp:
    """Raises FollowUp.DoesNotExist for an id of another session."""
    return FollowUp.objects.select_related("unit", "question", "created_by").get(
        session=session, pk=follow_up_id
    )


@dataclass(frozen=True)
class HistoryEntry:
    update: FollowUpUpdate
    reopens: bool  # this update opened a done item again
    colour_label: str  # the colour set with it, or ""


def history(follow_up: FollowUp) -> list[HistoryEntry]:
    """The item's updates, oldest first. A done item accepts only a reopening update
    (meeting/followups.py), so replaying them tells which update reopened it. One query."""
    entries, done = [], False
    for update in follow_up.updates.select_related("created_by").order_by("created_at", "id"):
        reopens = done
        done = update.marks_done
        entries.append(
            HistoryEntry(
                update=update,
                reopens=reopens,
                colour_label=str(Colour(update.colour).label) if update.colour else "",
            )
        )
    return entries


@dataclass(frozen=True)
class CardFollowUp:
    """A 督办事项 as a unit's report card lists it."""

    title: str
    due_date: datetime.date
    colour: str
    colour_label: str
    overdue: bool
    done: bool
    done_at: datetime.datetime | None


def follow_ups_by_unit(session: ReviewSession) -> dict[int, list[CardFollowUp]]:
    """Every 督办事项 of the session per responsible unit (unit id → items in due-date order),
    for the report cards of the whole document. One query."""
    today = timezone.localdate()
    cards: dict[int, list[CardFollowUp]] = defaultdict(list)
    items = FollowUp.objects.filter(session=session).order_by("due_date", "id")
    for item in items.only("unit_id", "title", "due_date", "colour", "done_at"):
        cards[item.unit_id].append(_card(item, today))
    return dict(cards)


def _card(item: FollowUp, today: datetime.date) -> CardFollowUp:
    overdue = item.done_at is None and item.due_date < today
    colour = Colour.RED if overdue else Colour(item.colour)
    return CardFollowUp(
        title=item.title,
        due_date=item.due_date,
        colour=str(colour),
        colour_label=str(colour.label),
        overdue=overdue,
        done=item.done_at is not None,
        done_at=item.done_at,
    )
