"""meeting/migrations: existing rows are carried forward with nothing lost.

Each test writes data with today's models, migrates the meeting app back to before the change
(the new columns go, the rows stay), migrates forward again and checks what the migration
filled in from what was already there.
"""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from meeting.models import Question
from meeting.stage import stage_touch
from sessions.models import AuditLog
from tests.questions_factories import AnsweredQuestionFactory, QuestionFactory, make_hall

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def back_to_0001():
    def migrate_back():
        call_command("migrate", "meeting", "0001", verbosity=0)

    yield migrate_back
    call_command("migrate", verbosity=0)


def test_questions_keep_their_words_as_original_and_learn_when_they_were_shown(back_to_0001):
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
    back_to_0001()

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
