"""The admin shows a target and its breakdown, and changes neither (targets/admin.py)."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from tests.factories.targets import TargetUnitFactory

pytestmark = pytest.mark.django_db


def test_a_superuser_sees_a_target_with_its_breakdown_and_cannot_change_it(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    share = TargetUnitFactory(target__title="新增停车泊位", org_unit__name="城关镇")
    url = reverse("admin:targets_target_change", args=[share.target.pk])

    page = client.get(url)
    refused = client.post(url, {"title": "改过的指标"})

    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert "城关镇" in page.content.decode()
    assert refused.status_code == 403
    share.target.refresh_from_db()
    assert share.target.title == "新增停车泊位"
