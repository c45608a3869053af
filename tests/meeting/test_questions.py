"""meeting/questions.py: 现场问政 services (every transition and refusal) and the reads of the
queue and the tablet."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from meeting import questions
from meeting.models import Question, SatisfactionVote, Stage
from meeting.stage import stage_for
from sessions.models import AuditLog, Credential, ReviewSession
from tests.factories import ReviewSessionFactory, UnitFactory, UserFactory
from tests.factories.questions import (
    AnsweredQuestionFactory,
    QuestionFactory,
    SatisfactionVoteFactory,
    make_hall,
)

pytestmark = pytest.mark.django_db

Status = ReviewSession.Status
QStatus = Question.Status
Vote = Question.Vote


@pytest.fixture
def hall():
    return make_hall()


@pytest.fixture
def actor():
    return UserFactory(username="zhuchi")


def refused(call, message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        call()
    assert exc.value.messages == [message]


def actions(session) -> list[str]:
    return list(
        AuditLog.objects.filter(session=session).order_by("pk").values_list("action", flat=True)
    )


def approved(hall, unit=None, **kwargs) -> Question:
    question = QuestionFactory(session=hall.session, unit=unit or hall.units[0], **kwargs)
    return questions.question_approve(question=question, actor=None)


# ---------------------------------------------------------------- question_submit


def test_question_submit_stores_the_question_with_its_asker(hall):
    question = questions.question_submit(
        credential=hall.deputy, unit_id=hall.units[1].pk, text="  道路什么时候修好？ "
    )

    question.refresh_from_db()
    assert (
        question.session,
        question.unit,
        question.credential,
        question.asker,
        question.text,
        question.status,
        question.collected_before,
    ) == (
        hall.session,
        hall.units[1],
        hall.deputy,
        "两代表一委员 · 王代表",
        "道路什么时候修好？",
        QStatus.SUBMITTED,
        False,
    )


def test_question_submit_resent_while_waiting_is_kept_once(hall):
    # A tablet that never got the answer sends the same question again (docs/tablets.md).
    first = questions.question_submit(
        credential=hall.deputy, unit_id=hall.units[1].pk, text="修路？"
    )
    again = questions.question_submit(
        credential=hall.deputy, unit_id=hall.units[1].pk, text=" 修路？ "
    )
    other_unit = questions.question_submit(
        credential=hall.deputy, unit_id=hall.units[0].pk, text="修路？"
    )

    assert again.pk == first.pk
    assert other_unit.pk != first.pk
    assert Question.objects.filter(credential=hall.deputy).count() == 2


def test_question_submit_same_words_after_review_are_a_new_question(hall):
    first = questions.question_submit(
        credential=hall.deputy, unit_id=hall.units[1].pk, text="修路？"
    )
    questions.question_approve(question=first, actor=None)
    again = questions.question_submit(
        credential=hall.deputy, unit_id=hall.units[1].pk, text="修路？"
    )
    assert again.pk != first.pk


def test_question_submit_without_a_holder_name_names_the_group_only(hall):
    question = questions.question_submit(
        credential=hall.member, unit_id=hall.units[0].pk, text="问"
    )

    assert question.asker == "两代表一委员"


def test_question_submit_before_the_meeting_is_collected_before():
    hall = make_hall(status=Status.READY)

    question = questions.question_submit(
        credential=hall.deputy, unit_id=hall.units[0].pk, text="问"
    )

    assert question.collected_before is True


def test_question_submit_while_rating_is_not_collected_before():
    hall = make_hall(status=Status.RATING)

    question = questions.question_submit(
        credential=hall.deputy, unit_id=hall.units[0].pk, text="问"
    )

    assert question.collected_before is False


def test_question_submit_refuses_a_credential_that_may_not_ask(hall):
    refused(
        lambda: questions.question_submit(
            credential=hall.leader, unit_id=hall.units[0].pk, text="问"
        ),
        "此评议码不能提问。",
    )
    assert Question.objects.count() == 0


def test_question_submit_refuses_a_revoked_credential(hall):
    Credential.objects.filter(pk=hall.deputy.pk).update(status=Credential.Status.REVOKED)

    refused(
        lambda: questions.question_submit(
            credential=hall.deputy, unit_id=hall.units[0].pk, text="问"
        ),
        "这张评议卡已被作废，请向会务人员领取新卡。",
    )
    assert Question.objects.count() == 0


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (Status.DRAFT, "现场问政尚未开放。"),
        (Status.CLOSED, "现场问政已结束。"),
        (Status.PUBLISHED, "现场问政已结束。"),
    ],
)
def test_question_submit_refuses_outside_ready_live_and_rating(status, message):
    hall = make_hall(status=status)

    refused(
        lambda: questions.question_submit(
            credential=hall.deputy, unit_id=hall.units[0].pk, text="问"
        ),
        message,
    )
    assert Question.objects.count() == 0


def test_question_submit_refuses_a_unit_that_does_not_take_part(hall):
    refused(
        lambda: questions.question_submit(
            credential=hall.deputy, unit_id=hall.other_unit.pk, text="问"
        ),
        "请选择一个述职单位。",
    )
    assert Question.objects.count() == 0


def test_question_submit_refuses_a_unit_of_another_session(hall):
    stranger = UnitFactory(session=ReviewSessionFactory())

    refused(
        lambda: questions.question_submit(credential=hall.deputy, unit_id=stranger.pk, text="问"),
        "请选择一个述职单位。",
    )


@pytest.mark.parametrize("unit_id", [None, "1", 999_999])
def test_question_submit_refuses_a_made_up_unit_id(hall, unit_id):
    refused(
        lambda: questions.question_submit(credential=hall.deputy, unit_id=unit_id, text="问"),
        "请选择一个述职单位。",
    )


@pytest.mark.parametrize("text", ["", "   \n "])
def test_question_submit_refuses_an_empty_question(hall, text):
    refused(
        lambda: questions.question_submit(
            credential=hall.deputy, unit_id=hall.units[0].pk, text=text
        ),
        "请填写问题。",
    )
    assert Question.objects.count() == 0


def test_question_submit_takes_exactly_500_characters(hall):
    question = questions.question_submit(
        credential=hall.deputy, unit_id=hall.units[0].pk, text="问" * 500
    )

    assert len(question.text) == 500


def test_question_submit_refuses_more_than_500_characters(hall):
    refused(
        lambda: questions.question_submit(
            credential=hall.deputy, unit_id=hall.units[0].pk, text="问" * 501
        ),
        "问题不能超过 500 个字（现在 501 个字）。",
    )
    assert Question.objects.count() == 0


def test_question_submit_refuses_a_sixth_pending_question(hall):
    for n in range(5):
        questions.question_submit(credential=hall.deputy, unit_id=hall.units[0].pk, text=f"问{n}")

    refused(
        lambda: questions.question_submit(
            credential=hall.deputy, unit_id=hall.units[0].pk, text="第六个"
        ),
        "您已有 5 个问题等待审核，请等主持人审核后再提问。",
    )
    assert Question.objects.filter(credential=hall.deputy).count() == 5


def test_question_submit_counts_only_questions_still_waiting(hall):
    for n in range(5):
        questions.question_submit(credential=hall.deputy, unit_id=hall.units[0].pk, text=f"问{n}")
    questions.question_approve(question=Question.objects.first(), actor=None)

    questions.question_submit(credential=hall.deputy, unit_id=hall.units[0].pk, text="第六个")

    assert Question.objects.filter(credential=hall.deputy).count() == 6


def test_question_submit_stores_html_as_typed(hall):
    text = "<script>alert('x')</script><b>粗体</b>"

    question = questions.question_submit(
        credential=hall.deputy, unit_id=hall.units[0].pk, text=text
    )

    question.refresh_from_db()
    assert question.text == text


def test_question_submit_is_not_audited(hall):
    questions.question_submit(credential=hall.deputy, unit_id=hall.units[0].pk, text="问")

    assert actions(hall.session) == []


# ---------------------------------------------------------------- question_add


def test_question_add_stores_a_staff_question_and_audits_it(hall, actor):
    question = questions.question_add(
        session=hall.session,
        actor=actor,
        unit=hall.units[2],
        text=" 来信：学校扩建？ ",
        asker="群众来信",
    )

    question.refresh_from_db()
    assert (question.unit, question.credential, question.asker, question.text, question.status) == (
        hall.units[2],
        None,
        "群众来信",
        "来信：学校扩建？",
        QStatus.SUBMITTED,
    )
    assert question.collected_before is False
    log = AuditLog.objects.get(session=hall.session)
    assert (log.action, log.actor, log.message) == (
        "question.add",
        actor,
        "录入对“滨河街道”的问题：来信：学校扩建？",
    )


@pytest.mark.parametrize("status", [Status.DRAFT, Status.READY])
def test_question_add_before_the_meeting_is_collected_before(status, actor):
    hall = make_hall(status=status)

    question = questions.question_add(
        session=hall.session, actor=actor, unit=hall.units[0], text="问", asker=""
    )

    assert question.collected_before is True


def test_question_add_refuses_after_the_meeting(actor):
    hall = make_hall(status=Status.CLOSED)

    refused(
        lambda: questions.question_add(
            session=hall.session, actor=actor, unit=hall.units[0], text="问", asker=""
        ),
        "现场问政已结束，不能再添加问题。",
    )
    assert Question.objects.count() == 0


def test_question_add_refuses_a_unit_that_does_not_take_part(hall, actor):
    refused(
        lambda: questions.question_add(
            session=hall.session, actor=actor, unit=hall.other_unit, text="问", asker=""
        ),
        "请选择一个述职单位。",
    )


def test_question_add_refuses_an_empty_question(hall, actor):
    refused(
        lambda: questions.question_add(
            session=hall.session, actor=actor, unit=hall.units[0], text=" ", asker=""
        ),
        "请填写问题。",
    )
    assert AuditLog.objects.count() == 0


def test_question_add_refuses_a_long_asker(hall, actor):
    refused(
        lambda: questions.question_add(
            session=hall.session, actor=actor, unit=hall.units[0], text="问", asker="名" * 101
        ),
        "提问人不能超过 100 个字。",
    )


# ---------------------------------------------------------------- review


def test_question_approve_puts_questions_at_the_end_of_the_queue(hall, actor):
    first = QuestionFactory(session=hall.session, unit=hall.units[0])
    second = QuestionFactory(session=hall.session, unit=hall.units[1])

    questions.question_approve(question=second, actor=actor)
    questions.question_approve(question=first, actor=actor)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (second.status, second.queue_order, first.status, first.queue_order) == (
        QStatus.APPROVED,
        1,
        QStatus.APPROVED,
        2,
    )
    assert (first.reviewed_by, first.reviewed_at is not None) == (actor, True)
    assert actions(hall.session) == ["question.approve", "question.approve"]


def test_question_approve_refuses_a_question_already_reviewed(hall, actor):
    question = approved(hall)

    refused(
        lambda: questions.question_approve(question=question, actor=actor),
        "只有待审核的问题可以通过（当前状态：已通过）。",
    )


def test_question_approve_refuses_after_the_meeting(actor):
    hall = make_hall(status=Status.PUBLISHED)
    question = QuestionFactory(session=hall.session, unit=hall.units[0])

    refused(
        lambda: questions.question_approve(question=question, actor=actor),
        "现场问政已结束，问题不能再修改。",
    )
    question.refresh_from_db()
    assert question.status == QStatus.SUBMITTED


def test_question_reject_stores_the_reason(hall, actor):
    question = QuestionFactory(session=hall.session, unit=hall.units[0])

    questions.question_reject(question=question, actor=actor, reason=" 与述职内容无关 ")

    question.refresh_from_db()
    assert (question.status, question.reject_reason, question.reviewed_by) == (
        QStatus.REJECTED,
        "与述职内容无关",
        actor,
    )
    assert actions(hall.session) == ["question.reject"]


def test_question_reject_refuses_without_a_reason(hall, actor):
    question = QuestionFactory(session=hall.session, unit=hall.units[0])

    refused(
        lambda: questions.question_reject(question=question, actor=actor, reason="  "),
        "请填写未采纳的理由。",
    )
    question.refresh_from_db()
    assert question.status == QStatus.SUBMITTED


def test_question_reject_refuses_a_long_reason(hall, actor):
    question = QuestionFactory(session=hall.session, unit=hall.units[0])

    refused(
        lambda: questions.question_reject(question=question, actor=actor, reason="理" * 201),
        "理由不能超过 200 个字。",
    )


def test_question_reject_refuses_an_answered_question(hall, actor):
    question = AnsweredQuestionFactory(session=hall.session, unit=hall.units[0])

    refused(
        lambda: questions.question_reject(question=question, actor=actor, reason="重复"),
        "只有待审核或已通过的问题可以不采纳（当前状态：已答复）。",
    )


def test_question_reject_takes_the_question_off_the_screen(hall, actor):
    question = approved(hall)
    questions.question_put_on_screen(question=question, actor=actor)
    version = stage_for(hall.session).version

    questions.question_reject(question=question, actor=actor, reason="时间不够")

    stage = stage_for(hall.session)
    assert (stage.question_on_screen, stage.version) == (None, version + 1)


# ---------------------------------------------------------------- question_edit


def test_question_edit_changes_the_wording_keeps_the_original_and_audits(hall, actor):
    question = questions.question_submit(
        credential=hall.deputy, unit_id=hall.units[0].pk, text="<b>请具体说明</b>"
    )

    questions.question_edit(question=question, actor=actor, text="请具体说明修路的时间表")

    question.refresh_from_db()
    assert (question.text, question.original_text, question.is_edited) == (
        "请具体说明修路的时间表",
        "<b>请具体说明</b>",
        True,
    )
    entry = AuditLog.objects.get(session=hall.session, action="question.edit")
    assert (entry.actor, entry.detail["before"], entry.detail["after"]) == (
        actor,
        "<b>请具体说明</b>",
        "请具体说明修路的时间表",
    )
    assert entry.detail["original"] == "<b>请具体说明</b>"


def test_question_edit_twice_keeps_the_first_words_as_the_original(hall, actor):
    question = approved(hall, text="原来的问题")
    Question.objects.filter(pk=question.pk).update(original_text="原来的问题")

    questions.question_edit(question=question, actor=actor, text="第一次修改")
    questions.question_edit(question=question, actor=actor, text="第二次修改")

    question.refresh_from_db()
    assert (question.text, question.original_text) == ("第二次修改", "原来的问题")
    assert actions(hall.session).count("question.edit") == 2


def test_question_edit_of_a_row_without_an_original_keeps_its_words(hall, actor):
    question = approved(hall, text="旧数据的问题")

    questions.question_edit(question=question, actor=actor, text="新措辞")

    question.refresh_from_db()
    assert (question.text, question.original_text) == ("新措辞", "旧数据的问题")


def test_question_edit_refuses_once_the_question_was_on_the_big_screen(hall, actor):
    question = approved(hall, text="已上屏的问题")
    questions.question_put_on_screen(question=question, actor=actor)
    # Taken off again (another question shown): the hall has still read it.
    questions.question_put_on_screen(question=approved(hall, text="下一个"), actor=actor)

    refused(
        lambda: questions.question_edit(question=question, actor=actor, text="改过的"),
        "问题已在大屏上显示过，不能再修改措辞。",
    )
    question.refresh_from_db()
    assert (question.text, "question.edit" in actions(hall.session)) == ("已上屏的问题", False)


def test_question_edit_refuses_a_rejected_question(hall, actor):
    question = QuestionFactory(
        session=hall.session, unit=hall.units[0], status=QStatus.REJECTED, reject_reason="无关"
    )

    refused(
        lambda: questions.question_edit(question=question, actor=actor, text="改过的"),
        "只有待审核或已通过的问题可以修改措辞（当前状态：未采纳）。",
    )


def test_question_edit_refuses_an_answered_question(hall, actor):
    question = AnsweredQuestionFactory(session=hall.session, unit=hall.units[0], text="答过的")

    refused(
        lambda: questions.question_edit(question=question, actor=actor, text="改过的"),
        "只有待审核或已通过的问题可以修改措辞（当前状态：已答复）。",
    )
    question.refresh_from_db()
    assert question.text == "答过的"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("   ", "请填写问题。"),
        ("字" * 501, "问题不能超过 500 个字（现在 501 个字）。"),
        ("同样的话", "措辞没有变化。"),
    ],
)
def test_question_edit_refuses_bad_wording_and_changes_nothing(hall, actor, text, message):
    question = approved(hall, text="同样的话")

    refused(lambda: questions.question_edit(question=question, actor=actor, text=text), message)
    question.refresh_from_db()
    assert (question.text, "question.edit" in actions(hall.session)) == ("同样的话", False)


def test_question_edit_refuses_after_the_meeting(actor):
    hall = make_hall(status=Status.CLOSED)
    question = QuestionFactory(session=hall.session, unit=hall.units[0], text="会后")

    refused(
        lambda: questions.question_edit(question=question, actor=actor, text="改过的"),
        "现场问政已结束，问题不能再修改。",
    )


def test_question_put_on_screen_and_vote_open_record_when_it_was_first_shown(hall, actor):
    question = approved(hall)
    assert question.shown_at is None

    questions.question_put_on_screen(question=question, actor=actor)
    first = Question.objects.get(pk=question.pk).shown_at
    questions.question_put_on_screen(question=question, actor=actor)

    assert first is not None
    assert Question.objects.get(pk=question.pk).shown_at == first


def test_question_merge_lists_the_duplicate_under_the_main_question(hall, actor):
    main = approved(hall, asker="人大代表 甲")
    duplicate = QuestionFactory(session=hall.session, unit=hall.units[0], asker="政协委员 乙")

    questions.question_merge(question=duplicate, into=main, actor=actor)

    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into) == (QStatus.MERGED, main)
    item = questions.queue(hall.session).approved[0]
    assert [q.asker for q in item.merged] == ["政协委员 乙"]
    assert actions(hall.session)[-1] == "question.merge"


def test_question_merge_moves_earlier_duplicates_to_the_new_main_question(hall, actor):
    a = QuestionFactory(session=hall.session, unit=hall.units[0])
    b = QuestionFactory(session=hall.session, unit=hall.units[0])
    c = QuestionFactory(session=hall.session, unit=hall.units[0])
    questions.question_merge(question=a, into=b, actor=actor)

    questions.question_merge(question=b, into=c, actor=actor)

    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.merged_into, b.merged_into) == (c, c)


def test_question_merge_refuses_another_unit(hall, actor):
    main = QuestionFactory(session=hall.session, unit=hall.units[0])
    other = QuestionFactory(session=hall.session, unit=hall.units[1])

    refused(
        lambda: questions.question_merge(question=other, into=main, actor=actor),
        "只能合并到问同一单位的问题。",
    )
    other.refresh_from_db()
    assert other.status == QStatus.SUBMITTED


def test_question_merge_refuses_another_session(hall, actor):
    elsewhere = make_hall(slug="2026-other", code_prefix="OTH")
    main = QuestionFactory(session=elsewhere.session, unit=elsewhere.units[0])
    question = QuestionFactory(session=hall.session, unit=hall.units[0])

    refused(
        lambda: questions.question_merge(question=question, into=main, actor=actor),
        "只能合并到本次评议会的问题。",
    )


def test_question_merge_refuses_itself(hall, actor):
    question = QuestionFactory(session=hall.session, unit=hall.units[0])

    refused(
        lambda: questions.question_merge(question=question, into=question, actor=actor),
        "不能把问题合并到它自己。",
    )


@pytest.mark.parametrize(
    ("into_kwargs", "label"),
    [
        ({"status": QStatus.REJECTED, "reject_reason": "无关"}, "未采纳"),
        ({"status": QStatus.MERGED}, "已合并"),
    ],
)
def test_question_merge_refuses_a_rejected_or_merged_target(hall, actor, into_kwargs, label):
    if into_kwargs["status"] == QStatus.MERGED:
        into_kwargs = into_kwargs | {
            "merged_into": QuestionFactory(session=hall.session, unit=hall.units[0])
        }
    into = QuestionFactory(session=hall.session, unit=hall.units[0], **into_kwargs)
    question = QuestionFactory(session=hall.session, unit=hall.units[0])

    refused(
        lambda: questions.question_merge(question=question, into=into, actor=actor),
        f"不能合并到{label}的问题。",
    )


def test_question_merge_refuses_an_answered_question(hall, actor):
    answered = AnsweredQuestionFactory(session=hall.session, unit=hall.units[0])
    into = QuestionFactory(session=hall.session, unit=hall.units[0])

    refused(
        lambda: questions.question_merge(question=answered, into=into, actor=actor),
        "只有待审核或已通过的问题可以合并（当前状态：已答复）。",
    )


def test_question_move_swaps_neighbours_and_renumbers(hall, actor):
    a, b, c = (approved(hall) for _ in range(3))

    questions.question_move(question=c, actor=actor, direction="up")

    order = list(
        Question.objects.filter(status=QStatus.APPROVED)
        .order_by("queue_order")
        .values_list("pk", "queue_order")
    )
    assert order == [(a.pk, 1), (c.pk, 2), (b.pk, 3)]
    assert actions(hall.session)[-1] == "question.move"


def test_question_move_down_from_the_end_changes_nothing(hall, actor):
    a, b = approved(hall), approved(hall)

    questions.question_move(question=b, actor=actor, direction="down")

    assert list(Question.objects.order_by("queue_order").values_list("pk", flat=True)) == [
        a.pk,
        b.pk,
    ]


def test_question_move_refuses_a_question_not_in_the_queue(hall, actor):
    question = QuestionFactory(session=hall.session, unit=hall.units[0])

    refused(
        lambda: questions.question_move(question=question, actor=actor, direction="up"),
        "只有已通过、等待答复的问题可以调整顺序。",
    )


def test_question_move_refuses_a_made_up_direction(hall, actor):
    refused(
        lambda: questions.question_move(question=approved(hall), actor=actor, direction="left"),
        "无效的移动方向。",
    )


# ---------------------------------------------------------------- on stage


def test_question_put_on_screen_shows_the_question_and_moves_the_version(hall, actor):
    question = approved(hall)
    version = stage_for(hall.session).version

    questions.question_put_on_screen(question=question, actor=actor)

    stage = stage_for(hall.session)
    assert (stage.question_on_screen, stage.mode, stage.version) == (
        question,
        Stage.Mode.QUESTION,
        version + 1,
    )
    assert actions(hall.session)[-1] == "question.screen"


def test_question_put_on_screen_refuses_a_question_waiting_for_review(hall, actor):
    question = QuestionFactory(session=hall.session, unit=hall.units[0])

    refused(
        lambda: questions.question_put_on_screen(question=question, actor=actor),
        "只有已通过或已答复的问题可以上大屏。",
    )
    assert stage_for(hall.session).question_on_screen is None


def test_question_put_on_screen_refuses_before_the_meeting(actor):
    hall = make_hall(status=Status.READY)
    question = approved(hall)

    refused(
        lambda: questions.question_put_on_screen(question=question, actor=actor),
        "会议开始后（会议进行中或评议中）才能上大屏、记录答复和满意度投票。",
    )


def test_question_answered_records_the_summary(hall, actor):
    question = approved(hall)

    questions.question_answered(question=question, actor=actor, summary=" 年底前完成。 ")

    question.refresh_from_db()
    assert (question.status, question.answer_summary, question.answered_at is not None) == (
        QStatus.ANSWERED,
        "年底前完成。",
        True,
    )
    assert actions(hall.session)[-1] == "question.answered"


def test_question_answered_again_corrects_the_summary_and_keeps_the_time(hall, actor):
    question = questions.question_answered(question=approved(hall), actor=actor, summary="旧")
    answered_at = question.answered_at

    questions.question_answered(question=question, actor=actor, summary="新")

    question.refresh_from_db()
    assert (question.answer_summary, question.answered_at) == ("新", answered_at)
    assert actions(hall.session)[-1] == "question.answer_edit"


def test_question_answered_refuses_a_long_summary(hall, actor):
    question = approved(hall)

    refused(
        lambda: questions.question_answered(question=question, actor=actor, summary="答" * 1001),
        "答复摘要不能超过 1000 个字（现在 1001 个字）。",
    )
    question.refresh_from_db()
    assert question.status == QStatus.APPROVED


def test_question_answered_refuses_a_question_waiting_for_review(hall, actor):
    question = QuestionFactory(session=hall.session, unit=hall.units[0])

    refused(
        lambda: questions.question_answered(question=question, actor=actor, summary=""),
        "只有已通过的问题可以记录答复。",
    )


def test_question_answered_on_screen_moves_the_version(hall, actor):
    question = approved(hall)
    questions.question_put_on_screen(question=question, actor=actor)
    version = stage_for(hall.session).version

    questions.question_answered(question=question, actor=actor, summary="好")

    assert stage_for(hall.session).version == version + 1


def test_vote_open_opens_the_vote_and_shows_it_on_screen(hall, actor):
    question = AnsweredQuestionFactory(session=hall.session, unit=hall.units[0])

    questions.vote_open(question=question, actor=actor)

    question.refresh_from_db()
    stage = stage_for(hall.session)
    assert (question.vote, question.vote_opened_at is not None) == (Vote.OPEN, True)
    assert (stage.question_on_screen, stage.mode) == (question, Stage.Mode.QUESTION)
    assert actions(hall.session) == ["question.vote_open"]


def test_vote_open_closes_the_vote_still_open(hall, actor):
    first = AnsweredQuestionFactory(session=hall.session, unit=hall.units[0])
    second = AnsweredQuestionFactory(session=hall.session, unit=hall.units[1])
    questions.vote_open(question=first, actor=actor)

    questions.vote_open(question=second, actor=actor)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.vote, second.vote) == (Vote.CLOSED, Vote.OPEN)
    assert Question.objects.filter(session=hall.session, vote=Vote.OPEN).count() == 1
    assert actions(hall.session) == [
        "question.vote_open",
        "question.vote_close",
        "question.vote_open",
    ]


def test_vote_open_refuses_a_question_not_answered(hall, actor):
    question = approved(hall)

    refused(
        lambda: questions.vote_open(question=question, actor=actor),
        "问题答复后才能开启满意度投票。",
    )
    question.refresh_from_db()
    assert question.vote == Vote.NONE


def test_vote_open_refuses_a_vote_already_open(hall, actor):
    question = AnsweredQuestionFactory(session=hall.session, unit=hall.units[0])
    questions.vote_open(question=question, actor=actor)

    refused(
        lambda: questions.vote_open(question=question, actor=actor),
        "这个问题的满意度投票已经开启。",
    )


def test_vote_open_refuses_a_closed_vote(hall, actor):
    question = AnsweredQuestionFactory(session=hall.session, unit=hall.units[0], vote=Vote.CLOSED)

    refused(
        lambda: questions.vote_open(question=question, actor=actor),
        "这个问题的满意度投票已经结束，不能重新开启。",
    )


@pytest.mark.parametrize("status", [Status.READY, Status.CLOSED])
def test_vote_open_refuses_outside_live_and_rating(status, actor):
    hall = make_hall(status=status)
    question = AnsweredQuestionFactory(session=hall.session, unit=hall.units[0])

    with pytest.raises(ValidationError):
        questions.vote_open(question=question, actor=actor)
    question.refresh_from_db()
    assert question.vote == Vote.NONE


def test_vote_close_closes_the_vote(hall, actor):
    question = AnsweredQuestionFactory(session=hall.session, unit=hall.units[0])
    questions.vote_open(question=question, actor=actor)
    version = stage_for(hall.session).version

    questions.vote_close(question=question, actor=actor)

    question.refresh_from_db()
    assert (question.vote, question.vote_closed_at is not None) == (Vote.CLOSED, True)
    assert stage_for(hall.session).version == version + 1
    assert actions(hall.session)[-1] == "question.vote_close"


def test_vote_close_refuses_a_vote_not_open(hall, actor):
    question = AnsweredQuestionFactory(session=hall.session, unit=hall.units[0])

    refused(
        lambda: questions.vote_close(question=question, actor=actor),
        "这个问题没有正在进行的满意度投票。",
    )


# ---------------------------------------------------------------- vote_cast


@pytest.fixture
def voting(hall, actor):
    question = AnsweredQuestionFactory(session=hall.session, unit=hall.units[0])
    questions.vote_open(question=question, actor=actor)
    return question


def test_vote_cast_stores_one_vote_and_moves_the_screen(hall, voting):
    version = stage_for(hall.session).version

    questions.vote_cast(credential=hall.deputy, question_id=voting.pk, choice="basically_satisfied")

    assert list(SatisfactionVote.objects.values_list("question", "credential", "choice")) == [
        (voting.pk, hall.deputy.pk, "basically_satisfied")
    ]
    assert stage_for(hall.session).version == version + 1


def test_vote_cast_is_not_audited(hall, voting):
    before = actions(hall.session)

    questions.vote_cast(credential=hall.deputy, question_id=voting.pk, choice="satisfied")

    assert actions(hall.session) == before


def test_vote_cast_refuses_a_second_vote_and_stores_nothing(hall, voting):
    questions.vote_cast(credential=hall.deputy, question_id=voting.pk, choice="satisfied")

    refused(
        lambda: questions.vote_cast(
            credential=hall.deputy, question_id=voting.pk, choice="dissatisfied"
        ),
        "您已对该问题投过票，不能重复投票。",
    )
    assert list(SatisfactionVote.objects.values_list("credential", "choice")) == [
        (hall.deputy.pk, "satisfied")
    ]


def test_vote_cast_the_database_refuses_a_second_row_for_one_credential(hall, voting):
    """What decides two taps at once: the unique constraint, which vote_cast catches."""
    SatisfactionVoteFactory(question=voting, credential=hall.deputy)

    with pytest.raises(IntegrityError), transaction.atomic():
        SatisfactionVote.objects.create(question=voting, credential=hall.deputy, choice="satisfied")


def test_vote_cast_second_vote_inside_a_transaction_leaves_it_usable(hall, voting):
    questions.vote_cast(credential=hall.deputy, question_id=voting.pk, choice="satisfied")

    with transaction.atomic():
        with pytest.raises(ValidationError):
            questions.vote_cast(credential=hall.deputy, question_id=voting.pk, choice="satisfied")
        # The refusal rolled back to its savepoint: the outer transaction still works.
        questions.vote_cast(credential=hall.member, question_id=voting.pk, choice="dissatisfied")

    assert SatisfactionVote.objects.count() == 2


def test_vote_cast_counts_each_representative_once(hall, voting):
    questions.vote_cast(credential=hall.deputy, question_id=voting.pk, choice="satisfied")
    questions.vote_cast(credential=hall.member, question_id=voting.pk, choice="dissatisfied")

    tally = questions.queue(hall.session).answered[0].tally
    assert tally.counts == (1, 0, 1)


def test_vote_cast_refuses_a_credential_that_may_not_ask(hall, voting):
    refused(
        lambda: questions.vote_cast(
            credential=hall.leader, question_id=voting.pk, choice="satisfied"
        ),
        "此评议码不能参加满意度投票。",
    )
    assert SatisfactionVote.objects.count() == 0


def test_vote_cast_refuses_a_revoked_credential(hall, voting):
    Credential.objects.filter(pk=hall.deputy.pk).update(status=Credential.Status.REVOKED)

    refused(
        lambda: questions.vote_cast(
            credential=hall.deputy, question_id=voting.pk, choice="satisfied"
        ),
        "这张评议卡已被作废，请向会务人员领取新卡。",
    )
    assert SatisfactionVote.objects.count() == 0


def test_vote_cast_refuses_a_vote_not_open(hall):
    question = AnsweredQuestionFactory(session=hall.session, unit=hall.units[0])

    refused(
        lambda: questions.vote_cast(
            credential=hall.deputy, question_id=question.pk, choice="satisfied"
        ),
        "这个问题的满意度投票没有开启或已经结束。",
    )


def test_vote_cast_refuses_a_closed_vote(hall, voting, actor):
    questions.vote_close(question=voting, actor=actor)

    refused(
        lambda: questions.vote_cast(
            credential=hall.deputy, question_id=voting.pk, choice="satisfied"
        ),
        "这个问题的满意度投票没有开启或已经结束。",
    )


def test_vote_cast_refuses_once_the_session_is_closed(hall, voting):
    ReviewSession.objects.filter(pk=hall.session.pk).update(status=Status.CLOSED)

    refused(
        lambda: questions.vote_cast(
            credential=hall.deputy, question_id=voting.pk, choice="satisfied"
        ),
        "现场问政已结束。",
    )
    assert SatisfactionVote.objects.count() == 0


def test_vote_cast_refuses_a_question_of_another_session(hall, voting, actor):
    elsewhere = make_hall(slug="2026-other", code_prefix="OTH")
    foreign = AnsweredQuestionFactory(session=elsewhere.session, unit=elsewhere.units[0])
    questions.vote_open(question=foreign, actor=actor)

    refused(
        lambda: questions.vote_cast(
            credential=hall.deputy, question_id=foreign.pk, choice="satisfied"
        ),
        "没有找到这个问题。",
    )
    assert SatisfactionVote.objects.count() == 0


@pytest.mark.parametrize("question_id", [None, "1", 999_999])
def test_vote_cast_refuses_a_made_up_question_id(hall, voting, question_id):
    refused(
        lambda: questions.vote_cast(
            credential=hall.deputy, question_id=question_id, choice="satisfied"
        ),
        "没有找到这个问题。",
    )


def test_vote_cast_refuses_a_made_up_choice(hall, voting):
    refused(
        lambda: questions.vote_cast(credential=hall.deputy, question_id=voting.pk, choice="great"),
        "请选择满意、基本满意或不满意。",
    )
    assert SatisfactionVote.objects.count() == 0


# ---------------------------------------------------------------- reads


def test_queue_sorts_questions_by_column(hall, actor):
    waiting = QuestionFactory(session=hall.session, unit=hall.units[0])
    first, second = approved(hall), approved(hall)
    questions.question_move(question=second, actor=actor, direction="up")
    answered = AnsweredQuestionFactory(session=hall.session, unit=hall.units[1])
    rejected = QuestionFactory(
        session=hall.session, unit=hall.units[0], status=QStatus.REJECTED, reject_reason="无关"
    )
    merged = QuestionFactory(
        session=hall.session, unit=hall.units[0], status=QStatus.MERGED, merged_into=waiting
    )

    queue = questions.queue(hall.session)

    assert [i.question for i in queue.pending] == [waiting]
    assert [i.question for i in queue.approved] == [second, first]
    assert [i.question for i in queue.answered] == [answered]
    assert [i.question for i in queue.closed] == [rejected, merged]
    assert queue.closed[1].target == waiting
    assert queue.pending[0].merged == [merged]
    assert queue.pending[0].merge_options == [second, first]


def test_queue_reads_in_three_queries(hall, django_assert_num_queries):
    for unit in hall.units:
        QuestionFactory(session=hall.session, unit=unit)
        SatisfactionVoteFactory(question=AnsweredQuestionFactory(session=hall.session, unit=unit))

    with django_assert_num_queries(3):
        queue = questions.queue(hall.session)
        assert [i.tally.votes for i in queue.answered] == [1, 1, 1]


def test_queue_key_moves_when_a_vote_is_cast(hall, voting):
    before = questions.queue_key(hall.session)

    questions.vote_cast(credential=hall.deputy, question_id=voting.pk, choice="satisfied")

    assert questions.queue_key(hall.session) != before


def test_open_vote_for_knows_the_credentials_choice(hall, voting):
    questions.vote_cast(credential=hall.deputy, question_id=voting.pk, choice="satisfied")

    mine = questions.open_vote_for(hall.deputy)
    theirs = questions.open_vote_for(hall.member)

    assert (mine.question, mine.choice, mine.choice_label) == (voting, "satisfied", "满意")
    assert (theirs.question, theirs.choice) == (voting, None)


def test_open_vote_for_is_none_without_an_open_vote(hall):
    AnsweredQuestionFactory(session=hall.session, unit=hall.units[0], vote=Vote.CLOSED)

    assert questions.open_vote_for(hall.deputy) is None


def test_credential_questions_lists_only_the_credentials_own(hall):
    mine = questions.question_submit(credential=hall.deputy, unit_id=hall.units[0].pk, text="我的")
    questions.question_submit(credential=hall.member, unit_id=hall.units[0].pk, text="别人的")

    assert questions.credential_questions(hall.deputy) == [mine]


# ---------------------------------------------------------------- two taps at once


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (set DATABASE_URL): SQLite serialises writers, so no race shows",
)
@pytest.mark.django_db(transaction=True)
def test_vote_cast_two_taps_at_once_leave_one_vote():
    hall = make_hall()
    question = AnsweredQuestionFactory(session=hall.session, unit=hall.units[0])
    questions.vote_open(question=question, actor=None)
    start = threading.Barrier(4)

    def tap(choice):
        start.wait()
        try:
            questions.vote_cast(credential=hall.deputy, question_id=question.pk, choice=choice)
            return "ok"
        except ValidationError as exc:
            return exc.messages[0]
        finally:
            connection.close()

    with ThreadPoolExecutor(4) as pool:
        results = sorted(
            pool.map(tap, ["satisfied", "dissatisfied", "satisfied", "basically_satisfied"])
        )

    assert results == ["ok"] + ["您已对该问题投过票，不能重复投票。"] * 3
    assert SatisfactionVote.objects.filter(question=question).count() == 1
