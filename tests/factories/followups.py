"""Factories for the 督办事项 tests (tests/meeting/test_followups.py and test_views_followups.py,
tests/scoring/test_report_card.py): questions and follow-ups of the live meeting."""

import datetime

import factory
from django.utils import timezone

from core.colours import Colour
from meeting.models import FollowUp, Question
from sessions.models import ReviewSession
from tests.factories import ReviewSessionFactory, UnitFactory


class QuestionFactory(factory.django.DjangoModelFactory):
    """An answered question unless told otherwise."""

    class Meta:
        model = Question

    session = factory.SubFactory(ReviewSessionFactory, status=ReviewSession.Status.LIVE)
    unit = factory.SubFactory(UnitFactory, session=factory.SelfAttribute("..session"))
    asker = "人大代表王某"
    text = factory.Sequence(lambda n: f"第 {n} 个问题：背街小巷改造什么时候完成？")
    status = Question.Status.ANSWERED
    answered_at = factory.LazyFunction(timezone.now)
    answer_summary = "年底前完成 12 条背街小巷改造。"


class FollowUpFactory(factory.django.DjangoModelFactory):
    """A leader's on-the-spot item, due in 30 days."""

    class Meta:
        model = FollowUp

    session = factory.SubFactory(ReviewSessionFactory, status=ReviewSession.Status.LIVE)
    unit = factory.SubFactory(UnitFactory, session=factory.SelfAttribute("..session"))
    source = FollowUp.Source.LEADER
    asked_by = "县委书记"
    leading_group = "城市更新领导小组"
    title = factory.Sequence(lambda n: f"督办事项{n}")
    due_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=30))
    colour = Colour.GREEN
