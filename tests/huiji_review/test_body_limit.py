"""RequestBodyLimitMiddleware (huiji_review/middleware.py): an oversize body is refused from its
Content-Length before anything reads it (docs/deployment.md, "Request size limits")."""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from huiji_review.middleware import UPLOAD_FRAMING_BYTES
from sessions.models import ReviewSession
from tests.factories.workbooks import workbook_bytes

IMPORT_URL = "/sessions/import/"
MULTIPART = "multipart/form-data; boundary=BoUnDaRy"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UnreadableBody:
    """A wsgi.input that fails the test if anything reads from it."""

    def read(self, *args, **kwargs):
        raise AssertionError("the request body was read")

    readline = read


def post_unread(client, path, *, length=None, **extra):
    """A POST whose body must never be read; Content-Length as given (or absent)."""
    if length is not None:
        extra["CONTENT_LENGTH"] = str(length)
    return client.generic(
        "POST", path, b"", CONTENT_TYPE=MULTIPART, **{"wsgi.input": UnreadableBody()}, **extra
    )


def test_body_limit_refuses_an_oversize_login_post_unread(client):
    response = post_unread(client, "/login/", length=200 * 1024 * 1024)

    html = response.content.decode()
    assert response.status_code == 413
    assert "提交的内容太大，已被拒绝。" in html
    assert "The request is too large and was refused." in html


def test_body_limit_on_login_is_the_small_limit(client):
    response = post_unread(client, "/login/", length=settings.REQUEST_BODY_MAX_BYTES + 1)

    assert response.status_code == 413


@pytest.mark.parametrize("path", ["/r/", "/screen/x/", "/admin/login/"])
def test_body_limit_refuses_oversize_posts_outside_the_staff_pages(client, path):
    response = post_unread(client, path, length=settings.REQUEST_BODY_MAX_BYTES + 1)

    assert response.status_code == 413


@pytest.mark.django_db
def test_body_limit_refuses_an_upload_over_the_upload_limit_unread(organiser_client):
    length = settings.UPLOAD_MAX_BYTES + UPLOAD_FRAMING_BYTES + 1

    response = post_unread(organiser_client, IMPORT_URL, length=length)

    assert response.status_code == 413
    assert ReviewSession.objects.count() == 0


@pytest.mark.django_db
def test_body_limit_sends_an_anonymous_upload_sized_post_to_login_unread(client):
    response = post_unread(client, IMPORT_URL, length=settings.REQUEST_BODY_MAX_BYTES + 1)

    assert (response.status_code, response["Location"]) == (302, f"/login/?next={IMPORT_URL}")


@pytest.mark.django_db
def test_body_limit_lets_a_staff_upload_above_the_small_limit_through(organiser_client, settings):
    settings.REQUEST_BODY_MAX_BYTES = 1024

    workbook = SimpleUploadedFile("会议.xlsx", workbook_bytes(), XLSX_TYPE)
    assert workbook.size > settings.REQUEST_BODY_MAX_BYTES

    response = organiser_client.post(IMPORT_URL, {"file": workbook})

    session = ReviewSession.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/sessions/{session.slug}/")


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_body_limit_refuses_a_chunked_body_with_411(client, method):
    response = client.generic(
        method,
        "/login/",
        b"",
        CONTENT_TYPE=MULTIPART,
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": UnreadableBody()},
    )

    assert response.status_code == 411
    assert "Content-Length" in response.content.decode()


@pytest.mark.parametrize("declared", ["many", "-1"])
def test_body_limit_refuses_a_malformed_content_length(client, declared):
    response = client.generic(
        "POST", "/login/", b"", CONTENT_LENGTH=declared, **{"wsgi.input": UnreadableBody()}
    )

    assert response.status_code == 400


@pytest.mark.django_db
def test_body_limit_lets_a_post_without_a_body_through(client):
    # Neither Content-Length nor Transfer-Encoding: an empty body (RFC 9112, section 6.3).
    response = client.generic("POST", "/login/", b"")

    assert response.status_code == 200
    assert response.context["form"].errors["username"] == ["这个字段是必填项。"]


@pytest.mark.django_db
def test_body_limit_lets_a_normal_login_through(client):
    response = client.post("/login/", {"username": "nobody", "password": "x"})

    assert response.status_code == 200
    assert response.context["form"].errors["__all__"] == [
        "请输入一个正确的用户名和密码。注意，两者都区分大小写。"
    ]
