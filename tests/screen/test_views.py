"""screen/views.py: the projector's page and its polled fragment:
no login, 404 for a wrong token, 304 while nothing changed, nothing private on it."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.html import escape

from meeting import agenda
from meeting.models import Question, SatisfactionVote, Stage
from meeting.stage import stage_for, stage_touch
from scoring.models import ResultSnapshot
from sessions.models import ReviewSession
from tests.factories import (
    BallotFactory,
    CredentialFactory,
    ParticipantFactory,
    RaterGroupFactory,
    ReviewSessionFactory,
    UnitCategoryFactory,
    UnitFactory,
)

pytestmark = pytest.mark.django_db

Status = ReviewSession.Status
CODES = ["ASKR2345", "VOTE2345", "RATE2345"]


@pytest.fixture
def session():
    session = ReviewSessionFactory(
        status=Status.LIVE, title="2026年年中述职讲评会", venue="区行政中心三楼会议室"
    )
    category = UnitCategoryFactory(session=session, name="镇(街道)")
    for order, name in enumerate(["城关镇", "东风街道"], start=1):
        unit = UnitFactory(session=session, category=category, name=name)
        ParticipantFactory(session=session, unit=unit, speaking_order=order)
    return session


@pytest.fixture
def group(session):
    return RaterGroupFactory(session=session, name="两代表一委员", can_ask=True)


@pytest.fixture
def token(session):
    return stage_for(session).screen_token


@pytest.fixture
def question(session, group):
    """Answered, its vote open, on screen; the asker's and a voter's codes must never show."""
    asker = CredentialFactory(session=session, group=group, code=CODES[0], holder_name="王建国")
    question = Question.objects.create(
        session=session,
        unit=session.units.get(name="城关镇"),
        credential=asker,
        text="<b>老旧小区</b>改造什么时候完工？",
        status=Question.Status.ANSWERED,
        vote=Question.Vote.OPEN,
    )
    voter = CredentialFactory(session=session, group=group, code=CODES[1], holder_name="李红")
    SatisfactionVote.objects.create(question=question, credential=voter, choice="satisfied")
    stage_touch(session, question_on_screen=question, mode=Stage.Mode.QUESTION)
    return question


def page(token):
    return reverse("screen:screen", args=[token])


def state(token):
    return reverse("screen:state", args=[token])


# ---------------------------------------------------------------- access


@pytest.mark.parametrize("view", [page, state])
def test_screen_wrong_token_is_404(client, token, view):
    response = client.get(view(token + "x"))

    assert response.status_code == 404


@pytest.mark.parametrize("view", [page, state])
def test_screen_needs_no_login(client, token, view):
    response = client.get(view(token))

    assert response.status_code == 200


@pytest.mark.parametrize("view", [page, state])
def test_screen_is_read_only(client, token, view):
    response = client.post(view(token))

    assert response.status_code == 405


def test_screen_page_is_noindex_and_never_stored(client, token):
    response = client.get(page(token))

    html = response.content.decode()
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert response["Cache-Control"] == "no-store"
    assert response.cookies == {}


def test_screen_page_carries_the_etag_it_polls_with(client, token):
    response = client.get(page(token))

    assert f'data-etag="{escape(response["ETag"])}"' in response.content.decode()
    assert f'data-state-url="{state(token)}"' in response.content.decode()


def test_screen_page_has_no_inline_script_or_style(client, token, question):
    html = client.get(page(token)).content.decode()

    assert ("style=" in html, "<script>" in html, "onclick" in html) == (False, False, False)


# ---------------------------------------------------------------- 304 and catching up


def test_screen_state_answers_304_when_nothing_changed(client, token, django_assert_num_queries):
    first = client.get(state(token))

    with django_assert_num_queries(1):
        again = client.get(state(token), HTTP_IF_NONE_MATCH=first["ETag"])

    assert (again.status_code, again.content) == (304, b"")
    assert again["ETag"] == first["ETag"]


def test_screen_state_answers_200_after_a_stage_change(client, session, token):
    agenda.agenda_generate(session=session, actor=None, limit_seconds=300)
    first = client.get(state(token))

    agenda.agenda_next(session=session, actor=None)
    response = client.get(state(token), HTTP_IF_NONE_MATCH=first["ETag"])

    html = response.content.decode()
    assert response.status_code == 200
    assert response["ETag"] != first["ETag"]
    assert '<h1 class="screen-speaker-name">城关镇</h1>' in html
    assert 'data-running="1"' in html
    assert "下一位：东风街道 述职" in html


def test_screen_state_answers_200_after_a_vote(client, session, group, token, question):
    first = client.get(state(token))

    SatisfactionVote.objects.create(
        question=question,
        credential=CredentialFactory(session=session, group=group),
        choice="dissatisfied",
    )
    response = client.get(state(token), HTTP_IF_NONE_MATCH=first["ETag"])

    assert response.status_code == 200
    assert "已投 2 票" in response.content.decode()


def test_screen_state_answers_200_after_a_ballot(client, session, group, token):
    credential = CredentialFactory(session=session, group=group, code=CODES[2])
    agenda.screen_mode_set(session=session, actor=None, mode="participation")
    first = client.get(state(token))

    BallotFactory(credential=credential)
    response = client.get(state(token), HTTP_IF_NONE_MATCH=first["ETag"])

    html = response.content.decode()
    assert response.status_code == 200
    assert '<span class="group-count">1 / 1</span>' in html
    assert CODES[2] not in html


def test_screen_state_is_the_fragment_only(client, token):
    html = client.get(state(token)).content.decode()

    assert html.startswith('<div id="screen-content" class="screen-content mode-welcome">')
    assert "<html" not in html


# ---------------------------------------------------------------- what each mode shows


def test_screen_welcome_shows_title_and_venue(client, token):
    html = client.get(page(token)).content.decode()

    assert '<h1 class="screen-title">2026年年中述职讲评会</h1>' in html
    assert "区行政中心三楼会议室" in html


def test_screen_question_shows_text_escaped_with_tally_and_no_codes(
    client, token, question, django_assert_max_num_queries
):
    with django_assert_max_num_queries(4):
        response = client.get(state(token))

    html = response.content.decode()
    assert "&lt;b&gt;老旧小区&lt;/b&gt;改造什么时候完工？" in html
    assert "<b>老旧小区" not in html
    assert "被问单位：城关镇" in html
    assert "提问人：两代表一委员" in html
    assert "满意率 <b>100.00%</b>" in html
    for private in [*CODES, "王建国", "李红"]:
        assert private not in html


def test_screen_speaker_countdown_is_over_time_in_red(client, session, token):
    agenda.agenda_generate(session=session, actor=None, limit_seconds=60)
    item = agenda.agenda_next(session=session, actor=None)
    item.started_at = item.started_at.replace(year=item.started_at.year - 1)
    type(item).objects.filter(pk=item.pk).update(started_at=item.started_at)
    stage_touch(session)

    html = client.get(state(token)).content.decode()

    assert 'class="countdown countdown-over"' in html


def test_screen_ranking_shows_the_published_rows(client, session, token):
    unit = session.units.get(name="城关镇")
    ResultSnapshot.objects.create(
        session=session,
        number=1,
        scheme={},
        inputs_hash="0" * 64,
        engine_version="test",
        result={
            "categories": [
                {
                    "category": "1",
                    "name": "镇(街道)",
                    "rows": [
                        {
                            "unit": str(unit.pk),
                            "unit_name": "城关镇",
                            "rank": 1,
                            "total": "91.50",
                            "band": "excellent",
                        }
                    ],
                }
            ]
        },
    )
    ReviewSession.objects.filter(pk=session.pk).update(status=Status.PUBLISHED)
    agenda.screen_mode_set(session=session, actor=None, mode="ranking")

    html = client.get(state(token)).content.decode()

    assert '<span class="ranking-name">城关镇</span>' in html
    assert '<span class="ranking-total">91.50</span>' in html
    assert '<span class="ranking-band band-excellent">优秀</span>' in html


def test_screen_ranking_before_publication_says_so(client, session, token):
    stage_touch(session, mode=Stage.Mode.RANKING)

    html = client.get(state(token)).content.decode()

    assert "结果尚未发布" in html


def test_screen_in_english(client, session, token):
    chinese = client.get(state(token))["ETag"]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.get(state(token), HTTP_IF_NONE_MATCH=chinese)

    # Another language is other markup: never a 304 for the Chinese version.
    assert response.status_code == 200


def test_screen_speaker_shows_the_segment_and_its_own_limit(client, session, token):
    session.kind = ReviewSession.Kind.ANNUAL
    session.save(update_fields=["kind"])
    agenda.agenda_generate(
        session=session,
        actor=None,
        limits={"work": 480, "responsibility": 300, "integrity": 180},
    )
    agenda.agenda_next(session=session, actor=None)  # 城关镇 述职
    item = agenda.AgendaItem.objects.get(session=session, order=3)  # 城关镇 述廉
    agenda.item_start(item=item, actor=None)
    agenda.item_extend(item=item, actor=None, seconds=30)

    html = client.get(state(token)).content.decode()

    assert '<p class="screen-limit">述廉 · 限时 03:00 · 已延长 00:30</p>' in html
