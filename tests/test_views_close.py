"""Closing rating from the browser: the confirmation shows what closing destroys (the saved
grades of codes that never submitted, per group, counts only) before it happens
(docs/anonymity.md, "closing")."""

import pytest
from django.urls import reverse

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
    return session


def close_url(slug="2026-close"):
    return reverse("review:session_transition", args=[slug, Status.CLOSED])


def test_close_confirmation_counts_the_drafts_that_closing_destroys(organiser_client, hall):
    response = organiser_client.get(close_url())

    content = response.content.decode()
    assert response.status_code == 200
    assert [(r.group, r.codes, r.grades) for r in response.context["unsubmitted"]] == [
        ("区直部门", 1, 2)
    ]
    assert "区直部门：1 个评议码，共 2 项评价" in content
    assert "纸质票录入" in content
    assert "TAPD2345" not in content  # counts only, never which code
    assert DraftGrade.objects.count() == 2  # showing destroys nothing


def test_close_confirmation_without_drafts_says_so(organiser_client, hall):
    DraftGrade.objects.all().delete()

    content = organiser_client.get(close_url()).content.decode()

    assert "没有填写后未提交的评议码。" in content


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
