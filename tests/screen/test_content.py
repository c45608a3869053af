"""screen/content.py (and meeting/countdown.py): what the big screen shows, its one-query read and its ETag
(docs/design.md §8)."""

import datetime

import pytest
from django.utils import timezone
from django.utils.translation import override

from meeting import agenda
from meeting import countdown as timer
from meeting.models import AgendaItem, Question, SatisfactionVote, Stage
from meeting.stage import stage_for, stage_touch
from scoring.models import ResultSnapshot
from screen import content
from sessions.models import Credential, ReviewSession
from tests.factories import (
    BallotFactory,
    CredentialFactory,
    ParticipantFactory,
    RaterGroupFactory,
    ReviewSessionFactory,
    UnitCategoryFactory,
    UnitFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Status = ReviewSession.Status


@pytest.fixture
def actor():
    return UserFactory(username="moderator")


@pytest.fixture
def session():
    session = ReviewSessionFactory(status=Status.LIVE, title="2026年年中述职讲评会")
    category = UnitCategoryFactory(session=session, name="镇(街道)")
    for order, name in enumerate(["城关镇", "东风街道"], start=1):
        unit = UnitFactory(session=session, category=category, name=name)
        ParticipantFactory(session=session, unit=unit, speaking_order=order)
    return session


@pytest.fixture
def group(session):
    return RaterGroupFactory(session=session, name="两代表一委员", can_ask=True, order=1)


def signature(session):
    return content.screen_signature(stage_for(session).screen_token)


def read(session):
    return content.stage_for_render(signature(session))


def etag(session):
    return content.screen_etag(signature(session))


def question_on_screen(session, group, *, vote=Question.Vote.OPEN, **kwargs):
    credential = CredentialFactory(session=session, group=group, code="ASKR2345")
    kwargs.setdefault("text", "老旧小区改造什么时候完工？")
    question = Question.objects.create(
        session=session,
        unit=session.units.get(name="城关镇"),
        credential=credential,
        status=Question.Status.ANSWERED,
        vote=vote,
        **kwargs,
    )
    stage_touch(session, question_on_screen=question, mode=Stage.Mode.QUESTION)
    return question


def vote(question, group, choice, n):
    for _ in range(n):
        SatisfactionVote.objects.create(
            question=question,
            credential=CredentialFactory(session=question.session, group=group),
            choice=choice,
        )


def publish(session):
    unit_a, unit_b = session.units.order_by("name")
    return ResultSnapshot.objects.create(
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
                            "unit": str(unit_a.pk),
                            "unit_name": "东风街道",
                            "rank": 1,
                            "total": "91.50",
                            "band": "excellent",
                        },
                        {
                            "unit": str(unit_b.pk),
                            "unit_name": "城关镇",
                            "rank": 2,
                            "total": "84.25",
                            "band": "good",
                        },
                    ],
                },
                # A category none of whose units took part: nothing to announce on screen.
                {"category": "2", "name": "开发区", "rows": []},
            ]
        },
        labels={"units": {str(unit_b.pk): "城关镇（更名后）"}},
    )


# ---------------------------------------------------------------- the one query


def test_screen_signature_is_one_query(session, group, django_assert_num_queries):
    question_on_screen(session, group)
    stage = stage_for(session)

    with django_assert_num_queries(1):
        read = content.screen_signature(stage.screen_token)
        content.screen_etag(read)

    # version, status, updated_at, question status and vote, issued, submitted, votes, snapshot
    assert (read.stage_id, read.session_id, read.mode) == (stage.pk, session.pk, "question")
    assert read.values[1] == "live"
    assert read.values[3:] == ("answered", "open", "None", "None", "0", "None")


def test_screen_signature_unknown_token_is_none(session):
    stage_for(session)

    assert content.screen_signature("not-a-token") is None


def test_screen_signature_counts_only_what_the_mode_shows(session, group):
    CredentialFactory(session=session, group=group)
    agenda.screen_mode_set(session=session, actor=None, mode="participation")

    participation = signature(session)
    agenda.screen_mode_set(session=session, actor=None, mode="welcome")
    welcome = signature(session)

    assert participation.values[5:] == ("1", "0", "None", "None")
    assert welcome.values[5:] == ("None", "None", "None", "None")


def test_stage_for_render_reads_stage_and_session(session, django_assert_num_queries):
    read = signature(session)

    with django_assert_num_queries(1):
        stage = content.stage_for_render(read)
        title = stage.session.title

    assert (stage.pk, title) == (read.stage_id, "2026年年中述职讲评会")


# ---------------------------------------------------------------- the ETag


def test_screen_etag_is_stable_while_nothing_changes(session):
    assert etag(session) == etag(session)


