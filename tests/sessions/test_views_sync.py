"""What a tablet kept while offline reaches the server through /r/sync/ (sessions/views/rate.py,
docs/tablets.md "Offline"): the taps all or none, a queued 确认提交 exactly once whatever the
number of retries, nothing for another card, and the service worker that keeps the pages."""

import json

import pytest
from django.urls import reverse

from sessions import rating
from sessions.models import Ballot, BallotGrade, Credential, Grade, ReviewSession
from sessions.views import card
from tests.factories import CredentialFactory
from tests.factories.raters import HTMX, holding

from .test_views_rating import drafts, make_form, revoke, stored

pytestmark = pytest.mark.django_db

SYNC = "/r/sync/"


def taps(grades: dict) -> list[str]:
    return [f"{unit.pk}::{grade}" for unit, grade in grades.items()]


def sync(client, credential, grades=None, *, submit=False, form_key=None, raw=None):
    data = {
        "form": form_key if form_key is not None else card.device_key(credential),
        "tap": raw if raw is not None else taps(grades or {}),
    }
    if submit:
        data["submit"] = "1"
    return holding(client, credential).post(SYNC, data, **HTMX)


def answer(response) -> dict:
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)


def test_sync_saves_the_taps_in_order_the_last_of_a_cell_counting(client):
    form = make_form()
    town, other = form.towns
    raw = [f"{town.pk}::{Grade.POOR}", f"{other.pk}::{Grade.GOOD}", f"{town.pk}::{Grade.AVERAGE}"]

    response = sync(client, form.credential, raw=raw)

    assert response.status_code == 200
    assert answer(response) == {"state": "open", "saved": 3, "done": 2, "total": 5}
    assert drafts(form.credential) == {
        (town.pk, None): Grade.AVERAGE,
        (other.pk, None): Grade.GOOD,
    }


def test_sync_with_submit_lands_one_ballot_and_every_retry_gets_the_same_receipt(client):
    form = make_form()
    grades = {unit: Grade.FAIRLY_GOOD for unit in form.units}

    first = answer(sync(client, form.credential, grades, submit=True))
    again = answer(sync(client, form.credential, grades, submit=True))
    plain = answer(sync(client, form.credential, {}))

    receipt = Credential.objects.get(pk=form.credential.pk).receipt
    assert (
        first == again == plain == {"state": "submitted", "receipt": f"{receipt[:4]} {receipt[4:]}"}
    )
    ballot = Ballot.objects.get(session=form.session)
    assert sorted(
        BallotGrade.objects.filter(ballot=ballot).values_list("unit_id", "grade")
    ) == sorted((unit.pk, Grade.FAIRLY_GOOD) for unit in form.units)


def test_sync_submit_of_an_incomplete_form_saves_the_taps_and_says_what_is_missing(client):
    form = make_form()
    response = sync(client, form.credential, {form.towns[0]: Grade.GOOD}, submit=True)

    assert response.status_code == 422
    body = answer(response)
    assert body["state"] == "open"
    assert body["errors"] == ["还有 4 项没有评价（弃权也需选择），请完成后再提交。"]
    assert (body["done"], body["total"]) == (1, 5)
    assert drafts(form.credential) == {(form.towns[0].pk, None): Grade.GOOD}
    assert Ballot.objects.count() == 0


@pytest.mark.parametrize(
    "raw",
    [
        ["garbage"],
        ["1:2"],
        ["x::好"],
        ["{unit}::excellent"],  # a grade the scale does not have
        ["{unit}::good", "999999::good"],  # a unit not on this card's form
    ],
)
def test_sync_refuses_a_bad_tap_and_saves_none_of_the_batch(client, raw):
    form = make_form()
    raw = [value.format(unit=form.towns[0].pk) for value in raw]
    holding(client, form.credential)
    before = stored()

    response = sync(client, form.credential, raw=raw)

    assert response.status_code == 422
    assert answer(response)["state"] == "invalid"
    assert stored() == before


