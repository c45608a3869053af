"""Closing rating from the browser: the confirmation shows what closing destroys (the saved
grades of codes that never submitted, per group, counts only) before it happens
(docs/anonymity.md, "closing")."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from sessions import rating
from sessions.models import DraftGrade, Grade, ReviewSession
from tests.factories import (
    CredentialFactory,
    ParticipantFactory,
    RaterGroupFactory,
    ReviewSessionFactory,
    UnitCategoryFactory,
)

pytestmark = pytest.mark.django_db
Status = ReviewSession.Status


@pytest.fixture
def hall():
    session = ReviewSessionFactory(slug="2026-close", status=Status.RATING)
    category = UnitCategoryFactory(session=session)
    units = [
        ParticipantFactory(session=session, unit__category=category, speaking_order=i).unit
        for i in (1, 2, 3)
    ]
    group = RaterGroupFactory(session=session, name="区直部门")
    tapped = CredentialFactory(session=session, group=group, code="TAPD2345")
    for unit in units[:2]:
        rating.draft_grade_set(
            credential=tapped, unit_id=unit.pk, criterion_id=None, grade=Grade.GOOD
        )
    CredentialFactory(session=session, group=group)  # never opened
    leaders = RaterGroupFactory(session=session, name="县级领导")
    # Opened on a tablet, nothing tapped yet: nothing to destroy, but one rater still missing.
    CredentialFactory(session=session, group=leaders, opened_at=timezone.now())
    CredentialFactory(
        session=session, group=leaders, opened_at=timezone.now(), submitted_at=timezone.now()
    )
    return session


def close_url(slug="2026-close"):
    return reverse("review:session_transition", args=[slug, Status.CLOSED])


def test_close_confirmation_counts_the_drafts_that_closing_destroys(organiser_client, hall):
    response = organiser_client.get(close_url())

    content = response.content.decode()
    assert response.status_code == 200
    assert [(r.group, r.opened, r.codes, r.grades) for r in response.context["unsubmitted"]] == [
        ("区直部门", 1, 1, 2),
        ("县级领导", 1, 0, 0),
    ]
    assert "区直部门：1 个评议码已打开未提交，其中 1 个暂存了 2 项评价" in content
    assert "县级领导：1 个评议码已打开未提交，其中 0 个暂存了 0 项评价" in content
    # The paper-ballot route is a link, not only a word.
    paper = reverse("review:paper_ballots", args=["2026-close"])
    assert f'<a href="{paper}">纸质票录入</a>' in content
    assert "TAPD2345" not in content  # counts only, never which code
    assert DraftGrade.objects.count() == 2  # showing destroys nothing


def test_close_confirmation_without_drafts_says_so(organiser_client, hall):
    DraftGrade.objects.all().delete()
    hall.credentials.filter(submitted_at__isnull=True).update(opened_at=None)

    content = organiser_client.get(close_url()).content.decode()

    assert "没有打开后未提交的评议码。" in content
    assert 'id="transition-warnings"' not in content


def test_close_then_destroys_them(organiser_client, hall):
    response = organiser_client.post(close_url())

    hall.refresh_from_db()
    assert response.status_code == 302
    assert hall.status == Status.CLOSED
    assert DraftGrade.objects.count() == 0


@pytest.mark.parametrize("who", ["observer_client", "moderator_client"])
def test_close_confirmation_is_for_organisers_only(request, who, hall):
    client = request.getfixturevalue(who)

    assert client.get(close_url()).status_code == 403
    assert client.post(close_url()).status_code == 403
    hall.refresh_from_db()
    assert hall.status == Status.RATING


def test_close_confirmation_needs_a_login(client, hall):
    response = client.get(close_url())

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_set_status_closed_prints_the_same_warning_and_closes(hall):
    err = io.StringIO()

    call_command("set_status", "2026-close", "closed", stdout=io.StringIO(), stderr=err)

    hall.refresh_from_db()
    assert hall.status == Status.CLOSED
    assert err.getvalue().splitlines() == [
        "提醒 warning: 评议组“区直部门”：1 个评议码已打开但未提交，其中 1 个暂存了 2 项评价；"
        "结束评议时这些暂存评价将被销毁，可在结束后改用纸质票录入。",
        "提醒 warning: 评议组“县级领导”：1 个评议码已打开但未提交，其中 0 个暂存了 0 项评价；"
        "结束评议时这些暂存评价将被销毁，可在结束后改用纸质票录入。",
    ]
