"""Reads of the live meeting that more than one page (and the scoring) needs."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q

from scoring import engine
from sessions.models import ReviewSession

from .models import Question, Satisfaction, SatisfactionVote
from .shares import largest_remainder_percents


@dataclass(frozen=True)
class Tally:
    """The satisfaction votes on one answer (or one unit's answers), with 满意率 (section 4.11)."""

    satisfied: int
    basically_satisfied: int
    dissatisfied: int

    @property
    def votes(self) -> int:
        return self.satisfied + self.basically_satisfied + self.dissatisfied

    @property
    def counts(self) -> tuple[int, int, int]:
        return (self.satisfied, self.basically_satisfied, self.dissatisfied)

    @property
    def rate_percent(self) -> Decimal | None:
        return engine.satisfaction(*self.counts).rate_percent

    @property
    def percents(self) -> tuple[int, int, int]:
        """Each choice's share of the votes in whole percent, adding up to exactly 100 once
        anyone voted (largest remainder: meeting/shares.py)."""
        return tuple(largest_remainder_percents(self.counts))


NO_VOTES = Tally(0, 0, 0)

_COUNTS = {
    "n_satisfied": Count("pk", filter=Q(choice=Satisfaction.SATISFIED)),
    "n_basically": Count("pk", filter=Q(choice=Satisfaction.BASICALLY_SATISFIED)),
    "n_dissatisfied": Count("pk", filter=Q(choice=Satisfaction.DISSATISFIED)),
}


def tally(question: Question) -> Tally:
    """One query, written out: the big screen asks for it on every change of the tally, and
    the ORM's aggregate cost more CPU to build than the database spends answering it."""
    table = connection.ops.quote_name(SatisfactionVote._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT choice, COUNT(*) FROM {table} WHERE question_id = %s GROUP BY choice",  # noqa: S608
            [question.pk],
        )
        counts = dict(cursor.fetchall())
    return Tally(
        counts.get(Satisfaction.SATISFIED, 0),
        counts.get(Satisfaction.BASICALLY_SATISFIED, 0),
        counts.get(Satisfaction.DISSATISFIED, 0),
    )


def _tallies_by(votes, key: str) -> dict[int, Tally]:
    """The votes counted per ``key`` (a column of the votes' rows): one query."""
    return {
        row[key]: Tally(row["n_satisfied"], row["n_basically"], row["n_dissatisfied"])
        for row in votes.order_by().values(key).annotate(**_COUNTS)
    }


def tallies(question_ids: list[int]) -> dict[int, Tally]:
    """Question id → Tally for several questions at once (the moderator's queue); one query.
    A question without votes is left out."""
    if not question_ids:
        return {}
    return _tallies_by(SatisfactionVote.objects.filter(question_id__in=question_ids), "question_id")


def satisfaction_by_unit(session: ReviewSession) -> dict[int, Tally]:
    """Every counted satisfaction vote of the session, per questioned unit (unit id → Tally).

    A vote is on an answer, so only answered questions carry votes (a database rule); a vote
    still open counts as cast. A 回头看's votes are on commitments from earlier reviews, not on
    an answer of this one, and are not 问政满意度 (docs/meeting.md, "回头看"). One query."""
    votes = SatisfactionVote.objects.filter(
        question__session=session,
        question__status=Question.Status.ANSWERED,
        question__kind=Question.Kind.QUESTION,
    )
    return _tallies_by(votes, "question__unit_id")
