"""meeting/views/questions.py: the moderator's question queue, its polled board (ETag / 304),
staff-entered questions and every moderator action."""

import datetime

import pytest
from django.urls import reverse

from meeting import followups, questions
from meeting.models import Question, SatisfactionVote
from meeting.stage import stage_for
from sessions.models import AuditLog, ReviewSession
from tests.factories.questions import (
    AnsweredQuestionFactory,
    QuestionFactory,
    SatisfactionVoteFactory,
    make_hall,
)

pytestmark = pytest.mark.django_db

Status = ReviewSession.Status
QStatus = Question.Status
HTMX = {"HTTP_HX_REQUEST": "true"}
SLUG = "2026-mid"
HTML = "<script>alert('x')</script><b>粗体</b>"
ESCAPED = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&lt;b&gt;粗体&lt;/b&gt;"


@pytest.fixture
def hall():
    return make_hall()


@pytest.fixture
def waiting(hall):
    return QuestionFactory(session=hall.session, unit=hall.units[0], asker="人大代表 甲")


@pytest.fixture
def in_queue(hall):
    question = QuestionFactory(session=hall.session, unit=hall.units[1], asker="政协委员 乙")
    return questions.question_approve(question=question, actor=None)


def board_error(response) -> str:
    """The refusal shown at the top of the board."""
    html = response.content.decode()
    start = html.index('<div class="notice error q-error" role="alert">')
    return html[html.index(">", start) + 1 : html.index("</div>", start)]


def url(name, *args, slug=SLUG):
    return reverse(f"meeting:{name}", args=[slug, *args])


ACTIONS = [
    ("question_approve", {}),
    ("question_edit", {"text": "改过的措辞"}),
    ("question_reject", {"reason": "无关"}),
    ("question_merge", {"into": 1}),
    ("question_move", {"direction": "up"}),
    ("question_screen", {}),
    ("question_answered", {"summary": "好"}),
    ("question_vote_open", {}),
    ("question_vote_close", {}),
]


# ---------------------------------------------------------------- access


def test_questions_page_sends_anonymous_users_to_log_in(client, hall):
    response = client.get(url("questions"))

    assert response.status_code == 302
    assert response.url == f"/login/?next={url('questions')}"


def test_questions_page_refuses_a_user_without_a_role(client, hall, django_user_model):
    client.force_login(django_user_model.objects.create_user("nobody"))

    assert client.get(url("questions")).status_code == 403
    assert client.get(url("questions_board")).status_code == 403


def test_questions_page_is_404_for_an_unknown_session(moderator_client, hall):
    assert moderator_client.get(url("questions", slug="no-such")).status_code == 404


def test_questions_page_shows_the_moderator_the_queue_with_actions(
    moderator_client, hall, waiting, in_queue
):
    response = moderator_client.get(url("questions"))

    assert response.status_code == 200
    queue = response.context["queue"]
    assert ([i.question for i in queue.pending], [i.question for i in queue.approved]) == (
        [waiting],
        [in_queue],
    )
    html = response.content.decode()
    assert url("question_approve", waiting.pk) in html
    assert url("question_screen", in_queue.pk) in html
    assert url("question_add") in html
    assert 'hx-trigger="every 5s"' in html


def test_questions_page_offers_no_add_form_after_the_meeting(moderator_client):
    make_hall(status=Status.CLOSED)

    response = moderator_client.get(url("questions"))

    assert response.context["add_form"] is None
    assert url("question_add") not in response.content.decode()


def test_questions_page_is_read_only_for_observers(observer_client, hall, waiting, in_queue):
    response = observer_client.get(url("questions"))

    assert response.status_code == 200
    html = response.content.decode()
    assert waiting.text in html
    assert url("question_approve", waiting.pk) not in html
    assert url("question_add") not in html
    assert "<form" not in html.split('id="board"')[1]


@pytest.mark.parametrize(("name", "data"), ACTIONS)
def test_question_actions_refuse_observers(observer_client, hall, waiting, name, data):
    response = observer_client.post(url(name, waiting.pk), data)

    assert response.status_code == 403
    waiting.refresh_from_db()
    assert waiting.status == QStatus.SUBMITTED


