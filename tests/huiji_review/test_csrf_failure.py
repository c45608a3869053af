"""A refused CSRF check explains itself (huiji_review/views.csrf_failure)."""

import pytest
from django.test import Client
from django.urls import reverse


@pytest.fixture
def strict_client():
    return Client(enforce_csrf_checks=True)


@pytest.mark.django_db
def test_csrf_failure_is_a_chinese_page(strict_client):
    response = strict_client.post(reverse("login"), {"username": "a", "password": "b"})

    assert response.status_code == 403
    content = response.content.decode()
    assert "页面已过期，请刷新页面后再试。" in content
    assert "Forbidden" not in content and "CSRF verification failed" not in content


@pytest.mark.django_db
def test_csrf_failure_for_htmx_is_one_line(strict_client):
    response = strict_client.post(reverse("rate:grade"), {}, HTTP_HX_REQUEST="true")

    assert response.status_code == 403
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == "页面已过期，请刷新页面后再试。"