def test_screen_etag_changes_with_the_stage(session, actor):
    agenda.agenda_generate(session=session, actor=actor, limit_seconds=300)
    before = etag(session)

    agenda.agenda_next(session=session, actor=actor)

    assert etag(session) != before


def test_screen_etag_changes_with_a_vote_on_the_question_on_screen(session, group):
    question = question_on_screen(session, group)
    before = etag(session)

    vote(question, group, "satisfied", 1)

    assert etag(session) != before


def test_screen_etag_changes_with_a_ballot_in_participation_mode(session, group):
    credential = CredentialFactory(session=session, group=group)
    agenda.screen_mode_set(session=session, actor=None, mode="participation")
    before = etag(session)

    BallotFactory(credential=credential)

    assert etag(session) != before


def test_screen_etag_ignores_ballots_in_other_modes(session, group):
    credential = CredentialFactory(session=session, group=group)
    before = etag(session)

    BallotFactory(credential=credential)

    assert etag(session) == before


def test_screen_etag_changes_when_a_result_is_published(session):
    ReviewSession.objects.filter(pk=session.pk).update(status=Status.PUBLISHED)
    stage_touch(session, mode=Stage.Mode.RANKING)
    before = etag(session)

    publish(session)

    assert etag(session) != before


def test_screen_etag_depends_on_the_language(session):
    with override("en"):
        english = etag(session)

    assert etag(session) != english


# ---------------------------------------------------------------- the countdown


@pytest.mark.parametrize(
    ("remaining", "text", "state"),
    [
        (300, "05:00", "normal"),
        (60.4, "01:01", "normal"),
        (60, "01:00", "amber"),
        (0.2, "00:01", "amber"),
        (0, "超时 00:00", "over"),
        (-0.5, "超时 00:00", "over"),
        (-75.9, "超时 01:15", "over"),
    ],
)
def test_countdown_text_and_colour(remaining, text, state):
    countdown = timer.Countdown(remaining=remaining, running=True)

    assert (countdown.text, countdown.state) == (text, state)


def test_countdown_of_a_running_item_at_a_given_time(session, actor):
    agenda.agenda_generate(session=session, actor=actor, limit_seconds=300)
    item = agenda.agenda_next(session=session, actor=actor)
    item.refresh_from_db()

    later = item.started_at + datetime.timedelta(seconds=250)
    countdown = timer.countdown(item, later)

    assert (countdown.remaining, countdown.running, countdown.text, countdown.state) == (
        50.0,
        True,
        "00:50",
        "amber",
    )


# ---------------------------------------------------------------- each mode


def test_screen_context_speaker_shows_the_current_and_the_next_item(session, actor):
    agenda.agenda_generate(session=session, actor=actor, limit_seconds=300)
    current = agenda.agenda_next(session=session, actor=actor)

    context = content.screen_context(read(session))

    assert (context["mode"], context["item"], context["next_item"].label) == (
        "speaker",
        current,
        "东风街道 述职",
    )
    assert context["countdown"].running is True


def test_screen_context_speaker_before_the_first_item(session, actor):
    agenda.agenda_generate(session=session, actor=actor, limit_seconds=300)
    agenda.screen_mode_set(session=session, actor=actor, mode="speaker")

    context = content.screen_context(read(session))

    assert (context["item"], context["countdown"], context["next_item"].label) == (
        None,
        None,
        "城关镇 述职",
    )


def test_screen_context_question_with_its_tally(session, group):
    question = question_on_screen(session, group)
    vote(question, group, "satisfied", 3)
    vote(question, group, "basically_satisfied", 1)
    vote(question, group, "dissatisfied", 1)

    context = content.screen_context(read(session))

    assert (context["question"], context["asker"], context["tally"].counts) == (
        question,
        "两代表一委员",
        (3, 1, 1),
    )
    assert [(r.label, r.count, r.percent, r.bar) for r in context["tally_rows"]] == [
        ("满意", 3, 60, 60),
        ("基本满意", 1, 20, 20),
        ("不满意", 1, 20, 20),
    ]
    assert str(context["tally"].rate_percent) == "80.00"


def test_screen_context_question_before_its_vote_has_no_tally(session, group):
    question_on_screen(session, group, vote=Question.Vote.NONE, asker="人大代表 李某")

    context = content.screen_context(read(session))

    assert (context["asker"], context["tally"], context["tally_rows"]) == (
        "人大代表 李某",
        None,
        [],
    )


def test_screen_context_hides_a_question_taken_back(session, group):
    question = question_on_screen(session, group, vote=Question.Vote.NONE)
    Question.objects.filter(pk=question.pk).update(
        status=Question.Status.REJECTED, reject_reason="重复"
    )

    assert content.screen_context(read(session))["question"] is None


