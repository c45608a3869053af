"""The rater's entry pages: typing a code from the card (the QR lands on /r/<code>/)."""

import pytest
from django.urls import reverse

from sessions.models import ReviewSession
from tests.factories import CredentialFactory


@pytest.mark.django_db
def test_entry_form_redirects_a_typed_code_normalised(client):
    response = client.post(reverse("rate:entry"), {"code": " abcd-efgh "})

    assert response.status_code == 302
    assert response["Location"] == "/r/ABCDEFGH/"


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["ABC", "ABCDEFGHJ", "ABCD<EFG"])
def test_entry_form_refuses_a_code_of_the_wrong_shape(client, typed):
    response = client.post(reverse("rate:entry"), {"code": typed})

    assert response.status_code == 422
    assert "评议码是 8 位字母和数字，请核对后重新输入。" in response.content.decode()


@pytest.mark.django_db
def test_entry_code_accepts_lower_case_and_separators(client):
    credential = CredentialFactory(code="ABCDEFGH", session__status=ReviewSession.Status.RATING)

    response = client.get("/r/abcd-efgh/")

    assert response.status_code == 200
    assert response.context["credential"] == credential
