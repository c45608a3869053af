"""The Django admin shows the lifecycle-governed models but changes none of them: changes go
through the services, which check the lifecycle and write the audit log (docs/design.md §3)."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.test import RequestFactory
from django.urls import reverse

from sessions.models import AuditLog, ReviewSession
from tests.factories import ReviewSessionFactory, UserFactory

GOVERNED_APPS = {"review", "scoring", "meeting", "projects", "targets"}


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def published(db):
    return ReviewSessionFactory(status=ReviewSession.Status.PUBLISHED)


def _change_url(session):
    return reverse("admin:review_reviewsession_change", args=[session.pk])


def test_admin_session_change_page_is_view_only_for_a_superuser(admin_client, published):
    response = admin_client.get(_change_url(published))

    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert response.context["has_delete_permission"] is False
    assert 'name="status"' not in response.content.decode()


def test_admin_session_change_post_is_refused(admin_client, published):
    response = admin_client.post(
        _change_url(published),
        {
            "slug": published.slug,
            "title": published.title,
            "kind": published.kind,
            "year": published.year,
            "status": ReviewSession.Status.RATING,
        },
    )

    published.refresh_from_db()
    assert response.status_code == 403
    assert published.status == ReviewSession.Status.PUBLISHED
    assert AuditLog.objects.count() == 0


def test_admin_session_add_is_refused(admin_client):
    page = admin_client.get(reverse("admin:review_reviewsession_add"))
    post = admin_client.post(
        reverse("admin:review_reviewsession_add"),
        {"slug": "x", "title": "x", "kind": ReviewSession.Kind.CUSTOM, "year": 2026},
    )

    assert (page.status_code, post.status_code) == (403, 403)
    assert ReviewSession.objects.count() == 0


def test_admin_session_delete_is_refused(admin_client, published):
    url = reverse("admin:review_reviewsession_delete", args=[published.pk])

    page = admin_client.get(url)
    post = admin_client.post(url, {"post": "yes"})

    assert (page.status_code, post.status_code) == (403, 403)
    assert ReviewSession.objects.filter(pk=published.pk).exists()
    assert AuditLog.objects.count() == 0


def test_admin_session_list_offers_no_bulk_delete(admin_client, published):
    response = admin_client.get(reverse("admin:review_reviewsession_changelist"))

    assert response.status_code == 200
    assert response.context["cl"].model_admin.get_actions(response.wsgi_request) == {}


def test_admin_every_governed_model_is_read_only(superuser):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    governed = {
        model._meta.label: model_admin
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in GOVERNED_APPS
    }

    permissions = {
        label: (
            model_admin.has_view_permission(request),
            model_admin.has_add_permission(request),
            model_admin.has_change_permission(request),
            model_admin.has_delete_permission(request),
        )
        for label, model_admin in governed.items()
    }

    assert "review.ReviewSession" in permissions
    assert "review.ScoringScheme" in permissions
    assert "targets.Target" in permissions
    assert permissions == {label: (True, False, False, False) for label in governed}


def test_admin_users_and_groups_stay_editable(superuser):
    request = RequestFactory().get("/admin/")
    request.user = superuser

    permissions = [
        (
            admin.site._registry[model].has_add_permission(request),
            admin.site._registry[model].has_change_permission(request),
            admin.site._registry[model].has_delete_permission(request),
        )
        for model in (User, Group)
    ]

    assert permissions == [(True, True, True), (True, True, True)]


def test_admin_every_governed_model_list_opens_for_viewing(admin_client, published):
    governed = [m for m in admin.site._registry if m._meta.app_label in GOVERNED_APPS]

    lists = {
        m._meta.label: admin_client.get(
            reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist")
        ).status_code
        for m in governed
    }

    assert lists == {m._meta.label: 200 for m in governed}
