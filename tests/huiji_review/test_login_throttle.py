"""Staff login throttling with django-axes (docs/deployment.md, "Staff login throttling"):
a user name is locked after repeated wrong passwords from one address, and only there."""

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse

from huiji_review.login_throttle import client_ip
from org.access import Role
from tests.factories import UserFactory

PASSWORD = "pw-for-tests-123"
HALL = "10.0.0.7"
OFFICE = "10.0.0.8"


@pytest.fixture
def staff(db):
    return UserFactory(username="organiser", role=Role.ORGANISER)


def log_in(client, password, *, address=HALL, username="organiser"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def fail_until_locked(client, *, address=HALL):
    """Wrong passwords up to the limit; the answer to the last one."""
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, "wrong", address=address).status_code == 200
    return log_in(client, "wrong", address=address)


def _text_of(tag: str, html: str) -> list[str]:
    found = re.findall(rf"<{tag}\b[^>]*>(.*?)</{tag}>", html, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", f).split()) for f in found]


def test_login_with_the_right_password_logs_in(client, staff):
    response = log_in(client, PASSWORD)

    assert (response.status_code, response["Location"]) == (302, reverse("review:session_list"))
    assert client.session["_auth_user_id"] == str(staff.pk)


def test_login_wrong_passwords_below_the_limit_show_the_form_again(client, staff):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = log_in(client, "wrong")

        assert response.status_code == 200
        assert response.context["form"].errors["__all__"] == [
            "请输入一个正确的用户名和密码。注意，两者都区分大小写。"
        ]


def test_login_locks_the_user_name_at_the_limit_with_a_chinese_page(client, staff):
    response = fail_until_locked(client)

    html = response.content.decode()
    assert response.status_code == 429
    assert response.headers["Content-Language"] == "zh-hans"
    assert _text_of("h1", html) == ["账号已暂时锁定"]
    assert _text_of("p", html)[:2] == [
        f"密码连续输错次数过多，此账号在本地址（{HALL}）已被锁定 15 分钟。请稍后再试。",
        "如需提前解锁，请联系本系统的管理员。",
    ]


def test_login_locked_refuses_the_right_password_too(client, staff):
    fail_until_locked(client)

    response = log_in(client, PASSWORD)

    assert response.status_code == 429
    assert _text_of("h1", response.content.decode()) == ["账号已暂时锁定"]
    assert "_auth_user_id" not in client.session


def test_login_locked_at_one_address_still_logs_in_from_another(client, staff):
    fail_until_locked(client, address=HALL)

    response = log_in(client, PASSWORD, address=OFFICE)

    assert (response.status_code, response["Location"]) == (302, reverse("review:session_list"))


def test_login_locked_user_name_does_not_lock_other_staff_at_that_address(client, staff):
    UserFactory(username="moderator", role=Role.MODERATOR)
    fail_until_locked(client, address=HALL)

    response = log_in(client, PASSWORD, address=HALL, username="moderator")

    assert (response.status_code, response["Location"]) == (302, reverse("review:session_list"))


def test_login_success_resets_the_failure_count(client, staff):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "wrong")
    log_in(client, PASSWORD)
    client.post(reverse("logout"))

    after_success = [log_in(client, "wrong").status_code for _ in range(2)]

    assert after_success == [200, 200]
    assert AccessAttempt.objects.get().failures_since_start == 2


def test_login_lock_ends_after_the_cool_off(client, staff):
    fail_until_locked(client)
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time
        - settings.AXES_COOLOFF_TIME
        - timedelta(seconds=1)
    )

    response = log_in(client, PASSWORD)

    assert response.status_code == 302


def test_login_lock_lifted_by_axes_reset_username(client, staff):
    fail_until_locked(client)

    call_command("axes_reset_username", "organiser", stdout=None)
    response = log_in(client, PASSWORD)

    assert response.status_code == 302


def test_admin_login_is_throttled_too(client, staff):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/admin/login/", {"username": "organiser", "password": "wrong"}, REMOTE_ADDR=HALL
        )

    response = log_in(client, PASSWORD)

    assert response.status_code == 429


def test_login_force_login_without_an_address_still_works(client, staff):
    # The test client's force_login has no REMOTE_ADDR; axes records the login anyway.
    client.force_login(staff)

    assert client.get(reverse("review:session_list")).status_code == 200


@pytest.mark.parametrize(
    ("remote_addr", "expected"),
    [("10.0.0.7", "10.0.0.7"), ("::1", "::1"), ("", None), ("unix:/run/gunicorn.sock", None)],
)
def test_client_ip_is_an_address_or_none(remote_addr, expected):
    request = RequestFactory().get("/login/", REMOTE_ADDR=remote_addr)

    assert client_ip(request) == expected