@pytest.mark.parametrize(("name", "data"), ACTIONS)
def test_question_actions_send_anonymous_users_to_log_in(client, hall, waiting, name, data):
    response = client.post(url(name, waiting.pk), data)

    assert response.status_code == 302
    assert response.url.startswith("/login/")


@pytest.mark.parametrize(("name", "data"), ACTIONS)
def test_question_actions_are_404_for_a_question_of_another_session(
    moderator_client, hall, name, data
):
    elsewhere = make_hall(slug="2026-other", code_prefix="OTH")
    foreign = QuestionFactory(session=elsewhere.session, unit=elsewhere.units[0])

    response = moderator_client.post(url(name, foreign.pk), data, **HTMX)

    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == QStatus.SUBMITTED


@pytest.mark.parametrize(("name", "data"), ACTIONS)
def test_question_actions_answer_only_post(moderator_client, hall, waiting, name, data):
    assert moderator_client.get(url(name, waiting.pk)).status_code == 405


def test_question_add_refuses_observers(observer_client, hall):
    response = observer_client.post(url("question_add"), {"unit": hall.units[0].pk, "text": "问"})

    assert response.status_code == 403
    assert Question.objects.count() == 0


def test_questions_page_lists_a_bounded_number_of_queries(
    moderator_client, hall, django_assert_max_num_queries
):
    for unit in hall.units:
        for _ in range(3):
            QuestionFactory(session=hall.session, unit=unit)
        answered = AnsweredQuestionFactory(session=hall.session, unit=unit)
        SatisfactionVoteFactory(question=answered, credential=hall.deputy)
        questions.question_approve(
            question=QuestionFactory(session=hall.session, unit=unit), actor=None
        )

    with django_assert_max_num_queries(14):
        response = moderator_client.get(url("questions"))

    assert len(response.context["queue"].pending) == 9


# ---------------------------------------------------------------- HTML is text


def test_questions_page_shows_html_in_a_question_as_text(moderator_client, hall):
    QuestionFactory(session=hall.session, unit=hall.units[0], text=HTML, asker="<i>代表</i>")

    html = moderator_client.get(url("questions")).content.decode()

    assert ESCAPED in html
    assert "&lt;i&gt;代表&lt;/i&gt;" in html
    assert "<script>alert" not in html
    assert "<i>代表" not in html


# ---------------------------------------------------------------- the polled board


