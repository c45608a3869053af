"""meeting/views/tablet.py: 现场问政 on a representative's tablet: the page, asking, voting
once, the polled vote panel (ETag / 304), and who is let in: the card this device entered on
/r/ (tests/factories/raters.py), never a code in the address."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from meeting import questions
from meeting.models import Question, SatisfactionVote
from sessions.models import Credential, ReviewSession
from sessions.views import card
from tests.factories.questions import AnsweredQuestionFactory, QuestionFactory, make_hall
from tests.factories.raters import HTMX, holding, page_token, rater

pytestmark = pytest.mark.django_db

Status = ReviewSession.Status
NO_CARD = "这台设备还没有打开评议卡（或已换卡、已过期）。请扫描评议卡上的二维码，或输入评议码。"
HTML = "<script>alert('x')</script><b>粗体</b>"
ESCAPED = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&lt;b&gt;粗体&lt;/b&gt;"
SECOND_VOTE = "您已对该问题投过票，不能重复投票。"


@pytest.fixture(autouse=True)
def clear_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def hall():
    return make_hall()


@pytest.fixture
def voting(hall):
    question = AnsweredQuestionFactory(
        session=hall.session, unit=hall.units[0], text="道路什么时候修好？", answer_summary="年底"
    )
    return questions.vote_open(question=question, actor=None)


def url(name):
    return reverse(f"tablet:{name}")


@pytest.fixture
def deputy(client, hall):
    """A representative's tablet holding the deputy's card."""
    return holding(client, hall.deputy)


# ---------------------------------------------------------------- who gets in


def test_live_page_shows_a_representative_the_form_and_the_vote(client, hall, voting):
    response = holding(client, "depask01").get(url("live"))  # codes are typed in any case

    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["credential"] == hall.deputy
    assert response.context["open_vote"].question == voting
    assert "道路什么时候修好？" in html
    assert [c[1] for c in response.context["ask_form"].fields["unit"].choices] == [
        "请选择单位",
        "城关镇",
        "东风街道",
        "滨河街道",
    ]
    for label in ("满意", "基本满意", "不满意"):
        assert f">{label}</button>" in html
    assert 'hx-trigger="every 3s"' in html
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


def test_live_page_refuses_a_group_that_may_not_ask(client, hall):
    response = holding(client, hall.leader).get(url("live"))

    assert response.status_code == 403
    assert response.context["message"] == "此评议码不能提问或投票。"
    assert "此评议码不能提问或投票。" in response.content.decode()


def test_live_page_refuses_a_revoked_card(hall, deputy):
    Credential.objects.filter(pk=hall.deputy.pk).update(status=Credential.Status.REVOKED)

    response = deputy.get(url("live"))

    assert response.status_code == 403
    assert response.context["message"] == "这张评议卡已被作废，请向会务人员领取新卡。"


def test_live_page_without_a_card_goes_to_the_entry_page(client, hall):
    response = client.get(url("live"), follow=True)

    assert response.redirect_chain == [("/r/", 303)]
    assert NO_CARD in response.content.decode()


def test_live_page_with_a_forged_card_goes_to_the_entry_page(client, hall):
    client.cookies[card.COOKIE_NAME] = f"{hall.deputy.code}:forged:signature"

    response = client.get(url("live"))

    assert (response.status_code, response["Location"]) == (303, "/r/")


def test_live_page_works_for_a_card_while_its_address_is_throttled(client, hall):
    # Others' wrong codes from the same address (a venue NAT) never lock a valid card out.
    for n in range(1000):
        if client.post("/r/", {"code": f"WRONG{n:03d}"}).status_code == 429:
            break
    else:
        raise AssertionError("1,000 wrong codes and still not throttled")

    entered = holding(client, hall.deputy)
    response = entered.get(url("live"))
    asked = entered.post(url("ask"), {"unit": hall.units[0].pk, "text": "问"}, **HTMX)

    assert (response.status_code, asked.status_code) == (200, 200)


@pytest.mark.parametrize("name", ["ask", "vote", "vote_panel"])
def test_tablet_htmx_requests_without_a_card_are_403_text(client, hall, name):
    method = client.get if name == "vote_panel" else client.post

    response = method(url(name), {}, **HTMX)

    assert response.status_code == 403
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == NO_CARD


@pytest.mark.parametrize("name", ["ask", "vote"])
def test_tablet_posts_refuse_a_group_that_may_not_ask(client, hall, voting, name):
    data = {"unit": hall.units[0].pk, "text": "问", "question": voting.pk, "choice": "satisfied"}

    response = holding(client, hall.leader).post(url(name), data, **HTMX)

    assert response.status_code == 403
    assert response.content.decode() == "此评议码不能提问或投票。"
    assert (Question.objects.count(), SatisfactionVote.objects.count()) == (1, 0)


@pytest.mark.parametrize("name", ["ask", "vote"])
def test_tablet_posts_need_the_pages_csrf_token(hall, voting, name):
    # The card is a cookie the browser sends by itself: a POST must prove it came from our page.
    tablet = rater(hall.deputy, enforce_csrf_checks=True)
    data = {"unit": hall.units[0].pk, "text": "问", "question": voting.pk, "choice": "satisfied"}

    refused = tablet.post(url(name), data, **HTMX)
    token = page_token(tablet.get(url("live")))
    accepted = tablet.post(url(name), data, HTTP_X_CSRFTOKEN=token, **HTMX)

    assert (refused.status_code, accepted.status_code) == (403, 200)
    assert Question.objects.count() + SatisfactionVote.objects.count() == 2


@pytest.mark.parametrize("name", ["ask", "vote"])
def test_tablet_posts_answer_only_post(deputy, name):
    assert deputy.get(url(name)).status_code == 405


# ---------------------------------------------------------------- asking


def test_ask_stores_the_question_and_returns_to_the_page(hall, deputy):
    response = deputy.post(url("ask"), {"unit": hall.units[2].pk, "text": "学校什么时候扩建？"})

    assert (response.status_code, response.url) == (303, url("live"))
    question = Question.objects.get()
    assert (question.credential, question.unit, question.text) == (
        hall.deputy,
        hall.units[2],
        "学校什么时候扩建？",
    )


def test_ask_htmx_answers_an_empty_form_and_my_questions(hall, deputy):
    response = deputy.post(
        url("ask"),
        {"unit": hall.units[2].pk, "text": "学校什么时候扩建？"},
        **HTMX,
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<form id="ask-form"')
    assert "问题已提交，等待主持人审核。" in html
    assert '<section class="card tablet-mine" id="my-questions" hx-swap-oob="true">' in html
    assert "学校什么时候扩建？" in html
    assert "<html" not in html


def test_ask_refuses_a_unit_that_does_not_take_part(hall, deputy):
    response = deputy.post(url("ask"), {"unit": hall.other_unit.pk, "text": "问"}, **HTMX)

    assert response.status_code == 422
    assert "请选择一个述职单位。" in response.content.decode()
    assert Question.objects.count() == 0


@pytest.mark.parametrize("unit", ["abc", "", "999999"])
def test_ask_refuses_a_tampered_unit_id(hall, deputy, unit):
    response = deputy.post(url("ask"), {"unit": unit, "text": "问"})

    assert response.status_code == 422
    assert Question.objects.count() == 0


def test_ask_refuses_a_question_over_500_characters(hall, deputy):
    response = deputy.post(url("ask"), {"unit": hall.units[0].pk, "text": "问" * 501}, **HTMX)

    assert response.status_code == 422
    assert "问题不能超过 500 个字（现在 501 个字）。" in response.content.decode()
    assert Question.objects.count() == 0


def test_ask_shows_the_services_refusal(hall, deputy):
    for n in range(questions.MAX_PENDING_PER_CREDENTIAL):
        questions.question_submit(credential=hall.deputy, unit_id=hall.units[0].pk, text=f"问{n}")

    response = deputy.post(url("ask"), {"unit": hall.units[0].pk, "text": "再问"}, **HTMX)

    assert response.status_code == 422
    assert "您已有 5 个问题等待审核，请等主持人审核后再提问。" in response.content.decode()


def test_ask_is_refused_after_the_meeting(client):
    hall = make_hall(status=Status.CLOSED)

    response = holding(client, hall.deputy).post(
        url("ask"), {"unit": hall.units[0].pk, "text": "问"}
    )

    assert response.status_code == 409
    assert response.context["error"] == "现场问政已结束。"
    assert Question.objects.count() == 0


def test_live_page_before_the_session_is_ready_has_no_form(client):
    hall = make_hall(status=Status.DRAFT)

    response = holding(client, hall.deputy).get(url("live"))

    assert response.context["ask_form"] is None
    assert "现场问政尚未开放。" in response.content.decode()
    assert 'hx-trigger="every 3s"' not in response.content.decode()


def test_live_page_before_the_meeting_takes_questions(client):
    hall = make_hall(status=Status.READY)

    response = holding(client, hall.deputy).get(url("live"))

    assert response.context["ask_form"] is not None


def test_live_page_lists_my_questions_with_the_reject_reason(hall, deputy):
    mine = questions.question_submit(credential=hall.deputy, unit_id=hall.units[0].pk, text="我的")
    questions.question_reject(question=mine, actor=None, reason="与述职无关")
    questions.question_submit(credential=hall.member, unit_id=hall.units[0].pk, text="别人的")

    response = deputy.get(url("live"))

    html = response.content.decode()
    assert response.context["my_questions"] == [mine]
    assert "未采纳理由：与述职无关" in html
    assert "别人的" not in html


def test_live_page_shows_html_in_a_question_as_text(hall, deputy):
    questions.question_submit(credential=hall.deputy, unit_id=hall.units[0].pk, text=HTML)

    html = deputy.get(url("live")).content.decode()

    assert ESCAPED in html
    assert "<script>alert" not in html


def test_live_page_shows_the_asker_the_edited_wording_and_their_own_words(hall, deputy):
    question = questions.question_submit(
        credential=hall.deputy, unit_id=hall.units[0].pk, text="<b>请具体说明</b>"
    )
    questions.question_edit(question=question, actor=None, text="请具体说明修路时间")

    html = deputy.get(url("live")).content.decode()

    assert '<p class="tablet-question-text">请具体说明修路时间</p>' in html
    assert "您的原文：&lt;b&gt;请具体说明&lt;/b&gt;" in html
    assert "<b>请具体说明" not in html


def test_vote_panel_shows_html_in_the_question_as_text(hall, deputy):
    question = AnsweredQuestionFactory(
        session=hall.session, unit=hall.units[0], text=HTML, answer_summary=HTML
    )
    questions.vote_open(question=question, actor=None)

    html = deputy.get(url("vote_panel")).content.decode()

    assert html.count(ESCAPED) == 2
    assert "<script>alert" not in html


def test_live_page_reads_a_bounded_number_of_queries(
    hall, deputy, voting, django_assert_max_num_queries
):
    for n in range(5):
        questions.question_submit(
            credential=hall.deputy, unit_id=hall.units[n % 3].pk, text=f"问{n}"
        )

    with django_assert_max_num_queries(8):
        response = deputy.get(url("live"))

    assert len(response.context["my_questions"]) == 5


# ---------------------------------------------------------------- voting


def test_vote_stores_the_vote_and_answers_the_panel(hall, deputy, voting):
    response = deputy.post(url("vote"), {"question": voting.pk, "choice": "satisfied"}, **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<section id="vote-panel"')
    assert "已投票：满意" in html
    assert "<button" not in html
    assert list(SatisfactionVote.objects.values_list("credential", "choice")) == [
        (hall.deputy.pk, "satisfied")
    ]


def test_vote_without_htmx_returns_to_the_page(hall, deputy, voting):
    response = deputy.post(url("vote"), {"question": voting.pk, "choice": "dissatisfied"})

    assert (response.status_code, response.url) == (303, url("live"))
    assert SatisfactionVote.objects.get().choice == "dissatisfied"


def test_vote_a_second_time_is_refused(hall, deputy, voting):
    deputy.post(url("vote"), {"question": voting.pk, "choice": "satisfied"})

    response = deputy.post(url("vote"), {"question": voting.pk, "choice": "dissatisfied"}, **HTMX)

    html = response.content.decode()
    assert response.status_code == 409
    assert SECOND_VOTE in html
    assert "已投票：满意" in html
    assert list(SatisfactionVote.objects.values_list("choice", flat=True)) == ["satisfied"]


def test_vote_a_second_time_without_htmx_shows_the_refusal(hall, deputy, voting):
    deputy.post(url("vote"), {"question": voting.pk, "choice": "satisfied"})

    response = deputy.post(
        url("vote"),
        {"question": voting.pk, "choice": "satisfied"},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == [SECOND_VOTE]
    assert SatisfactionVote.objects.count() == 1


def test_vote_refuses_a_question_of_another_session(hall, deputy, voting):
    elsewhere = make_hall(slug="2026-other", code_prefix="OTH")
    foreign = AnsweredQuestionFactory(session=elsewhere.session, unit=elsewhere.units[0])
    questions.vote_open(question=foreign, actor=None)

    response = deputy.post(url("vote"), {"question": foreign.pk, "choice": "satisfied"}, **HTMX)

    assert response.status_code == 409
    assert "没有找到这个问题。" in response.content.decode()
    assert SatisfactionVote.objects.count() == 0


@pytest.mark.parametrize(
    "data", [{"question": "x", "choice": "satisfied"}, {"question": 1, "choice": "great"}, {}]
)
def test_vote_refuses_a_tampered_form(hall, deputy, voting, data):
    response = deputy.post(url("vote"), data, **HTMX)

    assert response.status_code == 422
    assert "请选择满意、基本满意或不满意。" in response.content.decode()
    assert SatisfactionVote.objects.count() == 0


def test_vote_refuses_a_closed_vote(hall, deputy, voting):
    questions.vote_close(question=voting, actor=None)

    response = deputy.post(url("vote"), {"question": voting.pk, "choice": "satisfied"}, **HTMX)

    assert response.status_code == 409
    assert "这个问题的满意度投票没有开启或已经结束。" in response.content.decode()


# ---------------------------------------------------------------- the polled panel


def test_vote_panel_without_an_open_vote_says_so(hall, deputy):
    response = deputy.get(url("vote_panel"), **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<section id="vote-panel"')
    assert "目前没有进行中的满意度投票。" in html
    assert response["Cache-Control"] == "private, no-cache"


def test_vote_panel_answers_304_while_nothing_changed(hall, deputy, voting):
    etag = deputy.get(url("vote_panel"))["ETag"]

    response = deputy.get(url("vote_panel"), HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""


def test_vote_panel_poll_is_answered_in_few_queries(
    hall, deputy, voting, django_assert_max_num_queries
):
    etag = deputy.get(url("vote_panel"))["ETag"]

    # The credential with its session, then the panel's signature: nothing is rendered.
    with django_assert_max_num_queries(2):
        response = deputy.get(url("vote_panel"), HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304


def test_vote_panel_changes_when_the_answer_summary_is_corrected(hall, deputy, voting):
    etag = deputy.get(url("vote_panel"))["ETag"]
    type(voting).objects.filter(pk=voting.pk).update(answer_summary="年底前完工，已列入计划。")

    response = deputy.get(url("vote_panel"), HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert "年底前完工，已列入计划。" in response.content.decode()


def test_vote_panel_shows_a_vote_opened_since_the_last_poll(hall, deputy):
    etag = deputy.get(url("vote_panel"))["ETag"]
    question = AnsweredQuestionFactory(session=hall.session, unit=hall.units[1], text="新问题")
    questions.vote_open(question=question, actor=None)

    response = deputy.get(url("vote_panel"), HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert "新问题" in response.content.decode()


def test_vote_panel_changes_after_this_credential_voted(hall, deputy, voting):
    etag = deputy.get(url("vote_panel"))["ETag"]
    questions.vote_cast(credential=hall.deputy, question_id=voting.pk, choice="satisfied")

    response = deputy.get(url("vote_panel"), HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert "已投票：满意" in response.content.decode()


def test_vote_panel_does_not_change_when_someone_else_votes(hall, deputy, voting):
    etag = deputy.get(url("vote_panel"))["ETag"]
    questions.vote_cast(credential=hall.member, question_id=voting.pk, choice="satisfied")

    response = deputy.get(url("vote_panel"), HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304


def test_vote_panel_refreshes_my_questions_when_one_is_reviewed(hall, deputy):
    mine = questions.question_submit(credential=hall.deputy, unit_id=hall.units[0].pk, text="我的")
    etag = deputy.get(url("vote_panel"))["ETag"]
    questions.question_reject(question=mine, actor=None, reason="与述职无关")

    response = deputy.get(url("vote_panel"), HTTP_IF_NONE_MATCH=etag)

    html = response.content.decode()
    assert response.status_code == 200
    assert '<section class="card tablet-mine" id="my-questions" hx-swap-oob="true">' in html
    assert "未采纳理由：与述职无关" in html


def test_vote_panel_refuses_a_group_that_may_not_ask(client, hall):
    assert holding(client, hall.leader).get(url("vote_panel")).status_code == 403


# ---------------------------------------------------------------- links from the rating pages


def test_rating_form_links_an_asking_credential_to_the_tablet_page():
    hall = make_hall(status=Status.RATING)

    asking = rater(hall.deputy).get(reverse("rate:form")).content.decode()
    leading = rater(hall.leader).get(reverse("rate:form")).content.decode()

    assert '<a href="/r/live/">' in asking
    assert "现场问政" not in leading


def test_rate_state_page_links_an_asking_credential_to_the_tablet_page(deputy):
    # LIVE: rating is not open yet, the card's page says so and offers 现场问政.
    html = deputy.get(reverse("rate:form")).content.decode()

    assert '<a class="btn secondary" href="/r/live/">' in html


def test_tablet_refused_page_links_back_to_the_rating_form(client, hall):
    html = holding(client, hall.leader).get(url("live")).content.decode()

    assert '<a class="btn secondary" href="/r/form/">返回评议表</a>' in html


def test_questions_still_waiting_do_not_show_on_the_tablet_vote(hall, deputy):
    QuestionFactory(session=hall.session, unit=hall.units[0], text="还在审核")

    html = deputy.get(url("live")).content.decode()

    assert "还在审核" not in html
