"""Factories and a small hall for the 现场问政 tests (meeting/questions.py and its views)."""

from dataclasses import dataclass

import factory
from django.utils import timezone

from meeting.models import Question, SatisfactionVote
from sessions.models import Credential, RaterGroup, ReviewSession, Unit
from tests.factories import (
    CredentialFactory,
    ParticipantFactory,
    RaterGroupFactory,
    ReviewSessionFactory,
    UnitCategoryFactory,
    UnitFactory,
)


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    session = factory.SubFactory(ReviewSessionFactory)
    unit = factory.SubFactory(UnitFactory, session=factory.SelfAttribute("..session"))
    asker = "人大代表"
    text = factory.Sequence(lambda n: f"问题{n}：什么时候完成？")


class AnsweredQuestionFactory(QuestionFactory):
    status = Question.Status.ANSWERED
    answered_at = factory.LazyFunction(timezone.now)
    answer_summary = "年底前完成。"


class SatisfactionVoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SatisfactionVote

    question = factory.SubFactory(AnsweredQuestionFactory)
    credential = factory.SubFactory(
        CredentialFactory, session=factory.SelfAttribute("..question.session")
    )
    choice = "satisfied"


@dataclass
class Hall:
    """A live session: three units on stage, one asking group (两代表一委员) with two
    representatives, and one group that may not ask (县级领导)."""

    session: ReviewSession
    units: list[Unit]
    other_unit: Unit  # a unit of the session that does not take part (draw pool only)
    asking: RaterGroup
    leaders: RaterGroup
    deputy: Credential
    member: Credential
    leader: Credential


def make_hall(
    status=ReviewSession.Status.LIVE, slug: str = "2026-mid", code_prefix: str = "DEP"
) -> Hall:
    session = ReviewSessionFactory(slug=slug, title="2026年年中述职讲评会", status=status)
    category = UnitCategoryFactory(session=session, name="镇(街道)")
    units = []
    for order, name in enumerate(["城关镇", "东风街道", "滨河街道"], start=1):
        unit = UnitFactory(session=session, category=category, name=name)
        ParticipantFactory(session=session, unit=unit, speaking_order=order)
        units.append(unit)
    other_unit = UnitFactory(session=session, category=category, name="候选镇")
    asking = RaterGroupFactory(session=session, name="两代表一委员", can_ask=True, order=1)
    leaders = RaterGroupFactory(session=session, name="县级领导", can_ask=False, order=0)
    return Hall(
        session=session,
        units=units,
        other_unit=other_unit,
        asking=asking,
        leaders=leaders,
        deputy=CredentialFactory(
            session=session, group=asking, code=f"{code_prefix}ASK01", holder_name="王代表"
        ),
        member=CredentialFactory(session=session, group=asking, code=f"{code_prefix}ASK02"),
        leader=CredentialFactory(session=session, group=leaders, code=f"{code_prefix}LDR01"),
    )
