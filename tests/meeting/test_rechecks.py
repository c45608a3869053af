"""回头看 (以评促改): earlier reviews' commitments back in the hall for a second satisfaction
vote (meeting/rechecks.py, questions.recheck_add; docs/meeting.md, "回头看")."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from meeting import followups, questions
from meeting.models import FollowUp, Question, Satisfaction
from meeting.rechecks import earlier_commitments, recheck_rows
from meeting.selectors import satisfaction_by_unit, tally
from org.models import District
from screen.content import screen_context
from sessions.models import AuditLog, ReviewSession
from tests.factories import ReviewSessionFactory, UnitCategoryFactory, UnitFactory
from tests.factories.followups import FollowUpFactory
from tests.factories.questions import make_hall

pytestmark = pytest.mark.django_db

Status = ReviewSession.Status
JULY = datetime.date(2026, 7, 16)


def earlier_session(*, date=datetime.date(2026, 1, 20), district=None, slug="2025-annual"):
    extra = {"district": district} if district else {}
    return ReviewSessionFactory(slug=slug, date=date, status=Status.CLOSED, **extra)


def commitment(session, name, *, title, done=False, **fields):
    """A commitment of the unit named ``name`` at ``session`` (the same district's unit of that
    name and category is the same persistent unit)."""
    category = session.categories.filter(name="镇(街道)").first() or UnitCategoryFactory(
        session=session, name="镇(街道)"
    )
    unit = session.units.filter(name=name).first() or UnitFactory(
        session=session, category=category, name=name
    )
    item = FollowUpFactory(session=session, unit=unit, title=title, **fields)
    if done:
        FollowUp.objects.filter(pk=item.pk).update(done_at=timezone.now())
        item.refresh_from_db()
    return item


@pytest.fixture
def hall():
    hall = make_hall()
    hall.session.date = JULY
    hall.session.save(update_fields=["date"])
    return hall


@pytest.fixture
def january(hall):
    """The annual session in January: two commitments of 城关镇 (one done), one of 东风街道,
    one of 候选镇 (not taking part in July)."""
    session = earlier_session()
    return {
        "session": session,
        "alleys": commitment(session, "城关镇", title="背街小巷改造", done=True),
        "sewers": commitment(session, "城关镇", title="雨污分流改造"),
        "market": commitment(session, "东风街道", title="农贸市场改造"),
        "absent": commitment(session, "候选镇", title="不参加的单位的事项"),
    }


def test_earlier_commitments_come_back_to_the_same_persistent_unit(hall, january):
    town, east, _river = hall.units
    found = earlier_commitments(hall.session)
    assert {unit_id: [i.title for i in items] for unit_id, items in found.items()} == {
        town.pk: ["背街小巷改造", "雨污分流改造"],
        east.pk: ["农贸市场改造"],
    }


def test_later_sessions_other_districts_and_this_session_do_not_come_back(hall, january):
    later = earlier_session(date=datetime.date(2026, 11, 1), slug="2026-later")
    commitment(later, "城关镇", title="以后的事项")
    elsewhere = earlier_session(
        district=District.objects.create(code="other", name="别的区"), slug="other-annual"
    )
    commitment(elsewhere, "城关镇", title="别的区的事项")
    FollowUpFactory(session=hall.session, unit=hall.units[0], title="本次会议的事项")
    titles = [i.title for i in earlier_commitments(hall.session)[hall.units[0].pk]]
    assert titles == ["背街小巷改造", "雨污分流改造"]


def test_a_session_without_a_date_compares_by_creation(hall, january):
    undated = earlier_session(date=None, slug="undated")
    commitment(undated, "城关镇", title="没有日期的评议会的事项")
    hall.session.date = None
    hall.session.save(update_fields=["date"])
    # The hall was made before both: nothing of theirs is earlier than it.
    assert earlier_commitments(hall.session).get(hall.units[0].pk, []) == []
    later_hall = make_hall(slug="2026-late", code_prefix="LAT")
    titles = [i.title for i in earlier_commitments(later_hall.session)[later_hall.units[0].pk]]
    assert titles == ["背街小巷改造", "雨污分流改造", "没有日期的评议会的事项"]


def test_recheck_add_puts_the_units_commitments_in_the_queue(hall, january, moderator):
    town = hall.units[0]
    waiting = questions.question_approve(
        question=questions.question_add(
            session=hall.session, actor=moderator, unit=town, text="一个问题", asker=""
        ),
        actor=moderator,
    )
    recheck = questions.recheck_add(session=hall.session, actor=moderator, unit=town)
    assert (recheck.kind, recheck.status, recheck.unit) == (
        Question.Kind.RECHECK,
        Question.Status.APPROVED,
        town,
    )
    assert recheck.queue_order > waiting.queue_order
    assert set(recheck.recheck_items.all()) == {january["alleys"], january["sewers"]}
    assert "2 项督办事项（已办结 1 项，未办结 1 项）" in recheck.text
    entry = AuditLog.objects.get(action="question.recheck")
    assert entry.detail["follow_ups"] == sorted([january["alleys"].pk, january["sewers"].pk])
    with pytest.raises(ValidationError, match="已经加入队列"):
        questions.recheck_add(session=hall.session, actor=moderator, unit=town)
    # Withdrawn (未采纳), it may be put again.
    questions.question_reject(question=recheck, actor=moderator, reason="时间不够，下次再看")
    again = questions.recheck_add(session=hall.session, actor=moderator, unit=town)
    assert again.pk != recheck.pk


def test_recheck_add_refuses_a_unit_with_nothing_to_look_back_on(hall, january, moderator):
    with pytest.raises(ValidationError, match="没有需要回头看的督办事项"):
        questions.recheck_add(session=hall.session, actor=moderator, unit=hall.units[2])
    with pytest.raises(ValidationError, match="请选择一个述职单位"):
        questions.recheck_add(session=hall.session, actor=moderator, unit=hall.other_unit)
    assert not Question.objects.filter(kind=Question.Kind.RECHECK).exists()


def test_recheck_add_follows_the_sessions_question_rules(january, moderator):
    # Put while the session is set up, like a question collected before the meeting.
    draft = make_hall(status=Status.DRAFT, slug="draft-hall", code_prefix="DRF")
    early = questions.recheck_add(session=draft.session, actor=moderator, unit=draft.units[0])
    assert early.collected_before
    closed = make_hall(status=Status.CLOSED, slug="closed-hall", code_prefix="CLS")
    with pytest.raises(ValidationError, match="不能再添加回头看"):
        questions.recheck_add(session=closed.session, actor=moderator, unit=closed.units[0])


def vote_on(recheck, hall, choices, actor):
    questions.question_put_on_screen(question=recheck, actor=actor)
    questions.question_answered(question=recheck, actor=actor, summary="已完成一项，另一项过半。")
    questions.vote_open(question=recheck, actor=actor)
    for credential, choice in zip([hall.deputy, hall.member, hall.leader], choices, strict=False):
        questions.vote_cast(credential=credential, question_id=recheck.pk, choice=choice)
    questions.vote_close(question=recheck, actor=actor)


def test_the_vote_is_held_like_an_answers_and_is_not_satisfaction_score(hall, january, moderator):
    town = hall.units[0]
    recheck = questions.recheck_add(session=hall.session, actor=moderator, unit=town)
    vote_on(recheck, hall, [Satisfaction.SATISFIED, Satisfaction.DISSATISFIED], moderator)
    assert tally(recheck).counts == (1, 0, 1)
    # The recheck's votes are not 问政满意度: the unit has no answered question's votes.
    assert satisfaction_by_unit(hall.session) == {}
    row = next(r for r in recheck_rows(hall.session) if r.unit == town)
    assert (row.recheck, row.tally.counts, row.done, row.open) == (recheck, (1, 0, 1), 1, 1)


def test_what_was_done_and_voted_on_does_not_come_back_what_is_open_does(hall, january, moderator):
    vote_on(
        questions.recheck_add(session=hall.session, actor=moderator, unit=hall.units[0]),
        hall,
        [Satisfaction.SATISFIED],
        moderator,
    )
    november = make_hall(slug="2026-nov", code_prefix="NOV")
    november.session.date = datetime.date(2026, 11, 20)
    november.session.save(update_fields=["date"])
    found = earlier_commitments(november.session)
    # Only the open one comes back for 城关镇; 东风街道's, never put to a vote, still does.
    assert [i.title for i in found[november.units[0].pk]] == ["雨污分流改造"]
    assert [i.title for i in found[november.units[1].pk]] == ["农贸市场改造"]
    # Done after the vote, it comes back once more to be seen done.
    followups.follow_up_update(
        follow_up=january["sewers"], actor=moderator, text="已完工", marks_done=True
    )
    found = earlier_commitments(november.session)
    assert [(i.title, i.done_at is not None) for i in found[november.units[0].pk]] == [
        ("雨污分流改造", True)
    ]


def test_a_recheck_is_not_merged_with_a_question(hall, january, moderator):
    town = hall.units[0]
    recheck = questions.recheck_add(session=hall.session, actor=moderator, unit=town)
    question = questions.question_add(
        session=hall.session, actor=moderator, unit=town, text="重复的问题", asker=""
    )
    for a, b in ((question, recheck), (recheck, question)):
        with pytest.raises(ValidationError, match="回头看不能与问题合并"):
            questions.question_merge(question=a, into=b, actor=moderator)
    item = next(i for i in questions.queue(hall.session).pending if i.question == question)
    assert item.merge_options == []


def test_the_big_screen_lists_the_commitments(hall, january, moderator):
    recheck = questions.recheck_add(session=hall.session, actor=moderator, unit=hall.units[0])
    questions.question_put_on_screen(question=recheck, actor=moderator)
    context = screen_context(hall.session.stage)
    assert [(i.title, i.done_at is not None) for i in context["recheck_items"]] == [
        ("背街小巷改造", True),
        ("雨污分流改造", False),
    ]
    assert (context["recheck_done"], context["recheck_total"], context["recheck_more"]) == (1, 2, 0)


# ---------------------------------------------------------------- the page


def test_the_page_lists_units_and_a_moderator_puts_one(client, hall, january, moderator):
    client.force_login(moderator)
    page = client.get(reverse("meeting:rechecks", args=[hall.session.slug]))
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('class="card recheck"') == 2
    assert html.count('class="recheck-add"') == 2
    assert "背街小巷改造" in html and "农贸市场改造" in html and "不参加的单位的事项" not in html
    response = client.post(
        reverse("meeting:recheck_add", args=[hall.session.slug]), {"unit": hall.units[1].pk}
    )
    assert response.status_code == 302
    recheck = Question.objects.get(kind=Question.Kind.RECHECK)
    assert recheck.unit == hall.units[1]
    again = client.post(
        reverse("meeting:recheck_add", args=[hall.session.slug]), {"unit": hall.units[1].pk}
    )
    assert again.status_code == 409
    assert "已经加入队列" in again.content.decode()
    bad = client.post(reverse("meeting:recheck_add", args=[hall.session.slug]), {"unit": "x"})
    assert bad.status_code == 422
    assert Question.objects.filter(kind=Question.Kind.RECHECK).count() == 1


def test_an_observer_reads_the_page_and_cannot_put_one(client, hall, january, observer):
    client.force_login(observer)
    page = client.get(reverse("meeting:rechecks", args=[hall.session.slug]))
    assert page.status_code == 200
    assert 'class="recheck-add"' not in page.content.decode()
    response = client.post(
        reverse("meeting:recheck_add", args=[hall.session.slug]), {"unit": hall.units[0].pk}
    )
    assert response.status_code == 403
    assert not Question.objects.filter(kind=Question.Kind.RECHECK).exists()


def test_the_page_reads_a_fixed_number_of_queries(
    hall, january, moderator, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    questions.recheck_add(session=hall.session, actor=moderator, unit=hall.units[0])
    with CaptureQueriesContext(connection) as one:
        rows = recheck_rows(hall.session)
        [item.session.title for row in rows for item in row.items]
    questions.recheck_add(session=hall.session, actor=moderator, unit=hall.units[1])
    with django_assert_num_queries(len(one)):
        rows = recheck_rows(hall.session)
        titles = [item.session.title for row in rows for item in row.items]
    assert len(titles) == 3