def test_screen_context_participation_per_group(session, group):
    leaders = RaterGroupFactory(session=session, name="县级领导", order=0)
    for i in range(4):
        credential = CredentialFactory(session=session, group=leaders)
        if i < 3:
            BallotFactory(credential=credential)
    CredentialFactory(session=session, group=group, status=Credential.Status.REVOKED)
    agenda.screen_mode_set(session=session, actor=None, mode="participation")

    context = content.screen_context(read(session))

    assert [(r.group.name, r.submitted, r.issued) for r in context["rows"]] == [
        ("县级领导", 3, 4),
        ("两代表一委员", 0, 0),
    ]
    assert (context["total"].submitted, context["total"].issued) == (3, 4)


def test_screen_context_ranking_reads_the_published_snapshot(session):
    publish(session)
    ReviewSession.objects.filter(pk=session.pk).update(status=Status.PUBLISHED)
    stage_touch(session, mode=Stage.Mode.RANKING)

    context = content.screen_context(read(session))

    assert [c.name for c in context["categories"]] == ["镇(街道)"]
    assert [
        (r.rank, r.name, r.total, r.band, r.band_code) for r in context["categories"][0].rows
    ] == [
        (1, "东风街道", "91.50", "优秀", "excellent"),
        (2, "城关镇（更名后）", "84.25", "良好", "good"),
    ]
    [[column]] = context["ranking_pages"]  # one page, one column
    assert [(b.name, b.continued, len(b.rows)) for b in column] == [("镇(街道)", False, 2)]


def test_screen_context_ranking_before_publication(session):
    stage_touch(session, mode=Stage.Mode.RANKING)

    context = content.screen_context(read(session))

    assert (context["snapshot"], context["categories"]) == (None, [])


def test_screen_context_projects_gives_the_slides_of_its_colour(session):
    stage_touch(session, mode=Stage.Mode.PROJECTS, project_colour="red")

    context = content.screen_context(read(session))

    assert (context["colour"], context["slides"]) == ("red", [])


def test_asker_label_never_shows_the_credential(session, group):
    question = question_on_screen(session, group, vote=Question.Vote.NONE)
    question.credential.holder_name = "王建国"

    assert content.asker_label(question) == "两代表一委员"


def test_countdown_none_without_an_item():
    assert timer.countdown(None) is None


def test_countdown_of_a_paused_item_does_not_run(session, actor):
    agenda.agenda_generate(session=session, actor=actor, limit_seconds=300)
    item = agenda.agenda_next(session=session, actor=actor)
    AgendaItem.objects.filter(pk=item.pk).update(
        started_at=timezone.now() - datetime.timedelta(seconds=100)
    )
    paused = agenda.item_pause(item=item, actor=actor)

    countdown = timer.countdown(paused, timezone.now() + datetime.timedelta(minutes=10))

    assert (countdown.running, countdown.text) == (False, "03:20")


def test_screen_context_question_tally_percents_add_up_to_100(session, group):
    """One vote each: rounding every share alone would show 33 % + 33 % + 33 % = 99 %."""
    question = question_on_screen(session, group)
    for choice in ("satisfied", "basically_satisfied", "dissatisfied"):
        vote(question, group, choice, 1)

    context = content.screen_context(read(session))

    assert [r.percent for r in context["tally_rows"]] == [34, 33, 33]


def _categories(*sizes):
    return [
        content.RankingCategory(
            name=f"类别{c}",
            rows=[content.RankingRow(i, f"单位{c}-{i}", "90.00", None, None) for i in range(n)],
        )
        for c, n in enumerate(sizes)
    ]


def _layout(pages):
    return [[[(b.name, b.continued, len(b.rows)) for b in col] for col in page] for page in pages]


def test_ranking_pages_put_the_mid_year_towns_and_departments_side_by_side():
    pages = content.ranking_pages(_categories(8, 12), slots=13, columns=2)

    assert _layout(pages) == [[[("类别0", False, 8)], [("类别1", False, 12)]]]


def test_ranking_pages_turn_forty_units_into_two_pages_and_repeat_a_split_heading():
    pages = content.ranking_pages(_categories(10, 16, 7, 7), slots=13, columns=2)

    assert _layout(pages) == [
        [[("类别0", False, 10)], [("类别1", False, 12)]],
        [[("类别1", True, 4), ("类别2", False, 7)], [("类别3", False, 7)]],
    ]


def test_ranking_pages_never_leave_a_heading_alone_at_the_bottom_of_a_column():
    pages = content.ranking_pages(_categories(11, 30), slots=13, columns=2)

    columns = [col for page in pages for col in page]
    assert all(len(block.rows) >= 1 for col in columns for block in col)
    assert all(sum(1 + len(b.rows) for b in col) <= 13 for col in columns)
    assert sum(len(b.rows) for col in columns for b in col) == 41


def test_ranking_pages_of_nothing_is_no_page():
    assert content.ranking_pages([], slots=13, columns=2) == []