def test_board_fragment_is_the_board_alone(moderator_client, hall, waiting):
    response = moderator_client.get(url("questions_board"), **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<div id="board"')
    assert "<html" not in html
    assert response["Cache-Control"] == "private, no-cache"


def test_board_answers_304_while_nothing_changed(moderator_client, hall, waiting):
    etag = moderator_client.get(url("questions_board"))["ETag"]

    response = moderator_client.get(url("questions_board"), HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""


def test_board_poll_is_answered_in_few_queries(
    moderator_client, hall, waiting, django_assert_max_num_queries
):
    etag = moderator_client.get(url("questions_board"))["ETag"]

    with django_assert_max_num_queries(8):
        response = moderator_client.get(url("questions_board"), HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304


def test_board_changes_when_a_question_arrives_from_a_tablet(moderator_client, hall, waiting):
    etag = moderator_client.get(url("questions_board"))["ETag"]
    questions.question_submit(credential=hall.deputy, unit_id=hall.units[2].pk, text="新问题")

    response = moderator_client.get(url("questions_board"), HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response["ETag"] != etag
    assert "新问题" in response.content.decode()


def test_board_changes_when_a_vote_is_cast(moderator_client, hall):
    question = AnsweredQuestionFactory(session=hall.session, unit=hall.units[0])
    questions.vote_open(question=question, actor=None)
    etag = moderator_client.get(url("questions_board"))["ETag"]
    questions.vote_cast(credential=hall.deputy, question_id=question.pk, choice="satisfied")

    response = moderator_client.get(url("questions_board"), HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert (
        "满意 1（100%） · 基本满意 0（0%） · 不满意 0（0%） · 满意率 100.00%"
        in response.content.decode()
    )


def test_board_changes_when_a_question_is_converted_or_reworded(moderator_client, hall, in_queue):
    answered = AnsweredQuestionFactory(session=hall.session, unit=hall.units[0])
    etag = moderator_client.get(url("questions_board"))["ETag"]
    follow_up = followups.follow_up_from_question(
        question=answered,
        actor=None,
        title="修路",
        detail="",
        due_date=datetime.date(2026, 12, 31),
        colour="green",
    )

    converted = moderator_client.get(url("questions_board"), HTTP_IF_NONE_MATCH=etag)
    questions.question_edit(question=in_queue, actor=None, text="新的措辞")
    reworded = moderator_client.get(url("questions_board"), HTTP_IF_NONE_MATCH=converted["ETag"])

    assert converted.status_code == 200
    detail = reverse("meeting:follow_up_detail", args=[SLUG, follow_up.pk])
    assert f'href="{detail}"' in converted.content.decode()
    assert reworded.status_code == 200
    assert "新的措辞" in reworded.content.decode()


def test_board_etag_differs_between_moderator_and_observer(
    moderator_client, observer, hall, waiting
):
    moderator_etag = moderator_client.get(url("questions_board"))["ETag"]
    moderator_client.force_login(observer)

    response = moderator_client.get(url("questions_board"), HTTP_IF_NONE_MATCH=moderator_etag)

    assert response.status_code == 200


def test_board_does_not_poll_once_the_session_is_closed(moderator_client):
    make_hall(status=Status.CLOSED)

    html = moderator_client.get(url("questions")).content.decode()

    assert 'hx-trigger="every 5s"' not in html


# ---------------------------------------------------------------- adding a question


def test_question_add_stores_the_question_and_returns_to_the_page(moderator_client, hall):
    response = moderator_client.post(
        url("question_add"), {"unit": hall.units[1].pk, "asker": "来信", "text": "学校扩建？"}
    )

    assert response.status_code == 302
    assert response.url == url("questions")
    question = Question.objects.get()
    assert (question.unit, question.asker, question.text, question.credential) == (
        hall.units[1],
        "来信",
        "学校扩建？",
        None,
    )


def test_question_add_htmx_answers_an_empty_form_and_the_board(moderator_client, hall):
    response = moderator_client.post(
        url("question_add"), {"unit": hall.units[1].pk, "text": "学校扩建？"}, **HTMX
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<form id="add-question"')
    assert "问题已录入，等待审核。" in html
    assert 'id="board"' in html and 'hx-swap-oob="true"' in html
    assert "学校扩建？" in html


def test_question_add_refuses_a_unit_that_does_not_take_part(moderator_client, hall):
    response = moderator_client.post(
        url("question_add"), {"unit": hall.other_unit.pk, "text": "问"}, **HTMX
    )

    assert response.status_code == 422
    assert response.context["add_form"].errors == {"unit": ["请选择一个述职单位。"]}
    assert Question.objects.count() == 0


def test_question_add_refuses_an_empty_question(moderator_client, hall):
    response = moderator_client.post(url("question_add"), {"unit": hall.units[0].pk, "text": ""})

    assert response.status_code == 422
    assert response.context["add_form"].errors == {"text": ["请填写问题。"]}


def test_question_add_shows_the_services_refusal(moderator_client):
    make_hall(status=Status.CLOSED)
    unit = ReviewSession.objects.get(slug=SLUG).units.get(name="城关镇")

    response = moderator_client.post(url("question_add"), {"unit": unit.pk, "text": "问"})

    assert response.status_code == 422
    assert response.context["add_form"].non_field_errors() == ["现场问政已结束，不能再添加问题。"]


# ---------------------------------------------------------------- actions


def test_question_approve_htmx_answers_the_board(moderator_client, hall, waiting):
    response = moderator_client.post(url("question_approve", waiting.pk), **HTMX)

    assert response.status_code == 200
    assert response.content.decode().startswith('<div id="board"')
    waiting.refresh_from_db()
    assert waiting.status == QStatus.APPROVED
    assert AuditLog.objects.get(action="question.approve").actor.username == "moderator"


def test_question_approve_without_htmx_returns_to_the_page(moderator_client, hall, waiting):
    response = moderator_client.post(url("question_approve", waiting.pk))

    assert (response.status_code, response.url) == (302, url("questions"))


def test_question_approve_twice_shows_the_refusal_on_the_board(moderator_client, hall, in_queue):
    response = moderator_client.post(url("question_approve", in_queue.pk), **HTMX)

    assert response.status_code == 409
    assert board_error(response) == (
        f"问题“{in_queue.text[:20]}”：只有待审核的问题可以通过（当前状态：已通过）。"
    )


def test_question_approve_refusal_without_htmx_is_a_message(moderator_client, hall, in_queue):
    response = moderator_client.post(url("question_approve", in_queue.pk), follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        f"问题“{in_queue.text[:20]}”：只有待审核的问题可以通过（当前状态：已通过）。"
    ]


def test_question_reject_stores_the_reason(moderator_client, hall, waiting):
    response = moderator_client.post(
        url("question_reject", waiting.pk), {"reason": "与述职无关"}, **HTMX
    )

    assert response.status_code == 200
    waiting.refresh_from_db()
    assert (waiting.status, waiting.reject_reason) == (QStatus.REJECTED, "与述职无关")


def test_question_reject_refuses_an_empty_reason(moderator_client, hall, waiting):
    response = moderator_client.post(url("question_reject", waiting.pk), {"reason": ""}, **HTMX)

    assert response.status_code == 422
    assert board_error(response) == f"问题“{waiting.text[:20]}”：请填写未采纳的理由。"
    waiting.refresh_from_db()
    assert waiting.status == QStatus.SUBMITTED


def test_question_merge_merges_into_a_question_of_the_same_unit(moderator_client, hall, waiting):
    duplicate = QuestionFactory(session=hall.session, unit=hall.units[0], asker="政协委员 丙")

    response = moderator_client.post(
        url("question_merge", duplicate.pk), {"into": waiting.pk}, **HTMX
    )

    assert response.status_code == 200
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into) == (QStatus.MERGED, waiting)
    assert "合并了 1 个同类问题：政协委员 丙" in response.content.decode()


def test_question_merge_is_404_for_a_target_of_another_session(moderator_client, hall, waiting):
    elsewhere = make_hall(slug="2026-other", code_prefix="OTH")
    foreign = QuestionFactory(session=elsewhere.session, unit=elsewhere.units[0])

    response = moderator_client.post(
        url("question_merge", waiting.pk), {"into": foreign.pk}, **HTMX
    )

    assert response.status_code == 404
    waiting.refresh_from_db()
    assert waiting.status == QStatus.SUBMITTED


def test_question_merge_refuses_another_unit(moderator_client, hall, waiting, in_queue):
    response = moderator_client.post(
        url("question_merge", waiting.pk), {"into": in_queue.pk}, **HTMX
    )

    assert response.status_code == 409
    assert board_error(response) == f"问题“{waiting.text[:20]}”：只能合并到问同一单位的问题。"


def test_question_move_moves_up(moderator_client, hall, in_queue):
    last = questions.question_approve(
        question=QuestionFactory(session=hall.session, unit=hall.units[0]), actor=None
    )

    moderator_client.post(url("question_move", last.pk), {"direction": "up"}, **HTMX)

    assert list(
        Question.objects.filter(status=QStatus.APPROVED)
        .order_by("queue_order")
        .values_list("pk", flat=True)
    ) == [last.pk, in_queue.pk]


def test_question_move_refuses_a_made_up_direction(moderator_client, hall, in_queue):
    response = moderator_client.post(
        url("question_move", in_queue.pk), {"direction": "sideways"}, **HTMX
    )

    assert response.status_code == 422


def test_question_screen_puts_the_question_on_the_big_screen(moderator_client, hall, in_queue):
    response = moderator_client.post(url("question_screen", in_queue.pk), **HTMX)

    assert response.status_code == 200
    assert stage_for(hall.session).question_on_screen == in_queue
    assert "大屏显示中" in response.content.decode()


def test_question_answered_records_the_summary(moderator_client, hall, in_queue):
    response = moderator_client.post(
        url("question_answered", in_queue.pk), {"summary": "年底前完成。"}, **HTMX
    )

    assert response.status_code == 200
    in_queue.refresh_from_db()
    assert (in_queue.status, in_queue.answer_summary) == (QStatus.ANSWERED, "年底前完成。")


def test_question_answered_refuses_a_long_summary(moderator_client, hall, in_queue):
    response = moderator_client.post(
        url("question_answered", in_queue.pk), {"summary": "答" * 1001}, **HTMX
    )

    assert response.status_code == 422
    in_queue.refresh_from_db()
    assert in_queue.status == QStatus.APPROVED


def test_vote_open_and_close(moderator_client, organiser, hall):
    question = AnsweredQuestionFactory(session=hall.session, unit=hall.units[0])
    moderator_client.force_login(organiser)  # organisers may run the stage too

    opened = moderator_client.post(url("question_vote_open", question.pk), **HTMX)
    question.refresh_from_db()
    vote_after_open = question.vote
    closed = moderator_client.post(url("question_vote_close", question.pk), **HTMX)
    question.refresh_from_db()

    assert (opened.status_code, vote_after_open) == (200, Question.Vote.OPEN)
    assert (closed.status_code, question.vote) == (200, Question.Vote.CLOSED)
    assert "结束投票" in opened.content.decode()


@pytest.fixture
def two_answers(hall):
    """An open vote on 城关镇's answer and a second answer (东风街道's) without a vote yet."""
    first = AnsweredQuestionFactory(session=hall.session, unit=hall.units[0], text="修路何时完工？")
    questions.vote_open(question=first, actor=None)
    second = AnsweredQuestionFactory(
        session=hall.session, unit=hall.units[1], text="学校何时建成？"
    )
    return first, second


SWITCH_PROMPT = (
    "打开新表决会关闭正在进行的表决“修路何时完工？”。确定开启对“东风街道”答复的满意度投票吗？"
)


def test_vote_open_that_closes_another_vote_asks_with_hx_confirm(moderator_client, two_answers):
    first, second = two_answers

    html = moderator_client.get(url("questions")).content.decode()

    form_start = html.index(f'action="{url("question_vote_open", second.pk)}"')
    form_tag = html[form_start : html.index(">", form_start)]
    assert f'hx-confirm="{SWITCH_PROMPT}"' in form_tag
    assert """hx-vals='{"confirmed": "1"}'""" in form_tag


def test_vote_open_with_nothing_else_open_asks_nothing(moderator_client, hall):
    question = AnsweredQuestionFactory(session=hall.session, unit=hall.units[0])

    html = moderator_client.get(url("questions")).content.decode()

    assert "hx-confirm" not in html
    assert url("question_vote_open", question.pk) in html


def test_vote_open_without_javascript_asks_on_a_page_then_switches(moderator_client, two_answers):
    first, second = two_answers

    asked = moderator_client.post(url("question_vote_open", second.pk))
    votes_after_asking = [Question.objects.get(pk=q.pk).vote for q in two_answers]
    done = moderator_client.post(url("question_vote_open", second.pk), {"confirmed": "1"})

    html = asked.content.decode()
    assert asked.status_code == 200
    assert f'<p class="notice warn" role="alert">{SWITCH_PROMPT}</p>' in html
    assert ">确认开启投票</button>" in html
    assert votes_after_asking == [Question.Vote.OPEN, Question.Vote.NONE]
    assert done.status_code == 302
    assert [Question.objects.get(pk=q.pk).vote for q in two_answers] == [
        Question.Vote.CLOSED,
        Question.Vote.OPEN,
    ]


def test_vote_open_from_an_out_of_date_board_asks_again_and_changes_nothing(
    moderator_client, two_answers
):
    first, second = two_answers

    response = moderator_client.post(url("question_vote_open", second.pk), **HTMX)

    assert response.status_code == 409
    assert board_error(response) == f"{SWITCH_PROMPT}（队列已更新：请再点一次并确认。）"
    assert [Question.objects.get(pk=q.pk).vote for q in two_answers] == [
        Question.Vote.OPEN,
        Question.Vote.NONE,
    ]
    assert f'hx-confirm="{SWITCH_PROMPT}"' in response.content.decode()


def test_answered_question_links_to_a_follow_up_when_that_page_exists(
    moderator_client, hall, in_queue
):
    from django.urls import NoReverseMatch

    questions.question_answered(question=in_queue, actor=None, summary="好")

    html = moderator_client.get(url("questions")).content.decode()

    try:
        follow_up = reverse("meeting:follow_up_create", args=[SLUG])
    except NoReverseMatch:
        assert "转为督办事项" not in html
    else:
        assert f'href="{follow_up}?question={in_queue.pk}"' in html


def test_converted_question_links_to_its_follow_up_instead_of_offering_it_again(
    moderator_client, hall, in_queue
):
    questions.question_answered(question=in_queue, actor=None, summary="好")
    follow_up = followups.follow_up_from_question(
        question=in_queue,
        actor=None,
        title="<b>修路</b>",
        detail="",
        due_date=datetime.date(2026, 12, 31),
        colour="green",
    )

    html = moderator_client.get(url("questions")).content.decode()

    detail = reverse("meeting:follow_up_detail", args=[SLUG, follow_up.pk])
    assert "转为督办事项" not in html
    assert f"?question={in_queue.pk}" not in html
    assert f'href="{detail}">已转督办：&lt;b&gt;修路&lt;/b&gt;</a>' in html


def test_question_edit_before_the_screen_shows_the_edit_everywhere_and_the_original_to_staff(
    client, moderator_client, hall
):
    """The asker typed markup; the moderator rewords it; the hall sees the new words as text,
    staff see 原文 beside them, the asker's tablet shows both."""
    asked = questions.question_submit(
        credential=hall.deputy, unit_id=hall.units[0].pk, text="<b>请具体说明</b>"
    )

    response = moderator_client.post(
        url("question_edit", asked.pk), {"text": "请<i>具体</i>说明修路时间"}, **HTMX
    )
    questions.question_approve(question=asked, actor=None)
    questions.question_put_on_screen(question=asked, actor=None)

    assert response.status_code == 200
    asked.refresh_from_db()
    assert (asked.text, asked.original_text) == ("请<i>具体</i>说明修路时间", "<b>请具体说明</b>")
    queue_html = moderator_client.get(url("questions")).content.decode()
    assert "请&lt;i&gt;具体&lt;/i&gt;说明修路时间" in queue_html
    assert "原文：</span>&lt;b&gt;请具体说明&lt;/b&gt;" in queue_html
    assert "<b>请具体说明" not in queue_html
    screen_html = client.get(
        reverse("screen:screen", args=[stage_for(hall.session).screen_token])
    ).content.decode()
    assert "请&lt;i&gt;具体&lt;/i&gt;说明修路时间</blockquote>" in screen_html
    assert "请具体说明</b>" not in screen_html and "原文" not in screen_html
    entry = AuditLog.objects.get(action="question.edit")
    assert (entry.detail["before"], entry.detail["after"]) == (
        "<b>请具体说明</b>",
        "请<i>具体</i>说明修路时间",
    )


def test_question_edit_is_not_offered_once_the_question_was_on_screen(moderator_client, hall):
    waiting_one = QuestionFactory(session=hall.session, unit=hall.units[0])
    shown = questions.question_approve(
        question=QuestionFactory(session=hall.session, unit=hall.units[1]), actor=None
    )
    questions.question_put_on_screen(question=shown, actor=None)

    html = moderator_client.get(url("questions")).content.decode()

    assert url("question_edit", waiting_one.pk) in html
    assert url("question_edit", shown.pk) not in html


def test_question_edit_refusal_is_shown_on_the_board_and_changes_nothing(moderator_client, hall):
    shown = questions.question_approve(
        question=QuestionFactory(session=hall.session, unit=hall.units[0], text="已上屏"),
        actor=None,
    )
    questions.question_put_on_screen(question=shown, actor=None)

    response = moderator_client.post(url("question_edit", shown.pk), {"text": "改"}, **HTMX)

    assert response.status_code == 409
    assert board_error(response) == "问题“已上屏”：问题已在大屏上显示过，不能再修改措辞。"
    shown.refresh_from_db()
    assert shown.text == "已上屏"


def test_question_edit_refuses_an_empty_wording_with_422(moderator_client, hall, waiting):
    before = waiting.text

    response = moderator_client.post(url("question_edit", waiting.pk), {"text": ""}, **HTMX)

    assert response.status_code == 422
    assert "请填写问题。" in board_error(response)
    waiting.refresh_from_db()
    assert waiting.text == before


def test_vote_counts_show_no_rate_before_the_first_vote(moderator_client, hall):
    question = AnsweredQuestionFactory(session=hall.session, unit=hall.units[0])
    questions.vote_open(question=question, actor=None)

    html = moderator_client.get(url("questions")).content.decode()

    assert "满意 0 · 基本满意 0 · 不满意 0 · 满意率 —" in html
    assert SatisfactionVote.objects.count() == 0
