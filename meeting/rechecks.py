"""回头看 (以评促改): the reads (docs/meeting.md, "回头看").

At a review, each unit's commitments from the district's earlier reviews (督办事项) come back
to the hall: the moderator puts a 回头看 in the 现场问政 queue (``questions.recheck_add``), the
big screen lists the commitments with whether each is done, the unit answers, and the hall
votes 满意 / 基本满意 / 不满意 on how they were kept, through the same vote as an answer's.

Which commitments come back, for a unit of this session that stands for a persistent unit:
those of earlier sessions of the district (by date, else by creation) made to the same
persistent unit, that are still open, or were done since a 回头看 last put them to a closed
vote. A commitment still open comes back at every review until it is done; one done and voted
on does not come back again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Prefetch, Q

from sessions.models import Participant, ReviewSession, Unit

from .models import FollowUp, Question
from .selectors import NO_VOTES, Tally, tallies


def _earlier(session: ReviewSession) -> Q:
    created_earlier = Q(session__created_at__lt=session.created_at)
    if session.date is None:
        return created_earlier
    return Q(session__date__lt=session.date) | Q(session__date__isnull=True) & created_earlier


def _settled(item: FollowUp) -> bool:
    """Done, and put to a closed 回头看 vote after it was done: it does not come back."""
    return item.done_at is not None and any(
        recheck.vote == Question.Vote.CLOSED
        and recheck.vote_closed_at is not None
        and recheck.vote_closed_at >= item.done_at
        for recheck in item.rechecks.all()
    )


def earlier_commitments(session: ReviewSession, *, unit: Unit | None = None) -> dict[int, list]:
    """Unit id (of this session) → the commitments that come back for it, by due date. Three
    queries whatever the number: the units, the commitments, their earlier 回头看."""
    units = Unit.objects.filter(
        session=session, org_unit__isnull=False, participations__isnull=False
    )
    if unit is not None:
        units = units.filter(pk=unit.pk)
    by_org_unit = dict(units.values_list("org_unit_id", "pk"))
    if not by_org_unit:
        return {}
    items = (
        FollowUp.objects.filter(
            _earlier(session),
            session__district_id=session.district_id,
            unit__org_unit_id__in=list(by_org_unit),
        )
        .exclude(session=session)
        .select_related("session", "unit")
        .prefetch_related(
            Prefetch("rechecks", queryset=Question.objects.only("pk", "vote", "vote_closed_at"))
        )
        .order_by("due_date", "pk")
    )
    found: dict[int, list] = defaultdict(list)
    for item in items:
        if not _settled(item):
            found[by_org_unit[item.unit.org_unit_id]].append(item)
    return dict(found)


@dataclass(frozen=True)
class RecheckRow:
    """A unit of the session with commitments to look back on, and its 回头看 if put."""

    unit: Unit
    items: list  # FollowUp, by due date: what would come back now
    done: int
    recheck: Question | None  # this session's 回头看 of the unit (not rejected), if any
    tally: Tally

    @property
    def open(self) -> int:
        return len(self.items) - self.done


def recheck_rows(session: ReviewSession) -> list[RecheckRow]:
    """Every participant unit with commitments to look back on, or with a 回头看 already put,
    in speaking order."""
    coming = earlier_commitments(session)
    put = {
        q.unit_id: q
        for q in Question.objects.filter(session=session, kind=Question.Kind.RECHECK)
        .exclude(status__in=(Question.Status.REJECTED, Question.Status.MERGED))
        # The page shows each commitment's session: loaded with it, not once per item.
        .prefetch_related(
            Prefetch("recheck_items", queryset=FollowUp.objects.select_related("session"))
        )
        .order_by("pk")
    }
    counts = tallies([q.pk for q in put.values()])
    rows = []
    for participant in Participant.objects.filter(session=session).select_related("unit"):
        unit = participant.unit
        recheck = put.get(unit.pk)
        items = list(recheck.recheck_items.all()) if recheck else coming.get(unit.pk, [])
        if not items:
            continue
        items.sort(key=lambda item: (item.due_date, item.pk))
        done = sum(1 for item in items if item.done_at is not None)
        rows.append(
            RecheckRow(
                unit,
                items,
                done,
                recheck,
                counts.get(recheck.pk, NO_VOTES) if recheck else NO_VOTES,
            )
        )
    return rows