def test_sync_for_another_card_is_refused_and_lands_nothing(client):
    form = make_form()
    other = CredentialFactory(session=form.session)
    holding(client, form.credential)
    before = stored()

    response = sync(
        client, form.credential, {form.towns[0]: Grade.GOOD}, form_key=card.device_key(other)
    )

    assert response.status_code == 409
    assert answer(response)["state"] == "other_card"
    assert stored() == before


def test_device_keys_differ_per_card_and_do_not_hold_the_code():
    first, second = CredentialFactory.create_batch(2)
    assert card.device_key(first) != card.device_key(second)
    assert card.device_key(first) == card.device_key(Credential.objects.get(pk=first.pk))
    assert first.code.lower() not in card.device_key(first)


def test_sync_after_rating_ended_says_so_and_lands_nothing(client):
    form = make_form()
    holding(client, form.credential)
    ReviewSession.objects.filter(pk=form.session.pk).update(status=ReviewSession.Status.CLOSED)
    before = stored()

    response = sync(client, form.credential, {form.towns[0]: Grade.GOOD}, submit=True)

    assert response.status_code == 409
    assert answer(response) == {"state": "ended", "message": "评议已经结束，不再接收评议表。"}
    assert stored() == before


def test_sync_of_a_revoked_card_says_so(client):
    form = make_form()
    holding(client, form.credential)
    revoke(form.credential)

    response = sync(client, form.credential, {form.towns[0]: Grade.GOOD})

    assert response.status_code == 409
    assert answer(response)["state"] == "revoked"


def test_sync_without_a_card_is_403_text(client):
    form = make_form()
    response = client.post(SYNC, {"form": card.device_key(form.credential)}, **HTMX)
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/plain")


def test_sync_answers_only_post(client):
    form = make_form()
    assert holding(client, form.credential).get(SYNC).status_code == 405


def test_drafts_apply_is_all_or_nothing():
    form = make_form()
    good = (rating.Cell(form.towns[0].pk, None), Grade.GOOD)
    bad = (rating.Cell(form.towns[1].pk, 12345), Grade.GOOD)  # no such criterion
    with pytest.raises(rating.ValidationError):
        rating.drafts_apply(credential=form.credential, taps=[good, bad])
    assert drafts(form.credential) == {}


# ---------------------------------------------------------------- the pages it keeps


def test_form_and_live_page_are_marked_for_the_device_and_carry_the_cards_key(client):
    form = make_form()
    response = holding(client, form.credential).get(reverse("rate:form"))
    assert response[card.OFFLINE_HEADER] == "keep"
    html = response.content.decode()
    assert f'data-device-key="{card.device_key(form.credential)}"' in html
    assert 'data-served-from="network"' in html
    assert form.credential.code not in html


@pytest.mark.parametrize("state", ["submitted", "revoked", "ended"])
def test_pages_without_a_form_are_not_kept_and_tell_the_device_to_forget(client, state):
    form = make_form()
    holding(client, form.credential)
    if state == "submitted":
        answer(sync(client, form.credential, dict.fromkeys(form.units, Grade.GOOD), submit=True))
    elif state == "revoked":
        revoke(form.credential)
    else:
        ReviewSession.objects.filter(pk=form.session.pk).update(status=ReviewSession.Status.CLOSED)

    response = client.get(reverse("rate:form"))

    assert card.OFFLINE_HEADER not in response
    assert "data-device-forget" in response.content.decode()
    assert "data-device-key" not in response.content.decode()


def test_entry_page_without_a_card_tells_the_device_to_forget(client):
    response = client.get(reverse("rate:entry"))
    assert card.OFFLINE_HEADER not in response
    assert "data-device-forget" in response.content.decode()


def test_service_worker_is_served_from_r_with_the_assets_it_keeps(client):
    response = client.get("/r/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "no-cache" in response["Cache-Control"]
    script = response.content.decode()
    assert '"/static/js/offline.js"' in script
    assert '"/r/form/", "/r/live/"' in script
    assert "X-Offline-Page" in script
