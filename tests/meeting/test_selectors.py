"""meeting/selectors.py: the satisfaction tallies the big screen, the queue and the scoring read."""

from decimal import Decimal

import pytest

from meeting.models import Question, SatisfactionVote
from meeting.selectors import NO_VOTES, Tally, satisfaction_by_unit, tally
from tests.factories import CredentialFactory, ReviewSessionFactory, UnitFactory

pytestmark = pytest.mark.django_db


def _question(session, unit, choices, **fields):
    question = Question.objects.create(session=session, unit=unit, text="问题", **fields)
    for choice in choices:
        SatisfactionVote.objects.create(
            question=question, credential=CredentialFactory(session=session), choice=choice
        )
    return question


def test_tally_counts_each_answer_and_gives_the_rate():
    session = ReviewSessionFactory()
    unit = UnitFactory(session=session)
    question = _question(
        session,
        unit,
        ["satisfied", "dissatisfied", "satisfied", "basically_satisfied"],
        status="answered",
        vote="closed",
    )

    counts = tally(question)

    assert counts == Tally(2, 1, 1)
    assert (counts.votes, counts.rate_percent, counts.percents) == (
        4,
        Decimal("75.00"),
        (50, 25, 25),
    )


def test_tally_of_a_question_without_votes_is_empty():
    session = ReviewSessionFactory()
    question = _question(session, UnitFactory(session=session), [])

    assert tally(question) == NO_VOTES
    assert NO_VOTES.rate_percent is None


def test_satisfaction_by_unit_sums_the_answered_questions_of_each_unit():
    session = ReviewSessionFactory()
    town, department = UnitFactory(session=session), UnitFactory(session=session)
    _question(session, town, ["satisfied"], status="answered", vote="closed")
    _question(session, town, ["dissatisfied", "satisfied"], status="answered", vote="open")
    _question(session, department, ["basically_satisfied"], status="answered", vote="closed")
    other = ReviewSessionFactory()
    _question(other, UnitFactory(session=other), ["satisfied"], status="answered", vote="closed")

    assert satisfaction_by_unit(session) == {
        town.pk: Tally(2, 0, 1),
        department.pk: Tally(0, 1, 0),
    }
