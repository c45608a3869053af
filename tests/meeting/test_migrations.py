"""meeting/migrations: existing rows are carried forward with nothing lost.

Each test writes data with today's models, migrates the meeting app back to before the change
(the new columns go, the rows stay), migrates forward again and checks what the migration
filled in from what was already there.
"""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from meeting import agenda
from meeting.models import AgendaItem, Question, Stage
from meeting.stage import stage_touch
from sessions.models import AuditLog, ReviewSession
from tests.factories.questions import AnsweredQuestionFactory, QuestionFactory, make_hall

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def back_to():
    def migrate_back(target):
        call_command("migrate", "meeting", target, verbosity=0)

    yield migrate_back
    call_command("migrate", verbosity=0)


def test_questions_keep_their_words_as_original_and_learn_when_they_were_shown(back_to):
    hall = make_hall()
    waiting = QuestionFactory(session=hall.session, unit=hall.units[0], text="<b>等待</b>")
    screened = QuestionFactory(
        session=hall.session, unit=hall.units[1], text="上过屏", status="approved"
    )
    on_screen = QuestionFactory(
        session=hall.session, unit=hall.units[2], text="正在屏上", status="approved"
    )
    answered = AnsweredQuestionFactory(session=hall.session, unit=hall.units[0], text="答过")
    shown_at = timezone.now() - datetime.timedelta(hours=1)
    entry = AuditLog.objects.create(
        session=hall.session,
        actor_label="主持人",
        action="question.screen",
        message="大屏显示",
        detail={"question": screened.pk},
    )
    AuditLog.objects.filter(pk=entry.pk).update(created_at=shown_at)
    stage = stage_touch(hall.session, question_on_screen=on_screen)
    back_to("0001")

    call_command("migrate", verbosity=0)

    rows = {
        q.pk: (q.text, q.original_text, q.shown_at)
        for q in Question.objects.filter(session=hall.session)
    }
    stage.refresh_from_db()
    answered.refresh_from_db()
    assert rows == {
        waiting.pk: ("<b>等待</b>", "<b>等待</b>", None),
        screened.pk: ("上过屏", "上过屏", shown_at),
        on_screen.pk: ("正在屏上", "正在屏上", stage.updated_at),
        answered.pk: ("答过", "答过", answered.answered_at),
    }


def test_stages_take_each_segments_limit_from_their_agenda_or_the_template(back_to):
    """An annual session whose agenda had one limit for everything, with one 述廉 item edited
    since; and a mid-year session with 述职 only (述责 and 述廉 come from its template)."""
    annual = make_hall(slug="2026-annual", code_prefix="ANN").session
    ReviewSession.objects.filter(pk=annual.pk).update(kind=ReviewSession.Kind.ANNUAL)
    agenda.agenda_generate(
        session=annual,
        actor=None,
        segments=["work", "responsibility", "integrity"],
        limit_seconds=420,
    )
    AgendaItem.objects.filter(session=annual, segment="integrity").update(limit_seconds=240)
    AgendaItem.objects.filter(session=annual, segment="integrity", order=3).update(
        limit_seconds=200
    )
    midyear = make_hall(slug="2026-mid-b", code_prefix="MID").session
    ReviewSession.objects.filter(pk=midyear.pk).update(kind=ReviewSession.Kind.MIDYEAR)
    agenda.agenda_generate(session=midyear, actor=None, segments=["work"], limit_seconds=540)
    items_before = list(AgendaItem.objects.order_by("pk").values_list("pk", "limit_seconds"))
    back_to("0002")

    call_command("migrate", verbosity=0)

    def limits(session):
        stage = Stage.objects.get(session=session)
        return [stage.segment_limit(s) for s in ("work", "responsibility", "integrity")]

    assert limits(annual) == [420, 420, 240]
    assert limits(midyear) == [540, 300, 180]
    assert list(AgendaItem.objects.order_by("pk").values_list("pk", "limit_seconds")) == (
        items_before
    )
